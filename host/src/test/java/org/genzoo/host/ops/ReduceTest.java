package org.genzoo.host.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import org.genzoo.host.testing.OnDevice;
import org.genzoo.host.ops.ElementwiseTest.Guarded;
import org.genzoo.host.ops.Reduce.Op;
import org.genzoo.host.tensor.Tensor;
import org.genzoo.host.testing.Check;
import org.genzoo.host.testing.SimGpu;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class ReduceTest extends OnDevice {
    /**
     * Float sums: each partial is rounded at most depth times, depth <= 16 serial folds per
     * work-item per pass + log2(n) tree levels + one more pass (< 45 for n <= 1e5), so
     * |error| <= 45 * 2^-24 * sum |x| ~ 2.7e-6 * sum |x|.
     */
    static final double SUM_ERR_PER_ABS = 2.7e-6;
    /** Max selects one of its inputs: no rounding at all. */
    private static final double EXACT = 0;
    /** Logsumexp: log(s) inherits s's relative error (the sum bound plus ~3 ulp per exp) as absolute error. */
    private static final double ATOL_LSE = 3e-6;
    /** Logsumexp: the final m + log(s) rounds once or twice relative to the result. */
    private static final double RTOL_LSE = 2.4e-7;
    /** Sum/mean backward: dy copied or divided once by n (one rounding). */
    private static final double RTOL_BROADCAST = 1.2e-7;
    /** Logsumexp backward: exp(x - y) with y a float forward result (|y| <= ~8: half an ulp ~5e-7) and exp's few ulp. */
    private static final double RTOL_SOFTMAX = 2e-6;
    /**
     * Central differences in double with step 1e-4 (|x| <= 2): truncation h^2 |f'''| / 6 and the
     * loss's rounding ulp(L) / (2h) are each below ~1e-9.
     */
    private static final double ATOL_FD = 2e-9;
    private static final double FD_STEP = 1e-4;
    
    /**
     * 1, 7, 93, 144, 1000, 4096 as rows or cols, plus long rows and tall columns (the device's tuned
     * variants). On the simulated GPU 1, 7, 33 and 93 without 93 rows: its tuned row kernel runs a
     * work-group of 256 per row, and 93 of them cost more Oclgrind time than the rest of this class
     * (VariantsOddShapesTest runs 93 x 7 in every variant).
     */
    private static final int[][] SHAPES = SimGpu.active() ? new int[][] {{1, 1}, {7, 93}, {33, 7}}
            : new int[][] {{1, 1}, {7, 93}, {93, 7}, {144, 1000}, {1000, 144}, {4096, 7}, {7, 4096}, {1, 100000}, {100000, 3},
                {3, 100000}, {100000, 1}};
    /** Odd sizes for every other variant (1, 7, 33, 93 and lines past a vector, a work-group and a chunk). */
    private static final int[][] VARIANT_SHAPES = SimGpu.shapes(new int[][] {{1, 1}, {7, 93}, {93, 7}, {33, 1000}, {1000, 33}, {1, 4099},
            {4099, 1}});

    /** Runs {@code body} once per variant of {@link Reduce#variants}, with that variant in use; the tuned one first. */
    private static void forEachVariant(Consumer<Reduce.Config> body) {
        List<Reduce.Config> variants = Reduce.variants(dev);
        for (Reduce.Config c : variants) {
            if (!SimGpu.variantRuns(c, Reduce.Config.tuned(dev))) {
                continue;
            }
            try (var scope = Reduce.use(dev, c)) {
                body.accept(c);
            }
        }
    }

    private static int[][] shapesFor(Reduce.Config c) {
        return c.equals(Reduce.Config.tuned(dev)) ? SHAPES : VARIANT_SHAPES;
    }

    // ---------------------------------------------------------------------------------------------
    // Helpers

    private static float[] nanArray(int n) {
        float[] x = new float[n];
        Arrays.fill(x, Float.NaN);
        return x;
    }

    private static String tag(String what, long seed, int R, int C) {
        return what + " " + R + " x " + C + " (seed " + seed + ")";
    }

    /** (atol, rtol) for a forward reduction of x along rows (rows = true) or columns. */
    private static double[] tolerance(Op op, double[] x, int R, int C, boolean rows) {
        double n = rows ? C : R;
        return switch (op) {
            case SUM -> new double[] {SUM_ERR_PER_ABS * ReduceReference.maxLineAbsSum(x, R, C, rows), 0};
            case MEAN -> new double[] {SUM_ERR_PER_ABS * ReduceReference.maxLineAbsSum(x, R, C, rows) / n, RTOL_BROADCAST};
            case MAX -> new double[] {EXACT, EXACT};
            case LOGSUMEXP -> new double[] {ATOL_LSE, RTOL_LSE};
        };
    }

    private static double[] plusBeta(double[] ref, double beta, float[] y0) {
        double[] out = new double[ref.length];
        for (int i = 0; i < ref.length; i++) {
            out[i] = ref[i] + beta * y0[i];
        }
        return out;
    }

    // ---------------------------------------------------------------------------------------------
    // Forward

    @ParameterizedTest
    @EnumSource(Op.class)
    void rowsMatchReference(Op op) {
        forEachVariant(cfg -> rowsMatchReference(op, cfg));
    }

    private void rowsMatchReference(Op op, Reduce.Config cfg) {
        long seed = 10 + op.ordinal();
        for (int[] s : shapesFor(cfg)) {
            int R = s[0];
            int C = s[1];
            float[] x = Check.uniform(seed, R * C, -6, 6);
            float[] y0 = Check.uniform(seed + 1, R, -1, 1);
            double[] xd = Check.toDouble(x);
            double[] ref = ReduceReference.rows(op, xd, R, C);
            double[] tol = tolerance(op, xd, R, C, true);
            try (Tensor wide = ElementwiseTest.wideOf(dev, R, C, x); Guarded y = new Guarded(dev, R, 1, nanArray(R))) {
                Tensor tx = ElementwiseTest.inner(wide);
                Reduce.rows(op, y.view, tx);
                String what = tag("rows " + op, seed, R, C) + " " + cfg;
                Check.close(ref, y.get(), tol[0], tol[1], what + " (y NaN before: must not be read)");
                y.assertTailUntouched(what);
                y.set(y0);
                Reduce.rows(op, y.view, tx, 1f);
                Check.close(plusBeta(ref, 1, y0), y.get(), tol[0] + 1e-6, tol[1] + 1e-7, what + " beta 1");
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Op.class)
    void colsMatchReference(Op op) {
        forEachVariant(cfg -> colsMatchReference(op, cfg));
    }

    private void colsMatchReference(Op op, Reduce.Config cfg) {
        long seed = 20 + op.ordinal();
        for (int[] s : shapesFor(cfg)) {
            int R = s[0];
            int C = s[1];
            float[] x = Check.uniform(seed, R * C, -6, 6);
            float[] y0 = Check.uniform(seed + 1, C, -1, 1);
            double[] xd = Check.toDouble(x);
            double[] ref = ReduceReference.cols(op, xd, R, C);
            double[] tol = tolerance(op, xd, R, C, false);
            try (Tensor wide = ElementwiseTest.wideOf(dev, R, C, x); Guarded y = new Guarded(dev, 1, C, nanArray(C))) {
                Tensor tx = ElementwiseTest.inner(wide);
                Reduce.cols(op, y.view, tx);
                String what = tag("cols " + op, seed, R, C) + " " + cfg;
                Check.close(ref, y.get(), tol[0], tol[1], what + " (y NaN before: must not be read)");
                y.assertTailUntouched(what);
                y.set(y0);
                Reduce.cols(op, y.view, tx, 1f);
                Check.close(plusBeta(ref, 1, y0), y.get(), tol[0] + 1e-6, tol[1] + 1e-7, what + " beta 1");
            }
        }
    }

    @Test
    void logsumexpExtremeInputs() {
        long seed = 30;
        int R = 5;
        int C = 1000;
        float[] x = Check.uniform(seed, R * C, -400, 400);
        Arrays.fill(x, C, 2 * C, 400f); // row 1: all equal and large: 400 + log(1000)
        Arrays.fill(x, 2 * C, 3 * C, Float.NEGATIVE_INFINITY); // row 2: all -inf -> -inf
        for (int c = 0; c < C; c++) {
            x[3 * C + c] = -400f + (c % 7); // row 3: all very negative: exp underflows without the shift
        }
        x[4 * C + 17] = Float.NEGATIVE_INFINITY; // row 4: one -inf among finite values
        double[] ref = ReduceReference.rows(Op.LOGSUMEXP, Check.toDouble(x), R, C);
        forEachVariant(cfg -> {
            try (Tensor tx = Tensor.of(dev, R, C, x); Tensor y = Tensor.empty(dev, R, 1)) {
                Reduce.rows(Op.LOGSUMEXP, y, tx);
                Check.close(ref, y.toArray(), ATOL_LSE, RTOL_LSE, "rows logsumexp, |x| <= 400 (seed " + seed + ") " + cfg);
            }
            try (Tensor tx = Tensor.of(dev, C, R, transpose(x, R, C)); Tensor y = Tensor.empty(dev, 1, R)) {
                Reduce.cols(Op.LOGSUMEXP, y, tx);
                Check.close(ref, y.toArray(), ATOL_LSE, RTOL_LSE, "cols logsumexp, |x| <= 400 (seed " + seed + ") " + cfg);
            }
        });
    }

    private static float[] transpose(float[] x, int R, int C) {
        float[] t = new float[x.length];
        for (int r = 0; r < R; r++) {
            for (int c = 0; c < C; c++) {
                t[c * R + r] = x[r * C + c];
            }
        }
        return t;
    }

    @Test
    void nanPropagatesThroughMaxAndLogsumexp() {
        // 2 x 21: a NaN at (0, 1) past a vector's worth of finite values on each side; row 1 and
        // every other column stay finite. Also a row of +inf and one NaN only.
        int C = 21;
        float[] x = Check.uniform(70, 2 * C, -3, 3);
        x[1] = Float.NaN;
        forEachVariant(cfg -> {
            try (Tensor tx = Tensor.of(dev, 2, C, x); Tensor y = Tensor.empty(dev, 2, 1); Tensor yc = Tensor.empty(dev, 1, C)) {
                for (Op op : Op.values()) {
                    Reduce.rows(op, y, tx);
                    float[] got = y.toArray();
                    if (!Float.isNaN(got[0]) || Float.isNaN(got[1])) {
                        fail(op + ": a NaN in row 0 must give NaN there and leave row 1 alone, got " + Arrays.toString(got) + " " + cfg);
                    }
                    Reduce.cols(op, yc, tx);
                    float[] gc = yc.toArray();
                    for (int c = 0; c < C; c++) {
                        if (Float.isNaN(gc[c]) != (c == 1)) {
                            fail(op + ": a NaN in column 1 must give NaN there and nowhere else, got " + Arrays.toString(gc) + " " + cfg);
                        }
                    }
                }
            }
            float[] special = {Float.POSITIVE_INFINITY, 1f, Float.POSITIVE_INFINITY, Float.NaN, Float.NaN, Float.NaN};
            try (Tensor tx = Tensor.of(dev, 2, 3, special); Tensor y = Tensor.empty(dev, 2, 1)) {
                for (Op op : new Op[] {Op.MAX, Op.LOGSUMEXP}) {
                    Reduce.rows(op, y, tx);
                    float[] got = y.toArray();
                    assertEquals(Float.POSITIVE_INFINITY, got[0], op + " of a row with +inf " + cfg);
                    assertTrue(Float.isNaN(got[1]), op + " of a row of NaN " + cfg);
                }
            }
        });
    }

    @Test
    void sumAllMatchesReferenceForContiguousAndViews() {
        long seed = 40;
        int[][] shapes = SimGpu.shapes(new int[][] {{1, 1}, {1000, 1000}, {1, 100000}, {100000, 3}, {93, 144}});
        for (int[] s : shapes) {
            int R = s[0];
            int C = s[1];
            float[] x = Check.uniform(seed, R * C, -1, 1);
            double ref = ReduceReference.sumAll(Check.toDouble(x));
            double atol = SUM_ERR_PER_ABS * R * C; // sum |x| <= n for |x| <= 1
            try (Tensor tx = Tensor.of(dev, R, C, x); Tensor wide = ElementwiseTest.wideOf(dev, R, C, x);
                    Tensor y = Tensor.empty(dev, 1, 1)) {
                Reduce.sumAll(y, tx);
                Check.close(new double[] {ref}, y.toArray(), atol, 0, tag("sumAll contiguous", seed, R, C));
                Reduce.sumAll(y, ElementwiseTest.inner(wide));
                Check.close(new double[] {ref}, y.toArray(), atol, 0, tag("sumAll column view", seed, R, C));
            }
        }
    }

    /** Same input, same device, same variant: bitwise the same output, every op and direction, and sumAll. */
    @Test
    @Tag("large") // repeated launches: determinism, not kernel coverage (VariantsOddShapesTest runs every variant, chunked ones too, on the simulated GPU)
    void reductionsAreBitwiseDeterministic() {
        forEachVariant(cfg -> reductionsAreBitwiseDeterministic(SimGpu.active() ? new int[][] {{1, 93}, {93, 3}, {33, 33}}
                : cfg.equals(Reduce.Config.tuned(dev)) ? new int[][] {{1, 100000}, {100000, 3}, {1000, 1000}}
                : new int[][] {{33, 1000}, {1, 4099}}));
    }

    private void reductionsAreBitwiseDeterministic(int[][] shapes) {
        long seed = 50;
        for (int[] s : shapes) {
            int R = s[0];
            int C = s[1];
            float[] x = Check.uniform(seed, R * C, -3, 3);
            try (Tensor tx = Tensor.of(dev, R, C, x); Tensor r1 = Tensor.empty(dev, R, 1); Tensor r2 = Tensor.empty(dev, R, 1);
                    Tensor c1 = Tensor.empty(dev, 1, C); Tensor c2 = Tensor.empty(dev, 1, C);
                    Tensor a1 = Tensor.empty(dev, 1, 1); Tensor a2 = Tensor.empty(dev, 1, 1)) {
                for (Op op : Op.values()) {
                    Reduce.rows(op, r1, tx);
                    Reduce.rows(op, r2, tx);
                    assertSameBits(r1.toArray(), r2.toArray(), tag("rows " + op, seed, R, C));
                    Reduce.cols(op, c1, tx);
                    Reduce.cols(op, c2, tx);
                    assertSameBits(c1.toArray(), c2.toArray(), tag("cols " + op, seed, R, C));
                }
                Reduce.sumAll(a1, tx);
                Reduce.sumAll(a2, tx);
                assertSameBits(a1.toArray(), a2.toArray(), tag("sumAll", seed, R, C));
            }
        }
    }

    private static void assertSameBits(float[] a, float[] b, String what) {
        for (int i = 0; i < a.length; i++) {
            if (Float.floatToRawIntBits(a[i]) != Float.floatToRawIntBits(b[i])) {
                fail(what + ": run 1 and run 2 differ at " + i + ": " + a[i] + " vs " + b[i]);
            }
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Backward

    @ParameterizedTest
    @EnumSource(value = Op.class, names = {"MAX"}, mode = EnumSource.Mode.EXCLUDE)
    void backwardMatchesFiniteDifferences(Op op) {
        long seed = 60 + op.ordinal();
        int[][] shapes = SimGpu.shapes(new int[][] {{1, 1}, {7, 93}, {93, 7}, {1, 257}, {144, 1}});
        double rtol = op == Op.LOGSUMEXP ? RTOL_SOFTMAX : RTOL_BROADCAST;
        for (int[] s : shapes) {
            int R = s[0];
            int C = s[1];
            int n = R * C;
            float[] x = Check.uniform(seed, n, -2, 2);
            double[] xd = Check.toDouble(x);
            float[] dx0 = Check.uniform(seed + 3, n, -1, 1);
            for (boolean rows : new boolean[] {true, false}) {
                int lines = rows ? R : C;
                float[] dy = Check.uniform(seed + 1, lines, -1, 1);
                double[] dyd = Check.toDouble(dy);
                double[] fd = rows
                        ? Check.finiteDiff(v -> ReduceReference.rowsLoss(op, dyd, v, R, C), xd, FD_STEP)
                        : Check.finiteDiff(v -> ReduceReference.colsLoss(op, dyd, v, R, C), xd, FD_STEP);
                String what = tag((rows ? "rows " : "cols ") + op + " backward", seed, R, C);
                try (Tensor wide = ElementwiseTest.wideOf(dev, R, C, x);
                        Tensor ty = rows ? Tensor.empty(dev, R, 1) : Tensor.empty(dev, 1, C);
                        Tensor tdy = rows ? Tensor.of(dev, R, 1, dy) : Tensor.of(dev, 1, C, dy);
                        Guarded dx = new Guarded(dev, R, C, nanArray(n))) {
                    Tensor tx = ElementwiseTest.inner(wide);
                    if (rows) {
                        Reduce.rows(op, ty, tx);
                        Reduce.rowsBackward(op, dx.view, tdy, tx, ty, 0f);
                    } else {
                        Reduce.cols(op, ty, tx);
                        Reduce.colsBackward(op, dx.view, tdy, tx, ty, 0f);
                    }
                    Check.close(fd, dx.get(), ATOL_FD, rtol, what + ", beta 0 (dx NaN before)");
                    dx.set(dx0);
                    if (rows) {
                        Reduce.rowsBackward(op, dx.view, tdy, tx, ty, 1f);
                    } else {
                        Reduce.colsBackward(op, dx.view, tdy, tx, ty, 1f);
                    }
                    double[] want = plusBeta(fd, 1, dx0);
                    Check.close(want, dx.get(), ATOL_FD + 1.2e-7, rtol, what + ", beta 1");
                    dx.assertTailUntouched(what);
                }
            }
        }
    }

    @Test
    void maxHasNoBackwardAndShapesAreChecked() {
        try (Tensor x = Tensor.zeros(dev, 3, 4); Tensor r = Tensor.zeros(dev, 3, 1); Tensor c = Tensor.zeros(dev, 1, 4)) {
            assertThrows(UnsupportedOperationException.class, () -> Reduce.rowsBackward(Op.MAX, x, r, x, r, 0f));
            assertThrows(IllegalArgumentException.class, () -> Reduce.rows(Op.SUM, c, x));
            assertThrows(IllegalArgumentException.class, () -> Reduce.cols(Op.SUM, r, x));
            assertThrows(IllegalArgumentException.class, () -> Reduce.sumAll(r, x));
            assertThrows(IllegalArgumentException.class, () -> Reduce.rowsBackward(Op.LOGSUMEXP, x, r, null, null, 0f));
        }
    }

    @Test
    void costsCountElements() {
        assertEquals(1200, Reduce.rowsCost(Op.LOGSUMEXP, 10, 30).flops());
        assertEquals((300 + 10) * 4, Reduce.rowsCost(Op.SUM, 10, 30).bytes());
        assertEquals((300 + 30) * 4, Reduce.colsCost(Op.MAX, 10, 30).bytes());
        assertEquals(1204, Reduce.sumAllCost(10, 30).bytes());
    }
}
