package org.genzoo.host.ops;

import static org.junit.jupiter.api.Assertions.*;

import org.genzoo.host.ops.RngTest.Guarded;
import org.genzoo.host.tensor.Tensor;
import org.genzoo.host.testing.Check;
import org.genzoo.host.testing.SimGpu;
import org.genzoo.host.testing.OnDevice;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * {@link Pairwise#gaussianLogDensity} against a plain double reference. Forward only: the op has no
 * backward (evaluation), so there are no finite differences here.
 */
class PairwiseTest extends OnDevice {
    /**
     * Each float term carries a few ulp (exp(−lv), the squared difference, the products) and the
     * Kahan sum ~2 ulp, so the error is relative to Σ_l |term_l| (terms reach 4e5 at lv = −10).
     */
    static final double SUM_RTOL = 2e-6;
    /** Rounding of log 2π and of small terms near zero. */
    static final double SUM_ATOL = 1e-5;

    static final int[] SIZES = SimGpu.sizes(new int[] {1, 7, 93, 144});
    static final int[] LATENTS = {1, 2, 20};

    /** log N(z_n; mu_m, diag exp(lv_m)) and Σ_l |term| for every pair, in double.  Each N x M. */
    static double[][] reference(double[] z, double[] mu, double[] lv, int n, int m, int l) {
        double[] out = new double[n * m];
        double[] scale = new double[n * m];
        double log2pi = Math.log(2 * Math.PI);
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < m; j++) {
                double s = 0;
                double a = 0;
                for (int c = 0; c < l; c++) {
                    double d = z[i * l + c] - mu[j * l + c];
                    double v = lv[j * l + c];
                    double term = -0.5 * (log2pi + v + d * d * Math.exp(-v));
                    s += term;
                    a += Math.abs(term);
                }
                out[i * m + j] = s;
                scale[i * m + j] = a;
            }
        }
        return new double[][] {out, scale};
    }

    @Test
    void matchesReferenceOnOddSizesWithExtremeVariancesAndGuardsTheTail() {
        long seed = 4242;
        for (int n : SIZES) {
            for (int m : SIZES) {
                for (int l : LATENTS) {
                    seed += 3;
                    // logvar over [−10, 10]: variances from 4.5e-5 to 2.2e4
                    float[] z = Check.uniform(seed, n * l, -3, 3);
                    float[] mu = Check.uniform(seed + 1, m * l, -3, 3);
                    float[] lv = Check.uniform(seed + 2, m * l, -10, 10);
                    for (boolean view : new boolean[] {false, true}) {
                        check("pairwise seed " + seed + " N " + n + " M " + m + " L " + l + (view ? " view" : ""), z, mu, lv, n, m, l,
                                view);
                    }
                }
            }
        }
    }

    @Test
    @Tag("large") // 1000 x 93 x 20: size, not kernel coverage (the odd-size test runs the kernel on the simulated GPU)
    void largeBlockAndExactMeans() {
        long seed = 77;
        int n = 1000, m = 93, l = 20;
        float[] z = Check.uniform(seed, n * l, -5, 5);
        float[] mu = Check.uniform(seed + 1, m * l, -5, 5);
        float[] lv = Check.uniform(seed + 2, m * l, -10, 10);
        // z equal to a mean at lv = −10: the (z − mu)² term vanishes exactly, only −0.5·(log 2π + lv) remains
        System.arraycopy(mu, 0, z, 0, l);
        check("pairwise seed " + seed + " 1000 x 93 x 20", z, mu, lv, n, m, l, true);
    }

    @Test
    @Tag("large") // 144 x 93 x 20 twice: determinism, not kernel coverage (the odd-size test runs the kernel on the simulated GPU)
    void isDeterministic() {
        long seed = 99;
        int n = 144, m = 93, l = 20;
        try (Tensor z = Tensor.of(dev, n, l, Check.uniform(seed, n * l, -3, 3));
                Tensor mu = Tensor.of(dev, m, l, Check.uniform(seed + 1, m * l, -3, 3));
                Tensor lv = Tensor.of(dev, m, l, Check.uniform(seed + 2, m * l, -10, 10));
                Tensor a = Tensor.empty(dev, n, m); Tensor b = Tensor.empty(dev, n, m)) {
            Pairwise.gaussianLogDensity(a, z, mu, lv);
            Pairwise.gaussianLogDensity(b, z, mu, lv);
            assertArrayEquals(a.toArray(), b.toArray(), "seed " + seed + ": two runs differ");
        }
    }

    @Test
    void refusesMismatchedShapes() {
        try (Tensor z = Tensor.empty(dev, 5, 3); Tensor mu = Tensor.empty(dev, 4, 3); Tensor lv = Tensor.empty(dev, 4, 3);
                Tensor lv2 = Tensor.empty(dev, 4, 2); Tensor mu2 = Tensor.empty(dev, 4, 2); Tensor out = Tensor.empty(dev, 5, 4);
                Tensor bad = Tensor.empty(dev, 4, 5)) {
            assertThrows(IllegalArgumentException.class, () -> Pairwise.gaussianLogDensity(bad, z, mu, lv));
            assertThrows(IllegalArgumentException.class, () -> Pairwise.gaussianLogDensity(out, z, mu, lv2));
            assertThrows(IllegalArgumentException.class, () -> Pairwise.gaussianLogDensity(out, z, mu2, lv2));
        }
    }

    @Test
    void costCountsEveryTerm() {
        OpCost c = Pairwise.gaussianLogDensityCost(100, 200, 10);
        assertTrue(c.flops() >= Pairwise.TERM_FLOPS * 100 * 200 * 10);
        assertEquals((100 * 10 + 2 * 200 * 10 + 100 * 200) * 4.0, c.bytes());
    }

    private static void check(String what, float[] z, float[] mu, float[] lv, int n, int m, int l, boolean view) {
        double[][] ref = reference(Check.toDouble(z), Check.toDouble(mu), Check.toDouble(lv), n, m, l);
        try (Guarded tz = Guarded.of(dev, z, n, l, view); Guarded tm = Guarded.of(dev, mu, m, l, view);
                Guarded tl = Guarded.of(dev, lv, m, l, view); Guarded out = new Guarded(dev, n, m, view)) {
            Pairwise.gaussianLogDensity(out.t, tz.t, tm.t, tl.t);
            float[] got = out.t.toArray();
            assertEquals(n * m, got.length, what);
            int worst = -1;
            double worstRatio = 0;
            for (int i = 0; i < got.length; i++) {
                double tol = SUM_ATOL + SUM_RTOL * ref[1][i];
                double err = Math.abs(got[i] - ref[0][i]);
                if (!Float.isFinite(got[i]) || !(err <= tol)) {
                    double ratio = Float.isFinite(got[i]) ? err / tol : Double.POSITIVE_INFINITY;
                    if (worst < 0 || ratio > worstRatio) {
                        worst = i;
                        worstRatio = ratio;
                    }
                }
            }
            if (worst >= 0) {
                fail(what + ": (" + worst / m + ", " + worst % m + ") is " + got[worst] + ", reference " + ref[0][worst]
                        + " (Σ|term| " + ref[1][worst] + ", error " + worstRatio + " x tolerance)");
            }
            out.checkGuard(what);
            tz.checkGuard(what + " (input z)");
        }
    }
}
