package org.genzoo.models.eval;

/**
 * Mode coverage of samples from a mixture of K equal isotropic Gaussians (the ring of 8 and the grid
 * of 25 of the GAN literature: Srivastava et al. 2017, Lin et al. 2018). Each sample goes to its
 * nearest mode; it is <em>high quality</em> when it lies within 3σ of that mode. A mode is
 * <em>covered</em> when it holds at least {@link #COVER_FRACTION} of its fair share (N / K) of the
 * high-quality samples. The reverse KL is KL(q ‖ p) between the histogram q of high-quality samples
 * over the modes and the true uniform p = 1/K: Σ_k q_k log(K q_k), 0 for a perfect spread and log K
 * when every sample falls on one mode.
 */
public final class ModeCoverage {
    /** A mode with fewer than this share of N / K high-quality samples counts as dropped. */
    public static final double COVER_FRACTION = 0.1;
    /** High quality: within this many standard deviations of the nearest mode. */
    public static final double QUALITY_STDS = 3;

    /**
     * @param modesCovered   modes with at least COVER_FRACTION · N / K high-quality samples
     * @param highQuality    share of samples within 3σ of their nearest mode
     * @param reverseKl      KL(q ‖ uniform) of the high-quality histogram, nats (log K when none is high quality)
     * @param counts         high-quality samples per mode
     */
    public record Result(int modesCovered, double highQuality, double reverseKl, int[] counts) {
    }

    private ModeCoverage() {
    }

    /** Coverage of n samples (row-major n x 2, as a generator writes them) against K modes of std sigma. */
    public static Result of(float[] samples, double[][] means, double sigma) {
        if (samples.length % 2 != 0 || samples.length == 0) {
            throw new IllegalArgumentException("mode coverage needs n x 2 samples, got " + samples.length + " values");
        }
        int n = samples.length / 2;
        int k = means.length;
        int[] counts = new int[k];
        int hq = 0;
        double r2 = QUALITY_STDS * sigma * QUALITY_STDS * sigma;
        for (int i = 0; i < n; i++) {
            double x = samples[2 * i];
            double y = samples[2 * i + 1];
            int best = -1;
            double bestD = Double.POSITIVE_INFINITY;
            for (int m = 0; m < k; m++) {
                double dx = x - means[m][0];
                double dy = y - means[m][1];
                double d = dx * dx + dy * dy;
                if (d < bestD) {
                    bestD = d;
                    best = m;
                }
            }
            if (bestD <= r2) {
                counts[best]++;
                hq++;
            }
        }
        double need = COVER_FRACTION * n / k;
        int covered = 0;
        double kl = 0;
        for (int m = 0; m < k; m++) {
            if (counts[m] > 0 && counts[m] >= need) {
                covered++;
            }
            if (counts[m] > 0) {
                double q = counts[m] / (double) hq;
                kl += q * Math.log(k * q);
            }
        }
        return new Result(covered, hq / (double) n, hq == 0 ? Math.log(k) : kl, counts);
    }
}
