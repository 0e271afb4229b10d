package org.genzoo.host.ops;

/**
 * Plain loops in double for kernels/losses.cl. Matrices are row-major R x C arrays; per-row
 * outputs and their gradients dOut have length R. Backward functions return the contribution
 * alone (beta = 0).
 */
final class LossesReference {
    static final double LOG_2PI = Math.log(2 * Math.PI);

    private LossesReference() {
    }

    static double softplus(double l) {
        return Math.max(l, 0) + Math.log1p(Math.exp(-Math.abs(l)));
    }

    static double sigmoid(double l) {
        double e = Math.exp(-Math.abs(l));
        return l >= 0 ? 1 / (1 + e) : e / (1 + e);
    }

    /** Sums each row of an R x C matrix; with abs, of |terms| (the scale of the float rounding). */
    static double[] rowSums(double[] terms, int rows, int cols, boolean abs) {
        double[] out = new double[rows];
        for (int i = 0; i < rows * cols; i++) {
            out[i / cols] += abs ? Math.abs(terms[i]) : terms[i];
        }
        return out;
    }

    /** x*l - softplus(l) per element. */
    static double[] bernoulliTerms(double[] x, double[] l) {
        double[] t = new double[x.length];
        for (int i = 0; i < t.length; i++) {
            t[i] = x[i] * l[i] - softplus(l[i]);
        }
        return t;
    }

    /** out[r] = sum_c x*l - softplus(l). */
    static double[] bernoulliLogLik(double[] x, double[] l, int rows, int cols) {
        return rowSums(bernoulliTerms(x, l), rows, cols, false);
    }

    /** dl = dOut[r] * (x - sigmoid(l)). */
    static double[] bernoulliLogLikBackward(double[] dOut, double[] x, double[] l, int rows, int cols) {
        double[] dl = new double[rows * cols];
        for (int i = 0; i < dl.length; i++) {
            dl[i] = dOut[i / cols] * (x[i] - sigmoid(l[i]));
        }
        return dl;
    }

    /** log N(x; mu, exp(lv)) = -0.5 * (log 2pi + lv + (x - mu)^2 exp(-lv)) per element. */
    static double[] gaussianTerms(double[] x, double[] mu, double[] lv) {
        double[] t = new double[x.length];
        for (int i = 0; i < t.length; i++) {
            double d = x[i] - mu[i];
            t[i] = -0.5 * (LOG_2PI + lv[i] + d * d * Math.exp(-lv[i]));
        }
        return t;
    }

    static double[] gaussianLogDensity(double[] x, double[] mu, double[] lv, int rows, int cols) {
        return rowSums(gaussianTerms(x, mu, lv), rows, cols, false);
    }

    /** {dx, dmu, dlv}. */
    static double[][] gaussianLogDensityBackward(double[] dOut, double[] x, double[] mu, double[] lv, int rows, int cols) {
        int n = rows * cols;
        double[] dx = new double[n], dmu = new double[n], dlv = new double[n];
        for (int i = 0; i < n; i++) {
            double g = dOut[i / cols];
            double d = x[i] - mu[i];
            double iv = Math.exp(-lv[i]);
            dx[i] = -g * d * iv;
            dmu[i] = g * d * iv;
            dlv[i] = 0.5 * g * (d * d * iv - 1);
        }
        return new double[][] {dx, dmu, dlv};
    }

    /** log N(x; 0, 1) per element. */
    static double[] standardNormalTerms(double[] x) {
        double[] t = new double[x.length];
        for (int i = 0; i < t.length; i++) {
            t[i] = -0.5 * (LOG_2PI + x[i] * x[i]);
        }
        return t;
    }

    static double[] standardNormalLogDensity(double[] x, int rows, int cols) {
        return rowSums(standardNormalTerms(x), rows, cols, false);
    }

    static double[] standardNormalLogDensityBackward(double[] dOut, double[] x, int rows, int cols) {
        double[] dx = new double[rows * cols];
        for (int i = 0; i < dx.length; i++) {
            dx[i] = -dOut[i / cols] * x[i];
        }
        return dx;
    }

    /** 0.5 * (mu^2 + exp(lv) - 1 - lv) per element, R x C. */
    static double[] klPerDim(double[] mu, double[] lv) {
        double[] out = new double[mu.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = 0.5 * (mu[i] * mu[i] + Math.expm1(lv[i]) - lv[i]);
        }
        return out;
    }

    static double[] kl(double[] mu, double[] lv, int rows, int cols) {
        return rowSums(klPerDim(mu, lv), rows, cols, false);
    }

    /** {dmu, dlv}; dOut has length R (perDim false) or R*C (perDim true). */
    static double[][] klBackward(double[] dOut, boolean perDim, double[] mu, double[] lv, int rows, int cols) {
        int n = rows * cols;
        double[] dmu = new double[n], dlv = new double[n];
        for (int i = 0; i < n; i++) {
            double g = perDim ? dOut[i] : dOut[i / cols];
            dmu[i] = g * mu[i];
            dlv[i] = 0.5 * g * Math.expm1(lv[i]);
        }
        return new double[][] {dmu, dlv};
    }

    /** out[r] = log(mean_k exp(a[r, k])); -inf for a row of all -inf. */
    static double[] logMeanExp(double[] a, int rows, int k) {
        double[] out = new double[rows];
        for (int r = 0; r < rows; r++) {
            double m = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < k; j++) {
                m = Math.max(m, a[r * k + j]);
            }
            if (m == Double.NEGATIVE_INFINITY) {
                out[r] = m;
                continue;
            }
            double s = 0;
            for (int j = 0; j < k; j++) {
                s += Math.exp(a[r * k + j] - m);
            }
            out[r] = m + Math.log(s / k);
        }
        return out;
    }

    /** da = dOut[r] * softmax(a[r, :]); 0 for a row of all -inf. */
    static double[] logMeanExpBackward(double[] dOut, double[] a, int rows, int k) {
        double[] da = new double[rows * k];
        double[] lme = logMeanExp(a, rows, k);
        for (int r = 0; r < rows; r++) {
            if (lme[r] == Double.NEGATIVE_INFINITY) {
                continue;
            }
            double lse = lme[r] + Math.log(k);
            for (int j = 0; j < k; j++) {
                da[r * k + j] = dOut[r] * Math.exp(a[r * k + j] - lse);
            }
        }
        return da;
    }
}
