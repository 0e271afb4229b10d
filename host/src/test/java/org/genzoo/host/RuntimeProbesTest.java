package org.genzoo.host;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Map;
import org.genzoo.host.testing.Check;
import org.genzoo.host.testing.OnDevice;
import org.junit.jupiter.api.Test;

/** The device probes behind the benchmark peaks compute what they claim (runtime.cl). */
class RuntimeProbesTest extends OnDevice {
    /** 16 FMA iterations and a 128-term float sum: a few ulp of O(10) values. */
    private static final double RTOL = 1e-6;

    @Test
    void fmaPeakMatchesJavaRecurrence() {
        int items = 130;
        int iters = 16;
        float a = 0.999f;
        float b = 1e-4f;
        try (DeviceBuffer out = dev.allocate(4L * items)) {
            Kernel k = dev.kernel("runtime.cl", "fma_peak", Map.of("PEAK_ITERS", Integer.toString(iters))).args(out, a, b);
            dev.launch(k, new long[] {items}, new long[] {1});
            float[] got = out.readFloats(0, items);
            for (int g = 0; g < items; g++) {
                float x0 = g * 1e-9f;
                float[] x = {x0, x0 + 1e-3f, x0 + 2e-3f, x0 + 3e-3f, x0 + 4e-3f, x0 + 5e-3f, x0 + 6e-3f, x0 + 7e-3f};
                for (int i = 0; i < iters; i++) {
                    for (int c = 0; c < 8; c++) {
                        x[c] = Math.fma(x[c], a, b);
                    }
                }
                float lane = 0;
                for (float v : x) {
                    lane += v;
                }
                double want = 16.0 * lane; // the 16 lanes hold the same value
                assertEquals(want, got[g], RTOL * Math.abs(want), "work-item " + g);
            }
        }
    }

    @Test
    void streamCopyCopiesExactlyAndStopsAtN() {
        int n4 = 1001;
        float[] x = Check.uniform(8, 4 * n4, -1, 1);
        try (DeviceBuffer bx = dev.allocate(16L * n4); DeviceBuffer by = dev.allocate(16L * (n4 + 1))) {
            bx.write(x);
            float[] sentinel = {-9f, -9f, -9f, -9f};
            by.write(sentinel, 0, 4, 4L * n4);
            dev.launch(dev.kernel("runtime.cl", "stream_copy").args(by, bx, n4), new long[] {n4}, new long[] {64});
            assertArrayEquals(x, by.readFloats(0, 4 * n4));
            assertArrayEquals(sentinel, by.readFloats(4L * n4, 4), "elements past n untouched");
        }
    }
}
