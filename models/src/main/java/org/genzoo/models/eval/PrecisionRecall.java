package org.genzoo.models.eval;

/**
 * Improved precision and recall (Kynkäänniemi et al. 2019) in a feature space: each set's manifold
 * is the union of balls around its vectors with the distance to the k-th nearest other vector of
 * the same set as radius. Precision is the share of generated vectors inside the real manifold,
 * recall the share of real vectors inside the generated one. Exact k-NN in double, O(n·m·d).
 */
public final class PrecisionRecall {
    /** The paper's k. */
    public static final int K = 3;

    public record Result(double precision, double recall) {
    }

    private PrecisionRecall() {
    }

    public static Result of(double[] real, int n, double[] fake, int m, int d) {
        if (n <= K || m <= K) {
            throw new IllegalArgumentException("precision/recall with k = " + K + " needs more than " + K + " vectors per set, got "
                    + n + " and " + m);
        }
        double[] rr = kthRadii(real, n, d);
        double[] rf = kthRadii(fake, m, d);
        return new Result(inside(fake, m, real, n, rr, d), inside(real, n, fake, m, rf, d));
    }

    /** Squared distance from each vector to its K-th nearest other vector of the same set. */
    static double[] kthRadii(double[] x, int n, int d) {
        double[] r = new double[n];
        double[] best = new double[K];
        for (int i = 0; i < n; i++) {
            java.util.Arrays.fill(best, Double.POSITIVE_INFINITY);
            for (int j = 0; j < n; j++) {
                if (j == i) {
                    continue;
                }
                double s = dist2(x, i, x, j, d);
                if (s < best[K - 1]) {
                    int k = K - 1;
                    while (k > 0 && best[k - 1] > s) {
                        best[k] = best[k - 1];
                        k--;
                    }
                    best[k] = s;
                }
            }
            r[i] = best[K - 1];
        }
        return r;
    }

    /** Share of the q vectors that lie within some ball (centre p_j, squared radius r_j). */
    static double inside(double[] q, int nq, double[] p, int np, double[] r, int d) {
        int hits = 0;
        for (int i = 0; i < nq; i++) {
            for (int j = 0; j < np; j++) {
                if (dist2(q, i, p, j, d) <= r[j]) {
                    hits++;
                    break;
                }
            }
        }
        return hits / (double) nq;
    }

    static double dist2(double[] a, int i, double[] b, int j, int d) {
        double s = 0;
        int oa = i * d;
        int ob = j * d;
        for (int k = 0; k < d; k++) {
            double t = a[oa + k] - b[ob + k];
            s += t * t;
        }
        return s;
    }
}
