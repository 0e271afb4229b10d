package org.genzoo.host.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.genzoo.host.tensor.Tensor;
import org.genzoo.host.testing.Check;
import org.genzoo.host.testing.OnDevice;
import org.junit.jupiter.api.Test;

/**
 * The {@code affine_coupling} kernels against {@link AffineCouplingReference}: forward, inverse,
 * both backward passes (vs central finite differences in double on the reference), the round trip,
 * odd sizes that break the row tiling (narrow rows one per work-item, wide rows with a tree sum),
 * column views, and a guarded tail.
 */
class AffineCouplingTest extends OnDevice {
    /** float32 exp/tanh and the products: a few ulp relative. */
    static final double RTOL = 2e-5;
    /** The log-det sums up to ~100 terms of magnitude ≤ 2, each with float rounding. */
    static final double ATOL = 2e-5;
    /** Central differences with h = 1e-6 in double: truncation ~h² and rounding ~1e-10 / h. */
    static final double FD_TOL = 1e-5;
    /** Float kernel gradients against the double reference. */
    static final double GRAD_TOL = 5e-5;

    static final int[] ROWS = {1, 7, 93};
    static final int[] DIMS = {1, 2, 5, 33, 100};

    static double[] alternating(int d, int parity) {
        double[] m = new double[d];
        for (int c = 0; c < d; c++) {
            m[c] = c % 2 == parity ? 1 : 0;
        }
        return m;
    }

    static float[] f(double[] v) {
        float[] o = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            o[i] = (float) v[i];
        }
        return o;
    }

    /** Both layouts on every device: the LX/LY row kernels and ROWVEC (float16 chunks; the CPU tuning's choice for wide rows). */
    static final boolean[] LAYOUTS = {false, true};

    @Test
    void forwardAndInverseMatchTheReferenceAndInvertEachOther() {
        long seed = 100;
        for (boolean rowVec : LAYOUTS) {
            for (int b : ROWS) {
                for (int d : DIMS) {
                    for (float bound : new float[] {0f, 2f}) {
                        seed++;
                        String what = "B=" + b + " D=" + d + " S=" + bound + " rowVec=" + rowVec + " seed=" + seed;
                        float[] x = Check.uniform(seed, b * d, -3, 3);
                        float[] h = Check.uniform(seed + 7, b * 2 * d, -3, 3);
                        double[] mask = alternating(d, (int) (seed % 2));
                        try (Tensor tx = Tensor.of(dev, b, d, x); Tensor th = Tensor.of(dev, b, 2 * d, h);
                                Tensor tm = Tensor.of(dev, 1, d, f(mask)); Tensor ty = Tensor.zeros(dev, b, d);
                                Tensor tl = Tensor.zeros(dev, b, 1); Tensor tx2 = Tensor.zeros(dev, b, d);
                                Tensor tl2 = Tensor.zeros(dev, b, 1)) {
                            AffineCoupling.rowsWithLayout(1, ty, tl, tx, th, tm, bound, rowVec);
                            double[][] ref = AffineCouplingReference.apply(1, Check.toDouble(x), Check.toDouble(h), mask, bound, b, d);
                            Check.close(ref[0], ty.toArray(), ATOL, RTOL, "forward y " + what);
                            Check.close(ref[1], tl.toArray(), ATOL, RTOL, "forward logdet " + what);
                            float[] y = ty.toArray();
                            AffineCoupling.rowsWithLayout(-1, tx2, tl2, ty, th, tm, bound, rowVec);
                            double[][] inv = AffineCouplingReference.apply(-1, Check.toDouble(y), Check.toDouble(h), mask, bound, b, d);
                            Check.close(inv[0], tx2.toArray(), ATOL, RTOL, "inverse x " + what);
                            Check.close(inv[1], tl2.toArray(), ATOL, RTOL, "inverse logdet " + what);
                            // Round trip: exp(s) ≤ e^3 magnifies y's rounding by at most that much back in x.
                            Check.close(Check.toDouble(x), tx2.toArray(), 1e-4, 1e-4, "inverse(forward(x)) " + what);
                        }
                    }
                }
            }
        }
    }

    @Test
    void backwardOfBothDirectionsMatchesFiniteDifferences() {
        long seed = 900;
        for (boolean rowVec : LAYOUTS) {
            for (int b : new int[] {1, 7}) {
                for (int d : new int[] {1, 3, 40}) {
                    for (int direction : new int[] {1, -1}) {
                        for (float beta : new float[] {0f, 1f}) {
                            seed++;
                            float bound = seed % 3 == 0 ? 0f : 1.5f;
                            String what = "dir=" + direction + " B=" + b + " D=" + d + " S=" + bound + " beta=" + beta + " rowVec=" + rowVec
                                    + " seed=" + seed;
                            float[] in = Check.uniform(seed, b * d, -2, 2);
                            float[] h = Check.uniform(seed + 1, b * 2 * d, -2, 2);
                            float[] wy = Check.uniform(seed + 2, b * d, -1, 1);
                            float[] wl = Check.uniform(seed + 3, b, -1, 1);
                            float[] prior = Check.uniform(seed + 4, b * d, -1, 1);
                            double[] mask = alternating(d, 1);
                            double[] din = Check.toDouble(in);
                            double[] dh = Check.toDouble(h);
                            double[] dwy = Check.toDouble(wy);
                            double[] dwl = Check.toDouble(wl);
                            double[] gIn = Check.finiteDiff(v -> AffineCouplingReference.loss(direction, v, dh, mask, bound, b, d, dwy, dwl),
                                    din, 1e-6);
                            double[] gH = Check.finiteDiff(v -> AffineCouplingReference.loss(direction, din, v, mask, bound, b, d, dwy, dwl),
                                    dh, 1e-6);
                            for (int i = 0; i < gIn.length; i++) {
                                gIn[i] += beta * prior[i];
                            }
                            try (Tensor tin = Tensor.of(dev, b, d, in); Tensor th = Tensor.of(dev, b, 2 * d, h);
                                    Tensor tm = Tensor.of(dev, 1, d, f(mask)); Tensor tdout = Tensor.of(dev, b, d, wy);
                                    Tensor tdl = Tensor.of(dev, b, 1, wl); Tensor tdin = Tensor.of(dev, b, d, prior);
                                    Tensor tdh = Tensor.zeros(dev, b, 2 * d)) {
                                if (beta == 0f) {
                                    tdin.fill(Float.NaN); // beta = 0 must not read the old contents
                                }
                                tdh.fill(Float.NaN);
                                AffineCoupling.gradWithLayout(direction, tdin, beta, tdh, tdout, tdl, tin, th, tm, bound, rowVec);
                                Check.close(gIn, tdin.toArray(), GRAD_TOL, GRAD_TOL, "d input " + what);
                                Check.close(gH, tdh.toArray(), GRAD_TOL, GRAD_TOL, "dh " + what);
                            }
                        }
                    }
                }
            }
        }
    }

    /**
     * Chained log-dets: the forward and inverse with prev write prev + their own log-det (the same
     * float addition as a separate add: bitwise equal), the backward writes d prev = betaPrev·d prev
     * + d logdet (exactly: one addition) and the same din and dh as without prev. prev is a column view.
     */
    @Test
    void chainedLogDetsAddPrevAndPassTheGradientBack() {
        long seed = 2000;
        for (boolean rowVec : LAYOUTS) {
            for (int b : ROWS) {
                for (int d : new int[] {2, 5, 33}) {
                    for (int direction : new int[] {1, -1}) {
                        seed++;
                        String what = "dir=" + direction + " B=" + b + " D=" + d + " rowVec=" + rowVec + " seed=" + seed;
                        float[] in = Check.uniform(seed, b * d, -2, 2);
                        float[] h = Check.uniform(seed + 1, b * 2 * d, -2, 2);
                        float[] prev = Check.uniform(seed + 2, b * 3, -5, 5);
                        float[] dl = Check.uniform(seed + 3, b, -1, 1);
                        float[] dprevOld = Check.uniform(seed + 4, b, -1, 1);
                        float[] dout = Check.uniform(seed + 5, b * d, -1, 1);
                        double[] mask = alternating(d, 0);
                        try (Tensor tin = Tensor.of(dev, b, d, in); Tensor th = Tensor.of(dev, b, 2 * d, h); Tensor tm = Tensor.of(dev, 1, d, f(mask));
                                Tensor tp = Tensor.of(dev, b, 3, prev); Tensor out1 = Tensor.zeros(dev, b, d); Tensor l1 = Tensor.zeros(dev, b, 1);
                                Tensor out2 = Tensor.zeros(dev, b, d); Tensor l2 = Tensor.zeros(dev, b, 1); Tensor tdl = Tensor.of(dev, b, 1, dl);
                                Tensor tdout = Tensor.of(dev, b, d, dout); Tensor din1 = Tensor.zeros(dev, b, d); Tensor din2 = Tensor.zeros(dev, b, d);
                                Tensor dh1 = Tensor.zeros(dev, b, 2 * d); Tensor dh2 = Tensor.zeros(dev, b, 2 * d);
                                Tensor dp0 = Tensor.empty(dev, b, 1); Tensor dp1 = Tensor.of(dev, b, 1, dprevOld)) {
                            Tensor pv = tp.cols(1, 2);
                            AffineCoupling.rowsWithLayout(direction, out1, l1, tin, th, tm, 1.5f, rowVec);
                            AffineCoupling.rowsWithLayout(direction, out2, l2, tin, th, tm, 1.5f, rowVec, pv);
                            float[] own = l1.toArray();
                            float[] chained = l2.toArray();
                            for (int r = 0; r < b; r++) {
                                assertEquals(prev[r * 3 + 1] + own[r], chained[r], "chained log-det row " + r + " " + what);
                            }
                            assertArrayEquals(out1.toArray(), out2.toArray(), "output unchanged by prev " + what);
                            dp0.fill(Float.NaN); // betaPrev = 0 must not read it
                            AffineCoupling.gradWithLayout(direction, din1, 0f, dh1, tdout, tdl, tin, th, tm, 1.5f, rowVec);
                            AffineCoupling.gradWithLayout(direction, din2, 0f, dh2, tdout, tdl, tin, th, tm, 1.5f, rowVec, dp0, 0f);
                            assertArrayEquals(din1.toArray(), din2.toArray(), "din unchanged by dprev " + what);
                            assertArrayEquals(dh1.toArray(), dh2.toArray(), "dh unchanged by dprev " + what);
                            assertArrayEquals(dl, dp0.toArray(), "d prev assigned " + what);
                            AffineCoupling.gradWithLayout(direction, din2, 0f, dh2, tdout, tdl, tin, th, tm, 1.5f, rowVec, dp1, 1f);
                            float[] acc = dp1.toArray();
                            for (int r = 0; r < b; r++) {
                                assertEquals(dprevOld[r] + dl[r], acc[r], "d prev accumulated row " + r + " " + what);
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void columnViewsAndTheTailOfTheOutputBuffer() {
        int b = 7;
        int d = 3;
        long seed = 31;
        float[] big = Check.uniform(seed, b * 10, -2, 2);
        float[] h = Check.uniform(seed + 1, b * 2 * d, -2, 2);
        double[] mask = alternating(d, 0);
        try (Tensor wide = Tensor.of(dev, b, 10, big); Tensor th = Tensor.of(dev, b, 2 * d, h);
                Tensor tm = Tensor.of(dev, 1, d, f(mask)); Tensor out = Tensor.zeros(dev, b + 1, d + 2);
                Tensor tl = Tensor.zeros(dev, b, 1)) {
            out.fill(-7f);
            Tensor x = wide.cols(4, 4 + d);
            Tensor y = out.rows(0, b).cols(1, 1 + d);
            AffineCoupling.forward(y, tl, x, th, tm, 2f);
            double[] xd = new double[b * d];
            for (int r = 0; r < b; r++) {
                for (int c = 0; c < d; c++) {
                    xd[r * d + c] = big[r * 10 + 4 + c];
                }
            }
            double[][] ref = AffineCouplingReference.apply(1, xd, Check.toDouble(h), mask, 2, b, d);
            float[] all = out.toArray();
            float[] got = new float[b * d];
            for (int r = 0; r < b; r++) {
                for (int c = 0; c < d; c++) {
                    got[r * d + c] = all[r * (d + 2) + 1 + c];
                }
                assertArrayEquals(new float[] {-7f, -7f}, new float[] {all[r * (d + 2)], all[r * (d + 2) + d + 1]}, 0f,
                        "untouched columns around the view, row " + r);
            }
            for (int c = 0; c < d + 2; c++) {
                assertArrayEquals(new float[] {-7f}, new float[] {all[b * (d + 2) + c]}, 0f, "row after the view");
            }
            Check.close(ref[0], got, ATOL, RTOL, "forward into a column view");
        }
    }

    @Test
    void badShapesAndBoundsAreRefused() {
        try (Tensor x = Tensor.zeros(dev, 4, 3); Tensor h = Tensor.zeros(dev, 4, 5); Tensor m = Tensor.zeros(dev, 1, 3);
                Tensor y = Tensor.zeros(dev, 4, 3); Tensor l = Tensor.zeros(dev, 4, 1); Tensor h6 = Tensor.zeros(dev, 4, 6)) {
            assertThrows(IllegalArgumentException.class, () -> AffineCoupling.forward(y, l, x, h, m, 2f));
            assertThrows(IllegalArgumentException.class, () -> AffineCoupling.forward(y, l, x, h6, m, -1f));
            assertThrows(IllegalArgumentException.class, () -> AffineCoupling.forward(y, l, x, h6, m.cols(0, 2), 2f));
        }
    }
}
