package org.genzoo.models.eval;

import org.genzoo.host.tensor.Tensor;
import org.genzoo.models.vae.LatentModel;

/**
 * Active latent units (Burda, Grosse &amp; Salakhutdinov 2016, section 5.2): unit u is active when
 * A_u = Cov_x(E_q[z_u | x]) &gt; threshold (0.01 in the paper), the variance over the data of the
 * posterior mean. An inactive unit's posterior ignores x (it collapsed onto the prior).
 *
 * @param active     how many units have variance above the threshold
 * @param threshold  the cut-off
 * @param variances  A_u for each of the model's {@link LatentModel#latentDim()} units (population
 *                   variance, divisor N)
 * @param examples   N, the examples the variances are over
 */
public record ActiveUnits(int active, double threshold, double[] variances, int examples) {
    /** The paper's threshold. */
    public static final double DEFAULT_THRESHOLD = 0.01;
    /** Examples per encodeMean call. */
    public static final int DEFAULT_BATCH = 512;

    public int latentDim() {
        return variances.length;
    }

    public boolean isActive(int unit) {
        return variances[unit] > threshold;
    }

    /** Every example of {@code data} (N x D on the model's device), the paper's threshold. */
    public static ActiveUnits measure(LatentModel model, Tensor data) {
        return measure(model, data, 0, DEFAULT_BATCH, DEFAULT_THRESHOLD);
    }

    /**
     * The first {@code limit} examples of {@code data} (0: all), {@code batchSize} a call to
     * {@link LatentModel#encodeMean}; the variances are accumulated in double on the host.
     */
    public static ActiveUnits measure(LatentModel model, Tensor data, int limit, int batchSize, double threshold) {
        ImportanceSampling.checkData(model, data);
        if (batchSize < 1 || limit < 0) {
            throw new IllegalArgumentException("batchSize must be positive and limit >= 0, got " + batchSize + ", " + limit);
        }
        int n = limit == 0 ? data.rows() : Math.min(limit, data.rows());
        int l = model.latentDim();
        double[] means = new double[n * l];
        for (int r0 = 0; r0 < n; r0 += batchSize) {
            int rb = Math.min(batchSize, n - r0);
            try (Tensor mu = model.encodeMean(data.rows(r0, r0 + rb))) {
                float[] v = mu.toArray();
                for (int i = 0; i < v.length; i++) {
                    means[r0 * l + i] = v[i];
                }
            }
        }
        return fromMeans(means, n, l, threshold);
    }

    /** From posterior means on the host (N x L, row-major): two passes in double (mean, then squares). */
    public static ActiveUnits fromMeans(double[] means, int n, int l, double threshold) {
        if (means.length != (long) n * l || n < 1) {
            throw new IllegalArgumentException("means must hold N x L = " + n + " x " + l + " values (N >= 1), got " + means.length);
        }
        double[] mean = new double[l];
        for (int i = 0; i < n; i++) {
            for (int u = 0; u < l; u++) {
                mean[u] += means[i * l + u];
            }
        }
        for (int u = 0; u < l; u++) {
            mean[u] /= n;
        }
        double[] var = new double[l];
        for (int i = 0; i < n; i++) {
            for (int u = 0; u < l; u++) {
                double d = means[i * l + u] - mean[u];
                var[u] += d * d;
            }
        }
        int active = 0;
        for (int u = 0; u < l; u++) {
            var[u] /= n;
            if (var[u] > threshold) {
                active++;
            }
        }
        return new ActiveUnits(active, threshold, var, n);
    }
}
