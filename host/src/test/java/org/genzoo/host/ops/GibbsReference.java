package org.genzoo.host.ops;

/**
 * Plain-Java, double-precision versions of kernels/gibbs.cl, written from the equations. Matrices
 * are row-major double arrays with explicit sizes; random numbers come from {@link RngReference}
 * at the same (seed, stream, counter) as the kernels'.
 */
public final class GibbsReference {
    private GibbsReference() {
    }

    public static double sigmoid(double x) {
        return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
    }

    public static double softplus(double x) {
        return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
    }

    /**
     * Pre-activations x = a·op(w) + bias: a R x K, w K x N (or N x K when transW), bias N.
     * Returns R x N.
     */
    public static double[] product(double[] a, int r, int k, double[] w, boolean transW, int n, double[] bias) {
        double[] x = new double[r * n];
        for (int i = 0; i < r; i++) {
            for (int j = 0; j < n; j++) {
                double s = bias == null ? 0 : bias[j];
                for (int q = 0; q < k; q++) {
                    s += a[i * k + q] * (transW ? w[j * k + q] : w[q * n + j]);
                }
                x[i * n + j] = s;
            }
        }
        return x;
    }

    /** z = t_r·x + (1 − t_r)·base; t_r = temp·rowTemps[r] (rowTemps, base may be null). */
    public static double[] tempered(double[] x, int r, int n, double temp, double[] rowTemps, double[] base) {
        double[] z = new double[r * n];
        for (int i = 0; i < r; i++) {
            double t = temp * (rowTemps == null ? 1 : rowTemps[i]);
            for (int j = 0; j < n; j++) {
                z[i * n + j] = t * x[i * n + j] + (base == null ? 0 : (1 - t) * base[j]);
            }
        }
        return z;
    }

    /** Uniform of element i of a draw at (seed, stream, counter): the Bernoulli's U. */
    public static double uniform(long seed, int stream, long counter, int i) {
        return RngReference.u24(RngReference.block(seed, stream, counter, i)[0]);
    }

    /** Standard normal of element i of a draw at (seed, stream, counter). */
    public static double normal(long seed, int stream, long counter, int i) {
        int[] w = RngReference.block(seed, stream, counter, i);
        return RngReference.boxMuller(w[0], w[1]);
    }

    /** F(v) = −b·v − Σ softplus(vW + c) (or |v − b|²/2 − Σ softplus for Gaussian units), per row. */
    public static double[] freeEnergy(double[] v, int r, int d, double[] w, int h, double[] b, double[] c, boolean gauss) {
        double[] x = product(v, r, d, w, false, h, c);
        double[] f = new double[r];
        for (int i = 0; i < r; i++) {
            double s = 0;
            for (int q = 0; q < d; q++) {
                double vi = v[i * d + q];
                s += gauss ? 0.5 * (vi - b[q]) * (vi - b[q]) : -vi * b[q];
            }
            for (int j = 0; j < h; j++) {
                s -= softplus(x[i * h + j]);
            }
            f[i] = s;
        }
        return f;
    }

    /** E(v, h) = −(vWh + b·v + c·h) for each row pair. */
    public static double[] energy(double[] v, double[] hs, int r, int d, int h, double[] w, double[] b, double[] c) {
        double[] e = new double[r];
        for (int i = 0; i < r; i++) {
            double s = 0;
            for (int q = 0; q < d; q++) {
                s += v[i * d + q] * b[q];
                for (int j = 0; j < h; j++) {
                    s += v[i * d + q] * w[q * h + j] * hs[i * h + j];
                }
            }
            for (int j = 0; j < h; j++) {
                s += c[j] * hs[i * h + j];
            }
            e[i] = -s;
        }
        return e;
    }

    /** Exact log Z of a Bernoulli RBM by enumerating the visible states (small D). */
    public static double logZByVisible(double[] w, double[] b, double[] c, int d, int h) {
        double[] f = new double[1 << d];
        double[] v = new double[d];
        for (int s = 0; s < f.length; s++) {
            for (int q = 0; q < d; q++) {
                v[q] = (s >> q) & 1;
            }
            f[s] = -freeEnergy(v, 1, d, w, h, b, c, false)[0];
        }
        return logSumExp(f);
    }

    /** Exact log Z of a Bernoulli RBM by enumerating the hidden states (small H). */
    public static double logZByHidden(double[] w, double[] b, double[] c, int d, int h) {
        double[] f = new double[1 << h];
        for (int s = 0; s < f.length; s++) {
            double t = 0;
            for (int j = 0; j < h; j++) {
                t += ((s >> j) & 1) * c[j];
            }
            for (int q = 0; q < d; q++) {
                double y = b[q];
                for (int j = 0; j < h; j++) {
                    y += w[q * h + j] * ((s >> j) & 1);
                }
                t += softplus(y);
            }
            f[s] = t;
        }
        return logSumExp(f);
    }

    public static double logSumExp(double[] f) {
        double m = Double.NEGATIVE_INFINITY;
        for (double x : f) {
            m = Math.max(m, x);
        }
        double s = 0;
        for (double x : f) {
            s += Math.exp(x - m);
        }
        return m + Math.log(s);
    }
}
