package org.genzoo.host;

import java.util.Map;
import org.genzoo.host.cl.ClException;

/** A kernel file failed to compile: carries the file, the defines and the device's full build log. */
public final class KernelBuildException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final String file;
    private final String buildLog;

    public KernelBuildException(String file, Map<String, String> defines, String options, String device, String buildLog,
            ClException cause) {
        super("OpenCL program " + file + " failed to build for " + device + " with defines " + defines + " and options '"
                + options + "': " + cause.getMessage() + "\n--- build log ---\n" + buildLog, cause);
        this.file = file;
        this.buildLog = buildLog;
    }

    public String file() {
        return file;
    }

    public String buildLog() {
        return buildLog;
    }
}
