package org.genzoo.host;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.genzoo.host.testing.KernelCoverage;
import org.genzoo.host.testing.KernelInventory;
import org.genzoo.host.testing.LaunchRecorder;
import org.genzoo.host.testing.SimGpu;
import org.junit.jupiter.api.ClassOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

/**
 * The simulated-GPU pass covers every kernel of the host's ops: each kernel that kernels/*.cl
 * defines (found in the source text by {@link KernelInventory}, so a new kernel is checked without
 * a list to update) in a file that host/src/main names was launched on Oclgrind by some test of the
 * pass ({@link LaunchRecorder}). Kernels of files only the models module names (energies.cl) are
 * checked by the models module's pass, which adds its launches to these. Runs last in the host
 * module's "simgpu" execution ({@link ClassOrderer.OrderAnnotation} is its class order); writes the
 * kernels and the define sets they ran with to target/simgpu-kernels.txt. Its name does not end in
 * Test: the ordinary pass does not run it.
 */
@Order(Integer.MAX_VALUE)
class OclgrindKernelCoverage {
    @Test
    void everyKernelRanOnTheSimulatedGpu() throws IOException {
        assertTrue(SimGpu.active(), "run by the simulated-GPU pass (genzoo.simgpu=true)");
        Path kernels = KernelInventory.kernelsDir();
        Map<String, Set<String>> defined = KernelInventory.kernels(kernels);
        Map<String, Set<String>> launched = LaunchRecorder.launched();
        Set<String> hostFiles = namedFiles(kernels.getParent().resolve("host/src/main/java"));
        Path out = Path.of(System.getProperty("genzoo.simgpu.out", "target"), "simgpu-kernels.txt");
        Set<String> missing = KernelCoverage.report(defined, launched, e -> e.getValue().stream().anyMatch(hostFiles::contains), out);
        assertTrue(missing.isEmpty(), missing.size() + " kernels of the host's ops in kernels/*.cl ran in no test of the"
                + " simulated-GPU pass: " + missing + ". Add a test of its op to the pass (host/pom.xml, execution simgpu), at"
                + " small odd shapes. Launched: " + launched.keySet() + "; list in " + out.toAbsolutePath());
    }

    /** The kernels/*.cl file names that the Java sources under {@code src} name in a string literal. */
    static Set<String> namedFiles(Path src) throws IOException {
        Set<String> out = new TreeSet<>();
        try (Stream<Path> files = Files.walk(src)) {
            for (Path f : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"(\\w+\\.cl)\"").matcher(Files.readString(f));
                while (m.find()) {
                    out.add(m.group(1));
                }
            }
        }
        return out;
    }
}
