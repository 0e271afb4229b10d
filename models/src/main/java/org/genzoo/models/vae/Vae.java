package org.genzoo.models.vae;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.genzoo.host.Device;
import org.genzoo.host.autograd.F;
import org.genzoo.host.autograd.Param;
import org.genzoo.host.autograd.Tape;
import org.genzoo.host.autograd.Var;
import org.genzoo.host.ops.Reduce;
import org.genzoo.host.ops.Rng;
import org.genzoo.host.tensor.Tensor;

/**
 * A variational autoencoder with one stochastic layer (Kingma &amp; Welling 2014): encoder
 * q(z|x) = N(mu, diag exp(logvar)) from a {@link GaussianMlp} D -> hidden... -> [mu | logvar],
 * decoder p(x|z) Bernoulli-logit or Gaussian ({@link Decoder}), prior N(0, I), a mixture of
 * Gaussians or the VampPrior. Trains the ELBO (with β, KL annealing, free bits or controlled
 * capacity, see {@link VaeConfig}) or the IWAE bound with K samples (Burda et al. 2016).
 *
 * <p>Noise: the reparameterized z comes from {@link #rng()} stream {@link #Z_STREAM}, one counter
 * per loss or logWeights call (B·K x L draws, example-major); prior samples use
 * {@link #PRIOR_STREAM}. Parameters in order: encoder, decoder, prior.
 */
public final class Vae extends LatentBase {
    /** Rng stream of the reparameterized latent samples. */
    public static final int Z_STREAM = 0;
    /** Rng stream of {@link #sample} (stream 1 is left to data binarization). */
    public static final int PRIOR_STREAM = 3;

    private final VaeConfig config;
    private final GaussianMlp encoder;
    private final Decoder decoder;
    private final Prior prior;
    private final int[] groupOf;
    private final int groups;
    private Tensor groupMatrix;
    private final org.genzoo.models.flow.IafPosterior posterior;

    public Vae(Device device, VaeConfig config) {
        this(device, config, null);
    }

    /**
     * With an IAF posterior ({@code posteriorFlow} of the spec, see
     * {@link org.genzoo.models.flow.IafPosterior}; null for none): z = IAF(z_0) and the KL term is
     * the single-sample log q(z|x) − log p(z).
     */
    public Vae(Device device, VaeConfig config, com.fasterxml.jackson.databind.JsonNode posteriorFlow) {
        super(device, config.seed(), config.objective());
        this.config = config;
        SplittableRandom init = new SplittableRandom(config.seed());
        int l = config.latentDim();
        encoder = new GaussianMlp(device, "encoder", config.dataDim(), config.hidden(), l, config.activation(), init);
        decoder = new Decoder(device, "decoder", l, reversed(config.hidden()), config.dataDim(), config.activation(), config.likelihood(),
                init);
        prior = Prior.create(device, config.prior(), l, encoder, init);
        groupOf = config.groupOf();
        groups = config.groupCount();
        posterior = posteriorFlow == null ? null
                : org.genzoo.models.flow.IafPosterior.create(device, posteriorFlow, l, config.seed() + 17);
    }

    public VaeConfig config() {
        return config;
    }

    @Override
    public String name() {
        return config.objective() == Objective.IWAE ? "iwae" : "vae";
    }

    @Override
    public int dataDim() {
        return config.dataDim();
    }

    @Override
    public int latentDim() {
        return config.latentDim();
    }

    public GaussianMlp encoder() {
        return encoder;
    }

    public Decoder decoder() {
        return decoder;
    }

    public Prior prior() {
        return prior;
    }

    @Override
    public List<Param> params() {
        List<Param> ps = new ArrayList<>(encoder.params());
        ps.addAll(decoder.params());
        ps.addAll(prior.params());
        if (posterior != null) {
            ps.addAll(posterior.params());
        }
        return ps;
    }

    @Override
    protected Objective objective() {
        return config.objective();
    }

    @Override
    protected int samples() {
        return config.samples();
    }

    @Override
    protected float betaAt(long step) {
        return config.betaAt(step);
    }

    /** The ELBO with the analytic or sampled KL, an IAF posterior, free bits or controlled capacity. */
    @Override
    protected Var elboLoss(Tape t, Tensor x, long step) {
        int l = config.latentDim();
        Var xv = t.constant(x);
        Var s = encoder.forward(xv);
        Var mu = encoder.mu(s);
        Var lv = encoder.logvar(s);
        Var z = F.reparameterize(mu, lv, rng, Z_STREAM);
        Var logQ = null;
        if (posterior != null) {
            Var[] zq = posterior.apply(z, F.gaussianLogDensity(z, mu, lv));
            z = zq[0];
            logQ = zq[1];
        }
        boolean analyticRows = logQ == null && config.kl() == KlEstimator.ANALYTIC && config.freeBits() <= 0;
        Var recRows;
        if (analyticRows && decoder.bernoulli() && !config.capacityEnabled()) {
            // The common case: Bernoulli decoder, analytic KL per row, a plain (beta-)ELBO.
            Var logits = decoder.logits(z);
            Var fused = fusedBernoulliElbo(xv, logits, mu, lv, config.betaAt(step));
            if (fused != null) {
                return fused;
            }
            recRows = F.bernoulliLogLik(xv, logits);
        } else {
            recRows = decoder.logLik(xv, z);
        }
        Var klRows = null; // R x 1, unless free bits need the per-dimension terms
        Var klDim = null;
        if (logQ != null) {
            klRows = F.sub(logQ, prior.logDensity(z));
        } else if (config.kl() == KlEstimator.ANALYTIC && config.freeBits() > 0) {
            klDim = F.reduceCols(Reduce.Op.MEAN, F.klStandardNormal(mu, lv, true)); // 1 x L, batch means
        } else if (config.kl() == KlEstimator.ANALYTIC) { // per row: without free bits no per-dimension terms are needed
            klRows = F.klStandardNormal(mu, lv, false);
        } else {
            klRows = F.sub(F.gaussianLogDensity(z, mu, lv), prior.logDensity(z));
        }
        if (klRows != null && !config.capacityEnabled()) {
            Var fused = fusedElbo(recRows, klRows, config.betaAt(step));
            if (fused != null) {
                return fused;
            }
        }
        Var recon = F.mean(recRows);
        Var kl = klRows != null ? F.mean(klRows) : F.sum(klDim);
        Var reg;
        if (config.capacityEnabled()) {
            float c = config.capacityAt(step);
            reg = F.scale(VF.abs(VF.addScalar(kl, -c)), config.capacityGamma());
            metrics.putHost("capacity", c);
        } else if (config.freeBits() > 0) {
            Var perGroup = groups == l && isIdentity(groupOf) ? klDim : F.matmul(klDim, false, t.constant(groupMatrix()), false);
            reg = F.scale(F.sum(VF.maxWith(perGroup, config.freeBits())), config.betaAt(step));
        } else {
            reg = F.scale(kl, config.betaAt(step));
        }
        return putElbo(F.sub(reg, recon), recon, kl, config.capacityEnabled() ? Float.NaN : config.betaAt(step));
    }

    @Override
    protected Terms weights(Tape t, Tensor x, int k) {
        int l = config.latentDim();
        Var s = vf.repeatRows(encoder.forward(t.constant(x)), k); // BK x 2L
        Var mu = F.cols(s, 0, l);
        Var lv = F.cols(s, l, 2 * l);
        Var z = F.reparameterize(mu, lv, rng, Z_STREAM);
        Var logQ = F.gaussianLogDensity(z, mu, lv);
        if (posterior != null) {
            Var[] zq = posterior.apply(z, logQ);
            z = zq[0];
            logQ = zq[1];
        }
        Var xr = k == 1 ? t.constant(x) : t.constant(vf.repeatRows(t, x, k));
        Var logPx = decoder.logLik(xr, z);
        Var kl = F.sub(logQ, prior.logDensity(z));
        Var logW = vf.rowsToMatrix(F.sub(logPx, kl), k);
        return new Terms(logW, logPx, kl);
    }

    @Override
    public Tensor sample(int n) {
        try (Tape t = Tape.noGrad(device); Tensor z = prior.sample(n, rng, PRIOR_STREAM)) {
            return copyOut(decoder.mean(t.constant(z)));
        }
    }

    @Override
    public Tensor reconstruct(Tensor x) {
        checkBatch(x);
        try (Tape t = Tape.noGrad(device)) {
            return copyOut(decoder.mean(encoder.mu(encoder.forward(t.constant(x)))));
        }
    }

    @Override
    public Tensor encodeMean(Tensor x) {
        checkBatch(x);
        try (Tape t = Tape.noGrad(device)) {
            return copyOut(encoder.mu(encoder.forward(t.constant(x))));
        }
    }

    /** G (L x groups), G[i, g] = [dimension i is in group g]: batch-mean KL per group = KL_dim·G. */
    private Tensor groupMatrix() {
        if (groupMatrix == null) {
            int l = config.latentDim();
            float[] g = new float[l * groups];
            for (int i = 0; i < l; i++) {
                g[i * groups + groupOf[i]] = 1f;
            }
            groupMatrix = Tensor.of(device, l, groups, g);
        }
        return groupMatrix;
    }

    private static boolean isIdentity(int[] groupOf) {
        for (int i = 0; i < groupOf.length; i++) {
            if (groupOf[i] != i) {
                return false;
            }
        }
        return true;
    }

    @Override
    public void close() {
        encoder.close();
        decoder.close();
        prior.close();
        super.close();
        if (posterior != null) {
            posterior.close();
        }
        if (groupMatrix != null) {
            groupMatrix.close();
        }
    }
}
