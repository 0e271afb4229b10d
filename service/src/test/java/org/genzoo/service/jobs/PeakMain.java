package org.genzoo.service.jobs;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.genzoo.host.Bindings;
import org.genzoo.service.cli.GenZooCli;

/**
 * A child JVM for {@link HostMemoryExamplesTest}: the dry run's host estimate of a spec in this JVM
 * (with this JVM's heap settings), then {@code genzoo train} of the spec, then the process's peak
 * resident memory (VmHWM). Prints one line: {@code PLAN <estimate bytes> PEAK <peak bytes> EXIT <code>}.
 *
 * <p>Arguments: the spec file.
 */
public final class PeakMain {
    private PeakMain() {
    }

    public static void main(String[] args) throws Exception {
        String spec = Files.readString(Path.of(args[0]));
        long plan = DryRun.check(spec, Bindings.resolve(null).devices()).requireFits().hostBytes();
        int exit = GenZooCli.commandLine().execute("train", args[0], "-d", "cpu");
        long peak = -1;
        for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (l.startsWith("VmHWM:")) {
                peak = Long.parseLong(l.replaceAll("\\D", "")) * 1024;
            }
        }
        System.out.println("PLAN " + plan + " PEAK " + peak + " EXIT " + exit);
        System.out.flush();
        System.exit(0);
    }

    /** The child's arguments to the JVM: what the {@code genzoo} launcher gives by default. */
    static final List<String> JAVA_OPTS = List.of("-Xmn64m");
}
