package org.genzoo.models.vae;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.genzoo.host.Device;
import org.genzoo.host.autograd.F;
import org.genzoo.host.autograd.Param;
import org.genzoo.host.autograd.Tape;
import org.genzoo.host.autograd.Var;
import org.genzoo.host.tensor.Tensor;

/**
 * A VAE with two stochastic layers as in the IWAE paper (Burda et al. 2016): inference
 * q(z1|x) q(z2|z1), generation p(z2) p(z1|z2) p(x|z1), every conditional but p(x|z1) a diagonal
 * Gaussian {@link GaussianMlp}. The log-weight of a sample is
 * log p(x|z1) + log p(z1|z2) + log p(z2) − log q(z1|x) − log q(z2|z1); the ELBO is its mean, the
 * IWAE bound the row-wise log-mean-exp over K samples.
 *
 * <p>Noise: z1 from {@link #rng()} stream {@link #Z1_STREAM}, z2 from {@link #Z2_STREAM} (B·K
 * rows each, example-major), samples from {@link #PRIOR_STREAM}. Parameters in order: q(z1|x)
 * ("encoder1"), q(z2|z1) ("encoder2"), p(z1|z2) ("decoder2"), p(x|z1) ("decoder1").
 * {@link #latentDim()} is L1 + L2 and {@link #encodeMean} returns [E q(z1|x) | E q(z2|z1 = E z1)].
 */
public final class HierarchicalVae extends LatentBase {
    public static final int Z1_STREAM = 0;
    public static final int Z2_STREAM = 2;
    public static final int PRIOR_STREAM = 3;

    private final HvaeConfig config;
    private final GaussianMlp q1;
    private final GaussianMlp q2;
    private final GaussianMlp p1;
    private final Decoder decoder;

    public HierarchicalVae(Device device, HvaeConfig config) {
        super(device, config.seed(), config.objective());
        this.config = config;
        SplittableRandom init = new SplittableRandom(config.seed());
        q1 = new GaussianMlp(device, "encoder1", config.dataDim(), config.hidden1(), config.latent1(), config.activation(), init);
        q2 = new GaussianMlp(device, "encoder2", config.latent1(), config.hidden2(), config.latent2(), config.activation(), init);
        p1 = new GaussianMlp(device, "decoder2", config.latent2(), reversed(config.hidden2()), config.latent1(), config.activation(),
                init);
        decoder = new Decoder(device, "decoder1", config.latent1(), reversed(config.hidden1()), config.dataDim(), config.activation(),
                config.likelihood(), init);
    }

    public HvaeConfig config() {
        return config;
    }

    @Override
    public String name() {
        return "hvae";
    }

    @Override
    public int dataDim() {
        return config.dataDim();
    }

    @Override
    public int latentDim() {
        return config.latent1() + config.latent2();
    }

    @Override
    public List<Param> params() {
        List<Param> ps = new ArrayList<>(q1.params());
        ps.addAll(q2.params());
        ps.addAll(p1.params());
        ps.addAll(decoder.params());
        return ps;
    }

    /** log w (B x K); log p(x|z1) and log q − log p(z1, z2) per sample (BK x 1). */
    @Override
    protected Terms weights(Tape t, Tensor x, int k) {
        Var s1 = vf.repeatRows(q1.forward(t.constant(x)), k);
        Var mu1 = q1.mu(s1);
        Var lv1 = q1.logvar(s1);
        Var z1 = F.reparameterize(mu1, lv1, rng, Z1_STREAM);
        Var s2 = q2.forward(z1);
        Var mu2 = q2.mu(s2);
        Var lv2 = q2.logvar(s2);
        Var z2 = F.reparameterize(mu2, lv2, rng, Z2_STREAM);
        Var sp = p1.forward(z2);
        Var logP = F.add(F.gaussianLogDensity(z1, p1.mu(sp), p1.logvar(sp)), F.standardNormalLogDensity(z2));
        Var logQ = F.add(F.gaussianLogDensity(z1, mu1, lv1), F.gaussianLogDensity(z2, mu2, lv2));
        Var xr = k == 1 ? t.constant(x) : t.constant(vf.repeatRows(t, x, k));
        Var logPx = decoder.logLik(xr, z1);
        Var kl = F.sub(logQ, logP);
        return new Terms(vf.rowsToMatrix(F.sub(logPx, kl), k), logPx, kl);
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

    @Override
    public Tensor sample(int n) {
        try (Tape t = Tape.noGrad(device); Tensor z2 = Tensor.empty(device, n, config.latent2())) {
            rng.normal(z2, PRIOR_STREAM);
            Var sp = p1.forward(t.constant(z2));
            Var z1 = F.reparameterize(p1.mu(sp), p1.logvar(sp), rng, PRIOR_STREAM);
            return copyOut(decoder.mean(z1));
        }
    }

    @Override
    public Tensor reconstruct(Tensor x) {
        checkBatch(x);
        try (Tape t = Tape.noGrad(device)) {
            return copyOut(decoder.mean(q1.mu(q1.forward(t.constant(x)))));
        }
    }

    @Override
    public Tensor encodeMean(Tensor x) {
        checkBatch(x);
        try (Tape t = Tape.noGrad(device)) {
            Var mu1 = q1.mu(q1.forward(t.constant(x)));
            Var mu2 = q2.mu(q2.forward(mu1));
            Tensor out = Tensor.empty(device, x.rows(), latentDim());
            out.cols(0, config.latent1()).copyFrom(mu1.value());
            out.cols(config.latent1(), latentDim()).copyFrom(mu2.value());
            return out;
        }
    }

    @Override
    public void close() {
        q1.close();
        q2.close();
        p1.close();
        decoder.close();
        super.close();
    }
}
