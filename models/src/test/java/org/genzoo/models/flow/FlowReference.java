package org.genzoo.models.flow;

import java.util.List;

/**
 * Plain double references of the flow layers for one example, reading like the equations. Each
 * takes the layer's parameters as double arrays in {@link FlowLayer#params()} order and returns
 * {out, {logdet}} of the layer's differentiable direction.
 */
final class FlowReference {
    private FlowReference() {
    }

    /** A map R^D -> R^D with its claimed log-det, as a function of the input and the parameters. */
    interface Map {
        double[][] apply(double[] x, List<double[]> params);
    }

    static double bounded(double raw, double bound) {
        return bound > 0 ? bound * Math.tanh(raw / bound) : raw;
    }

    /** An MLP with ReLU hidden layers; W_l out x in row-major, masks (or null) multiply the weights. */
    static double[] mlp(double[] x, List<double[]> params, int[] sizes, List<float[]> masks) {
        double[] h = x;
        for (int l = 0; l + 1 < sizes.length; l++) {
            double[] w = params.get(2 * l);
            double[] b = params.get(2 * l + 1);
            int in = sizes[l];
            int out = sizes[l + 1];
            double[] y = new double[out];
            for (int k = 0; k < out; k++) {
                double s = b[k];
                for (int j = 0; j < in; j++) {
                    double m = masks == null ? 1 : masks.get(l)[k * in + j];
                    s += w[k * in + j] * m * h[j];
                }
                y[k] = l + 2 < sizes.length ? Math.max(s, 0) : s;
            }
            h = y;
        }
        return h;
    }

    /** z = m ⊙ x + (1 − m) ⊙ (x·e^s + t), [raw | t] = net(m ⊙ x) (mask null: net(x), nothing passes). */
    static Map coupling(float[] mask, int[] sizes, List<float[]> madeMasks, double bound) {
        return (x, params) -> {
            int d = x.length;
            double[] in = x.clone();
            if (mask != null) {
                for (int j = 0; j < d; j++) {
                    in[j] *= mask[j];
                }
            }
            double[] h = mlp(in, params, sizes, madeMasks);
            double[] z = new double[d];
            double logdet = 0;
            for (int j = 0; j < d; j++) {
                if (mask != null && mask[j] != 0) {
                    z[j] = x[j];
                } else {
                    double s = bounded(h[j], bound);
                    z[j] = x[j] * Math.exp(s) + h[d + j];
                    logdet += s;
                }
            }
            return new double[][] {z, {logdet}};
        };
    }

    /** z = W x, W = P·(L + I)·(U + diag(e^logs)) (L, U masked to strict triangles), log|det| = Σ logs. */
    static Map lu(float[] p) {
        return (x, params) -> {
            int d = x.length;
            double[] l = params.get(0);
            double[] u = params.get(1);
            double[] ls = params.get(2);
            double[] lu = new double[d * d];
            for (int i = 0; i < d; i++) {
                for (int j = 0; j < d; j++) {
                    double s = 0;
                    for (int k = 0; k < d; k++) {
                        double lik = k < i ? l[i * d + k] : k == i ? 1 : 0;
                        double ukj = k < j ? u[k * d + j] : k == j ? Math.exp(ls[j]) : 0;
                        s += lik * ukj;
                    }
                    lu[i * d + j] = s;
                }
            }
            double[] z = new double[d];
            double logdet = 0;
            for (int i = 0; i < d; i++) {
                for (int k = 0; k < d; k++) {
                    if (p[i * d + k] != 0) {
                        for (int j = 0; j < d; j++) {
                            z[i] += lu[k * d + j] * x[j];
                        }
                    }
                }
                logdet += ls[i];
            }
            return new double[][] {z, {logdet}};
        };
    }

    /** z = (x + b) ⊙ e^logs, log|det| = Σ logs. */
    static Map actnorm() {
        return (x, params) -> {
            double[] b = params.get(0);
            double[] ls = params.get(1);
            double[] z = new double[x.length];
            double logdet = 0;
            for (int j = 0; j < x.length; j++) {
                z[j] = (x[j] + b[j]) * Math.exp(ls[j]);
                logdet += ls[j];
            }
            return new double[][] {z, {logdet}};
        };
    }

    /** z[j] = x[perm[j]]. */
    static Map permutation(int[] perm) {
        return (x, params) -> {
            double[] z = new double[x.length];
            for (int j = 0; j < x.length; j++) {
                z[j] = x[perm[j]];
            }
            return new double[][] {z, {0}};
        };
    }

    /** log|det J| of {@code f} at x, J by central differences (step h) and det by Gaussian elimination with pivoting. */
    static double numericLogAbsDet(java.util.function.Function<double[], double[]> f, double[] x, double h) {
        int d = x.length;
        double[] jac = new double[d * d];
        for (int j = 0; j < d; j++) {
            double[] xp = x.clone();
            double[] xm = x.clone();
            xp[j] += h;
            xm[j] -= h;
            double[] fp = f.apply(xp);
            double[] fm = f.apply(xm);
            for (int i = 0; i < d; i++) {
                jac[i * d + j] = (fp[i] - fm[i]) / (2 * h);
            }
        }
        return logAbsDet(jac, d);
    }

    static double logAbsDet(double[] a, int n) {
        double[] m = a.clone();
        double sum = 0;
        for (int c = 0; c < n; c++) {
            int p = c;
            for (int r = c + 1; r < n; r++) {
                if (Math.abs(m[r * n + c]) > Math.abs(m[p * n + c])) {
                    p = r;
                }
            }
            if (m[p * n + c] == 0) {
                return Double.NEGATIVE_INFINITY;
            }
            for (int j = 0; j < n; j++) {
                double tmp = m[c * n + j];
                m[c * n + j] = m[p * n + j];
                m[p * n + j] = tmp;
            }
            sum += Math.log(Math.abs(m[c * n + c]));
            for (int r = c + 1; r < n; r++) {
                double f = m[r * n + c] / m[c * n + c];
                for (int j = c; j < n; j++) {
                    m[r * n + j] -= f * m[c * n + j];
                }
            }
        }
        return sum;
    }
}
