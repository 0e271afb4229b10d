package org.genzoo.models.eval;

/**
 * The Fréchet distance between Gaussians fitted to two sets of feature vectors (Heusel et al. 2017):
 * ‖μ₁ − μ₂‖² + tr Σ₁ + tr Σ₂ − 2 tr (Σ₁^½ Σ₂ Σ₁^½)^½, all in double. The matrix square roots come
 * from Jacobi eigendecompositions of the symmetric matrices (negative eigenvalues from rounding are
 * taken as 0). GenZoo computes it in the feature space of its own small classifier
 * ({@link FeatureClassifier}); the numbers are not comparable with Inception-based FID.
 */
public final class FrechetDistance {
    private FrechetDistance() {
    }

    /** Mean of n rows of d features (row-major). */
    public static double[] mean(double[] x, int n, int d) {
        double[] m = new double[d];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < d; j++) {
                m[j] += x[i * d + j];
            }
        }
        for (int j = 0; j < d; j++) {
            m[j] /= n;
        }
        return m;
    }

    /** Unbiased covariance (d x d, row-major) of n &gt;= 2 rows. */
    public static double[] covariance(double[] x, int n, int d) {
        double[] m = mean(x, n, d);
        double[] c = new double[d * d];
        double[] r = new double[d];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < d; j++) {
                r[j] = x[i * d + j] - m[j];
            }
            for (int a = 0; a < d; a++) {
                double ra = r[a];
                if (ra == 0) {
                    continue;
                }
                for (int b = a; b < d; b++) {
                    c[a * d + b] += ra * r[b];
                }
            }
        }
        for (int a = 0; a < d; a++) {
            for (int b = a; b < d; b++) {
                c[a * d + b] /= n - 1;
                c[b * d + a] = c[a * d + b];
            }
        }
        return c;
    }

    /** The distance between the Gaussians fitted to x (n x d) and y (m x d). */
    public static double between(double[] x, int n, double[] y, int m, int d) {
        if (n < 2 || m < 2) {
            throw new IllegalArgumentException("the Fréchet distance needs at least 2 vectors per set, got " + n + " and " + m);
        }
        return of(mean(x, n, d), covariance(x, n, d), mean(y, m, d), covariance(y, m, d), d);
    }

    /** The distance between N(mu1, c1) and N(mu2, c2). */
    public static double of(double[] mu1, double[] c1, double[] mu2, double[] c2, int d) {
        double dm = 0;
        double tr = 0;
        for (int j = 0; j < d; j++) {
            dm += (mu1[j] - mu2[j]) * (mu1[j] - mu2[j]);
            tr += c1[j * d + j] + c2[j * d + j];
        }
        double[] s1 = sqrtPsd(c1, d);
        double[] p = multiply(multiply(s1, c2, d), s1, d);
        // Symmetrize against rounding before the eigendecomposition.
        for (int a = 0; a < d; a++) {
            for (int b = a + 1; b < d; b++) {
                double v = 0.5 * (p[a * d + b] + p[b * d + a]);
                p[a * d + b] = v;
                p[b * d + a] = v;
            }
        }
        double[] ev = eigenvalues(p, d);
        double trSqrt = 0;
        for (double e : ev) {
            trSqrt += Math.sqrt(Math.max(0, e));
        }
        return dm + tr - 2 * trSqrt;
    }

    static double[] multiply(double[] a, double[] b, int d) {
        double[] c = new double[d * d];
        for (int i = 0; i < d; i++) {
            for (int k = 0; k < d; k++) {
                double v = a[i * d + k];
                if (v == 0) {
                    continue;
                }
                for (int j = 0; j < d; j++) {
                    c[i * d + j] += v * b[k * d + j];
                }
            }
        }
        return c;
    }

    /** The symmetric square root V diag(sqrt(max(λ, 0))) Vᵀ of a symmetric PSD matrix. */
    static double[] sqrtPsd(double[] s, int d) {
        double[] a = s.clone();
        double[] v = new double[d * d];
        jacobi(a, v, d);
        double[] out = new double[d * d];
        for (int k = 0; k < d; k++) {
            double l = Math.sqrt(Math.max(0, a[k * d + k]));
            if (l == 0) {
                continue;
            }
            for (int i = 0; i < d; i++) {
                double vi = v[i * d + k] * l;
                for (int j = 0; j < d; j++) {
                    out[i * d + j] += vi * v[j * d + k];
                }
            }
        }
        return out;
    }

    static double[] eigenvalues(double[] s, int d) {
        double[] a = s.clone();
        jacobi(a, new double[d * d], d);
        double[] ev = new double[d];
        for (int k = 0; k < d; k++) {
            ev[k] = a[k * d + k];
        }
        return ev;
    }

    /**
     * Cyclic Jacobi eigenvalue iteration in place: a (symmetric, d x d) becomes diagonal with the
     * eigenvalues, v (columns) the eigenvectors.
     */
    static void jacobi(double[] a, double[] v, int d) {
        for (int i = 0; i < d; i++) {
            v[i * d + i] = 1;
        }
        for (int sweep = 0; sweep < 60; sweep++) {
            double off = 0;
            double diag = 0;
            for (int p = 0; p < d; p++) {
                diag += a[p * d + p] * a[p * d + p];
                for (int q = p + 1; q < d; q++) {
                    off += a[p * d + q] * a[p * d + q];
                }
            }
            if (off <= 1e-30 * Math.max(diag, 1e-300)) {
                return;
            }
            for (int p = 0; p < d - 1; p++) {
                for (int q = p + 1; q < d; q++) {
                    double apq = a[p * d + q];
                    if (Math.abs(apq) < 1e-300) {
                        continue;
                    }
                    double theta = (a[q * d + q] - a[p * d + p]) / (2 * apq);
                    double t = Math.signum(theta) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
                    if (theta == 0) {
                        t = 1;
                    }
                    double c = 1 / Math.sqrt(t * t + 1);
                    double s = t * c;
                    for (int k = 0; k < d; k++) {
                        double akp = a[k * d + p];
                        double akq = a[k * d + q];
                        a[k * d + p] = c * akp - s * akq;
                        a[k * d + q] = s * akp + c * akq;
                    }
                    for (int k = 0; k < d; k++) {
                        double apk = a[p * d + k];
                        double aqk = a[q * d + k];
                        a[p * d + k] = c * apk - s * aqk;
                        a[q * d + k] = s * apk + c * aqk;
                    }
                    for (int k = 0; k < d; k++) {
                        double vkp = v[k * d + p];
                        double vkq = v[k * d + q];
                        v[k * d + p] = c * vkp - s * vkq;
                        v[k * d + q] = s * vkp + c * vkq;
                    }
                }
            }
        }
    }
}
