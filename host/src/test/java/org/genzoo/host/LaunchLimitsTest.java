package org.genzoo.host;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.genzoo.host.ops.Gemm;
import org.genzoo.host.tensor.Tensor;
import org.genzoo.host.testing.OnDevice;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Launches over a device limit are refused before anything is enqueued, with everything needed to fix them. */
class LaunchLimitsTest extends OnDevice {
    @AfterEach
    void clearProperty() {
        System.clearProperty("genzoo.tuning.dir");
    }

    @Test
    void tooMuchLocalMemoryIsRefusedNamingKernelDefinesSizesAndLimit() {
        // CPU-variant blocks of 1024: 4 * 3 * 1024² bytes = 12 MiB of __local, over any device's limit.
        long limit = dev.info().localMemBytes();
        assumeTrue(limit < 12L << 20, "device has 12 MiB of local memory");
        try (Gemm g = new Gemm(dev, Gemm.Variant.CPU, Map.of("MC", "1024", "NC", "1024", "KC", "1024"));
             Tensor a = Tensor.zeros(dev, 7, 7); Tensor c = Tensor.zeros(dev, 7, 7)) {
            LaunchRefusedException e = assertThrows(LaunchRefusedException.class, () -> g.mm(c, a, false, a, false));
            String msg = e.getMessage();
            for (String part : new String[] {"gemm.cl:gemm", "MC=1024", "KC=1024", "global [", "local [1, 1]",
                    "CL_DEVICE_LOCAL_MEM_SIZE", Long.toString(limit)}) {
                assertTrue(msg.contains(part), "'" + part + "' missing from: " + msg);
            }
        }
    }

    @Test
    void workGroupOverTheLimitIsRefused() {
        long[] items = dev.maxWorkItemSizes();
        Kernel k = dev.kernel("tensor.cl", "fill");
        try (Tensor t = Tensor.zeros(dev, 4, 4)) {
            k.args(t, 0, 4, 1f, 4, 4);
            long over = Math.max(items[0], dev.info().maxWorkGroupSize()) * 2;
            LaunchRefusedException e = assertThrows(LaunchRefusedException.class,
                    () -> dev.launch(k, new long[] {over, 1}, new long[] {over, 1}));
            assertTrue(e.getMessage().contains("tensor.cl:fill") && e.getMessage().contains("exceeds"), e.getMessage());
            long side = Integer.highestOneBit((int) Math.min(items[0], items[1]));
            while (side * side <= Math.min(dev.info().maxWorkGroupSize(), k.info().workGroupSize())) {
                side *= 2;
            }
            long s = side;
            if (s <= items[0] && s <= items[1]) {
                e = assertThrows(LaunchRefusedException.class, () -> dev.launch(k, new long[] {s, s}, new long[] {s, s}));
                assertTrue(e.getMessage().contains("work-items exceeds the limit"), e.getMessage());
            }
            e = assertThrows(LaunchRefusedException.class,
                    () -> dev.launch(k, new long[] {1, 1, 1, 1}, new long[] {1, 1, 1, 1}));
            assertTrue(e.getMessage().contains("dimensions"), e.getMessage());
        }
    }

    @Test
    void kernelInfoComesFromTheDevice() {
        Kernel k = dev.kernel("tensor.cl", "fill");
        assertTrue(k.info().workGroupSize() >= 1 && k.info().workGroupSize() <= dev.info().maxWorkGroupSize(), k.info().toString());
        assertTrue(k.info().preferredMultiple() >= 1, k.info().toString());
        try (Gemm g = new Gemm(dev, Gemm.Variant.GPU, Map.of("TSM", "32", "TSN", "32", "TSK", "8", "WPTM", "2", "WPTN", "2",
                "VW", "4", "PAD", "1")); Tensor a = Tensor.zeros(dev, 3, 3); Tensor c = Tensor.zeros(dev, 3, 3)) {
            g.mm(c, a, false, a, false);
            Kernel gk = dev.kernel("gemm.cl", "gemm_tiled", withCall(g.defines()));
            // The tiled kernel's static tiles: 4 bytes x TSK x (TSM + TSN + 2 PAD).
            assertTrue(gk.info().localMemBytes() >= 4L * 8 * 66, gk.info().toString());
        }
    }

    private static Map<String, String> withCall(Map<String, String> defines) {
        Map<String, String> m = new java.util.HashMap<>(defines);
        m.put("TRANS_A", "0");
        m.put("TRANS_B", "0");
        m.put("ACT", "0");
        m.put("HAS_BIAS", "0");
        return m;
    }

    @Test
    void aTunedFileInTheTuningDirChangesTheDefinesTheOpUses(@TempDir Path dir) throws Exception {
        assumeTrue(System.getenv("GENZOO_TUNING_DIR") == null, "GENZOO_TUNING_DIR is set in this environment");
        Files.writeString(dir.resolve("gemm.properties"), "# written by this test\n" + Tuning.exactHeader(dev.info())
                + "\nVARIANT=gpu\nTSM=16\nTSN=32\nTSK=8\nWPTM=2\nWPTN=4\nVW=1\nPAD=0\n");
        System.setProperty("genzoo.tuning.dir", dir.toString());
        try (Device fresh = Device.open(dev.api(), dev.info())) {
            Gemm g = fresh.shared(Gemm.class, Gemm::new);
            assertEquals(Gemm.Variant.GPU, g.variant());
            assertEquals("16", g.defines().get("TSM"));
            assertEquals("32", g.defines().get("TSN"));
            assertEquals("1", g.defines().get("VW"));
            assertEquals("1", g.defines().get("GEMM_GPU"));
            float[] a = {1, 2, 3, 4, 5, 6};
            try (Tensor ta = Tensor.of(fresh, 2, 3, a); Tensor c = Tensor.empty(fresh, 2, 2)) {
                g.mm(c, ta, false, ta, true);
                assertArrayEquals(new float[] {14, 32, 32, 77}, c.toArray());
            }
        }
    }
}
