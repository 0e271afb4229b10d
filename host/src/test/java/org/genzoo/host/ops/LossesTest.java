package org.genzoo.host.ops;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Arrays;
import org.genzoo.host.testing.OnDevice;
import org.genzoo.host.ops.RngTest.Guarded;
import org.genzoo.host.tensor.Tensor;
import org.genzoo.host.testing.Check;
import org.genzoo.host.testing.SimGpu;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

class LossesTest extends OnDevice {
    /** Row sums: each float term carries a few ulp (exp, log1p, products), the Kahan sum ~2 ulp: relative to sum_c |term_c|. */
    static final double SUM_RTOL = 1e-6;
    /** Terms below the smallest normal float (e.g. softplus(-100) = 4e-44) flush to zero on the device. */
    static final double SUM_ATOL = 1e-37;
    /** Elementwise gradients: one exp or sigmoid and two or three products in float. */
    static final double GRAD_ATOL = 1e-6;
    static final double GRAD_RTOL = 1e-5;
    /** log-mean-exp: max exact, log of a Kahan sum of exps a few ulp, then one rounding to ulp(|result|). */
    static final double LME_ATOL = 1e-6;
    static final double LME_RTOL = 1e-6;
    /** Float gradient vs double central differences of the reference (step 1e-6: truncation ~1e-12, rounding ~1e-8). */
    static final double FD_ATOL = 1e-5;
    static final double FD_RTOL = 1e-4;
    static final double FD_STEP = 1e-6;
    /** Central differences cost R * C^2 reference terms; above this they are skipped (the analytic reference still runs). */
    static final long FD_MAX_WORK = 3_000_000;

    static final int[][] SHAPES = SimGpu.shapes(new int[][] {{1, 1}, {7, 93}, {93, 7}, {33, 37}, {3, 1000}, {144, 1000}, {1000, 7}});

    // ---- Bernoulli -----------------------------------------------------------------------------

    @Test
    void bernoulliLogLikMatchesReferenceAndFiniteDifferences() {
        forEachVariant(() -> {
            long seed = 101;
            for (int[] s : SHAPES) {
                int rows = s[0], cols = s[1], n = rows * cols;
                // x in [0, 1]: grey values as well as binary ones
                float[] x = Check.uniform(seed, n, 0, 1);
                float[] l = Check.uniform(seed + 1, n, -8, 8);
                float[] dOut = Check.uniform(seed + 2, rows, -2, 2);
                for (boolean view : new boolean[] {false, true}) {
                    String what = "bernoulliLogLik seed " + seed + " " + rows + "x" + cols + (view ? " view" : "");
                    checkBernoulli(what, seed, x, l, dOut, rows, cols, view);
                }
            }
        });
    }

    @Test
    void bernoulliLogLikExtremeLogitsAreFiniteAndExact() {
        forEachVariant(() -> {
            double[] logits = {-400, -200, -100, -88, -20, -1, -1e-3, 0, 1e-3, 1, 20, 88, 100, 200, 400};
            double[] xs = {0, 0.5, 1};
            int n = logits.length * xs.length;
            float[] x = new float[n], l = new float[n];
            for (int i = 0; i < n; i++) {
                x[i] = (float) xs[i / logits.length];
                l[i] = (float) logits[i % logits.length];
            }
            float[] dOutRows = new float[n];
            Arrays.fill(dOutRows, 1.5f);
            // one column per example (each term alone), and one row holding them all
            checkBernoulli("bernoulliLogLik extreme, n x 1", 0, x, l, dOutRows, n, 1, true);
            checkBernoulli("bernoulliLogLik extreme, 1 x n", 0, x, l, new float[] {-0.5f}, 1, n, false);
        });
    }

    private void checkBernoulli(String what, long seed, float[] x, float[] l, float[] dOut, int rows, int cols, boolean view) {
        double[] xd = Check.toDouble(x), ld = Check.toDouble(l), dOutD = Check.toDouble(dOut);
        try (Guarded tx = Guarded.of(dev, x, rows, cols, view); Guarded tl = Guarded.of(dev, l, rows, cols, view);
                Guarded out = new Guarded(dev, rows, 1, view); Guarded td = Guarded.of(dev, dOut, rows, 1, view)) {
            Losses.bernoulliLogLik(out.t, tx.t, tl.t);
            float[] got = out.t.toArray();
            requireFinite(got, what);
            checkSums(LossesReference.bernoulliTerms(xd, ld), rows, cols, got, what);
            out.checkGuard(what);

            float[][] g = checkBackward(what, seed, rows, cols, view,
                    new double[][] {LossesReference.bernoulliLogLikBackward(dOutD, xd, ld, rows, cols)},
                    (grads, beta) -> Losses.bernoulliLogLikBackward(grads[0], td.t, tx.t, tl.t, beta));
            if (fdAffordable(rows, cols)) {
                double[] fd = rowFiniteDiff(ld, rows, cols, dOutD,
                        (r, lr) -> LossesReference.bernoulliLogLik(row(xd, r, cols), lr, 1, cols)[0]);
                Check.close(fd, g[0], FD_ATOL, FD_RTOL, what + " dlogits vs finite differences");
            }
        }
    }

    // ---- Gaussian ------------------------------------------------------------------------------

    @Test
    void gaussianLogDensityMatchesReferenceAndFiniteDifferences() {
        forEachVariant(() -> {
            long seed = 202;
            for (int[] s : SHAPES) {
                int rows = s[0], cols = s[1], n = rows * cols;
                float[] x = Check.uniform(seed, n, -3, 3);
                float[] mu = Check.uniform(seed + 1, n, -3, 3);
                float[] lv = Check.uniform(seed + 2, n, -3, 3);
                float[] dOut = Check.uniform(seed + 3, rows, -2, 2);
                double[] xd = Check.toDouble(x), mud = Check.toDouble(mu), lvd = Check.toDouble(lv), dOutD = Check.toDouble(dOut);
                for (boolean view : new boolean[] {false, true}) {
                    String what = "gaussianLogDensity seed " + seed + " " + rows + "x" + cols + (view ? " view" : "");
                    try (Guarded tx = Guarded.of(dev, x, rows, cols, view); Guarded tm = Guarded.of(dev, mu, rows, cols, view);
                            Guarded tl = Guarded.of(dev, lv, rows, cols, view); Guarded out = new Guarded(dev, rows, 1, view);
                            Guarded td = Guarded.of(dev, dOut, rows, 1, view)) {
                        Losses.gaussianLogDensity(out.t, tx.t, tm.t, tl.t);
                        checkSums(LossesReference.gaussianTerms(xd, mud, lvd), rows, cols, out.t.toArray(), what);
                        out.checkGuard(what);

                        double[][] ref = LossesReference.gaussianLogDensityBackward(dOutD, xd, mud, lvd, rows, cols);
                        float[][] g = checkBackward(what, seed, rows, cols, view, ref,
                                (grads, beta) -> Losses.gaussianLogDensityBackward(grads[0], grads[1], grads[2], td.t, tx.t, tm.t, tl.t, beta));
                        // data x needs no gradient: dx null, the others still written
                        checkBackward(what + " (dx null)", seed, rows, cols, view, new double[][] {ref[1], ref[2]},
                                (grads, beta) -> Losses.gaussianLogDensityBackward(null, grads[0], grads[1], td.t, tx.t, tm.t, tl.t, beta));
                        if (!view && fdAffordable(rows, cols)) {
                            Check.close(rowFiniteDiff(xd, rows, cols, dOutD,
                                    (r, v) -> LossesReference.gaussianLogDensity(v, row(mud, r, cols), row(lvd, r, cols), 1, cols)[0]),
                                    g[0], FD_ATOL, FD_RTOL, what + " dx vs finite differences");
                            Check.close(rowFiniteDiff(mud, rows, cols, dOutD,
                                    (r, v) -> LossesReference.gaussianLogDensity(row(xd, r, cols), v, row(lvd, r, cols), 1, cols)[0]),
                                    g[1], FD_ATOL, FD_RTOL, what + " dmu vs finite differences");
                            Check.close(rowFiniteDiff(lvd, rows, cols, dOutD,
                                    (r, v) -> LossesReference.gaussianLogDensity(row(xd, r, cols), row(mud, r, cols), v, 1, cols)[0]),
                                    g[2], FD_ATOL, FD_RTOL, what + " dlogvar vs finite differences");
                        }
                    }
                }
            }
        });
    }

    @Test
    void standardNormalLogDensityMatchesReferenceAndFiniteDifferences() {
        forEachVariant(() -> {
            long seed = 303;
            for (int[] s : SHAPES) {
                int rows = s[0], cols = s[1], n = rows * cols;
                float[] x = Check.uniform(seed, n, -5, 5);
                float[] dOut = Check.uniform(seed + 1, rows, -2, 2);
                double[] xd = Check.toDouble(x), dOutD = Check.toDouble(dOut);
                for (boolean view : new boolean[] {false, true}) {
                    String what = "standardNormalLogDensity seed " + seed + " " + rows + "x" + cols + (view ? " view" : "");
                    try (Guarded tx = Guarded.of(dev, x, rows, cols, view); Guarded out = new Guarded(dev, rows, 1, view);
                            Guarded td = Guarded.of(dev, dOut, rows, 1, view)) {
                        Losses.standardNormalLogDensity(out.t, tx.t);
                        checkSums(LossesReference.standardNormalTerms(xd), rows, cols, out.t.toArray(), what);
                        out.checkGuard(what);
                        float[][] g = checkBackward(what, seed, rows, cols, view,
                                new double[][] {LossesReference.standardNormalLogDensityBackward(dOutD, xd, rows, cols)},
                                (grads, beta) -> Losses.standardNormalLogDensityBackward(grads[0], td.t, tx.t, beta));
                        if (!view && fdAffordable(rows, cols)) {
                            Check.close(rowFiniteDiff(xd, rows, cols, dOutD, (r, v) -> LossesReference.standardNormalLogDensity(v, 1, cols)[0]),
                                    g[0], FD_ATOL, FD_RTOL, what + " dx vs finite differences");
                        }
                    }
                }
            }
        });
    }

    // ---- KL ------------------------------------------------------------------------------------

    @Test
    void klStandardNormalMatchesReferenceAndFiniteDifferences() {
        forEachVariant(() -> {
            long seed = 404;
            for (int[] s : SHAPES) {
                int rows = s[0], cols = s[1], n = rows * cols;
                float[] mu = Check.uniform(seed, n, -3, 3);
                // logvar near 0 too, where exp(lv) - 1 - lv cancels (expm1 keeps it exact)
                float[] lv = Check.uniform(seed + 1, n, -4, 4);
                lv[0] = 1e-4f;
                float[] dOut = Check.uniform(seed + 2, rows, -2, 2);
                double[] mud = Check.toDouble(mu), lvd = Check.toDouble(lv), dOutD = Check.toDouble(dOut);
                for (boolean view : new boolean[] {false, true}) {
                    String what = "klStandardNormal seed " + seed + " " + rows + "x" + cols + (view ? " view" : "");
                    try (Guarded tm = Guarded.of(dev, mu, rows, cols, view); Guarded tl = Guarded.of(dev, lv, rows, cols, view);
                            Guarded out = new Guarded(dev, rows, 1, view); Guarded td = Guarded.of(dev, dOut, rows, 1, view)) {
                        Losses.klStandardNormal(out.t, tm.t, tl.t);
                        float[] got = out.t.toArray();
                        checkSums(LossesReference.klPerDim(mud, lvd), rows, cols, got, what);
                        for (float v : got) {
                            assertTrue(v >= 0, what + ": KL " + v + " < 0");
                        }
                        out.checkGuard(what);
                        float[][] g = checkBackward(what, seed, rows, cols, view,
                                LossesReference.klBackward(dOutD, false, mud, lvd, rows, cols),
                                (grads, beta) -> Losses.klStandardNormalBackward(grads[0], grads[1], td.t, tm.t, tl.t, beta));
                        if (!view && fdAffordable(rows, cols)) {
                            Check.close(rowFiniteDiff(mud, rows, cols, dOutD, (r, v) -> LossesReference.kl(v, row(lvd, r, cols), 1, cols)[0]),
                                    g[0], FD_ATOL, FD_RTOL, what + " dmu vs finite differences");
                            Check.close(rowFiniteDiff(lvd, rows, cols, dOutD, (r, v) -> LossesReference.kl(row(mud, r, cols), v, 1, cols)[0]),
                                    g[1], FD_ATOL, FD_RTOL, what + " dlogvar vs finite differences");
                        }
                    }
                }
            }
        });
    }

    @Test
    void klStandardNormalPerDimMatchesReferenceAndFiniteDifferences() {
        long seed = 505;
        for (int[] s : SHAPES) {
            int rows = s[0], cols = s[1], n = rows * cols;
            float[] mu = Check.uniform(seed, n, -3, 3);
            float[] lv = Check.uniform(seed + 1, n, -4, 4);
            float[] dOut = Check.uniform(seed + 2, n, -2, 2);
            double[] mud = Check.toDouble(mu), lvd = Check.toDouble(lv), dOutD = Check.toDouble(dOut);
            for (boolean view : new boolean[] {false, true}) {
                String what = "klStandardNormalPerDim seed " + seed + " " + rows + "x" + cols + (view ? " view" : "");
                try (Guarded tm = Guarded.of(dev, mu, rows, cols, view); Guarded tl = Guarded.of(dev, lv, rows, cols, view);
                        Guarded out = new Guarded(dev, rows, cols, view); Guarded td = Guarded.of(dev, dOut, rows, cols, view)) {
                    Losses.klStandardNormalPerDim(out.t, tm.t, tl.t);
                    double[] ref = LossesReference.klPerDim(mud, lvd);
                    Check.close(ref, out.t.toArray(), SUM_ATOL, SUM_RTOL, what);
                    out.checkGuard(what);
                    float[][] g = checkBackward(what, seed, rows, cols, view,
                            LossesReference.klBackward(dOutD, true, mud, lvd, rows, cols),
                            (grads, beta) -> Losses.klStandardNormalPerDimBackward(grads[0], grads[1], td.t, tm.t, tl.t, beta));
                    if (!view && fdAffordable(rows, cols)) {
                        // f = sum_{r,c} dOut[r,c] * kl[r,c], split by rows
                        double[] ones = new double[rows];
                        Arrays.fill(ones, 1);
                        Check.close(rowFiniteDiff(mud, rows, cols, ones,
                                (r, v) -> dot(row(dOutD, r, cols), LossesReference.klPerDim(v, row(lvd, r, cols)))),
                                g[0], FD_ATOL, FD_RTOL, what + " dmu vs finite differences");
                        Check.close(rowFiniteDiff(lvd, rows, cols, ones,
                                (r, v) -> dot(row(dOutD, r, cols), LossesReference.klPerDim(row(mud, r, cols), v))),
                                g[1], FD_ATOL, FD_RTOL, what + " dlogvar vs finite differences");
                    }
                }
            }
        }
    }

    // ---- log-mean-exp --------------------------------------------------------------------------

    @Test
    @Tag("large") // finite differences at every shape: not kernel coverage (VariantsOddShapesTest runs both log-mean-exp kernels of every variant on the simulated GPU)
    void logMeanExpMatchesReferenceAndFiniteDifferences() {
        forEachVariant(() -> {
            long seed = 606;
            for (int[] s : SHAPES) {
                int rows = s[0], k = s[1], n = rows * k;
                // IWAE log weights: large negative with a spread of tens of nats
                float[] a = Check.uniform(seed, n, -300, -240);
                float[] dOut = Check.uniform(seed + 1, rows, -2, 2);
                for (boolean view : new boolean[] {false, true}) {
                    checkLogMeanExp("logMeanExp seed " + seed + " " + rows + "x" + k + (view ? " view" : ""), seed, a, dOut, rows, k, view, !view);
                }
            }
        });
    }

    @Test
    void logMeanExpExtremeRowsAreStable() {
        forEachVariant(() -> {
            float inf = Float.NEGATIVE_INFINITY;
            float[][] rows = {
                {-1000f, -1000.5f, -999f, -1003f},  // exp underflows naively
                {80f, 85f, 90f, 88.5f},             // exp overflows naively in float
                {1e4f, -1e4f, 0f, 5f},
                {inf, 0f, inf, -2f},                // samples with zero weight
                {inf, inf, inf, inf},               // no weight at all: -inf, zero gradient
                {3f, 3f, 3f, 3f},
            };
            int k = 4;
            float[] a = new float[rows.length * k];
            for (int r = 0; r < rows.length; r++) {
                System.arraycopy(rows[r], 0, a, r * k, k);
            }
            float[] dOut = {1f, -2f, 0.5f, 1f, 1f, 3f};
            checkLogMeanExp("logMeanExp extreme rows", 0, a, dOut, rows.length, k, true, false);
            // K = 1: the identity
            checkLogMeanExp("logMeanExp K=1", 0, new float[] {-7.25f, 400f, -400f}, new float[] {1f, 2f, 3f}, 3, 1, false, true);
        });
    }

    private void checkLogMeanExp(String what, long seed, float[] a, float[] dOut, int rows, int k, boolean view, boolean fd) {
        double[] ad = Check.toDouble(a), dOutD = Check.toDouble(dOut);
        try (Guarded ta = Guarded.of(dev, a, rows, k, view); Guarded out = new Guarded(dev, rows, 1, view);
                Guarded td = Guarded.of(dev, dOut, rows, 1, view)) {
            Losses.logMeanExp(out.t, ta.t);
            Check.close(LossesReference.logMeanExp(ad, rows, k), out.t.toArray(), LME_ATOL, LME_RTOL, what);
            out.checkGuard(what);
            float[][] g = checkBackward(what, seed, rows, k, view,
                    new double[][] {LossesReference.logMeanExpBackward(dOutD, ad, rows, k)},
                    (grads, beta) -> Losses.logMeanExpBackward(grads[0], td.t, ta.t, beta));
            if (fd && fdAffordable(rows, k)) {
                Check.close(rowFiniteDiff(ad, rows, k, dOutD, (r, v) -> LossesReference.logMeanExp(v, 1, k)[0]),
                        g[0], FD_ATOL, FD_RTOL, what + " da vs finite differences");
            }
        }
    }

    // ---- determinism, shapes -------------------------------------------------------------------

    @Test
    @Tag("large") // repeated launches: determinism, not kernel coverage (the other tests run these kernels on the simulated GPU)
    void rowSumsAreBitwiseReproducible() {
        forEachVariant(() -> {
            long seed = 707;
            int rows = 144, cols = 1000;
            try (Tensor x = Tensor.of(dev, rows, cols, Check.uniform(seed, rows * cols, 0, 1));
                    Tensor l = Tensor.of(dev, rows, cols, Check.uniform(seed + 1, rows * cols, -8, 8));
                    Tensor o1 = Tensor.empty(dev, rows, 1); Tensor o2 = Tensor.empty(dev, rows, 1)) {
                Losses.bernoulliLogLik(o1, x, l);
                Losses.bernoulliLogLik(o2, x, l);
                assertArrayEquals(o1.toArray(), o2.toArray(), "seed " + seed);
            }
        });
    }

    @Test
    void shapesAreChecked() {
        try (Tensor a = Tensor.empty(dev, 5, 4); Tensor b = Tensor.empty(dev, 5, 3); Tensor o = Tensor.empty(dev, 5, 1);
                Tensor wrongOut = Tensor.empty(dev, 4, 1); Tensor empty = Tensor.empty(dev, 5, 0)) {
            assertThrows(IllegalArgumentException.class, () -> Losses.bernoulliLogLik(o, a, b));
            assertThrows(IllegalArgumentException.class, () -> Losses.bernoulliLogLik(wrongOut, a, a));
            assertThrows(IllegalArgumentException.class, () -> Losses.gaussianLogDensity(o, a, a, b));
            assertThrows(IllegalArgumentException.class, () -> Losses.klStandardNormalBackward(a, a, a, a, a, 0f));
            assertThrows(IllegalArgumentException.class, () -> Losses.klStandardNormalPerDim(o, a, a));
            assertThrows(IllegalArgumentException.class, () -> Losses.logMeanExp(o, empty));
            assertThrows(IllegalArgumentException.class, () -> Losses.logMeanExpBackward(b, o, a, 0f));
            assertThrows(IllegalArgumentException.class, () -> Losses.elboTerms(Tensor.empty(dev, 1, 4), a, o, 1f));
            assertThrows(IllegalArgumentException.class, () -> Losses.elboTerms(o, o, o, 1f));
            assertThrows(IllegalArgumentException.class, () -> Losses.elboTerms(Tensor.empty(dev, 1, 4), o, wrongOut, 1f));
        }
    }

    // ---- helpers -------------------------------------------------------------------------------

    /** A backward launch writing into {@code grads} with the given beta. */
    interface Backward {
        void run(Tensor[] grads, float beta);
    }

    /**
     * Runs {@code op} with beta = 0 over NaN-filled gradients (which it must not read), then with
     * beta = 1 over seeded values (which it must add to); compares with {@code ref} (one R x C array
     * per gradient) and returns the beta = 0 results.
     */
    private static float[][] checkBackward(String what, long seed, int rows, int cols, boolean view, double[][] ref, Backward op) {
        int m = ref.length, n = rows * cols;
        Guarded[] g = new Guarded[m];
        Tensor[] t = new Tensor[m];
        try {
            for (int i = 0; i < m; i++) {
                g[i] = new Guarded(dev, rows, cols, view);
                t[i] = g[i].t;
                t[i].fill(Float.NaN);
            }
            op.run(t, 0f);
            float[][] got = new float[m][];
            for (int i = 0; i < m; i++) {
                got[i] = t[i].toArray();
                Check.close(ref[i], got[i], GRAD_ATOL, GRAD_RTOL, what + " gradient " + i + ", beta 0");
                g[i].checkGuard(what + " gradient " + i);
            }
            float[] old = Check.uniform(seed + 99, n, -1, 1);
            double[] acc = new double[n];
            for (int i = 0; i < m; i++) {
                t[i].write(old);
            }
            op.run(t, 1f);
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    acc[j] = old[j] + ref[i][j];
                }
                Check.close(acc, t[i].toArray(), GRAD_ATOL, GRAD_RTOL, what + " gradient " + i + ", beta 1");
            }
            return got;
        } finally {
            for (Guarded x : g) {
                if (x != null) {
                    x.close();
                }
            }
        }
    }

    /** Row sums of float kernel output vs double reference, each row within SUM_RTOL of sum |terms|. */
    private static void checkSums(double[] terms, int rows, int cols, float[] got, String what) {
        double[] ref = LossesReference.rowSums(terms, rows, cols, false);
        double[] scale = LossesReference.rowSums(terms, rows, cols, true);
        assertEquals(rows, got.length, what);
        for (int r = 0; r < rows; r++) {
            Check.close(new double[] {ref[r]}, new float[] {got[r]}, SUM_ATOL + SUM_RTOL * scale[r], 0, what + " row " + r);
        }
    }

    /** The forward of one row r as a function of that row's values of the input being differentiated. */
    interface RowFn {
        double at(int r, double[] row);
    }

    /** d/d input of sum_r dOut[r] * f(r, input row r), by central differences in double, row by row. */
    private static double[] rowFiniteDiff(double[] input, int rows, int cols, double[] dOut, RowFn f) {
        double[] g = new double[rows * cols];
        for (int r = 0; r < rows; r++) {
            int rr = r;
            double[] gr = Check.finiteDiff(v -> dOut[rr] * f.at(rr, v), row(input, r, cols), FD_STEP);
            System.arraycopy(gr, 0, g, r * cols, cols);
        }
        return g;
    }

    private static boolean fdAffordable(int rows, int cols) {
        return tunedVariant && (long) rows * cols * cols <= FD_MAX_WORK;
    }

    /**
     * True while the device's tuned variant runs: finite differences check the backward kernels,
     * which do not change with the per-row variant (log-mean-exp's is compared with the analytic
     * reference in every variant), so they run once.
     */
    private static boolean tunedVariant = true;

    /** Runs {@code body} once per variant of {@link Losses#variants} with that variant in use; failures name it. */
    private static void forEachVariant(Runnable body) {
        for (Losses.Config c : Losses.variants(dev)) {
            if (!SimGpu.variantRuns(c, Losses.Config.tuned(dev))) {
                continue;
            }
            tunedVariant = c.equals(Losses.Config.tuned(dev));
            try (var scope = Losses.use(dev, c)) {
                body.run();
            } catch (AssertionError e) {
                throw new AssertionError("losses variant " + c + ": " + e.getMessage(), e);
            } finally {
                tunedVariant = true;
            }
        }
    }

    private static double[] row(double[] a, int r, int cols) {
        return Arrays.copyOfRange(a, r * cols, (r + 1) * cols);
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    private static void requireFinite(float[] v, String what) {
        for (int i = 0; i < v.length; i++) {
            assertTrue(Float.isFinite(v[i]), what + ": element " + i + " is " + v[i]);
        }
    }
}
