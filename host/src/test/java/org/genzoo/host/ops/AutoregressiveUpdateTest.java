package org.genzoo.host.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.SplittableRandom;
import org.genzoo.host.DeviceBuffer;
import org.genzoo.host.tensor.Tensor;
import org.genzoo.host.testing.Check;
import org.genzoo.host.testing.OnDevice;
import org.genzoo.host.testing.SimGpu;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;

/**
 * {@code made_autoregressive_update} against plain Java in double. The op has no backward (the
 * sequential direction of MAF/IAF is not differentiated), so there is no finite-difference check.
 */
class AutoregressiveUpdateTest extends OnDevice {
    /** exp and tanh in float32 against double: a few ulps of values of order e^|s|, |s| ≤ 3. */
    static final double ATOL = 1e-5;
    static final double RTOL = 1e-5;

    /** x[r, c] for degree[c] == step: (z − t)·exp(−s), s = S·tanh(raw / S) (S = 0: raw); other x unchanged. */
    static double[] reference(float[] x, float[] z, float[] h, int[] degree, int step, float bound, int b, int d) {
        double[] out = Check.toDouble(x);
        for (int r = 0; r < b; r++) {
            for (int c = 0; c < d; c++) {
                if (degree[c] != step) {
                    continue;
                }
                double raw = h[r * 2 * d + c];
                double s = bound > 0 ? bound * Math.tanh(raw / bound) : raw;
                out[r * d + c] = (z[r * d + c] - h[r * 2 * d + d + c]) * Math.exp(-s);
            }
        }
        return out;
    }

    /** B, D, bound; the simulated GPU runs the sizes up to 93 (Oclgrind's time), the others are not generated there. */
    static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> cases() {
        float[][] all = {{1, 1, 0}, {7, 3, 2}, {93, 7, 3}, {144, 93, 0}, {1000, 5, 2}};
        return java.util.Arrays.stream(all)
                .filter(c -> !SimGpu.active() || Math.max(c[0], c[1]) <= 93)
                .map(c -> org.junit.jupiter.params.provider.Arguments.of((int) c[0], (int) c[1], c[2]));
    }

    @ParameterizedTest(name = "B={0} D={1} bound={2}")
    @org.junit.jupiter.params.provider.MethodSource("cases")
    void matchesTheReferenceForEveryStep(int b, int d, float bound) {
        long seed = 31L * b + d;
        float[] x = Check.uniform(seed, b * d, -2, 2);
        float[] z = Check.uniform(seed + 1, b * d, -2, 2);
        // raw up to ±400 when bounded (the tanh saturates), ±3 when not (exp(−raw) must stay finite).
        float[] h = Check.uniform(seed + 2, b * 2 * d, bound > 0 ? -400 : -3, bound > 0 ? 400 : 3);
        int[] degree = new int[d];
        SplittableRandom r = new SplittableRandom(seed);
        for (int c = 0; c < d; c++) {
            degree[c] = 1 + r.nextInt(d);
        }
        try (DeviceBuffer deg = dev.upload(degree); Tensor tz = Tensor.of(dev, b, d, z); Tensor th = Tensor.of(dev, b, 2 * d, h)) {
            for (int step = 1; step <= d; step++) {
                try (Tensor tx = Tensor.of(dev, b, d, x)) {
                    AutoregressiveUpdate.update(tx, tz, th, deg, step, bound);
                    Check.close(reference(x, z, h, degree, step, bound, b, d), tx.toArray(), ATOL, RTOL,
                            "step " + step + " seed " + seed);
                }
            }
        }
    }

    @Test
    void columnViewsAreAddressedAndTheRestOfTheBufferIsUntouched() {
        int b = 7;
        int d = 3;
        float[] wide = Check.uniform(5, b * 8, -1, 1); // x is columns 2..5 of a B x 8 tensor
        float[] z = Check.uniform(6, b * d, -1, 1);
        float[] h = Check.uniform(7, b * 2 * d, -1, 1);
        int[] degree = {2, 1, 2};
        float[] x = new float[b * d];
        for (int i = 0; i < b; i++) {
            System.arraycopy(wide, i * 8 + 2, x, i * d, d);
        }
        try (Tensor tw = Tensor.of(dev, b, 8, wide); DeviceBuffer deg = dev.upload(degree); Tensor tz = Tensor.of(dev, b, d, z);
                Tensor th = Tensor.of(dev, b, 2 * d, h)) {
            AutoregressiveUpdate.update(tw.cols(2, 5), tz, th, deg, 2, 0f);
            float[] got = tw.toArray();
            double[] ref = reference(x, z, h, degree, 2, 0f, b, d);
            for (int i = 0; i < b; i++) {
                for (int c = 0; c < 8; c++) {
                    if (c >= 2 && c < 5) {
                        assertEquals(ref[i * d + c - 2], got[i * 8 + c], ATOL + RTOL * Math.abs(ref[i * d + c - 2]), "row " + i + " col " + c);
                    } else {
                        assertEquals(wide[i * 8 + c], got[i * 8 + c], 0f, "outside the view: row " + i + " col " + c);
                    }
                }
            }
        }
    }

    @Test
    void badShapesAndStepsAreRefused() {
        try (Tensor x = Tensor.zeros(dev, 4, 3); Tensor z = Tensor.zeros(dev, 4, 3); Tensor h = Tensor.zeros(dev, 4, 6);
                Tensor hBad = Tensor.zeros(dev, 4, 5); DeviceBuffer deg = dev.upload(new int[] {1, 2, 3})) {
            assertThrows(IllegalArgumentException.class, () -> AutoregressiveUpdate.update(x, z, hBad, deg, 1, 0f));
            assertThrows(IllegalArgumentException.class, () -> AutoregressiveUpdate.update(x, z, h, deg, 0, 0f));
            assertThrows(IllegalArgumentException.class, () -> AutoregressiveUpdate.update(x, z, h, deg, 4, 0f));
            assertThrows(IllegalArgumentException.class, () -> AutoregressiveUpdate.update(x, z, h, deg, 1, -1f));
            assertArrayEquals(new float[12], x.toArray(), "nothing written on refusal");
        }
    }
}
