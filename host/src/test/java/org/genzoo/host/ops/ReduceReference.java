package org.genzoo.host.ops;

import org.genzoo.host.ops.Reduce.Op;

/**
 * Plain double-precision reference for {@link Reduce}: row-major R x C arrays, loops that read
 * like the equations. Backward passes are checked by central differences of {@link #rowsLoss} /
 * {@link #colsLoss}, which are the forward plus a linear loss.
 */
final class ReduceReference {
    private ReduceReference() {
    }

    /** op over one line of n values. */
    static double reduce(Op op, double[] v) {
        int n = v.length;
        switch (op) {
            case SUM, MEAN -> {
                double s = 0;
                for (double x : v) {
                    s += x;
                }
                return op == Op.MEAN ? s / n : s;
            }
            case MAX -> {
                double m = Double.NEGATIVE_INFINITY;
                for (double x : v) {
                    m = Math.max(m, x);
                }
                return m;
            }
            default -> { // logsumexp = m + log(sum exp(x - m)), m = max
                double m = reduce(Op.MAX, v);
                if (m == Double.NEGATIVE_INFINITY) {
                    return m;
                }
                double s = 0;
                for (double x : v) {
                    s += Math.exp(x - m);
                }
                return m + Math.log(s);
            }
        }
    }

    /** y[r] = op over c of x[r, c].  x: R x C. */
    static double[] rows(Op op, double[] x, int R, int C) {
        double[] y = new double[R];
        double[] line = new double[C];
        for (int r = 0; r < R; r++) {
            System.arraycopy(x, r * C, line, 0, C);
            y[r] = reduce(op, line);
        }
        return y;
    }

    /** y[c] = op over r of x[r, c].  x: R x C. */
    static double[] cols(Op op, double[] x, int R, int C) {
        double[] y = new double[C];
        double[] line = new double[R];
        for (int c = 0; c < C; c++) {
            for (int r = 0; r < R; r++) {
                line[r] = x[r * C + c];
            }
            y[c] = reduce(op, line);
        }
        return y;
    }

    static double sumAll(double[] x) {
        double s = 0;
        for (double v : x) {
            s += v;
        }
        return s;
    }

    /** L(x) = sum_r dy[r] * rows(op, x)[r]; its gradient is the rows backward pass. */
    static double rowsLoss(Op op, double[] dy, double[] x, int R, int C) {
        double[] y = rows(op, x, R, C);
        double l = 0;
        for (int r = 0; r < R; r++) {
            l += dy[r] * y[r];
        }
        return l;
    }

    /** L(x) = sum_c dy[c] * cols(op, x)[c]. */
    static double colsLoss(Op op, double[] dy, double[] x, int R, int C) {
        double[] y = cols(op, x, R, C);
        double l = 0;
        for (int c = 0; c < C; c++) {
            l += dy[c] * y[c];
        }
        return l;
    }

    /** Largest sum of |x| over one row (rows = true) or one column: the scale of a sum's rounding error. */
    static double maxLineAbsSum(double[] x, int R, int C, boolean rows) {
        double[] abs = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            abs[i] = Math.abs(x[i]);
        }
        double[] s = rows ? rows(Op.SUM, abs, R, C) : cols(Op.SUM, abs, R, C);
        double m = 0;
        for (double v : s) {
            m = Math.max(m, v);
        }
        return m;
    }
}
