package org.genzoo.host.ops;

/**
 * Affine coupling in plain double loops that read like the equations (Dinh et al. 2017):
 * y_j = x_j where m_j = 1, else y_j = x_j·exp(s_j) + t_j, s_j = S·tanh(raw_j / S) (S = 0: s = raw),
 * logdet = Σ_{m_j = 0} s_j. x, y: B x D; h = [raw | t]: B x 2D; mask: D. Row-major arrays.
 */
final class AffineCouplingReference {
    private AffineCouplingReference() {
    }

    static double scale(double raw, double bound) {
        return bound > 0 ? bound * Math.tanh(raw / bound) : raw;
    }

    /** {y (B x D), logdet (B)} of the forward (direction +1) or inverse (−1) map of {@code in}. */
    static double[][] apply(int direction, double[] in, double[] h, double[] mask, double bound, int b, int d) {
        double[] out = new double[b * d];
        double[] logdet = new double[b];
        for (int r = 0; r < b; r++) {
            for (int c = 0; c < d; c++) {
                double v = in[r * d + c];
                if (mask[c] != 0) {
                    out[r * d + c] = v;
                    continue;
                }
                double s = scale(h[r * 2 * d + c], bound);
                double t = h[r * 2 * d + d + c];
                out[r * d + c] = direction > 0 ? v * Math.exp(s) + t : (v - t) * Math.exp(-s);
                logdet[r] += direction > 0 ? s : -s;
            }
        }
        return new double[][] {out, logdet};
    }

    /** L = Σ wy ⊙ out + Σ wl ⊙ logdet: a scalar whose gradient is the backward pass with dout = wy, dlogdet = wl. */
    static double loss(int direction, double[] in, double[] h, double[] mask, double bound, int b, int d, double[] wy,
            double[] wl) {
        double[][] o = apply(direction, in, h, mask, bound, b, d);
        double l = 0;
        for (int i = 0; i < o[0].length; i++) {
            l += wy[i] * o[0][i];
        }
        for (int r = 0; r < b; r++) {
            l += wl[r] * o[1][r];
        }
        return l;
    }
}
