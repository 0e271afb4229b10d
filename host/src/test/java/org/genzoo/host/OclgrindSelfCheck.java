package org.genzoo.host;

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
}
