package org.genzoo.models.eval;

import org.genzoo.host.Device;
import org.genzoo.host.autograd.Tape;
import org.genzoo.host.autograd.Var;
import org.genzoo.host.ops.Pairwise;
import org.genzoo.host.ops.Reduce;
import org.genzoo.host.ops.Rng;
import org.genzoo.host.tensor.Tensor;
import org.genzoo.models.vae.GaussianMlp;
import org.genzoo.models.vae.PriorSpec;
import org.genzoo.models.vae.Vae;

/**
 * ELBO surgery (Hoffman &amp; Johnson 2016): the KL term of the ELBO averaged over the data splits into
 * <pre>
 *   (1/N) Σ_n KL(q(z|x_n) || p(z))  =  I(x; z)  +  KL(q(z) || p(z))
 * </pre>
 * with q(z) = (1/N) Σ_n q(z | x_n) the aggregate posterior, I(x; z) the mutual information between
 * the example index and z under q(x, z) = q(z|x)/N, and the second term the marginal KL.
 *
 * <p>Monte Carlo over one draw z_n ~ q(z | x_n) per example:
 * <pre>
 *   log q(z_n) = logsumexp_m log N(z_n; mu_m, diag var_m) − log N         (O(N²·L), on the device)
 *   I          = mean_n [log q(z_n | x_n) − log q(z_n)]                     (≤ log N: the sum holds m = n)
 *   marginalKl = mean_n [log q(z_n) − log p(z_n)]
 * </pre>
 * The N x N log-densities come from {@link Pairwise#gaussianLogDensity} in blocks of at most
 * {@link Options#maxBlockFloats} floats; each block is reduced with a row logsumexp on the device and
 * the column blocks are combined on the host in double. The average KL is the closed form for the
 * standard normal prior (then I + marginalKl differs from it by Monte Carlo error only:
 * {@link Result#identityGap}) and the same samples' estimate mean_n [log q(z_n|x_n) − log p(z_n)]
 * for other priors (then the identity holds exactly, gap 0).
 *
 * <p>Standard errors are std / sqrt(N) of the per-example terms. For I and the marginal KL the terms
 * share q(z), so theirs treat dependent terms as independent (a rough guide, not an exact error).
 * Needs a model whose posterior is one diagonal Gaussian: a {@link Vae} (its public encoder).
 */
public final class ElboSurgery {
    private ElboSurgery() {
    }

    /**
     * @param limit           use the first {@code limit} examples (0: all; the method is O(N²), so
     *                        10,000 is a sensible most)
     * @param batchSize       examples per encoder call
     * @param maxBlockFloats  largest N x M block of pairwise log-densities held at once
     * @param seed            the draws z_n (an Rng of its own; the model's counters are untouched)
     */
    public record Options(int limit, int batchSize, long maxBlockFloats, long seed) {
        public Options {
            if (limit < 0 || batchSize < 1 || maxBlockFloats < 1) {
                throw new IllegalArgumentException("need limit >= 0, batchSize >= 1, maxBlockFloats >= 1; got " + limit + ", "
                        + batchSize + ", " + maxBlockFloats);
            }
        }

        /** First {@code limit} examples (0: all), 512 a batch, blocks of at most 16M floats (64 MB). */
        public static Options of(int limit, long seed) {
            return new Options(limit, 512, 16L << 20, seed);
        }

        public Options withMaxBlockFloats(long floats) {
            return new Options(limit, batchSize, floats, seed);
        }
    }

    /**
     * Everything in nats, means over the N examples with their standard errors.
     *
     * @param analyticKl   whether avgKl is the closed form (standard normal prior)
     * @param identityGap  avgKl − (mutualInfo + marginalKl) = mean_n [KL_n − (log q(z_n|x_n) − log p(z_n))]:
     *                     zero in expectation; exactly zero when avgKl is the sampled KL
     */
    public record Result(int examples, boolean analyticKl, double avgKl, double avgKlStdErr, double mutualInfo,
            double mutualInfoStdErr, double marginalKl, double marginalKlStdErr, double identityGap, double identityGapStdErr) {
        /** log N, the largest value the mutual-information estimate can take. */
        public double logN() {
            return Math.log(examples);
        }
    }

    public static Result estimate(Vae model, Tensor data, Options o) {
        ImportanceSampling.checkData(model, data);
        int n = o.limit() == 0 ? data.rows() : Math.min(o.limit(), data.rows());
        int l = model.latentDim();
        Device dev = model.device();
        GaussianMlp enc = model.encoder();
        boolean analytic = model.config().prior() instanceof PriorSpec.StandardNormal;
        double[] logQzx = new double[n];
        double[] logPz = new double[n];
        double[] kl = new double[n];
        double[] logQz;
        try (Tensor s = Tensor.empty(dev, n, 2 * l); Tensor z = Tensor.empty(dev, n, l)) {
            for (int r0 = 0; r0 < n; r0 += o.batchSize()) {
                int rb = Math.min(o.batchSize(), n - r0);
                try (Tape t = Tape.noGrad(dev)) {
                    s.rows(r0, r0 + rb).copyFrom(enc.forward(t.constant(data.rows(r0, r0 + rb))).value());
                }
            }
            Tensor mu = s.cols(0, l);
            Tensor lv = s.cols(l, 2 * l);
            new Rng(o.seed()).reparameterize(z, null, mu, lv, 0, 0);
            if (!analytic) {
                for (int r0 = 0; r0 < n; r0 += o.batchSize()) {
                    int rb = Math.min(o.batchSize(), n - r0);
                    try (Tape t = Tape.noGrad(dev)) {
                        Var lp = model.prior().logDensity(t.constant(z.rows(r0, r0 + rb)));
                        float[] v = lp.value().toArray();
                        for (int i = 0; i < rb; i++) {
                            logPz[r0 + i] = v[i];
                        }
                    }
                }
            }
            logQz = logAggregateDensity(z, mu, lv, o.maxBlockFloats());
            float[] sv = s.toArray();
            float[] zv = z.toArray();
            double log2pi = Math.log(2 * Math.PI);
            for (int i = 0; i < n; i++) {
                double q = 0;
                double p = 0;
                double k = 0;
                for (int u = 0; u < l; u++) {
                    double m = sv[i * 2 * l + u];
                    double v = sv[i * 2 * l + l + u];
                    double zz = zv[i * l + u];
                    double d = zz - m;
                    q += -0.5 * (log2pi + v + d * d * Math.exp(-v));
                    p += -0.5 * (log2pi + zz * zz);
                    k += 0.5 * (m * m + Math.expm1(v) - v);
                }
                logQzx[i] = q;
                if (analytic) {
                    logPz[i] = p;
                    kl[i] = k;
                } else {
                    kl[i] = q - logPz[i];
                }
            }
        }
        double[] mi = new double[n];
        double[] marg = new double[n];
        double[] gap = new double[n];
        for (int i = 0; i < n; i++) {
            mi[i] = logQzx[i] - logQz[i];
            marg[i] = logQz[i] - logPz[i];
            gap[i] = kl[i] - (logQzx[i] - logPz[i]);
        }
        ImportanceSampling.Mean k = ImportanceSampling.Mean.of(kl);
        ImportanceSampling.Mean a = ImportanceSampling.Mean.of(mi);
        ImportanceSampling.Mean b = ImportanceSampling.Mean.of(marg);
        ImportanceSampling.Mean g = ImportanceSampling.Mean.of(gap);
        return new Result(n, analytic, k.mean(), k.stdErr(), a.mean(), a.stdErr(), b.mean(), b.stdErr(), g.mean(), g.stdErr());
    }

    /**
     * log q(z_n) = logsumexp_m log N(z_n; mu_m, diag exp(logvar_m)) − log M for every row of z, the
     * log-density of the equal-weight mixture of the M Gaussians. Blocks of rows x columns hold at
     * most {@code maxBlockFloats} floats; each block's row logsumexp runs on the device, column blocks
     * are combined in double on the host (one read per row block).  z: N x L; mu, logvar: M x L.
     */
    public static double[] logAggregateDensity(Tensor z, Tensor mu, Tensor logvar, long maxBlockFloats) {
        int n = z.rows();
        int m = mu.rows();
        if (m < 1) {
            throw new IllegalArgumentException("the mixture needs at least one component");
        }
        int colBlock = (int) Math.min(m, Math.max(1, maxBlockFloats));
        int rowBlock = (int) Math.min(n, Math.max(1, maxBlockFloats / colBlock));
        int colBlocks = (m + colBlock - 1) / colBlock;
        double logM = Math.log(m);
        double[] out = new double[n];
        Device dev = z.device();
        try (Tensor block = Tensor.empty(dev, Math.max(1, rowBlock), colBlock); Tensor lse = Tensor.empty(dev, Math.max(1, rowBlock), colBlocks)) {
            for (int r0 = 0; r0 < n; r0 += rowBlock) {
                int rb = Math.min(rowBlock, n - r0);
                for (int cb = 0; cb < colBlocks; cb++) {
                    int c0 = cb * colBlock;
                    int cw = Math.min(colBlock, m - c0);
                    Tensor bv = block.rows(0, rb).cols(0, cw);
                    Pairwise.gaussianLogDensity(bv, z.rows(r0, r0 + rb), mu.rows(c0, c0 + cw), logvar.rows(c0, c0 + cw));
                    Reduce.rows(Reduce.Op.LOGSUMEXP, lse.rows(0, rb).cols(cb, cb + 1), bv);
                }
                float[] s = lse.rows(0, rb).toArray();
                for (int i = 0; i < rb; i++) {
                    out[r0 + i] = logSumExp(s, i * colBlocks, colBlocks) - logM;
                }
            }
        }
        return out;
    }

    private static double logSumExp(float[] s, int from, int count) {
        double max = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < count; c++) {
            max = Math.max(max, s[from + c]);
        }
        if (Double.isInfinite(max) || Double.isNaN(max)) {
            return max;
        }
        double sum = 0;
        for (int c = 0; c < count; c++) {
            sum += Math.exp(s[from + c] - max);
        }
        return max + Math.log(sum);
    }
}
