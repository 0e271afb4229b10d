package org.genzoo.models.eval;

import org.genzoo.host.Device;
import org.genzoo.host.autograd.Tape;
import org.genzoo.host.autograd.Var;
import org.genzoo.host.ops.Reduce;
import org.genzoo.host.ops.Rng;
import org.genzoo.host.tensor.Tensor;
import org.genzoo.models.vae.LatentModel;

/**
 * Test log-likelihood by importance sampling (Burda, Grosse &amp; Salakhutdinov 2016): for each example
 * <pre>
 *   log p̂_K(x) = log (1/K) Σ_{j=1..K} w_j,   log w_j = log p(x, z_j) − log q(z_j | x),  z_j ~ q(z | x)
 * </pre>
 * with the log-weights from {@link LatentModel#logWeights} on a no-grad tape. E[log p̂_K] is a lower
 * bound on log p(x) that rises with K (to log p(x) as K → ∞); NLL_K = −log p̂_K.
 *
 * <p>Batched to fit device memory: examples go {@link Options#batchSize} at a time, and the K samples
 * of a batch in chunks of kc = {@link Options#samplesPerCall()} (one logWeights call of B·kc rows
 * each). Each chunk is reduced on the device to its row logsumexp s_c (float); the chunks are
 * combined on the host in double, exactly: log p̂_K = logsumexp_c s_c − log K. One read-back per
 * batch.
 *
 * <p>Deterministic: the model's noise counters are pinned to {@link Options#seed} for the evaluation
 * and restored afterwards ({@link EvalNoise}), so the same weights, data, seed and batching give the
 * same numbers. Changing the batch or chunk sizes changes which noise each sample gets (not the
 * estimator).
 */
public final class ImportanceSampling {
    private ImportanceSampling() {
    }

    /**
     * @param k               K, importance samples per example (5,000 for the usual test NLL)
     * @param batchSize       examples per logWeights call
     * @param maxRowsPerCall  bound on batchSize·kc, the rows of one logWeights call (memory)
     * @param limit           evaluate the first {@code limit} examples only; 0 means all
     * @param seed            pins the sampling noise
     */
    public record Options(int k, int batchSize, int maxRowsPerCall, int limit, long seed) {
        public Options {
            if (k < 1) {
                throw new IllegalArgumentException("k must be at least 1, got " + k);
            }
            if (batchSize < 1) {
                throw new IllegalArgumentException("batchSize must be at least 1, got " + batchSize);
            }
            if (maxRowsPerCall < 1) {
                throw new IllegalArgumentException("maxRowsPerCall must be at least 1, got " + maxRowsPerCall);
            }
            if (limit < 0) {
                throw new IllegalArgumentException("limit must be >= 0 (0 = all examples), got " + limit);
            }
        }

        /** K samples, 16 examples a batch, at most 8,192 rows a call, every example, seed 0. */
        public static Options of(int k) {
            return new Options(k, 16, 8192, 0, 0L);
        }

        public Options withBatchSize(int b) {
            return new Options(k, b, maxRowsPerCall, limit, seed);
        }

        public Options withMaxRowsPerCall(int rows) {
            return new Options(k, batchSize, rows, limit, seed);
        }

        public Options withLimit(int n) {
            return new Options(k, batchSize, maxRowsPerCall, n, seed);
        }

        public Options withSeed(long s) {
            return new Options(k, batchSize, maxRowsPerCall, limit, s);
        }

        /** kc = min(K, max(1, maxRowsPerCall / batchSize)): samples per logWeights call. */
        public int samplesPerCall() {
            return Math.min(k, Math.max(1, maxRowsPerCall / batchSize));
        }

        /** How many of {@code available} examples an evaluation uses. */
        public int examples(int available) {
            return limit == 0 ? available : Math.min(limit, available);
        }
    }

    /** Mean ± standard error of a per-example quantity. */
    public record Mean(double mean, double stdErr) {
        /** The sample mean and std / sqrt(n) (std with n − 1; 0 for one value). */
        public static Mean of(double[] v) {
            int n = v.length;
            if (n == 0) {
                return new Mean(Double.NaN, Double.NaN);
            }
            double s = 0;
            for (double x : v) {
                s += x;
            }
            double mean = s / n;
            double ss = 0;
            for (double x : v) {
                ss += (x - mean) * (x - mean);
            }
            return new Mean(mean, n > 1 ? Math.sqrt(ss / (n - 1) / n) : 0);
        }
    }

    /**
     * The ELBO of the model's own training metrics ({@code recon} = E_q log p(x|z), {@code kl} =
     * KL(q(z|x) || p(z)), closed form or sampled as the model computes it), averaged over the
     * examples; elbo = recon − kl.
     */
    public record Elbo(double elbo, double recon, double kl) {
    }

    /**
     * The report of {@link #evaluate}: the mean NLL_K over the examples with its standard error,
     * the per-example log p̂_K(x) (nats, example order), and the ELBO with its terms.
     */
    public record Report(int examples, int k, long seed, double meanNll, double nllStdErr, double[] logLikelihoods, Elbo elbo) {
        /** NLL_K in bits per dimension for D-dimensional data (for discrete data). */
        public double bitsPerDim(int dataDim) {
            return meanNll / (dataDim * Math.log(2));
        }
    }

    /**
     * NLL_K and the ELBO over the first {@link Options#examples} rows of {@code data} (N x D on the
     * model's device; binarize grey images first for a Bernoulli model, see {@link #fixedBinarization}).
     * Replaces the model's {@link LatentModel#lastMetrics()} (the ELBO pass runs its loss).
     */
    public static Report evaluate(LatentModel model, Tensor data, Options o) {
        double[] ll = logLikelihoods(model, data, o);
        Mean m = Mean.of(ll);
        return new Report(ll.length, o.k(), o.seed(), -m.mean(), m.stdErr(), ll, elbo(model, data, o));
    }

    /** log p̂_K(x) of each of the first {@link Options#examples} rows of {@code data}, in order. */
    public static double[] logLikelihoods(LatentModel model, Tensor data, Options o) {
        checkData(model, data);
        int n = o.examples(data.rows());
        int k = o.k();
        int b = Math.min(o.batchSize(), n);
        int kc = o.samplesPerCall();
        int chunks = (k + kc - 1) / kc;
        double[] out = new double[n];
        Device dev = model.device();
        try (EvalNoise noise = new EvalNoise(model.rng(), o.seed()); Tensor lse = Tensor.empty(dev, b, chunks)) {
            for (int r0 = 0; r0 < n; r0 += b) {
                int rb = Math.min(b, n - r0);
                Tensor x = data.rows(r0, r0 + rb);
                for (int c = 0; c < chunks; c++) {
                    int kk = Math.min(kc, k - c * kc);
                    try (Tape t = Tape.noGrad(dev)) {
                        Var w = model.logWeights(t, x, kk); // rb x kk
                        Reduce.rows(Reduce.Op.LOGSUMEXP, lse.rows(0, rb).cols(c, c + 1), w.value());
                    }
                }
                float[] s = lse.rows(0, rb).toArray(); // rb x chunks, one read per batch
                for (int i = 0; i < rb; i++) {
                    out[r0 + i] = combine(s, i * chunks, chunks, k);
                }
            }
        }
        return out;
    }

    /**
     * log (1/K) Σ_j w_j from the chunk sums s_c = logsumexp of chunk c's log-weights:
     * logsumexp_c s_c − log K, in double (−∞ when every chunk is −∞; NaN propagates).
     */
    static double combine(float[] s, int from, int count, int k) {
        double max = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < count; c++) {
            double v = s[from + c];
            if (Double.isNaN(v)) {
                return Double.NaN;
            }
            max = Math.max(max, v);
        }
        if (max == Double.NEGATIVE_INFINITY || max == Double.POSITIVE_INFINITY) {
            return max;
        }
        double sum = 0;
        for (int c = 0; c < count; c++) {
            sum += Math.exp(s[from + c] - max);
        }
        return max + Math.log(sum) - Math.log(k);
    }

    /**
     * The mean ELBO and its terms over the first {@link Options#examples} rows, from the model's loss
     * on a no-grad tape, {@link Options#batchSize} rows a call (batch means weighted by rows).
     * Replaces the model's {@link LatentModel#lastMetrics()}.
     */
    public static Elbo elbo(LatentModel model, Tensor data, Options o) {
        checkData(model, data);
        int n = o.examples(data.rows());
        int b = Math.min(o.batchSize(), n);
        int batches = (n + b - 1) / b;
        Device dev = model.device();
        float[] terms;
        try (EvalNoise noise = new EvalNoise(model.rng(), o.seed() ^ 0x5DEECE66DL); Tensor acc = Tensor.empty(dev, batches, 2)) {
            for (int i = 0; i < batches; i++) {
                int r0 = i * b;
                int rb = Math.min(b, n - r0);
                try (Tape t = Tape.noGrad(dev)) {
                    model.loss(t, data.rows(r0, r0 + rb), Long.MAX_VALUE);
                }
                var mt = model.lastTerms();
                Tensor recon = mt.get("recon");
                Tensor kl = mt.get("kl");
                if (recon == null || kl == null) {
                    throw new UnsupportedOperationException(model.name() + " reports no recon and kl terms (has " + mt.keySet() + ")");
                }
                acc.rows(i, i + 1).cols(0, 1).copyFrom(recon);
                acc.rows(i, i + 1).cols(1, 2).copyFrom(kl);
            }
            terms = acc.toArray();
        }
        double recon = 0;
        double kl = 0;
        for (int i = 0; i < batches; i++) {
            int rb = Math.min(b, n - i * b);
            recon += (double) terms[2 * i] * rb;
            kl += (double) terms[2 * i + 1] * rb;
        }
        recon /= n;
        kl /= n;
        return new Elbo(recon - kl, recon, kl);
    }

    /**
     * A binarization of grey data fixed by {@code seed} (pixel = 1 with probability its grey level),
     * the usual test set for Bernoulli likelihoods. Owned by the caller.  N x D.
     */
    public static Tensor fixedBinarization(Tensor grey, long seed) {
        Tensor out = Tensor.empty(grey.device(), grey.rows(), grey.cols());
        new Rng(seed).binarize(out, grey, 0, 0);
        return out;
    }

    static void checkData(LatentModel model, Tensor data) {
        if (data.cols() != model.dataDim()) {
            throw new IllegalArgumentException(model.name() + ": data has " + data.cols() + " columns, the model expects D = "
                    + model.dataDim());
        }
        if (data.rows() < 1) {
            throw new IllegalArgumentException("no examples to evaluate");
        }
        if (data.device() != model.device()) {
            throw new IllegalArgumentException("data and model live on different devices");
        }
    }
}
