package org.genzoo.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.genzoo.host.testing.OclgrindLogCheck;
import org.genzoo.host.testing.OnDevice;
import org.genzoo.host.testing.SimGpu;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The simulated-GPU pass itself: it runs on Oclgrind, and an out-of-bounds access there is
 * reported in OCLGRIND_LOG, which is what makes OclgrindLogCheck fail a kernel that has one. Run
 * only by the host module's "simgpu" execution (its name does not end in Test).
 */
class OclgrindSelfCheck extends OnDevice {
    static ExtensionContext current;

    @RegisterExtension
    static final org.junit.jupiter.api.extension.BeforeEachCallback REMEMBER = ctx -> current = ctx;

    @Test
    void runsOnOclgrindWithItsChecksOn() {
        assertTrue(SimGpu.active(), "genzoo.simgpu is set in this pass");
        assertTrue(dev.info().name().contains("Oclgrind"), "device " + dev.info().name());
        for (String v : new String[] {"OCLGRIND_DATA_RACES", "OCLGRIND_UNINITIALIZED", "OCLGRIND_CHECK_API", "OCLGRIND_LOG"}) {
            assertTrue(System.getenv(v) != null && !System.getenv(v).isBlank(), v + " is set");
        }
    }

    @Test
    void anOutOfBoundsAccessIsReported() throws Exception {
        int n4 = 8;
        try (DeviceBuffer x = dev.allocate(16L * n4); DeviceBuffer y = dev.allocate(16L * n4)) {
            x.write(new float[4 * n4]);
            // stream_copy told to copy 9 float4s from buffers of 8: one read and one write past the end.
            dev.launch(dev.kernel("runtime.cl", "stream_copy", Map.of()).args(y, x, n4 + 1), new long[] {n4 + 1}, new long[] {1});
            dev.finish();
        }
        String report = OclgrindLogCheck.acknowledge(current);
        assertTrue(report.contains("Invalid") && report.contains("stream_copy"), "Oclgrind's report: " + report);
    }

    /**
     * Why the pass sets GENZOO_TEST_MAX_LANES=1: Oclgrind 21.10's uninitialized-value checker dies
     * with SIGSEGV on a correct two-line kernel that adds two lanes of a vector (the shufflevector
     * with an undef mask lane that clang makes of it; see oclgrind/shuffle-undef-mask.cl). The
     * lanes.cl and FMA-probe variants wider than one float sum their lanes that way. When this
     * fails, the installed Oclgrind no longer crashes: drop GENZOO_TEST_MAX_LANES from the simgpu
     * executions (host/pom.xml, models/pom.xml) so the vector variants run there too.
     */
    @Test
    void oclgrindStillCrashesOnTheVectorLaneSum() throws Exception {
        java.nio.file.Path sim = java.nio.file.Path.of(OclgrindSelfCheck.class.getResource("/oclgrind/shuffle-undef-mask.sim").toURI());
        java.util.List<String> cmd = java.util.List.of("oclgrind-kernel", "--uninitialized", sim.getFileName().toString());
        Process p = new ProcessBuilder(cmd).directory(sim.getParent().toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS), "oclgrind-kernel did not finish");
        // 139 = 128 + SIGSEGV from a shell; a direct child killed by the signal reports 139 in Java too.
        assertEquals(139, p.exitValue(), "oclgrind-kernel --uninitialized on the vector-sum reproducer: exit " + p.exitValue()
                + ", output: " + out + " (0 = fixed: lift GENZOO_TEST_MAX_LANES=1 in the simgpu executions)");
        Process plain = new ProcessBuilder("oclgrind-kernel", sim.getFileName().toString()).directory(sim.getParent().toFile())
                .redirectErrorStream(true).start();
        String plainOut = new String(plain.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(plain.waitFor(60, java.util.concurrent.TimeUnit.SECONDS) && plain.exitValue() == 0 && plainOut.contains("out[0] = 2"),
                "without --uninitialized the same kernel runs and computes 1 + 1 = 2: " + plainOut);
    }
}
