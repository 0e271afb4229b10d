package org.genzoo.host.ops;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Arrays;
import java.util.Map;
import java.util.SplittableRandom;
import org.genzoo.host.testing.OnDevice;
import org.genzoo.host.Device;
import org.genzoo.host.tensor.Tensor;
import org.genzoo.host.testing.Check;
import org.genzoo.host.testing.SimGpu;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

class RngTest extends OnDevice {
    /** Box-Muller in float: log, sqrt and cospi a few ulp each, |z| <= 5.8. */
    static final double NORMAL_ATOL = 2e-6;
    static final double NORMAL_RTOL = 2e-6;
    /** z = mu + exp(lv/2) eps in float: exp and the product a few ulp of |z| <= ~20. */
    static final double REPARAM_ATOL = 1e-5;
    static final double REPARAM_RTOL = 1e-5;
    /** Backward is one exp and two products in float. */
    static final double BACKWARD_ATOL = 1e-6;
    static final double BACKWARD_RTOL = 1e-5;
    /** Float gradient vs double central differences (step 1e-6, truncation and rounding < 1e-8). */
    static final double FD_ATOL = 1e-5;
    static final double FD_RTOL = 1e-4;
    static final double FD_STEP = 1e-6;
    /** Statistical bounds: 5 standard errors (two-sided p ~ 6e-7 for a correct generator). */
    static final double SE_BOUND = 5;
    /** Kolmogorov-Smirnov critical value at alpha = 0.01: 1.63 / sqrt(n). */
    static final double KS_COEFF = 1.63;
    static final int STAT_ROWS = 1000;
    static final int STAT_COLS = 1000;

    static final int[][] SHAPES = SimGpu.shapes(new int[][] {{1, 1}, {7, 93}, {93, 7}, {144, 1000}, {1000, 1}});

    // ---- the generator itself ----------------------------------------------------------------

    /** Random123 kat_vectors for philox4x32-10: counter (4 words), key (2 words), output (4 words). */
    static final int[][] KAT = {
        {0, 0, 0, 0, 0, 0, 0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8},
        {-1, -1, -1, -1, -1, -1, 0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd},
        {0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0, 0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1},
    };

    /**
     * Runs {@code body} once per launch layout of {@link Rng#variants} (grid, flat, ...) with that
     * layout in use; failures name it. The numbers must not depend on the layout.
     */
    private static void forEachVariant(Runnable body) {
        forEachVariant(body, true);
    }

    /** With {@code all} false, the simulated GPU runs the tuned variant only (VariantsOddShapesTest runs every variant there). */
    private static void forEachVariant(Runnable body, boolean all) {
        for (Rng.Config c : Rng.variants(dev)) {
            if (!all && !SimGpu.variantRuns(c, Rng.Config.tuned(dev))) {
                continue;
            }
            try (var scope = Rng.use(dev, c)) {
                body.run();
            } catch (AssertionError e) {
                throw new AssertionError("rng variant " + c + ": " + e.getMessage(), e);
            }
        }
    }

    @Test
    void referenceMatchesRandom123KnownAnswers() {
        for (int[] v : KAT) {
            int[] got = RngReference.philox(Arrays.copyOfRange(v, 0, 4), Arrays.copyOfRange(v, 4, 6));
            assertArrayEquals(Arrays.copyOfRange(v, 6, 10), got, "KAT " + hex(v));
        }
    }

    @Test
    void kernelMatchesRandom123KnownAnswers() {
        forEachVariant(() -> {
            for (int[] v : KAT) {
                try (Tensor out = Tensor.empty(dev, 1, 4)) {
                    Rng.philoxRaw(out, v[0], v[1], v[2], v[3], v[4], v[5]);
                    assertArrayEquals(Arrays.copyOfRange(v, 6, 10), out.buffer().readInts(out.offset(), 4), "KAT " + hex(v));
                }
            }
        });
    }

    @Test
    void rawKernelBitwiseMatchesReference() {
        forEachVariant(() -> {
            long seed = 11;
            SplittableRandom rnd = new SplittableRandom(seed);
            for (int trial = 0; trial < 4; trial++) {
                // trial 0 starts c0 just below 2^32 so the per-block counter wraps inside the launch
                int c0 = trial == 0 ? -5 : rnd.nextInt();
                int c1 = rnd.nextInt(), c2 = rnd.nextInt(), c3 = rnd.nextInt(), k0 = rnd.nextInt(), k1 = rnd.nextInt();
                int rows = 7, cols = 93;
                try (Tensor out = Tensor.empty(dev, rows, cols)) {
                    Rng.philoxRaw(out, c0, c1, c2, c3, k0, k1);
                    int[] got = out.buffer().readInts(out.offset(), rows * cols);
                    for (int i = 0; i < got.length; i++) {
                        int[] w = RngReference.philox(new int[] {c0 + i / 4, c1, c2, c3}, new int[] {k0, k1});
                        if (got[i] != w[i % 4]) {
                            fail("seed " + seed + " trial " + trial + ": word " + i + " is " + Integer.toHexString(got[i])
                                    + ", reference " + Integer.toHexString(w[i % 4]));
                        }
                    }
                }
            }
        });
    }

    // ---- ops vs reference --------------------------------------------------------------------

    @Test
    void uniformBitwiseMatchesReferenceOnShapesAndViews() {
        forEachVariant(() -> {
            long seed = 0x5EEDL << 33 | 17;
            for (int[] s : SHAPES) {
                for (boolean view : new boolean[] {false, true}) {
                    int stream = 3, rows = s[0], cols = s[1];
                    long counter = 0x1_0000_0002L;
                    String what = "uniform seed " + seed + " " + rows + "x" + cols + (view ? " view" : "");
                    try (Guarded out = new Guarded(dev, rows, cols, view)) {
                        new Rng(seed).uniform(out.t, stream, counter);
                        float[] got = out.t.toArray();
                        double[] ref = RngReference.uniform(seed, stream, counter, rows, cols);
                        Check.close(ref, got, 0, 0, what);
                        for (float u : got) {
                            assertTrue(u >= 0 && u < 1, what + ": " + u + " outside [0, 1)");
                        }
                        out.checkGuard(what);
                    }
                }
            }
        }, false);
    }

    @Test
    void normalMatchesReferenceOnShapesAndViews() {
        forEachVariant(() -> {
            long seed = 23;
            for (int[] s : SHAPES) {
                for (boolean view : new boolean[] {false, true}) {
                    int rows = s[0], cols = s[1];
                    String what = "normal seed " + seed + " " + rows + "x" + cols + (view ? " view" : "");
                    try (Guarded out = new Guarded(dev, rows, cols, view)) {
                        new Rng(seed).normal(out.t, 1, 5);
                        Check.close(RngReference.normal(seed, 1, 5, rows, cols), out.t.toArray(), NORMAL_ATOL, NORMAL_RTOL, what);
                        out.checkGuard(what);
                    }
                }
            }
        }, false);
    }

    @Test
    void bernoulliAndBinarizeBitwiseMatchReference() {
        forEachVariant(() -> {
            long seed = 29;
            for (int[] s : SHAPES) {
                int rows = s[0], cols = s[1];
                // p covers [-0.2, 1.2): probabilities outside [0, 1] must give all 0 / all 1
                float[] p = Check.uniform(seed, rows * cols, -0.2, 1.2);
                for (boolean view : new boolean[] {false, true}) {
                    String what = "bernoulli seed " + seed + " " + rows + "x" + cols + (view ? " view" : "");
                    try (Guarded out = new Guarded(dev, rows, cols, view); Guarded pt = new Guarded(dev, rows, cols, view)) {
                        pt.t.write(p);
                        Rng rng = new Rng(seed);
                        rng.bernoulli(out.t, pt.t, 2, 9);
                        double[] ref = RngReference.bernoulli(seed, 2, 9, p);
                        Check.close(ref, out.t.toArray(), 0, 0, what);
                        out.checkGuard(what);
                        rng.binarize(out.t, pt.t, 2, 9);
                        Check.close(RngReference.binarize(seed, 2, 9, p, rows, cols), out.t.toArray(), 0, 0, "binarize " + what);
                        out.checkGuard("binarize " + what);
                        pt.t.write(p); // in place, as the data loader binarizes
                        rng.binarize(pt.t, pt.t, 2, 9);
                        Check.close(RngReference.binarize(seed, 2, 9, p, rows, cols), pt.t.toArray(), 0, 0, "binarize in place " + what);
                    }
                }
            }
        }, false);
    }

    /** Gathered rows binarized in one kernel: the reference, and bitwise a gather followed by binarize. */
    @Test
    void gatherBinarizeBitwiseMatchesReferenceAndGatherThenBinarize() {
        forEachVariant(() -> {
            long seed = 31;
            for (int[] s : new int[][] {{1, 1}, {7, 33}, {33, 7}, {93, 93}, {5, 200}}) {
                int rows = s[0], cols = s[1], n = rows + 5;
                float[] x = Check.uniform(seed, n * cols, -0.2, 1.2);
                int[] perm = new int[n + 3];
                SplittableRandom r = new SplittableRandom(seed);
                for (int i = 0; i < perm.length; i++) {
                    perm[i] = r.nextInt(n);
                }
                double[] ref = new double[rows * cols];
                for (int i = 0; i < ref.length; i++) {
                    int row = perm[2 + i / cols];
                    ref[i] = RngReference.u24(RngReference.binarizeWord(seed, 4, 11, i / cols, i % cols, cols)) < x[row * cols + i % cols] ? 1 : 0;
                }
                for (boolean view : new boolean[] {false, true}) {
                    String what = "gatherBinarize seed " + seed + " " + rows + "x" + cols + (view ? " view" : "");
                    try (Guarded xt = Guarded.of(dev, x, n, cols, view); Guarded out = new Guarded(dev, rows, cols, view);
                         Tensor split = Tensor.empty(dev, rows, cols); var idx = dev.upload(perm)) {
                        Rng rng = new Rng(seed);
                        rng.gatherBinarize(out.t, xt.t, idx, 2, 4, 11);
                        float[] fused = out.t.toArray();
                        Check.close(ref, fused, 0, 0, what);
                        out.checkGuard(what);
                        new Gather(dev).rows(split, xt.t, idx, 2);
                        rng.binarize(split, split, 4, 11);
                        assertArrayEquals(split.toArray(), fused, what + ": differs from gather then binarize");
                    }
                }
            }
        }, false);
    }

    @Test
    void reparameterizeMatchesReferenceAndStoresTheNormalDraw() {
        forEachVariant(() -> {
            long seed = 31;
            for (int[] s : SHAPES) {
                int rows = s[0], cols = s[1], n = rows * cols;
                float[] mu = Check.uniform(seed, n, -3, 3);
                float[] lv = Check.uniform(seed + 1, n, -6, 6);
                for (boolean view : new boolean[] {false, true}) {
                    String what = "reparameterize seed " + seed + " " + rows + "x" + cols + (view ? " view" : "");
                    try (Guarded z = new Guarded(dev, rows, cols, view); Guarded eps = new Guarded(dev, rows, cols, view);
                            Guarded z2 = new Guarded(dev, rows, cols, view); Guarded nrm = new Guarded(dev, rows, cols, view);
                            Tensor m = Tensor.of(dev, rows, cols, mu); Tensor l = Tensor.of(dev, rows, cols, lv)) {
                        Rng rng = new Rng(seed);
                        rng.reparameterize(z.t, eps.t, m, l, 4, 77);
                        rng.reparameterize(z2.t, null, m, l, 4, 77);
                        rng.normal(nrm.t, 4, 77);
                        float[] e = eps.t.toArray();
                        assertArrayEquals(nrm.t.toArray(), e, what + ": eps must be the normal draw at the same position");
                        float[] zg = z.t.toArray();
                        assertArrayEquals(zg, z2.t.toArray(), what + ": z must not depend on storing eps");
                        Check.close(RngReference.reparameterize(Check.toDouble(mu), Check.toDouble(lv), Check.toDouble(e)), zg,
                                REPARAM_ATOL, REPARAM_RTOL, what);
                        z.checkGuard(what);
                        eps.checkGuard(what + " eps");
                    }
                }
            }
        }, false);
    }

    @Test
    void reparameterizeBackwardMatchesReferenceAndFiniteDifferences() {
        forEachVariant(() -> {
            long seed = 37;
            for (int[] s : new int[][] {{1, 1}, {7, 93}, {93, 7}, {144, 1000}}) {
                int rows = s[0], cols = s[1], n = rows * cols;
                float[] dz = Check.uniform(seed, n, -1, 1);
                float[] eps = Check.uniform(seed + 1, n, -4, 4);
                float[] lv = Check.uniform(seed + 2, n, -6, 6);
                float[] old = Check.uniform(seed + 3, n, -1, 1);
                String what = "reparameterizeBackward seed " + seed + " " + rows + "x" + cols;
                try (Guarded dmu = new Guarded(dev, rows, cols, true); Guarded dlv = new Guarded(dev, rows, cols, true);
                        Tensor tdz = Tensor.of(dev, rows, cols, dz); Tensor te = Tensor.of(dev, rows, cols, eps);
                        Tensor tl = Tensor.of(dev, rows, cols, lv)) {
                    // beta = 0 must not read the gradients: NaN there must not leak
                    dmu.t.fill(Float.NaN);
                    dlv.t.fill(Float.NaN);
                    Rng.reparameterizeBackward(dmu.t, dlv.t, tdz, te, tl, 0f);
                    double[][] ref = RngReference.reparameterizeBackward(Check.toDouble(dz), Check.toDouble(eps), Check.toDouble(lv));
                    float[] gmu = dmu.t.toArray(), glv = dlv.t.toArray();
                    Check.close(ref[0], gmu, 0, 0, what + " dmu");
                    Check.close(ref[1], glv, BACKWARD_ATOL, BACKWARD_RTOL, what + " dlogvar");
                    dmu.checkGuard(what);
                    dlv.checkGuard(what);

                    if (n <= 1000) {
                        // d/dmu and d/dlogvar of sum(dz * z(mu, logvar)) at fixed eps, in double
                        double[] dzd = Check.toDouble(dz), ed = Check.toDouble(eps), lvd = Check.toDouble(lv);
                        double[] mud = Check.toDouble(Check.uniform(seed + 4, n, -2, 2));
                        double[] fdMu = Check.finiteDiff(m -> dot(dzd, RngReference.reparameterize(m, lvd, ed)), mud, FD_STEP);
                        double[] fdLv = Check.finiteDiff(l -> dot(dzd, RngReference.reparameterize(mud, l, ed)), lvd, FD_STEP);
                        Check.close(fdMu, gmu, FD_ATOL, FD_RTOL, what + " dmu vs finite differences");
                        Check.close(fdLv, glv, FD_ATOL, FD_RTOL, what + " dlogvar vs finite differences");
                    }

                    // beta = 1 accumulates
                    dmu.t.write(old);
                    dlv.t.write(old);
                    Rng.reparameterizeBackward(dmu.t, dlv.t, tdz, te, tl, 1f);
                    double[] accMu = new double[n], accLv = new double[n];
                    for (int i = 0; i < n; i++) {
                        accMu[i] = old[i] + ref[0][i];
                        accLv[i] = old[i] + ref[1][i];
                    }
                    Check.close(accMu, dmu.t.toArray(), BACKWARD_ATOL, BACKWARD_RTOL, what + " dmu, beta 1");
                    Check.close(accLv, dlv.t.toArray(), BACKWARD_ATOL, BACKWARD_RTOL, what + " dlogvar, beta 1");
                }
            }
        }, false);
    }

    // ---- statistics on 10^6 draws ------------------------------------------------------------

    @Test
    @Tag("large") // 10^6 draws: statistics, not kernel coverage (the bitwise tests cover the kernels on the simulated GPU)
    void uniformMomentsAndKolmogorovSmirnov() {
        long seed = 41;
        double[] u = draw(seed, 0, 0, false);
        int n = u.length;
        double mean = mean(u), var = variance(u, mean);
        // U(0,1): mean 1/2, variance 1/12; Var of the sample variance ~ (mu4 - sigma^4)/n with mu4 = 1/80
        assertTrue(Math.abs(mean - 0.5) < SE_BOUND * Math.sqrt(1.0 / 12 / n), "seed " + seed + ": uniform mean " + mean);
        assertTrue(Math.abs(var - 1.0 / 12) < SE_BOUND * Math.sqrt((1.0 / 80 - 1.0 / 144) / n), "seed " + seed + ": uniform variance " + var);
        double d = ks(u, x -> x);
        assertTrue(d < KS_COEFF / Math.sqrt(n), "seed " + seed + ": KS statistic vs U(0,1) " + d + " >= " + KS_COEFF / Math.sqrt(n));
    }

    @Test
    @Tag("large") // 10^6 draws: statistics, not kernel coverage (the bitwise tests cover the kernels on the simulated GPU)
    void normalMomentsAndKolmogorovSmirnov() {
        long seed = 43;
        double[] z = draw(seed, 0, 0, true);
        int n = z.length;
        double mean = mean(z), var = variance(z, mean);
        // N(0,1): mean 0 (SE 1/sqrt n), variance 1 (SE sqrt(2/n))
        assertTrue(Math.abs(mean) < SE_BOUND / Math.sqrt(n), "seed " + seed + ": normal mean " + mean);
        assertTrue(Math.abs(var - 1) < SE_BOUND * Math.sqrt(2.0 / n), "seed " + seed + ": normal variance " + var);
        double d = ks(z, RngTest::normalCdf);
        assertTrue(d < KS_COEFF / Math.sqrt(n), "seed " + seed + ": KS statistic vs N(0,1) " + d + " >= " + KS_COEFF / Math.sqrt(n));
        for (double v : z) {
            assertTrue(Double.isFinite(v), "seed " + seed + ": non-finite normal draw");
        }
    }

    @Test
    @Tag("large") // 10^6 draws: statistics, not kernel coverage (the bitwise tests cover the kernels on the simulated GPU)
    void bernoulliFrequency() {
        long seed = 47;
        double p = 0.3;
        int n = STAT_ROWS * STAT_COLS;
        try (Tensor out = Tensor.empty(dev, STAT_ROWS, STAT_COLS); Tensor pt = Tensor.empty(dev, STAT_ROWS, STAT_COLS)) {
            pt.fill((float) p);
            new Rng(seed).bernoulli(out, pt);
            double ones = 0;
            for (float v : out.toArray()) {
                assertTrue(v == 0f || v == 1f, "seed " + seed + ": bernoulli value " + v);
                ones += v;
            }
            double freq = ones / n;
            assertTrue(Math.abs(freq - p) < SE_BOUND * Math.sqrt(p * (1 - p) / n), "seed " + seed + ": frequency " + freq + " for p " + p);
        }
    }

    @Test
    @Tag("large") // 10^6 draws: statistics, not kernel coverage (the bitwise tests cover the kernels on the simulated GPU)
    void streamsAndConsecutiveCallsAreIndependent() {
        long seed = 53;
        double[] a = draw(seed, 0, 7, false);
        double[] b = draw(seed, 1, 7, false);
        double[] c = draw(seed, 0, 8, false);
        double[] d = draw(seed + 1, 0, 7, false);
        double bound = SE_BOUND / Math.sqrt(a.length);
        for (double[][] pair : new double[][][] {{a, b}, {a, c}, {a, d}}) {
            assertFalse(Arrays.equals(pair[0], pair[1]), "seed " + seed + ": two draws are identical");
            double r = correlation(pair[0], pair[1]);
            assertTrue(Math.abs(r) < bound, "seed " + seed + ": correlation " + r + " >= " + bound);
        }
    }

    @Test
    void sameSeedStreamCounterIsReproducibleAndCountersAdvance() {
        long seed = 59;
        int rows = 93, cols = 7;
        try (Tensor x = Tensor.empty(dev, rows, cols); Tensor y = Tensor.empty(dev, rows, cols)) {
            Rng rng = new Rng(seed);
            assertEquals(0, rng.counter(2));
            rng.normal(x, 2);
            float[] first = x.toArray();
            assertEquals(1, rng.counter(2));
            assertEquals(0, rng.counter(Rng.DEFAULT_STREAM), "other streams untouched");
            rng.normal(y, 2);
            float[] second = y.toArray();
            assertFalse(Arrays.equals(first, second), "seed " + seed + ": consecutive calls must differ");
            assertEquals(2, rng.counter(2));

            // a fresh Rng, and the explicit (stream, counter) form, give bitwise the same numbers
            Rng again = new Rng(seed);
            again.normal(y, 2);
            assertArrayEquals(first, y.toArray(), "seed " + seed + ": same seed, stream, counter");
            rng.normal(y, 2, 1);
            assertArrayEquals(second, y.toArray(), "seed " + seed + ": explicit position");
            assertEquals(2, rng.counter(2), "explicit calls leave the counters alone");

            // checkpoint: counters saved and restored continue the sequence
            rng.uniform(x);
            Map<Integer, Long> saved = rng.counters();
            assertEquals(Map.of(0, 1L, 2, 2L), saved);
            rng.uniform(x);
            float[] next = x.toArray();
            Rng resumed = new Rng(rng.seed());
            resumed.restoreCounters(saved);
            resumed.uniform(y);
            assertArrayEquals(next, y.toArray(), "seed " + seed + ": resumed from saved counters");

            // counters are 64-bit: the high word is part of the position
            rng.uniform(x, 0, 1L << 32);
            rng.uniform(y, 0, 0);
            assertFalse(Arrays.equals(x.toArray(), y.toArray()), "seed " + seed + ": counter high word ignored");
        }
    }

    @Test
    void emptyTensorsAreNoOps() {
        try (Tensor e = Tensor.empty(dev, 0, 5)) {
            Rng rng = new Rng(1);
            assertDoesNotThrow(() -> {
                rng.uniform(e);
                rng.normal(e);
                rng.bernoulli(e, e);
                rng.reparameterize(e, e, e, e);
                Rng.reparameterizeBackward(e, e, e, e, e, 0f);
            });
        }
    }

    @Test
    void shapeMismatchIsRefused() {
        try (Tensor a = Tensor.empty(dev, 3, 4); Tensor b = Tensor.empty(dev, 4, 3)) {
            Rng rng = new Rng(1);
            assertThrows(IllegalArgumentException.class, () -> rng.bernoulli(a, b));
            assertThrows(IllegalArgumentException.class, () -> rng.reparameterize(a, null, a, b));
            assertThrows(IllegalArgumentException.class, () -> Rng.reparameterizeBackward(a, a, a, b, a, 0f));
        }
    }

    // ---- helpers -----------------------------------------------------------------------------

    /**
     * An R x C tensor, optionally a view (rows [0, R), columns [1, 1+C)) inside an (R+1) x (C+3) parent
     * filled with a sentinel, so a kernel that writes outside its view is caught. Shared with LossesTest.
     */
    static final class Guarded implements AutoCloseable {
        static final float SENTINEL = -12345f;
        final Tensor parent;
        final Tensor t;

        Guarded(Device dev, int rows, int cols, boolean view) {
            if (view) {
                parent = Tensor.empty(dev, rows + 1, cols + 3);
                parent.fill(SENTINEL);
                t = parent.rows(0, rows).cols(1, 1 + cols);
            } else {
                parent = Tensor.empty(dev, rows, cols);
                t = parent;
            }
        }

        /** A guarded tensor holding {@code data} (row-major R x C). */
        static Guarded of(Device dev, float[] data, int rows, int cols, boolean view) {
            Guarded g = new Guarded(dev, rows, cols, view);
            g.t.write(data);
            return g;
        }

        void checkGuard(String what) {
            if (parent == t) {
                return;
            }
            float[] all = parent.toArray();
            int cols = parent.cols();
            for (int i = 0; i < all.length; i++) {
                int r = i / cols, c = i % cols;
                boolean inside = r < t.rows() && c >= 1 && c < 1 + t.cols();
                if (!inside && all[i] != SENTINEL) {
                    fail(what + ": wrote outside the view at (" + r + ", " + c + ")");
                }
            }
        }

        @Override
        public void close() {
            parent.close();
        }
    }

    private static double[] draw(long seed, int stream, long counter, boolean normal) {
        try (Tensor out = Tensor.empty(dev, STAT_ROWS, STAT_COLS)) {
            Rng rng = new Rng(seed);
            if (normal) {
                rng.normal(out, stream, counter);
            } else {
                rng.uniform(out, stream, counter);
            }
            return Check.toDouble(out.toArray());
        }
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    private static double mean(double[] x) {
        double s = 0;
        for (double v : x) {
            s += v;
        }
        return s / x.length;
    }

    private static double variance(double[] x, double mean) {
        double s = 0;
        for (double v : x) {
            s += (v - mean) * (v - mean);
        }
        return s / (x.length - 1);
    }

    private static double correlation(double[] a, double[] b) {
        double ma = mean(a), mb = mean(b), sab = 0, saa = 0, sbb = 0;
        for (int i = 0; i < a.length; i++) {
            sab += (a[i] - ma) * (b[i] - mb);
            saa += (a[i] - ma) * (a[i] - ma);
            sbb += (b[i] - mb) * (b[i] - mb);
        }
        return sab / Math.sqrt(saa * sbb);
    }

    /** Kolmogorov-Smirnov statistic sup |F_n(x) - F(x)| of the sample against the CDF {@code cdf}. */
    private static double ks(double[] sample, java.util.function.DoubleUnaryOperator cdf) {
        double[] x = sample.clone();
        Arrays.sort(x);
        int n = x.length;
        double d = 0;
        for (int i = 0; i < n; i++) {
            double f = cdf.applyAsDouble(x[i]);
            d = Math.max(d, Math.max((i + 1.0) / n - f, f - (double) i / n));
        }
        return d;
    }

    /** Phi(x) = erfc(-x / sqrt 2) / 2, erfc by the Chebyshev fit of Numerical Recipes (relative error < 1.2e-7). */
    static double normalCdf(double x) {
        return 0.5 * erfc(-x / Math.sqrt(2));
    }

    private static double erfc(double x) {
        double z = Math.abs(x);
        double t = 1 / (1 + 0.5 * z);
        double r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418
                + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587
                + t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? r : 2 - r;
    }

    private static String hex(int[] v) {
        StringBuilder sb = new StringBuilder();
        for (int w : v) {
            sb.append(String.format("%08x ", w));
        }
        return sb.toString().trim();
    }
}
