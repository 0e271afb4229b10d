package org.genzoo.models.flow;

/**
 * Plain double-precision reference of an i-ResNet block z = x + g(x), g an ELU MLP with softly
 * normalized weights W_sn = W / max(1, σ/c), σ = uᵀWv (u, v given): the map, its Jacobian as a
 * matrix, the Hutchinson-probed truncated series and the exact log-determinant.
 */
final class IResNetReference {
    /** Per layer: W (out x in, row-major), b (out), u (out), v (in); sizes[0] = D = sizes[last]. */
    final int[] sizes;
    final double[][] w;
    final double[][] b;
    final double[][] u;
    final double[][] v;
    final double c;

    IResNetReference(int[] sizes, double[][] w, double[][] b, double[][] u, double[][] v, double c) {
        this.sizes = sizes;
        this.w = w;
        this.b = b;
        this.u = u;
        this.v = v;
        this.c = c;
    }

    int layers() {
        return sizes.length - 1;
    }

    /** W_sn of layer l. */
    double[] normalized(int l) {
        int m = sizes[l + 1], n = sizes[l];
        double sigma = 0;
        for (int i = 0; i < m; i++) {
            double row = 0;
            for (int j = 0; j < n; j++) {
                row += w[l][i * n + j] * v[l][j];
            }
            sigma += u[l][i] * row;
        }
        double s = Math.max(1, sigma / c);
        double[] out = new double[m * n];
        for (int k = 0; k < out.length; k++) {
            out[k] = w[l][k] / s;
        }
        return out;
    }

    static double elu(double a) {
        return a > 0 ? a : Math.expm1(a);
    }

    static double eluPrime(double a) {
        return a > 0 ? 1 : Math.exp(a);
    }

    /** {g(x), J_g(x) as D x D} for one example. */
    Object[] gAndJacobian(double[] x) {
        double[] h = x.clone();
        // Jacobian of h with respect to x, rows = h's size.
        double[][] jac = new double[x.length][x.length];
        for (int i = 0; i < x.length; i++) {
            jac[i][i] = 1;
        }
        for (int l = 0; l < layers(); l++) {
            int m = sizes[l + 1], n = sizes[l];
            double[] ws = normalized(l);
            double[] a = new double[m];
            double[][] ja = new double[m][x.length];
            for (int i = 0; i < m; i++) {
                a[i] = b[l][i];
                for (int j = 0; j < n; j++) {
                    a[i] += ws[i * n + j] * h[j];
                    for (int k = 0; k < x.length; k++) {
                        ja[i][k] += ws[i * n + j] * jac[j][k];
                    }
                }
            }
            if (l + 1 < layers()) {
                for (int i = 0; i < m; i++) {
                    double d = eluPrime(a[i]);
                    for (int k = 0; k < x.length; k++) {
                        ja[i][k] *= d;
                    }
                    a[i] = elu(a[i]);
                }
            }
            h = a;
            jac = ja;
        }
        return new Object[] {h, jac};
    }

    double[] z(double[] x) {
        double[] g = (double[]) gAndJacobian(x)[0];
        double[] z = new double[x.length];
        for (int j = 0; j < x.length; j++) {
            z[j] = x[j] + g[j];
        }
        return z;
    }

    double[][] jacobian(double[] x) {
        return (double[][]) gAndJacobian(x)[1];
    }

    static double[] apply(double[][] j, double[] e) {
        double[] out = new double[e.length];
        for (int r = 0; r < e.length; r++) {
            for (int k = 0; k < e.length; k++) {
                out[r] += j[r][k] * e[k];
            }
        }
        return out;
    }

    /** Σ_{k=1..n} (−1)^{k+1}/k εᵀ J^k ε. */
    double seriesProbe(double[] x, double[] eps, int n) {
        double[][] j = jacobian(x);
        double[] w = eps.clone();
        double s = 0;
        for (int k = 1; k <= n; k++) {
            w = apply(j, w);
            double dot = 0;
            for (int i = 0; i < eps.length; i++) {
                dot += eps[i] * w[i];
            }
            s += (k % 2 == 1 ? 1.0 : -1.0) / k * dot;
        }
        return s;
    }

    /** Σ_{k=1..n} (−1)^{k+1}/k tr(J^k): the expectation of {@link #seriesProbe} over ε ~ N(0, I). */
    double seriesExact(double[] x, int n) {
        double[][] j = jacobian(x);
        int d = x.length;
        double[][] p = new double[d][d];
        for (int i = 0; i < d; i++) {
            p[i][i] = 1;
        }
        double s = 0;
        for (int k = 1; k <= n; k++) {
            double[][] q = new double[d][d];
            for (int r = 0; r < d; r++) {
                for (int c2 = 0; c2 < d; c2++) {
                    for (int m = 0; m < d; m++) {
                        q[r][c2] += j[r][m] * p[m][c2];
                    }
                }
            }
            p = q;
            double tr = 0;
            for (int i = 0; i < d; i++) {
                tr += p[i][i];
            }
            s += (k % 2 == 1 ? 1.0 : -1.0) / k * tr;
        }
        return s;
    }

    /** log|det(I + J_g(x))|. */
    double exactLogdet(double[] x) {
        double[][] j = jacobian(x);
        for (int i = 0; i < j.length; i++) {
            j[i][i] += 1;
        }
        return PlanarReference.logAbsDet(j);
    }
}
