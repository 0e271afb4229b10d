package org.genzoo.models.ebm;

import org.genzoo.host.Device;
import org.genzoo.host.ops.Gemm;
import org.genzoo.host.ops.Gibbs;
import org.genzoo.host.ops.Rng;
import org.genzoo.host.tensor.Tensor;

/**
 * The partition function of an {@link Rbm}: exactly, by enumerating the 2^H hidden states on the
 * device (H ≤ {@link #MAX_EXACT_HIDDEN}), and by annealed importance sampling (Neal 2001) from a
 * base-rate model, as Salakhutdinov &amp; Murray 2008 ("On the quantitative analysis of deep belief
 * networks"), for Bernoulli visible units.
 *
 * <p>AIS. The intermediate distributions are p_k(v, h) ∝ exp((1 − β_k)·a·v + β_k·(vWh + b·v + c·h))
 * for 0 = β_0 &lt; β_1 &lt; … &lt; β_K = 1, where the base rate a_i = logit of the data marginal of
 * unit i (smoothed as (count + 1)/(N + 2)), so p_0 is the independent-pixels model with
 * log Z_0 = Σ_i softplus(a_i) + H·log 2. M chains start at exact samples of p_0; at each k the weight
 * gains log p*_k(v) − log p*_{k−1}(v) (h summed out) and the chain takes one Gibbs sweep that leaves p_k
 * invariant. log Ẑ = log Z_0 + log mean_m w_m; the band is log(mean w ± 3·sd(w)/√M), as in the paper.
 *
 * <p>Gaussian visible units (unit variance): p_k(v, h) ∝ exp(−|v|²/2 + (1 − β_k)·a·v + β_k·(b·v + vWh + c·h))
 * with a the data means, so p_0 is N(a, I) times uniform hidden units (log Z_0 = |a|²/2 + (D/2)·log 2π
 * + H·log 2), v | h ~ N((1 − β)·a + β·(hWᵀ + b), I) and h | v ~ σ(β·(vW + c)) leave p_k invariant, the
 * weight update is the Bernoulli one (the −|v|²/2 cancels), and p_K = exp(|b|²/2)·exp(−E), so
 * |b|²/2 is subtracted from log Ẑ_K.
 */
public final class LogZ {
    /** The largest H enumerated: 2^24 states of D products each is the most that stays minutes on a CPU. */
    public static final int MAX_EXACT_HIDDEN = 24;
    /** States per device batch of the enumeration. */
    static final int CHUNK = 1 << 12;
    /** Temperatures of the default schedule (Salakhutdinov &amp; Murray 2008). */
    public static final int DEFAULT_TEMPERATURES = 14_500;

    private LogZ() {
    }

    /** log Z with v (Bernoulli) or v (Gaussian, integrated) summed out exactly, every hidden state enumerated. */
    public static double exact(Rbm rbm) {
        int h = rbm.hiddenUnits();
        int d = rbm.visibleUnits();
        if (h > MAX_EXACT_HIDDEN) {
            throw new IllegalArgumentException("exact log Z enumerates 2^H hidden states; H = " + h + " is above " + MAX_EXACT_HIDDEN
                    + " (use AIS)");
        }
        Device dev = rbm.device();
        long states = 1L << h;
        int chunk = (int) Math.min(CHUNK, states);
        double max = Double.NEGATIVE_INFINITY;
        double sum = 0;
        try (Tensor hs = Tensor.empty(dev, chunk, h); Tensor y = Tensor.empty(dev, chunk, d); Tensor f = Tensor.empty(dev, chunk, 1)) {
            for (long s0 = 0; s0 < states; s0 += chunk) {
                rbm.gibbs().enumerateHidden(hs, s0);
                rbm.gemm().gemm(y, hs, false, rbm.weights().value(), true, 1f, 0f, rbm.visibleBias().value(), Gemm.Act.NONE);
                rbm.gibbs().hiddenLogMarginal(f, y, hs, rbm.hiddenBias().value(), rbm.visibleKind());
                float[] a = f.toArray();
                for (float v : a) {
                    if (v > max) {
                        sum = sum * Math.exp(max - v) + 1;
                        max = v;
                    } else {
                        sum += Math.exp(v - max);
                    }
                }
            }
        }
        double lz = max + Math.log(sum);
        if (rbm.gaussian()) {
            float[] b = rbm.visibleBias().value().toArray();
            double bb = 0;
            for (float x : b) {
                bb += (double) x * x;
            }
            lz += -0.5 * bb + 0.5 * d * Math.log(2 * Math.PI);
        }
        return lz;
    }

    /**
     * The β schedule of Salakhutdinov &amp; Murray 2008 scaled to {@code n} temperatures: a share
     * 500/14,500 evenly in [0, 0.5), 4,000/14,500 in [0.5, 0.9), the rest in [0.9, 1]; ends at 1.
     * Returns β_0 = 0, …, β_K = 1 (length n + 1).
     */
    public static double[] schedule(int n) {
        if (n < 3) {
            throw new IllegalArgumentException("AIS needs at least 3 temperatures, got " + n);
        }
        int n1 = Math.max(1, (int) Math.round(n * 500.0 / 14_500));
        int n2 = Math.max(1, (int) Math.round(n * 4_000.0 / 14_500));
        int n3 = n - n1 - n2;
        double[] beta = new double[n + 1];
        int k = 0;
        for (int i = 0; i < n1; i++) {
            beta[k++] = 0.5 * i / n1;
        }
        for (int i = 0; i < n2; i++) {
            beta[k++] = 0.5 + 0.4 * i / n2;
        }
        for (int i = 0; i <= n3; i++) {
            beta[k++] = 0.9 + 0.1 * i / n3;
        }
        return beta;
    }

    /** Base-rate visible biases: a_i = logit((count_i + 1)/(N + 2)) of binary data (N x D, read back once). */
    public static float[] baseRate(Tensor data) {
        double[] mean = columnMeans(data);
        int n = data.rows();
        int d = data.cols();
        float[] a = new float[d];
        for (int j = 0; j < d; j++) {
            double p = (mean[j] * n + 1) / (n + 2);
            a[j] = (float) Math.log(p / (1 - p));
        }
        return a;
    }

    /** The base model of a Gaussian RBM: the column means of the (standardized) data, 1 x D. */
    public static float[] gaussianBase(Tensor data) {
        double[] mean = columnMeans(data);
        float[] a = new float[mean.length];
        for (int j = 0; j < a.length; j++) {
            a[j] = (float) mean[j];
        }
        return a;
    }

    /** The base of {@code rbm}'s AIS for this data: base rates (binary) or data means (Gaussian). */
    public static float[] base(Rbm rbm, Tensor data) {
        return rbm.gaussian() ? gaussianBase(data) : baseRate(data);
    }

    /** Column means of data (N x D, read back in chunks), in double. */
    static double[] columnMeans(Tensor data) {
        int n = data.rows();
        int d = data.cols();
        double[] count = new double[d];
        int chunk = 2000;
        for (int r0 = 0; r0 < n; r0 += chunk) {
            int m = Math.min(chunk, n - r0);
            float[] x = data.rows(r0, r0 + m).toArray();
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < d; j++) {
                    count[j] += x[i * d + j];
                }
            }
        }
        for (int j = 0; j < d; j++) {
            count[j] /= n;
        }
        return count;
    }

    /** An AIS estimate: log Ẑ and the ±3 s.d. band (lo may be −∞ when the weights vary wildly). */
    public record Estimate(double logZ, double lo, double hi, double logZBase, int chains, int temperatures) {
        /** log Ẑ − lo: the lower half-width (the band is not symmetric in log space). */
        public double below() {
            return logZ - lo;
        }

        public double above() {
            return hi - logZ;
        }
    }

    /**
     * log Z of {@code rbm} by AIS with {@code chains} chains over {@code betas} (from {@link #schedule}),
     * from the base {@code base} (1 x D: base-rate logits for Bernoulli units, data means for Gaussian
     * units; {@link #base}).
     * Noise from {@code new Rng(seed)}, so the estimate is a function of the seed.
     */
    public static Estimate ais(Rbm rbm, float[] base, double[] betas, int chains, long seed) {
        int d = rbm.visibleUnits();
        int h = rbm.hiddenUnits();
        if (base.length != d) {
            throw new IllegalArgumentException("base rate has " + base.length + " biases, the RBM has " + d + " visible units");
        }
        if (chains < 1 || betas.length < 2 || betas[0] != 0 || betas[betas.length - 1] != 1) {
            throw new IllegalArgumentException("AIS needs chains >= 1 and a schedule from 0 to 1");
        }
        Device dev = rbm.device();
        Gibbs g = rbm.gibbs();
        Rng rng = new Rng(seed);
        final int hiddenStream = 0;
        final int visibleStream = 1;
        float[] b = rbm.visibleBias().value().toArray();
        float[] diff = new float[d];
        double logZ0 = h * Math.log(2);
        double shift = 0;
        for (int i = 0; i < d; i++) {
            diff[i] = b[i] - base[i];
            if (rbm.gaussian()) {
                logZ0 += 0.5 * (double) base[i] * base[i];
                shift -= 0.5 * (double) b[i] * b[i];
            } else {
                logZ0 += Math.max(base[i], 0) + Math.log1p(Math.exp(-Math.abs(base[i])));
            }
        }
        if (rbm.gaussian()) {
            logZ0 += 0.5 * d * Math.log(2 * Math.PI);
        }
        double[] lw;
        try (Tensor a = Tensor.of(dev, 1, d, base); Tensor dcol = Tensor.of(dev, d, 1, diff); Tensor v = Tensor.empty(dev, chains, d);
                Tensor pv = Tensor.empty(dev, chains, d); Tensor x = Tensor.empty(dev, chains, h); Tensor ph = Tensor.empty(dev, chains, h);
                Tensor sh = Tensor.zeros(dev, chains, h); Tensor s = Tensor.empty(dev, chains, 1); Tensor logw = Tensor.zeros(dev, chains, 2)) {
            // exact samples of the base model: sigmoid(0·(hWᵀ + b) + 1·a), or N(a, I)
            rbm.visibleStep(pv, v, sh, 0f, null, a, rng, visibleStream);
            for (int k = 1; k < betas.length; k++) {
                float t0 = (float) betas[k - 1];
                float t1 = (float) betas[k];
                rbm.gemm().gemm(x, v, false, rbm.weights().value(), false, 1f, 0f, rbm.hiddenBias().value(), Gemm.Act.NONE);
                rbm.gemm().mm(s, v, false, dcol, false);
                g.aisLogWeights(logw, x, s, t0, t1);
                if (k < betas.length - 1) {
                    g.sampleLogits(ph, sh, x, t1, rng, hiddenStream, rng.next(hiddenStream));
                    rbm.visibleStep(pv, v, sh, t1, null, a, rng, visibleStream);
                }
                if (k % 256 == 0) {
                    // Wait, not just flush: the host enqueues far faster than the device runs, and every queued
                    // command holds driver memory (PoCL: about 100 MiB over 14,500 temperatures unsynchronized).
                    dev.finish();
                }
            }
            float[] raw = logw.toArray();
            lw = new double[chains];
            for (int m = 0; m < chains; m++) {
                lw[m] = raw[2 * m];
            }
        }
        Estimate e = summarize(lw, logZ0, betas.length - 1);
        return shift == 0 ? e : new Estimate(e.logZ() + shift, e.lo() + shift, e.hi() + shift, e.logZBase(), e.chains(), e.temperatures());
    }

    /** log Ẑ = log Z_0 + log mean w, band log(mean w ± 3 sd(w)/√M), all relative to max log w. */
    static Estimate summarize(double[] lw, double logZ0, int temperatures) {
        int m = lw.length;
        double max = Double.NEGATIVE_INFINITY;
        for (double x : lw) {
            max = Math.max(max, x);
        }
        double mean = 0;
        for (double x : lw) {
            mean += Math.exp(x - max);
        }
        mean /= m;
        double var = 0;
        for (double x : lw) {
            double e = Math.exp(x - max) - mean;
            var += e * e;
        }
        double sd = m > 1 ? Math.sqrt(var / (m - 1)) : 0;
        double se = sd / Math.sqrt(m);
        double logZ = logZ0 + max + Math.log(mean);
        double lo = mean - 3 * se > 0 ? logZ0 + max + Math.log(mean - 3 * se) : Double.NEGATIVE_INFINITY;
        double hi = logZ0 + max + Math.log(mean + 3 * se);
        return new Estimate(logZ, lo, hi, logZ0, m, temperatures);
    }
}
