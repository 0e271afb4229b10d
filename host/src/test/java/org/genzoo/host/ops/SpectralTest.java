package org.genzoo.host.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.stream.Stream;
import org.genzoo.host.autograd.F;
import org.genzoo.host.autograd.Param;
import org.genzoo.host.autograd.SpectralNorm;
import org.genzoo.host.autograd.Tape;
import org.genzoo.host.autograd.Var;
import org.genzoo.host.tensor.Tensor;
import org.genzoo.host.testing.Check;
import org.genzoo.host.testing.OnDevice;
import org.genzoo.host.testing.SimGpu;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

class SpectralTest extends OnDevice {
    /**
     * A float dot product of n terms of size up to |w||x| rounds each partial sum once: error
     * below n * 2^-24 * sum |w_j x_j|; with |w|, |x| <= 1 and n <= 1000 that is below 6e-5 * sum, and
     * normalization adds a few ulp. Entries of a unit vector are compared with this absolute bound.
     */
    private static final double ATOL_VEC = 2e-5;
    private static final double RTOL_VEC = 1e-5;
    /** σ after the power iteration converged (|σ1 - σ_est| ~ σ1 (σ2/σ1)^(2k) ~ 0), up to float rounding of uᵀWv. */
    private static final double RTOL_SIGMA = 2e-5;
    /** W / s: one float division and s's rounding. */
    private static final double RTOL_SCALE = 1e-6;
    /** Backward: dW_sn / s plus a rank-one term from a float dot product over M*N <= 9000 terms (three work-groups). */
    private static final double ATOL_BWD = 1e-5;
    private static final double RTOL_BWD = 1e-4;
    /** Central differences in double (step 1e-6) of a loss that is linear or piecewise smooth in W. */
    private static final double FD_STEP = 1e-6;

    private static double[] unitVector(long seed, int n) {
        return SpectralReference.normalize(Check.toDouble(Check.uniform(seed, n, -1, 1)));
    }

    private static float[] toFloat(double[] x) {
        float[] f = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            f[i] = (float) x[i];
        }
        return f;
    }

    static Stream<Arguments> powerShapes() {
        return Arrays.stream(SimGpu.shapes(new int[][] {{1, 1}, {7, 93}, {93, 7}, {144, 300}, {1, 17}, {33, 1}}))
                .map(s -> Arguments.of(s[0], s[1]));
    }

    @ParameterizedTest
    @MethodSource("powerShapes")
    void onePowerIterationMatchesReference(int m, int n) {
        long seed = 11L * m + n;
        float[] hw = Check.uniform(seed, m * n, -1, 1);
        float[] hu = toFloat(unitVector(seed + 1, m));
        try (Tensor w = Tensor.of(dev, m, n, hw); Tensor u = Tensor.of(dev, 1, m, hu); Tensor v = Tensor.zeros(dev, 1, n);
                Tensor s = Tensor.zeros(dev, 1, 1)) {
            Spectral.powerIteration(u, v, w, 1);
            Spectral.sigma(s, u, w, v);
            double[][] ref = SpectralReference.powerIteration(Check.toDouble(hw), Check.toDouble(hu), m, n);
            String tag = m + " x " + n + " (seed " + seed + ")";
            Check.close(ref[0], u.toArray(), ATOL_VEC, RTOL_VEC, "u " + tag);
            Check.close(ref[1], v.toArray(), ATOL_VEC, RTOL_VEC, "v " + tag);
            // σ from the device's own u, v (isolates the σ kernel from the iteration's rounding).
            double sig = SpectralReference.sigma(Check.toDouble(u.toArray()), Check.toDouble(hw), Check.toDouble(v.toArray()), m, n);
            Check.close(new double[] {sig}, s.toArray(), ATOL_VEC, RTOL_VEC, "sigma " + tag);
        }
    }

    /**
     * The fused power step (one work-group): against the double reference, and bitwise equal to the
     * seven launches it replaces (one iteration, σ), its copies equal to what it wrote.
     */
    @ParameterizedTest
    @MethodSource("powerShapes")
    void fusedPowerStepIsBitwiseTheSeparateLaunches(int m, int n) {
        long seed = 19L * m + n;
        float[] hw = Check.uniform(seed, m * n, -1, 1);
        float[] hu = toFloat(unitVector(seed + 1, m));
        String tag = m + " x " + n + " (seed " + seed + ")";
        try (Tensor w = Tensor.of(dev, m, n, hw); Tensor u1 = Tensor.of(dev, 1, m, hu); Tensor v1 = Tensor.zeros(dev, 1, n);
                Tensor s1 = Tensor.zeros(dev, 1, 1); Tensor u2 = Tensor.of(dev, 1, m, hu); Tensor v2 = Tensor.zeros(dev, 1, n);
                Tensor s2 = Tensor.zeros(dev, 1, 1); Tensor uc = Tensor.zeros(dev, 1, m); Tensor vc = Tensor.zeros(dev, 1, n);
                Tensor sc = Tensor.zeros(dev, 1, 1)) {
            org.junit.jupiter.api.Assertions.assertTrue(Spectral.fusesPowerStep(w), "the CPU and GPU tunings fuse " + tag);
            Spectral.powerIteration(u1, v1, w, 1);
            Spectral.sigma(s1, u1, w, v1);
            Spectral.powerStep(u2, v2, w, s2, uc, vc, sc);
            double[][] ref = SpectralReference.powerIteration(Check.toDouble(hw), Check.toDouble(hu), m, n);
            Check.close(ref[0], u2.toArray(), ATOL_VEC, RTOL_VEC, "fused u " + tag);
            Check.close(ref[1], v2.toArray(), ATOL_VEC, RTOL_VEC, "fused v " + tag);
            double sig = SpectralReference.sigma(Check.toDouble(u2.toArray()), Check.toDouble(hw), Check.toDouble(v2.toArray()), m, n);
            Check.close(new double[] {sig}, s2.toArray(), ATOL_VEC, RTOL_VEC, "fused sigma " + tag);
            org.junit.jupiter.api.Assertions.assertArrayEquals(u1.toArray(), u2.toArray(), "u bitwise " + tag);
            org.junit.jupiter.api.Assertions.assertArrayEquals(v1.toArray(), v2.toArray(), "v bitwise " + tag);
            org.junit.jupiter.api.Assertions.assertArrayEquals(s1.toArray(), s2.toArray(), "sigma bitwise " + tag);
            org.junit.jupiter.api.Assertions.assertArrayEquals(u2.toArray(), uc.toArray(), "u copy " + tag);
            org.junit.jupiter.api.Assertions.assertArrayEquals(v2.toArray(), vc.toArray(), "v copy " + tag);
            org.junit.jupiter.api.Assertions.assertArrayEquals(s2.toArray(), sc.toArray(), "sigma copy " + tag);
        }
    }

    @Test
    void aWeightOverTheFusedLimitIsRefusedByThePowerStep() {
        int m = 300;
        int n = 300; // 90,000 > FUSE_MAX 65,536 in both tuning sections
        try (Tensor w = Tensor.zeros(dev, m, n); Tensor u = Tensor.zeros(dev, 1, m); Tensor v = Tensor.zeros(dev, 1, n);
                Tensor s = Tensor.zeros(dev, 1, 1); Tensor uc = Tensor.zeros(dev, 1, m); Tensor vc = Tensor.zeros(dev, 1, n);
                Tensor sc = Tensor.zeros(dev, 1, 1)) {
            org.junit.jupiter.api.Assertions.assertFalse(Spectral.fusesPowerStep(w));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Spectral.powerStep(u, v, w, s, uc, vc, sc));
            org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("FUSE_MAX"), e.getMessage());
        }
    }

    @Test
    void jacobiReferenceFindsKnownSingularValue() {
        // A permutation with rows scaled by 1, 3, 2: singular values exactly {3, 2, 1}.
        double[] scaled = {0, 1, 0, 0, 0, 3, 2, 0, 0};
        assertEquals(3.0, SpectralReference.largestSingularValue(scaled, 3, 3), 1e-12);
        // A rank-one matrix a bᵀ has σ1 = |a||b|.
        double[] a = {1, 2, 3, 4};
        double[] b = {0.5, -1, 2};
        double[] r1 = new double[12];
        for (int i = 0; i < 4; i++) {
            for (int j = 0; j < 3; j++) {
                r1[i * 3 + j] = a[i] * b[j];
            }
        }
        assertEquals(Math.sqrt(30) * Math.sqrt(5.25), SpectralReference.largestSingularValue(r1, 4, 3), 1e-12);
    }

    @ParameterizedTest
    @Tag("large") // 400 power iterations: convergence, not kernel coverage (onePowerIterationMatchesReference covers the kernels)
    @CsvSource({"2, 2", "20, 30", "64, 64", "128, 2", "2, 128", "50, 7"})
    void sigmaConvergesToLargestSingularValue(int m, int n) {
        long seed = 101L * m + n;
        float[] hw = Check.uniform(seed, m * n, -1, 1);
        double truth = SpectralReference.largestSingularValue(Check.toDouble(hw), m, n);
        try (Tensor w = Tensor.of(dev, m, n, hw); Tensor u = Tensor.of(dev, 1, m, toFloat(unitVector(seed + 1, m)));
                Tensor v = Tensor.zeros(dev, 1, n); Tensor s = Tensor.zeros(dev, 1, 1)) {
            Spectral.powerIteration(u, v, w, 400);
            Spectral.sigma(s, u, w, v);
            Check.close(new double[] {truth}, s.toArray(), 0, RTOL_SIGMA, "sigma " + m + " x " + n + " (seed " + seed + ")");
        }
    }

    static Stream<Arguments> softShapes() {
        return Stream.of(Arguments.of(7, 5, 0.5), Arguments.of(7, 5, 50.0), Arguments.of(16, 33, 0.9), Arguments.of(1, 3, 0.2),
                Arguments.of(100, 90, 0.5)).filter(a -> !SimGpu.active() || (int) a.get()[0] * (int) a.get()[1] <= 4096);
    }

    @ParameterizedTest
    @MethodSource("softShapes")
    void softNormalizeForwardAndBackward(int m, int n, double c) {
        long seed = 7L * m + n + (long) (c * 10);
        double[] w = Check.toDouble(Check.uniform(seed, m * n, -1, 1));
        double[] r = Check.toDouble(Check.uniform(seed + 2, m * n, -1, 1));
        float[] hu = toFloat(unitVector(seed + 3, m));
        float[] hv = toFloat(unitVector(seed + 4, n));
        double[] u = Check.toDouble(hu);
        double[] v = Check.toDouble(hv);
        double sig = SpectralReference.sigma(u, w, v, m, n);
        String tag = m + " x " + n + " c " + c + " sigma " + sig + " (seed " + seed + ")";
        try (Tensor tw = Tensor.of(dev, m, n, toFloat(w)); Tensor tu = Tensor.of(dev, 1, m, hu); Tensor tv = Tensor.of(dev, 1, n, hv);
                Tensor ts = Tensor.zeros(dev, 1, 1); Tensor wsn = Tensor.empty(dev, m, n); Tensor dr = Tensor.of(dev, m, n, toFloat(r));
                Tensor dw = Tensor.of(dev, m, n, Check.uniform(seed + 5, m * n, -1, 1)); Tensor scratch = Tensor.empty(dev, 1, 1)) {
            Spectral.sigma(ts, tu, tw, tv);
            Spectral.softNormalize(wsn, tw, ts, (float) c);
            Check.close(SpectralReference.softNormalize(w, u, v, c, m, n), wsn.toArray(), 1e-7, RTOL_SCALE, "W_sn " + tag);

            double[] fd = Check.finiteDiff(x -> SpectralReference.softNormalizeLoss(x, r, u, v, c, m, n), w, FD_STEP);
            Spectral.softNormalizeBackward(dw, dr, tw, ts, tu, tv, (float) c, 0f, scratch);
            Check.close(fd, dw.toArray(), ATOL_BWD, RTOL_BWD, "dW (assign) " + tag);
            // beta = 1 accumulates onto what is there.
            Spectral.softNormalizeBackward(dw, dr, tw, ts, tu, tv, (float) c, 1f, scratch);
            double[] twice = new double[fd.length];
            for (int k = 0; k < fd.length; k++) {
                twice[k] = 2 * fd[k];
            }
            Check.close(twice, dw.toArray(), 2 * ATOL_BWD, RTOL_BWD, "dW (accumulate) " + tag);
        }
    }

    @Test
    void sigmaBackwardIsOuterProduct() {
        int m = 9, n = 13;
        long seed = 5;
        double[] w = Check.toDouble(Check.uniform(seed, m * n, -1, 1));
        float[] hu = toFloat(unitVector(seed + 1, m));
        float[] hv = toFloat(unitVector(seed + 2, n));
        double[] fd = Check.finiteDiff(x -> 1.5 * SpectralReference.sigma(Check.toDouble(hu), x, Check.toDouble(hv), m, n), w, FD_STEP);
        try (Tensor dw = Tensor.empty(dev, m, n); Tensor ds = Tensor.of(dev, 1, 1, new float[] {1.5f});
                Tensor tu = Tensor.of(dev, 1, m, hu); Tensor tv = Tensor.of(dev, n, 1, hv)) {
            Spectral.sigmaBackward(dw, ds, tu, tv, 0f);
            Check.close(fd, dw.toArray(), 1e-7, 1e-6, "d sigma / dW (seed " + seed + ")");
        }
    }

    /** The autograd wrapper: loss = Σ r ⊙ W_sn; W's gradient vs finite differences with the wrapper's u, v. */
    @Test
    void spectralNormModuleGradientAndContraction() {
        int m = 12, n = 6;
        long seed = 42;
        float c = 0.9f;
        float[] hw = Check.uniform(seed, m * n, -2, 2);
        double[] r = Check.toDouble(Check.uniform(seed + 1, m * n, -1, 1));
        try (Param w = new Param("w", dev, m, n); Tensor tr = Tensor.of(dev, m, n, toFloat(r))) {
            w.value().write(hw);
            try (SpectralNorm sn = new SpectralNorm(w, c, 1, seed)) {
                sn.reestimate(SpectralNorm.WARMUP);
                double truth = SpectralReference.largestSingularValue(Check.toDouble(hw), m, n);
                Check.close(new double[] {truth}, sn.sigma().toArray(), 0, RTOL_SIGMA, "warm-up sigma (seed " + seed + ")");
                float[] wsn;
                try (Tape t = Tape.record(dev)) {
                    Var out = sn.normalized();
                    t.backward(F.sum(F.mul(out, t.constant(tr))));
                    wsn = out.value().toArray();
                }
                double[] u = Check.toDouble(sn.u().toArray());
                double[] v = Check.toDouble(sn.v().toArray());
                double[] fd = Check.finiteDiff(x -> SpectralReference.softNormalizeLoss(x, r, u, v, c, m, n), Check.toDouble(hw), FD_STEP);
                Check.close(fd, w.grad().toArray(), ATOL_BWD, RTOL_BWD, "dW through SpectralNorm (seed " + seed + ")");
                // The normalized weight's largest singular value is c (σ(W) > c here).
                assertEquals(c, SpectralReference.largestSingularValue(Check.toDouble(wsn), m, n), 1e-4);
            }
        }
    }

    @Test
    void badArgumentsAreRefused() {
        try (Tensor w = Tensor.zeros(dev, 3, 4); Tensor u = Tensor.zeros(dev, 1, 4); Tensor v = Tensor.zeros(dev, 1, 4);
                Tensor s = Tensor.zeros(dev, 1, 1)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Spectral.powerIteration(u, v, w, 1));
            assertEquals(true, e.getMessage().contains("3 values"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> Spectral.softNormalize(w, w, s, -1f));
        }
    }
}
