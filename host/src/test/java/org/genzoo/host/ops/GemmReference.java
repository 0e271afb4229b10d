package org.genzoo.host.ops;

/** Plain double-precision GEMM that reads like the definition: C = act(alpha·op(A)·op(B) + beta·C + bias). */
final class GemmReference {
    private GemmReference() {
    }

    /** a is M x K (or K x M when ta), b is K x N (or N x K when tb), c is M x N; all row-major, contiguous. */
    static double[] gemm(float[] a, boolean ta, float[] b, boolean tb, float[] c, float[] bias, int m, int n, int k,
            double alpha, double beta, Gemm.Act act) {
        double[] out = new double[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) {
                    double av = ta ? a[p * m + i] : a[i * k + p];
                    double bv = tb ? b[j * k + p] : b[p * n + j];
                    s += av * bv;
                }
                double v = alpha * s + (beta == 0 ? 0 : beta * c[i * n + j]) + (bias == null ? 0 : bias[j]);
                out[i * n + j] = act(v, act);
            }
        }
        return out;
    }

    /** Σ_k op(A)[i, k] for each row i of op(A) (M x K; A stored K x M when ta): ROWSUM_A's reference. */
    static double[] rowSums(float[] a, boolean ta, int m, int k) {
        double[] s = new double[m];
        for (int i = 0; i < m; i++) {
            for (int p = 0; p < k; p++) {
                s[i] += ta ? a[p * m + i] : a[i * k + p];
            }
        }
        return s;
    }

    static double act(double x, Gemm.Act act) {
        return switch (act) {
            case NONE -> x;
            case RELU -> Math.max(x, 0);
            case TANH -> Math.tanh(x);
            case SIGMOID -> 1 / (1 + Math.exp(-x));
            case LEAKY_RELU -> x > 0 ? x : 0.01 * x;
            case SOFTPLUS -> Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
        };
    }
}
