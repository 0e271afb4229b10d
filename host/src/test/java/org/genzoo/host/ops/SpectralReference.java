package org.genzoo.host.ops;

/**
 * Plain double-precision reference for {@link Spectral}: W row-major M x N, loops that read like the
 * equations, and the largest singular value by one-sided Jacobi SVD (Hestenes), independent of
 * power iteration.
 */
final class SpectralReference {
    private SpectralReference() {
    }

    /** W x.  W: M x N, x: N. */
    static double[] matvec(double[] w, double[] x, int m, int n) {
        double[] y = new double[m];
        for (int i = 0; i < m; i++) {
            double s = 0;
            for (int j = 0; j < n; j++) {
                s += w[i * n + j] * x[j];
            }
            y[i] = s;
        }
        return y;
    }

    /** Wᵀ x.  W: M x N, x: M. */
    static double[] matvecT(double[] w, double[] x, int m, int n) {
        double[] y = new double[n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                y[j] += w[i * n + j] * x[i];
            }
        }
        return y;
    }

    static double[] normalize(double[] x) {
        double s = 0;
        for (double e : x) {
            s += e * e;
        }
        double norm = Math.sqrt(s);
        double[] y = x.clone();
        if (norm >= 1e-12) {
            for (int k = 0; k < y.length; k++) {
                y[k] /= norm;
            }
        }
        return y;
    }

    /** One power iteration from u: returns {u', v'}. */
    static double[][] powerIteration(double[] w, double[] u, int m, int n) {
        double[] v = normalize(matvecT(w, u, m, n));
        double[] u2 = normalize(matvec(w, v, m, n));
        return new double[][] {u2, v};
    }

    /** uᵀ W v. */
    static double sigma(double[] u, double[] w, double[] v, int m, int n) {
        double[] wv = matvec(w, v, m, n);
        double s = 0;
        for (int i = 0; i < m; i++) {
            s += u[i] * wv[i];
        }
        return s;
    }

    /** W / max(1, σ / c), σ = uᵀWv. */
    static double[] softNormalize(double[] w, double[] u, double[] v, double c, int m, int n) {
        double s = Math.max(1, sigma(u, w, v, m, n) / c);
        double[] out = new double[w.length];
        for (int k = 0; k < w.length; k++) {
            out[k] = w[k] / s;
        }
        return out;
    }

    /** Σ r ⊙ softNormalize(W): a linear loss whose W-gradient the backward must match. */
    static double softNormalizeLoss(double[] w, double[] r, double[] u, double[] v, double c, int m, int n) {
        double[] wsn = softNormalize(w, u, v, c, m, n);
        double s = 0;
        for (int k = 0; k < w.length; k++) {
            s += r[k] * wsn[k];
        }
        return s;
    }

    /**
     * Largest singular value of W by one-sided Jacobi: rotate pairs of columns of A = W (M x N,
     * copied) until all are orthogonal; the singular values are then the column norms.
     */
    static double largestSingularValue(double[] w, int m, int n) {
        double[] a = w.clone();
        for (int sweep = 0; sweep < 100; sweep++) {
            double off = 0;
            for (int p = 0; p < n - 1; p++) {
                for (int q = p + 1; q < n; q++) {
                    double alpha = 0, beta = 0, gamma = 0;
                    for (int i = 0; i < m; i++) {
                        double ap = a[i * n + p], aq = a[i * n + q];
                        alpha += ap * ap;
                        beta += aq * aq;
                        gamma += ap * aq;
                    }
                    if (gamma == 0 || Math.abs(gamma) <= 1e-15 * Math.sqrt(alpha * beta)) {
                        continue;
                    }
                    off = Math.max(off, Math.abs(gamma) / Math.sqrt(alpha * beta));
                    double zeta = (beta - alpha) / (2 * gamma);
                    double t = Math.signum(zeta == 0 ? 1 : zeta) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
                    double c = 1 / Math.sqrt(1 + t * t);
                    double s = c * t;
                    for (int i = 0; i < m; i++) {
                        double ap = a[i * n + p], aq = a[i * n + q];
                        a[i * n + p] = c * ap - s * aq;
                        a[i * n + q] = s * ap + c * aq;
                    }
                }
            }
            if (off < 1e-14) {
                break;
            }
        }
        double best = 0;
        for (int j = 0; j < n; j++) {
            double s = 0;
            for (int i = 0; i < m; i++) {
                s += a[i * n + j] * a[i * n + j];
            }
            best = Math.max(best, Math.sqrt(s));
        }
        return best;
    }
}
