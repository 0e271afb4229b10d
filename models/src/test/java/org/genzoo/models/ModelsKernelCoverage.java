package org.genzoo.models;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import org.genzoo.host.testing.KernelCoverage;
import org.genzoo.host.testing.KernelInventory;
import org.genzoo.host.testing.LaunchRecorder;
import org.genzoo.host.testing.SimGpu;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

/**
 * The whole simulated-GPU pass covers every kernel of kernels/*.cl: the host module's pass (its
 * launches saved in host/target/simgpu-launched.txt) and this module's together launched each
 * kernel on Oclgrind, the energies.cl kernels (whose op lives here) among them. Runs last in the
 * models module's "simgpu" execution; writes target/simgpu-kernels.txt. Its name does not end in
 * Test: the ordinary pass does not run it.
 */
@Order(Integer.MAX_VALUE)
class ModelsKernelCoverage {
    @Test
    void everyKernelRanOnTheSimulatedGpu() throws IOException {
        assertTrue(SimGpu.active(), "run by the simulated-GPU pass (genzoo.simgpu=true)");
        Path hostLaunches = Path.of(System.getProperty("genzoo.simgpu.host.out", "../host/target"), KernelCoverage.LAUNCHED_FILE);
        assertTrue(Files.exists(hostLaunches), "no " + hostLaunches.toAbsolutePath() + ": the host module's simulated-GPU pass"
                + " writes it; run it first (mvn verify -pl host,models -Dgenzoo.simgpu.skip=false)");
        Map<String, Set<String>> launched = KernelCoverage.union(KernelCoverage.load(hostLaunches), LaunchRecorder.launched());
        Path out = Path.of(System.getProperty("genzoo.simgpu.out", "target"), "simgpu-kernels.txt");
        Map<String, Set<String>> defined = KernelInventory.kernels(KernelInventory.kernelsDir());
        Set<String> missing = KernelCoverage.report(defined, launched, e -> true, out);
        assertTrue(missing.isEmpty(), missing.size() + " of " + defined.size() + " kernels in kernels/*.cl ran in no test of the"
                + " simulated-GPU pass (host and models): " + missing + ". Add a test of its op to the pass (the simgpu execution"
                + " of host/pom.xml or models/pom.xml), at small odd shapes; list in " + out.toAbsolutePath());
    }
}
