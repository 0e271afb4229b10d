package org.genzoo.host;

import java.util.HashMap;
import java.util.Map;
import org.genzoo.host.cl.ClApi;
import org.genzoo.host.cl.ClDeviceInfo;

/** A built program and its kernels; owned by the {@link ProgramCache} that built it. */
public final class Program implements AutoCloseable {
    private final ClApi api;
    private final Object handle;
    private final String file;
    private final ClDeviceInfo device;
    private final Map<String, String> defines;
    private final Map<String, Kernel> kernels = new HashMap<>();

    Program(ClApi api, Object handle, String file, ClDeviceInfo device, Map<String, String> defines) {
        this.api = api;
        this.handle = handle;
        this.file = file;
        this.device = device;
        this.defines = Map.copyOf(defines);
    }

    /** The kernel of that name; one instance per program (arguments are set just before each launch). */
    public Kernel kernel(String name) {
        Kernel k = kernels.get(name);
        if (k == null) {
            k = new Kernel(api, api.createKernel(handle, name), file + ":" + name, device, defines);
            kernels.put(name, k);
        }
        return k;
    }

    public String file() {
        return file;
    }

    @Override
    public void close() {
        for (Kernel k : kernels.values()) {
            api.release(k.handle());
        }
        kernels.clear();
        api.release(handle);
    }
}
