package org.genzoo.host.ops;

import org.genzoo.host.ops.Elementwise.Unary;

/**
 * Plain double-precision reference for {@link Elementwise}: loops over row-major R x C arrays that
 * read like the equations. Backward passes are checked against central differences of {@link #f},
 * so no derivative is written here.
 */
final class ElementwiseReference {
    private ElementwiseReference() {
    }

    /** f(x; p): p is the slope (leaky relu) or alpha (elu). */
    static double f(Unary op, double x, double p) {
        return switch (op) {
            case RELU -> Math.max(x, 0);
            case LEAKY_RELU -> x > 0 ? x : p * x;
            case ELU -> x > 0 ? x : p * Math.expm1(x);
            case TANH -> Math.tanh(x);
            case SIGMOID -> 1 / (1 + Math.exp(-x));
            case SOFTPLUS -> Math.log1p(Math.exp(x)); // log(1 + e^x)
            case EXP -> Math.exp(x);
            case LOG -> Math.log(x);
            case SQUARE -> x * x;
            case LOG_SIGMOID -> -Math.log1p(Math.exp(-x)); // log(1 / (1 + e^-x))
        };
    }

    /** y = f(x) elementwise. */
    static double[] forward(Unary op, double[] x, double p) {
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = f(op, x[i], p);
        }
        return y;
    }

    static double[] add(double[] a, double[] b) {
        double[] y = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            y[i] = a[i] + b[i];
        }
        return y;
    }

    static double[] sub(double[] a, double[] b) {
        double[] y = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            y[i] = a[i] - b[i];
        }
        return y;
    }

    static double[] mul(double[] a, double[] b) {
        double[] y = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            y[i] = a[i] * b[i];
        }
        return y;
    }

    /** y = alpha * x + beta * y0. */
    static double[] axpby(double alpha, double[] x, double beta, double[] y0) {
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = alpha * x[i] + beta * y0[i];
        }
        return y;
    }

    /** y[r, c] = x[r, c] + b[c].  x: R x C; b: C. */
    static double[] addRow(double[] x, double[] b, int R, int C) {
        double[] y = new double[R * C];
        for (int r = 0; r < R; r++) {
            for (int c = 0; c < C; c++) {
                y[r * C + c] = x[r * C + c] + b[c];
            }
        }
        return y;
    }

    /** db[c] = sum_r dy[r, c].  dy: R x C. */
    static double[] addRowBackward(double[] dy, int R, int C) {
        double[] db = new double[C];
        for (int r = 0; r < R; r++) {
            for (int c = 0; c < C; c++) {
                db[c] += dy[r * C + c];
            }
        }
        return db;
    }
}
