package org.genzoo.host;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Map;
import java.util.stream.Stream;
import org.genzoo.host.testing.Check;
import org.genzoo.host.testing.OnDevice;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The device probes behind the benchmark peaks compute what they claim (runtime.cl). */
class RuntimeProbesTest extends OnDevice {
    /** 16 FMA iterations and a sum of up to 16 x 16 float terms: a few ulp of O(10) values. */
    private static final double RTOL = 1e-6;

    /**
     * Every probe shape the benchmark tries: vector width x chains (runtime.cl FMA_VEC, FMA_CHAINS),
     * on the simulated GPU too.
     */
    static Stream<Arguments> probeShapes() {
        return Stream.of(new int[] {1, 8}, new int[] {1, 16}, new int[] {4, 8}, new int[] {8, 8}, new int[] {16, 8},
                new int[] {16, 12}, new int[] {8, 12}, new int[] {4, 3})
                .map(s -> Arguments.of(s[0], s[1]));
    }

    @ParameterizedTest(name = "float{0} x {1} chains")
    @MethodSource("probeShapes")
    void fmaPeakMatchesJavaRecurrence(int vec, int chains) {
        int items = 130;
        int iters = 16;
        float a = 0.999f;
        float b = 1e-4f;
        try (DeviceBuffer out = dev.allocate(4L * items)) {
            Kernel k = dev.kernel("runtime.cl", "fma_peak", Map.of("PEAK_ITERS", Integer.toString(iters), "FMA_VEC", Integer.toString(vec),
                    "FMA_CHAINS", Integer.toString(chains))).args(out, a, b);
            dev.launch(k, new long[] {items}, new long[] {1});
            float[] got = out.readFloats(0, items);
            for (int g = 0; g < items; g++) {
                float x0 = g * 1e-9f;
                float[] x = new float[chains];
                for (int c = 0; c < chains; c++) {
                    x[c] = x0 + c * 1e-3f;
                }
                for (int i = 0; i < iters; i++) {
                    for (int c = 0; c < chains; c++) {
                        x[c] = Math.fma(x[c], a, b);
                    }
                }
                float lane = 0;
                for (float v : x) {
                    lane += v;
                }
                double want = (double) vec * lane; // every lane holds the same value
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
