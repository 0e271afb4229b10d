package org.genzoo.models.flow;

/**
 * Plain double-precision references for the planar and radial flows in the generative direction
 * (z -> x), written from the equations, plus the brute-force Jacobian log-determinant the layers'
 * closed forms are checked against.
 */
final class PlanarReference {
    private PlanarReference() {
    }

    static double softplus(double v) {
        return Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v)));
    }

    /** û = u + (softplus(wᵀu) − 1 − wᵀu) w / ‖w‖². */
    static double[] uHat(double[] u, double[] w) {
        double wu = 0, ww = 0;
        for (int j = 0; j < u.length; j++) {
            wu += w[j] * u[j];
            ww += w[j] * w[j];
        }
        double coef = (softplus(wu) - 1 - wu) / ww;
        double[] uh = new double[u.length];
        for (int j = 0; j < u.length; j++) {
            uh[j] = u[j] + coef * w[j];
        }
        return uh;
    }

    /** Planar x = z + û tanh(wᵀz + b) for one example. */
    static double[] planar(double[] z, double[] u, double[] w, double b) {
        double[] uh = uHat(u, w);
        double a = b;
        for (int j = 0; j < z.length; j++) {
            a += w[j] * z[j];
        }
        double h = Math.tanh(a);
        double[] x = new double[z.length];
        for (int j = 0; j < z.length; j++) {
            x[j] = z[j] + uh[j] * h;
        }
        return x;
    }

    /** Planar log|det ∂x/∂z| = log|1 + tanh'(a) wᵀû|. */
    static double planarLogdet(double[] z, double[] u, double[] w, double b) {
        double[] uh = uHat(u, w);
        double a = b, wu = 0;
        for (int j = 0; j < z.length; j++) {
            a += w[j] * z[j];
            wu += w[j] * uh[j];
        }
        double t = Math.tanh(a);
        return Math.log(Math.abs(1 + (1 - t * t) * wu));
    }

    /** Radial x = z + β/(α + r) (z − z0), α = softplus(α̂), β = −α + softplus(β̂). */
    static double[] radial(double[] z, double[] z0, double alphaRaw, double betaRaw) {
        double alpha = softplus(alphaRaw);
        double beta = softplus(betaRaw) - alpha;
        double r = 0;
        for (int j = 0; j < z.length; j++) {
            r += (z[j] - z0[j]) * (z[j] - z0[j]);
        }
        r = Math.sqrt(r);
        double bh = beta / (alpha + r);
        double[] x = new double[z.length];
        for (int j = 0; j < z.length; j++) {
            x[j] = z[j] + bh * (z[j] - z0[j]);
        }
        return x;
    }

    /** Radial log|det| = (D − 1) log(1 + βh) + log(1 + βh + βh'r), h = 1/(α + r), h' = −h². */
    static double radialLogdet(double[] z, double[] z0, double alphaRaw, double betaRaw) {
        double alpha = softplus(alphaRaw);
        double beta = softplus(betaRaw) - alpha;
        double r = 0;
        for (int j = 0; j < z.length; j++) {
            r += (z[j] - z0[j]) * (z[j] - z0[j]);
        }
        r = Math.sqrt(r);
        double h = 1 / (alpha + r);
        return (z.length - 1) * Math.log(1 + beta * h) + Math.log(1 + beta * h - beta * h * h * r);
    }

    /** ∂f/∂z by central differences (step h), J[i][j] = ∂f_i/∂z_j. */
    static double[][] jacobian(java.util.function.Function<double[], double[]> f, double[] z, double h) {
        int d = z.length;
        double[][] j = new double[d][d];
        for (int c = 0; c < d; c++) {
            double[] zp = z.clone();
            double[] zm = z.clone();
            zp[c] += h;
            zm[c] -= h;
            double[] fp = f.apply(zp);
            double[] fm = f.apply(zm);
            for (int r = 0; r < d; r++) {
                j[r][c] = (fp[r] - fm[r]) / (2 * h);
            }
        }
        return j;
    }

    /** log|det A| by Gaussian elimination with partial pivoting. */
    static double logAbsDet(double[][] a0) {
        int n = a0.length;
        double[][] a = new double[n][];
        for (int i = 0; i < n; i++) {
            a[i] = a0[i].clone();
        }
        double s = 0;
        for (int c = 0; c < n; c++) {
            int p = c;
            for (int r = c + 1; r < n; r++) {
                if (Math.abs(a[r][c]) > Math.abs(a[p][c])) {
                    p = r;
                }
            }
            double[] tmp = a[c];
            a[c] = a[p];
            a[p] = tmp;
            s += Math.log(Math.abs(a[c][c]));
            for (int r = c + 1; r < n; r++) {
                double f = a[r][c] / a[c][c];
                for (int k = c; k < n; k++) {
                    a[r][k] -= f * a[c][k];
                }
            }
        }
        return s;
    }
}
