package org.genzoo.host;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.genzoo.host.testing.KernelInventory;
import org.genzoo.host.testing.LaunchRecorder;
import org.genzoo.host.testing.SimGpu;
import org.junit.jupiter.api.ClassOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

/**
 * The simulated-GPU pass covers every kernel: each kernel that kernels/*.cl defines (found in the
 * source text by {@link KernelInventory}, so a new kernel is checked without a list to update)
 * was launched on Oclgrind by some test of the pass ({@link LaunchRecorder}). Runs last in the
 * host module's "simgpu" execution ({@link ClassOrderer.OrderAnnotation} is its class order);
 * writes the kernels and the define sets they ran with to target/simgpu-kernels.txt. Its name does
 * not end in Test: the ordinary pass does not run it.
 */
@Order(Integer.MAX_VALUE)
class OclgrindKernelCoverage {
    @Test
    void everyKernelRanOnTheSimulatedGpu() throws IOException {
        assertTrue(SimGpu.active(), "run by the simulated-GPU pass (genzoo.simgpu=true)");
        Map<String, Set<String>> defined = KernelInventory.kernels(KernelInventory.kernelsDir());
        Map<String, Set<String>> launched = LaunchRecorder.launched();
        StringBuilder report = new StringBuilder("# kernel: variants launched in the simulated-GPU pass (file {defines})\n");
        Set<String> missing = new TreeSet<>();
        for (Map.Entry<String, Set<String>> e : defined.entrySet()) {
            Set<String> v = launched.getOrDefault(e.getKey(), Set.of());
            report.append(e.getKey()).append(" (").append(String.join(", ", e.getValue())).append("): ")
                    .append(v.isEmpty() ? "NOT LAUNCHED" : v.size() + " variants").append('\n');
            for (String s : v) {
                report.append("    ").append(s).append('\n');
            }
            if (v.isEmpty()) {
                missing.add(e.getKey() + " (" + String.join(", ", e.getValue()) + ")");
            }
        }
        Path out = Path.of(System.getProperty("genzoo.simgpu.out", "target"), "simgpu-kernels.txt");
        Files.createDirectories(out.toAbsolutePath().getParent());
        Files.writeString(out, report);
        assertTrue(missing.isEmpty(), missing.size() + " of " + defined.size() + " kernels in kernels/*.cl ran in no test of the"
                + " simulated-GPU pass: " + missing + ". Add a test of its op to the pass (host/pom.xml, execution simgpu), at"
                + " small odd shapes. Launched: " + launched.keySet() + "; list in " + out.toAbsolutePath());
    }
}
