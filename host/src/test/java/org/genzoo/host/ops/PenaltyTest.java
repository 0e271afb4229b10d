package org.genzoo.host.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.stream.Stream;
import org.genzoo.host.tensor.Tensor;
import org.genzoo.host.testing.Check;
import org.genzoo.host.testing.OnDevice;
import org.genzoo.host.testing.SimGpu;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** kernels/penalty.cl (the WGAN-GP penalty) against a plain-Java reference in double and central differences. */
class PenaltyTest extends OnDevice {
    /** Interpolate: three float operations per element (the reference rounds the same way in float). */
    private static final double ATOL_INTERP = 0;
    /** Penalty: float sums of at most 93 squares per row and of 93 rows, a square root, against double. */
    private static final double RTOL_FWD = 2e-5;
    private static final double ATOL_FWD = 1e-6;
    /** Backward against central differences of the double reference (step 1e-6): a few float ulps of g. */
    private static final double RTOL_BWD = 1e-4;
    private static final double ATOL_BWD = 1e-6;
    private static final float EPS = 1e-12f;

    static Stream<Arguments> shapes() {
        return Arrays.stream(SimGpu.shapes(new int[][] {{1, 1}, {7, 3}, {33, 2}, {93, 5}, {1, 93}, {256, 2}})).map(s -> Arguments.of(s[0], s[1]));
    }

    /** λ · (1/B) Σ_i (sqrt(Σ_j g² + eps) − 1)², in double. */
    static double penalty(double[] g, int b, int d, double lambda) {
        double s = 0;
        for (int i = 0; i < b; i++) {
            double q = 0;
            for (int j = 0; j < d; j++) {
                q += g[i * d + j] * g[i * d + j];
            }
            double n = Math.sqrt(q + EPS);
            s += (n - 1) * (n - 1);
        }
        return lambda * s / b;
    }

    @ParameterizedTest
    @MethodSource("shapes")
    void interpolateMatchesTheFloatReference(int b, int d) {
        long seed = 31L * b + d;
        float[] real = Check.uniform(seed, b * (d + 2), -3, 3);
        float[] fake = Check.uniform(seed + 1, b * d, -3, 3);
        float[] alpha = Check.uniform(seed + 2, b, 0, 1);
        // real as a view with leading dimension d + 2, x as a view with leading dimension d + 1.
        try (Tensor tr = Tensor.of(dev, b, d + 2, real); Tensor tf = Tensor.of(dev, b, d, fake); Tensor ta = Tensor.of(dev, b, 1, alpha);
                Tensor tx = Tensor.zeros(dev, b, d + 1)) {
            Penalty.interpolate(tx.cols(0, d), tr.cols(1, d + 1), tf, ta);
            float[] x = tx.toArray();
            double[] ref = new double[b * d];
            float[] got = new float[b * d];
            for (int i = 0; i < b; i++) {
                for (int j = 0; j < d; j++) {
                    float f = fake[i * d + j];
                    float diff = real[i * (d + 2) + j + 1] - f;
                    ref[i * d + j] = alpha[i] * diff + f;
                    got[i * d + j] = x[i * (d + 1) + j];
                }
                assertEquals(0f, x[i * (d + 1) + d], "column outside the view untouched (seed " + seed + ")");
            }
            Check.close(ref, got, ATOL_INTERP, 0, "interpolate " + b + " x " + d + " (seed " + seed + ")");
        }
    }

    @ParameterizedTest
    @MethodSource("shapes")
    void penaltyAndItsGradientMatchTheReference(int b, int d) {
        long seed = 17L * b + d;
        float lambda = 10f;
        // Rows scaled so that norms fall on both sides of 1.
        float[] hg = Check.uniform(seed, b * (d + 1), -1.5, 1.5);
        double dgp = 0.75;
        float[] prev = Check.uniform(seed + 1, b * d, -1, 1);
        try (Tensor gAll = Tensor.of(dev, b, d + 1, hg); Tensor gp = Tensor.zeros(dev, 1, 1); Tensor norms = Tensor.empty(dev, b, 1);
                Tensor tdgp = Tensor.of(dev, 1, 1, new float[] {(float) dgp}); Tensor dg = Tensor.of(dev, b, d, prev);
                Tensor dg0 = Tensor.of(dev, b, d, Check.uniform(seed + 2, b * d, -1, 1))) {
            Tensor g = gAll.cols(1, d + 1);
            double[] gd = new double[b * d];
            for (int i = 0; i < b; i++) {
                for (int j = 0; j < d; j++) {
                    gd[i * d + j] = hg[i * (d + 1) + j + 1];
                }
            }
            String tag = b + " x " + d + " (seed " + seed + ")";
            Penalty.forward(gp, norms, g, EPS, lambda);
            double ref = penalty(gd, b, d, lambda);
            Check.close(new double[] {ref}, gp.toArray(), ATOL_FWD, RTOL_FWD, "penalty " + tag);
            double[] fd = Check.finiteDiff(x -> penalty(x, b, d, lambda), gd, 1e-6);
            double[] assign = new double[fd.length];
            double[] acc = new double[fd.length];
            for (int k = 0; k < fd.length; k++) {
                assign[k] = dgp * fd[k];
                acc[k] = prev[k] + dgp * fd[k];
            }
            Penalty.backward(dg0, tdgp, norms, g, lambda, 0f);
            Check.close(assign, dg0.toArray(), ATOL_BWD, RTOL_BWD, "penalty backward, assigned " + tag);
            Penalty.backward(dg, tdgp, norms, g, lambda, 1f);
            Check.close(acc, dg.toArray(), ATOL_BWD, RTOL_BWD, "penalty backward, accumulated " + tag);
        }
    }

    @Test
    void aZeroGradientRowHasAFiniteGradient() {
        // ‖0‖ = sqrt(eps): the penalty is λ(1 − 1e-6)² and its gradient 0 (g = 0), not NaN.
        try (Tensor g = Tensor.zeros(dev, 3, 2); Tensor gp = Tensor.zeros(dev, 1, 1); Tensor norms = Tensor.empty(dev, 3, 1);
                Tensor one = Tensor.of(dev, 1, 1, new float[] {1f}); Tensor dg = Tensor.empty(dev, 3, 2)) {
            Penalty.forward(gp, norms, g, EPS, 2f);
            assertEquals(2.0, gp.toArray()[0], 1e-5);
            Penalty.backward(dg, one, norms, g, 2f, 0f);
            for (float v : dg.toArray()) {
                assertEquals(0.0, v, 0.0, "zero gradient, not NaN");
            }
        }
    }

    @Test
    void badShapesAreRefused() {
        try (Tensor g = Tensor.zeros(dev, 3, 2); Tensor gp = Tensor.zeros(dev, 1, 2); Tensor norms = Tensor.empty(dev, 2, 1)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Penalty.forward(gp, norms, g, EPS, 1f));
            assertTrue(e.getMessage().contains("1 x 1"), e.getMessage());
            try (Tensor s = Tensor.zeros(dev, 1, 1)) {
                e = assertThrows(IllegalArgumentException.class, () -> Penalty.forward(s, norms, g, EPS, 1f));
                assertTrue(e.getMessage().contains("3 x 1"), e.getMessage());
            }
        }
    }
}
