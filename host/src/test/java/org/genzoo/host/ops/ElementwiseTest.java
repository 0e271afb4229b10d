package org.genzoo.host.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Arrays;
import java.util.function.BiFunction;
import org.genzoo.host.testing.OnDevice;
import org.genzoo.host.Device;
import org.genzoo.host.ops.Elementwise.Unary;
import org.genzoo.host.tensor.Tensor;
import org.genzoo.host.testing.Check;
import org.genzoo.host.testing.SimGpu;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class ElementwiseTest extends OnDevice {
    /** add, sub, mul, axpby: one float rounding of the exact result of float inputs. */
    private static final double RTOL_ARITH = 1.2e-7;
    /** Activations: OpenCL float exp/log/tanh/log1p are within a few ulp, i.e. ~1e-6 relative. */
    private static final double RTOL_FN = 2e-6;
    /** Results below the smallest normal float (1.18e-38) flush to zero (-cl-denorms-are-zero). */
    private static final double ATOL_FLUSH = 2e-38;
    /**
     * Backward from a float-rounded forward output y (tanh, sigmoid, exp): f'(y) inherits y's
     * rounding, up to ~2 ulp of 1 absolute for |dy| <= 1.
     */
    private static final double ATOL_FROM_Y = 3e-7;
    /** Central-difference step (relative to max(1, |x|)); truncation error ~1e-12 relative. */
    private static final double FD_STEP = 1e-6;
    /** Central differences in double: rounding of f (|f| <= 400) over the step, ulp(f) / (2 step) <= ~1e-10. */
    private static final double ATOL_FD = 1e-10;
    /** Marks memory outside an output view; must survive every kernel. */
    private static final float SENTINEL = -12345.5f;
    /** Parameter passed to every activation (slope for leaky relu, alpha for elu, ignored otherwise). */
    private static final float P = 0.3f;

    /** Shapes that break every tiling: 1, 7, 93, 144, 1000, 4096 as rows or cols. */
    private static final int[][] SHAPES = SimGpu.shapes(new int[][] {{1, 1}, {7, 93}, {93, 7}, {144, 1000}, {1000, 144},
            {1, 4096}, {4096, 1}, {7, 4096}});

    // ---------------------------------------------------------------------------------------------
    // Helpers

    /**
     * An R x C output view with ld = C + 3 inside an (R + 1) x (C + 3) parent filled with
     * {@link #SENTINEL}: one column left of the view, two right of it, one row below. Host
     * transfers go through the parent in one piece (a view moves row by row, slow for tall shapes).
     */
    static final class Guarded implements AutoCloseable {
        final Tensor parent;
        final Tensor view;
        final int R;
        final int C;

        Guarded(Device dev, int R, int C, float[] init) {
            this.R = R;
            this.C = C;
            float[] all = new float[(R + 1) * (C + 3)];
            Arrays.fill(all, SENTINEL);
            parent = Tensor.of(dev, R + 1, C + 3, all);
            view = parent.rows(0, R).cols(1, C + 1);
            if (init != null) {
                set(init);
            }
        }

        /** Writes row-major R x C values into the view, leaving the sentinels. */
        void set(float[] values) {
            float[] all = parent.toArray();
            for (int r = 0; r < R; r++) {
                System.arraycopy(values, r * C, all, r * (C + 3) + 1, C);
            }
            parent.write(all);
        }

        /** The view's contents, row-major. */
        float[] get() {
            float[] all = parent.toArray();
            float[] out = new float[R * C];
            for (int r = 0; r < R; r++) {
                System.arraycopy(all, r * (C + 3) + 1, out, r * C, C);
            }
            return out;
        }

        /** Fails unless every parent element outside the view still holds the sentinel. */
        void assertTailUntouched(String what) {
            float[] all = parent.toArray();
            int ld = C + 3;
            for (int r = 0; r <= R; r++) {
                for (int c = 0; c < ld; c++) {
                    boolean inside = r < R && c >= 1 && c <= C;
                    if (!inside && Float.floatToRawIntBits(all[r * ld + c]) != Float.floatToRawIntBits(SENTINEL)) {
                        fail(what + ": element (" + r + ", " + c + ") outside the " + R + " x " + C
                                + " output view was overwritten with " + all[r * ld + c]);
                    }
                }
            }
        }

        @Override
        public void close() {
            parent.close();
        }
    }

    /**
     * An R x (C + 5) tensor holding x in columns [2, 2 + C) (junk around it); its {@code cols(2, 2 + C)}
     * is the R x C input view with ld != C.
     */
    static Tensor wideOf(Device dev, int R, int C, float[] x) {
        float[] all = new float[R * (C + 5)];
        Arrays.fill(all, 1e30f);
        for (int r = 0; r < R; r++) {
            System.arraycopy(x, r * C, all, r * (C + 5) + 2, C);
        }
        return Tensor.of(dev, R, C + 5, all);
    }

    static Tensor inner(Tensor wide) {
        return wide.cols(2, wide.cols() - 3);
    }

    private static float[] inputs(Unary op, long seed, int n) {
        return op == Unary.LOG ? logUniform(seed, n, -20, 20) : Check.uniform(seed, n, -6, 6);
    }

    /** exp of uniform values in [lo, hi): positive inputs spread over many decades. */
    private static float[] logUniform(long seed, int n, double lo, double hi) {
        float[] u = Check.uniform(seed, n, lo, hi);
        for (int i = 0; i < n; i++) {
            u[i] = (float) Math.exp(u[i]);
        }
        return u;
    }

    /** A reference value as float arithmetic would hold it: beyond the float range is +-inf. */
    private static double[] inFloatRange(double[] ref) {
        double[] out = ref.clone();
        for (int i = 0; i < out.length; i++) {
            if (Math.abs(out[i]) > Float.MAX_VALUE) {
                out[i] = Math.copySign(Double.POSITIVE_INFINITY, out[i]);
            }
        }
        return out;
    }

    private static String tag(String what, long seed, int R, int C) {
        return what + " " + R + " x " + C + " (seed " + seed + ")";
    }

    // ---------------------------------------------------------------------------------------------
    // Binary ops, axpby, addRow

    @Test
    void binaryOpsMatchReferenceOnViewsAndGuardTheTail() {
        long seed = 11;
        record Case(String name, BiFunction<double[], double[], double[]> ref) {
        }
        Case[] cases = {new Case("add", ElementwiseReference::add), new Case("sub", ElementwiseReference::sub),
                new Case("mul", ElementwiseReference::mul)};
        for (int[] s : SHAPES) {
            int R = s[0];
            int C = s[1];
            int n = R * C;
            float[] a = Check.uniform(seed, n, -3, 3);
            float[] b = Check.uniform(seed + 1, n, -3, 3);
            float[] y0 = Check.uniform(seed + 2, n, -3, 3);
            try (Tensor wa = wideOf(dev, R, C, a); Tensor wb = wideOf(dev, R, C, b)) {
                Tensor ta = inner(wa);
                Tensor tb = inner(wb);
                for (Case cs : cases) {
                    for (float beta : new float[] {0f, 1f, 0.5f}) {
                        float[] init = beta == 0f ? nanArray(n) : y0;
                        try (Guarded out = new Guarded(dev, R, C, init)) {
                            switch (cs.name) {
                                case "add" -> Elementwise.add(out.view, ta, tb, beta);
                                case "sub" -> Elementwise.sub(out.view, ta, tb, beta);
                                default -> Elementwise.mul(out.view, ta, tb, beta);
                            }
                            double[] ref = cs.ref.apply(Check.toDouble(a), Check.toDouble(b));
                            ref = ElementwiseReference.axpby(1, ref, beta, Check.toDouble(y0));
                            String what = tag(cs.name + " beta " + beta, seed, R, C);
                            // beta != 0: two roundings of values up to |a b| + |y0| <= 12, then cancellation
                            double atol = beta == 0f ? 0 : 2 * RTOL_ARITH * 12;
                            Check.close(ref, out.get(), atol, RTOL_ARITH, what);
                            out.assertTailUntouched(what);
                        }
                    }
                }
            }
        }
    }

    private static float[] nanArray(int n) {
        float[] x = new float[n];
        Arrays.fill(x, Float.NaN);
        return x;
    }

    @Test
    void scaleAxpyAxpbyAndInPlaceAdd() {
        long seed = 12;
        for (int[] s : SHAPES) {
            int R = s[0];
            int C = s[1];
            int n = R * C;
            float[] x = Check.uniform(seed, n, -2, 2);
            float[] y0 = Check.uniform(seed + 1, n, -2, 2);
            double[] xd = Check.toDouble(x);
            double[] yd = Check.toDouble(y0);
            try (Tensor wx = wideOf(dev, R, C, x)) {
                Tensor tx = inner(wx);
                try (Guarded out = new Guarded(dev, R, C, nanArray(n))) {
                    Elementwise.scale(out.view, tx, 1.7f);
                    Check.close(ElementwiseReference.axpby(1.7f, xd, 0, yd), out.get(), 0, RTOL_ARITH,
                            tag("scale (y NaN before: must not be read)", seed, R, C));
                    out.assertTailUntouched(tag("scale", seed, R, C));
                }
                try (Guarded out = new Guarded(dev, R, C, y0)) {
                    Elementwise.axpy(out.view, -0.6f, tx);
                    Check.close(ElementwiseReference.axpby(-0.6f, xd, 1, yd), out.get(), 2 * RTOL_ARITH * 4, RTOL_ARITH,
                            tag("axpy", seed, R, C));
                    out.assertTailUntouched(tag("axpy", seed, R, C));
                }
                try (Guarded out = new Guarded(dev, R, C, y0)) {
                    Elementwise.axpby(out.view, 2f, tx, 0.25f);
                    Check.close(ElementwiseReference.axpby(2f, xd, 0.25, yd), out.get(), 2 * RTOL_ARITH * 5, RTOL_ARITH,
                            tag("axpby", seed, R, C));
                }
                try (Guarded out = new Guarded(dev, R, C, y0)) {
                    Elementwise.add(out.view, out.view, tx); // in place: y = y + x
                    Check.close(ElementwiseReference.add(yd, xd), out.get(), 0, RTOL_ARITH,
                            tag("in-place add", seed, R, C));
                    out.assertTailUntouched(tag("in-place add", seed, R, C));
                }
            }
        }
    }

    @Test
    void addRowAndItsBiasGradient() {
        long seed = 13;
        for (int[] s : SHAPES) {
            int R = s[0];
            int C = s[1];
            float[] x = Check.uniform(seed, R * C, -2, 2);
            float[] b = Check.uniform(seed + 1, C, -2, 2);
            float[] db0 = Check.uniform(seed + 2, C, -2, 2);
            try (Tensor wx = wideOf(dev, R, C, x); Tensor wb = wideOf(dev, 1, C, b); Guarded out = new Guarded(dev, R, C, null);
                    Guarded db = new Guarded(dev, 1, C, nanArray(C))) {
                Tensor tx = inner(wx);
                Tensor tb = inner(wb);
                Elementwise.addRow(out.view, tx, tb);
                String what = tag("addRow", seed, R, C);
                Check.close(ElementwiseReference.addRow(Check.toDouble(x), Check.toDouble(b), R, C), out.get(), 0,
                        RTOL_ARITH, what);
                out.assertTailUntouched(what);

                // dy = x here; db = colsum(dy) (beta 0 over NaN), then db += colsum(dy) (beta 1)
                double[] ref = ElementwiseReference.addRowBackward(Check.toDouble(x), R, C);
                double sumAbs = ReduceReference.maxLineAbsSum(Check.toDouble(x), R, C, false);
                Elementwise.addRowBackward(db.view, tx, 0f);
                Check.close(ref, db.get(), ReduceTest.SUM_ERR_PER_ABS * sumAbs, 0, tag("addRowBackward", seed, R, C));
                db.set(db0);
                Elementwise.addRowBackward(db.view, tx, 1f);
                Check.close(ElementwiseReference.axpby(1, ref, 1, Check.toDouble(db0)), db.get(),
                        ReduceTest.SUM_ERR_PER_ABS * (sumAbs + 2), RTOL_ARITH, tag("addRowBackward beta 1", seed, R, C));
                db.assertTailUntouched(tag("addRowBackward", seed, R, C));
            }
        }
        try (Tensor y = Tensor.zeros(dev, 3, 4); Tensor b = Tensor.zeros(dev, 1, 3)) {
            assertThrows(IllegalArgumentException.class, () -> Elementwise.addRow(y, y, b));
        }
    }

    @Test
    void shapeMismatchIsRefused() {
        try (Tensor a = Tensor.zeros(dev, 3, 4); Tensor b = Tensor.zeros(dev, 4, 3)) {
            assertThrows(IllegalArgumentException.class, () -> Elementwise.add(a, a, b));
            assertThrows(IllegalArgumentException.class, () -> Elementwise.tanh(a, b));
            assertThrows(IllegalArgumentException.class, () -> Elementwise.sigmoidBackward(a, a, b, 0f));
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Activations

    @ParameterizedTest
    @EnumSource(Unary.class)
    void activationForwardMatchesReference(Unary op) {
        long seed = 100 + op.ordinal();
        for (int[] s : SHAPES) {
            int R = s[0];
            int C = s[1];
            float[] x = inputs(op, seed, R * C);
            try (Tensor wx = wideOf(dev, R, C, x); Guarded out = new Guarded(dev, R, C, null)) {
                Tensor tx = inner(wx);
                Elementwise.unary(op, out.view, tx, P);
                String what = tag(op + " forward", seed, R, C);
                Check.close(ElementwiseReference.forward(op, Check.toDouble(x), P), out.get(), ATOL_FLUSH, RTOL_FN,
                        what);
                out.assertTailUntouched(what);
            }
        }
    }

    /** |x| up to 400 and the hard spots in between: everything but exp finite and exact. */
    @ParameterizedTest
    @EnumSource(Unary.class)
    void activationForwardExtremeInputs(Unary op) {
        long seed = 200 + op.ordinal();
        float[] x = extremeInputs(op, seed);
        try (Tensor tx = Tensor.of(dev, 1, x.length, x); Tensor ty = Tensor.empty(dev, 1, x.length)) {
            Elementwise.unary(op, ty, tx, P);
            float[] got = ty.toArray();
            double[] ref = inFloatRange(ElementwiseReference.forward(op, Check.toDouble(x), P));
            Check.close(ref, got, ATOL_FLUSH, RTOL_FN, op + " forward, |x| <= 400 (seed " + seed + ")");
            if (op != Unary.EXP && op != Unary.SQUARE && op != Unary.LOG) {
                for (int i = 0; i < got.length; i++) {
                    assertTrue(Float.isFinite(got[i]), op + "(" + x[i] + ") = " + got[i] + " is not finite");
                }
            }
        }
    }

    private static float[] extremeInputs(Unary op, long seed) {
        if (op == Unary.LOG) {
            float[] r = logUniform(seed, 500, -87, 88);
            float[] fixed = {Float.MIN_NORMAL, 1e-30f, 0.5f, 1f, 1.0000001f, 2f, 1e30f, Float.MAX_VALUE};
            return concat(fixed, r);
        }
        float[] fixed = {0f, -0f, 1e-7f, -1e-7f, 1e-3f, -1e-3f, 1f, -1f, 9f, -9f, 17f, -17f, 20f, -20f, 40f, -40f, 87f,
                -87f, 88f, -88f, 88.7f, 89f, -89f, 100f, -100f, 104f, -104f, 200f, -200f, 399.9f, -399.9f, 400f, -400f};
        return concat(fixed, Check.uniform(seed, 500, -400, 400));
    }

    private static float[] concat(float[] a, float[] b) {
        float[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @ParameterizedTest
    @EnumSource(Unary.class)
    void activationBackwardMatchesFiniteDifferences(Unary op) {
        long seed = 300 + op.ordinal();
        int[][] shapes = {{1, 1}, {7, 93}, {93, 7}, {1, 4096}};
        for (int[] s : shapes) {
            int R = s[0];
            int C = s[1];
            int n = R * C;
            // log: x >= 0.01 so the finite-difference step (1e-6 absolute below |x| = 1) stays well inside the domain
            float[] x = op == Unary.LOG ? logUniform(seed, n, -4.6, 10) : inputs(op, seed, n);
            float[] dy = Check.uniform(seed + 1, n, -1, 1);
            float[] dx0 = Check.uniform(seed + 2, n, -1, 1);
            backwardCase(op, x, dy, dx0, R, C, tag(op + " backward", seed, R, C));
        }
    }

    /** Backward with |x| up to 400 (exp excluded: it overflows for x > 88 by design). */
    @ParameterizedTest
    @EnumSource(value = Unary.class, names = {"EXP"}, mode = EnumSource.Mode.EXCLUDE)
    void activationBackwardExtremeInputs(Unary op) {
        long seed = 400 + op.ordinal();
        float[] x = extremeInputs(op, seed);
        if (op == Unary.LOG) { // x >= 0.01: see activationBackwardMatchesFiniteDifferences
            x = concat(new float[] {0.01f, 0.5f, 1f, 2f, 1e30f, 3e38f}, logUniform(seed, 500, -4.6, 88));
        }
        if (op == Unary.RELU || op == Unary.LEAKY_RELU || op == Unary.ELU) {
            x = awayFromKink(x); // f' jumps at 0: central differences straddling it mean nothing
        }
        float[] dy = Check.uniform(seed + 1, x.length, -1, 1);
        float[] dx0 = Check.uniform(seed + 2, x.length, -1, 1);
        backwardCase(op, x, dy, dx0, 1, x.length, op + " backward, |x| <= 400 (seed " + seed + ")");
    }

    private static float[] awayFromKink(float[] x) {
        float[] out = new float[x.length];
        int n = 0;
        for (float v : x) {
            if (Math.abs(v) > 100 * FD_STEP) {
                out[n++] = v;
            }
        }
        return Arrays.copyOf(out, n);
    }

    /**
     * Runs the forward, then backward with beta = 0 over a NaN-filled dx (must not be read) and
     * with beta = 1 over dx0 (accumulates); both against central differences of the reference loss.
     */
    private static void backwardCase(Unary op, float[] x, float[] dy, float[] dx0, int R, int C, String what) {
        double[] xd = Check.toDouble(x);
        double[] dyd = Check.toDouble(dy);
        // The Jacobian of an elementwise op is diagonal: central differences one element at a time
        // (of dy_i f(x_i)) are the gradient of sum_i dy_i f(x_i), without that sum's rounding noise.
        double[] fd = new double[xd.length];
        for (int i = 0; i < xd.length; i++) {
            double dyi = dyd[i];
            fd[i] = Check.finiteDiff(v -> dyi * ElementwiseReference.f(op, v[0], P), new double[] {xd[i]}, FD_STEP)[0];
        }
        double atol = op.backwardReadsOutput() ? ATOL_FROM_Y : ATOL_FD;
        try (Tensor wx = wideOf(dev, R, C, x); Tensor wdy = wideOf(dev, R, C, dy); Guarded y = new Guarded(dev, R, C, null);
                Guarded dx = new Guarded(dev, R, C, nanArray(R * C))) {
            Tensor tx = inner(wx);
            Tensor tdy = inner(wdy);
            Elementwise.unary(op, y.view, tx, P);
            Tensor saved = op.backwardReadsOutput() ? y.view : tx;
            Elementwise.unaryBackward(op, dx.view, tdy, saved, P, 0f);
            Check.close(fd, dx.get(), atol, RTOL_FN, what + ", beta 0 (dx NaN before)");
            dx.set(dx0);
            Elementwise.unaryBackward(op, dx.view, tdy, saved, P, 1f);
            Check.close(ElementwiseReference.axpby(1, fd, 1, Check.toDouble(dx0)), dx.get(), atol + 1e-7, RTOL_FN,
                    what + ", beta 1");
            dx.assertTailUntouched(what);
        }
    }

    @ParameterizedTest
    @EnumSource(Unary.class)
    void activationRunsInPlace(Unary op) {
        long seed = 500 + op.ordinal();
        int R = 93;
        int C = 144;
        float[] x = inputs(op, seed, R * C);
        try (Guarded t = new Guarded(dev, R, C, x); Tensor ref = Tensor.of(dev, R, C, x); Tensor y = Tensor.empty(dev, R, C)) {
            Elementwise.unary(op, y, ref, P);
            Elementwise.unary(op, t.view, t.view, P);
            assertArrayEquals(y.toArray(), t.get(), tag(op + " in place vs out of place", seed, R, C));
            t.assertTailUntouched(tag(op + " in place", seed, R, C));
        }
    }

    @Test
    void namedWrappersAndNanPropagation() {
        float[] x = {-1f, Float.NaN, 2f};
        try (Tensor tx = Tensor.of(dev, 1, 3, x); Tensor y = Tensor.empty(dev, 1, 3)) {
            Elementwise.relu(y, tx);
            float[] got = y.toArray();
            assertEquals(0f, got[0]);
            assertTrue(Float.isNaN(got[1]), "relu(NaN) must stay NaN so the loss check sees it");
            assertEquals(2f, got[2]);
            Elementwise.softplus(y, tx);
            assertTrue(Float.isNaN(y.toArray()[1]), "softplus(NaN)");
            Elementwise.logSigmoid(y, tx);
            assertTrue(Float.isNaN(y.toArray()[1]), "logSigmoid(NaN)");
        }
    }

    @Test
    void costsCountElements() {
        OpCost c = Elementwise.unaryCost(Unary.TANH, 10, 20);
        assertEquals(200, c.flops());
        assertEquals(1600, c.bytes());
        assertEquals(2400, Elementwise.binaryCost(10, 20, false).bytes());
        assertEquals(2400, Elementwise.unaryBackwardCost(Unary.RELU, 10, 20, false).bytes());
    }
}
