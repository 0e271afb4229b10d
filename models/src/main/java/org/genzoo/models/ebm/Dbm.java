package org.genzoo.models.ebm;

import java.util.List;
import org.genzoo.host.Device;
import org.genzoo.host.autograd.Param;
import org.genzoo.host.ops.Gemm;
import org.genzoo.host.ops.Gibbs;
import org.genzoo.host.ops.Rng;
import org.genzoo.host.tensor.Tensor;

/**
 * A deep Boltzmann machine with two hidden layers (Salakhutdinov &amp; Hinton 2009): D binary visible
 * units v, H1 hidden units h1, H2 hidden units h2, energy
 * E(v, h1, h2) = −(v·W1·h1 + h1·W2·h2 + b·v + c1·h1 + c2·h2), W1: D x H1, W2: H1 x H2.
 *
 * <p>The conditionals: p(h1 = 1 | v, h2) = σ(vW1 + h2W2ᵀ + c1) (two products into one logit tensor,
 * then {@link Gibbs#sampleLogits}), p(v = 1 | h1) = σ(h1W1ᵀ + b) and p(h2 = 1 | h1) = σ(h1W2 + c2) (each
 * one fused {@link Gibbs#halfStep}). Every step takes an inverse temperature t (the logits are
 * multiplied by t; the visible step can blend in a base rate as for an RBM's AIS), 1 for sampling
 * the model itself. Mean field (the positive phase and the variational bound) iterates
 * μ1 = σ(vW1 + μ2W2ᵀ + c1), μ2 = σ(μ1W2 + c2) from the bottom-up start μ1 = σ(2·vW1 + c1).
 */
public final class Dbm implements AutoCloseable {
    private final Device device;
    private final Gibbs gibbs;
    private final boolean ownsGibbs;
    private final int d;
    private final int h1;
    private final int h2;
    private final Param w1;
    private final Param w2;
    private final Param b;
    private final Param c1;
    private final Param c2;

    /** A model with zero parameters; {@link #init} draws the weights. */
    public Dbm(Device device, Gibbs gibbs, String name, int d, int h1, int h2) {
        if (d < 1 || h1 < 1 || h2 < 1) {
            throw new IllegalArgumentException("a DBM needs at least one unit per layer, got " + d + " x " + h1 + " x " + h2);
        }
        this.device = device;
        this.ownsGibbs = gibbs == null;
        this.gibbs = gibbs == null ? new Gibbs(device) : gibbs;
        this.d = d;
        this.h1 = h1;
        this.h2 = h2;
        this.w1 = new Param(name + ".W1", device, d, h1);
        this.w2 = new Param(name + ".W2", device, h1, h2);
        this.b = new Param(name + ".b", device, 1, d);
        this.c1 = new Param(name + ".c1", device, 1, h1);
        this.c2 = new Param(name + ".c2", device, 1, h2);
    }

    /** W1, W2 ~ N(0, sd²), biases zero. */
    public void init(Rng rng, int stream, float sd) {
        rng.normal(w1.value(), stream);
        org.genzoo.host.ops.Elementwise.scale(w1.value(), w1.value(), sd);
        rng.normal(w2.value(), stream);
        org.genzoo.host.ops.Elementwise.scale(w2.value(), w2.value(), sd);
        b.value().fill(0f);
        c1.value().fill(0f);
        c2.value().fill(0f);
    }

    /**
     * Takes the weights of two pretrained RBMs (bottom: v–h1, top: h1–h2): W1, W2 as they are, b the
     * bottom's visible bias, c2 the top's hidden bias, and c1 = c_bottom + b_top, the halved sum of
     * the two doubled inputs that h1 received during pretraining.
     */
    public void fromRbms(Rbm bottom, Rbm top) {
        if (bottom.visibleUnits() != d || bottom.hiddenUnits() != h1 || top.visibleUnits() != h1 || top.hiddenUnits() != h2) {
            throw new IllegalArgumentException("pretrained RBMs " + bottom.visibleUnits() + "-" + bottom.hiddenUnits() + " and "
                    + top.visibleUnits() + "-" + top.hiddenUnits() + " do not fit a DBM " + d + "-" + h1 + "-" + h2);
        }
        w1.value().copyFrom(bottom.weights().value());
        w2.value().copyFrom(top.weights().value());
        b.value().copyFrom(bottom.visibleBias().value());
        org.genzoo.host.ops.Elementwise.add(c1.value(), bottom.hiddenBias().value(), top.visibleBias().value());
        c2.value().copyFrom(top.hiddenBias().value());
    }

    public Device device() {
        return device;
    }

    public Gibbs gibbs() {
        return gibbs;
    }

    public Gemm gemm() {
        return gibbs.gemm();
    }

    public int visibleUnits() {
        return d;
    }

    public int hidden1() {
        return h1;
    }

    public int hidden2() {
        return h2;
    }

    public Param w1() {
        return w1;
    }

    public Param w2() {
        return w2;
    }

    public Param b() {
        return b;
    }

    public Param c1() {
        return c1;
    }

    public Param c2() {
        return c2;
    }

    public List<Param> params() {
        return List.of(w1, w2, b, c1, c2);
    }

    // ---- conditionals -------------------------------------------------------------------------

    /** x = vW1 + h2W2ᵀ + c1, the logits of h1 given its two neighbours.  x: R x H1. */
    public void h1Logits(Tensor x, Tensor v, Tensor hs2) {
        Gemm g = gibbs.gemm();
        g.gemm(x, v, false, w1.value(), false, 1f, 0f, c1.value(), Gemm.Act.NONE);
        g.gemm(x, hs2, false, w2.value(), true, 1f, 1f, null, Gemm.Act.NONE);
    }

    /** p = σ(t·(vW1 + h2W2ᵀ + c1)), s ~ Bernoulli(p); x (R x H1) receives the logits. */
    public void h1Step(Tensor p, Tensor s, Tensor x, Tensor v, Tensor hs2, float temp, Rng rng, int stream) {
        h1Logits(x, v, hs2);
        gibbs.sampleLogits(p, s, x, temp, rng, stream, rng.next(stream));
    }

    /** p = σ(t·(h1W1ᵀ + b) + (1 − t)·base), s ~ Bernoulli(p).  p, s: R x D; base: 1 x D or null. */
    public void visibleStep(Tensor p, Tensor s, Tensor hs1, float temp, Tensor base, Rng rng, int stream) {
        gibbs.halfStep(p, s, hs1, w1.value(), true, b.value(), temp, null, base, Gibbs.Units.BERNOULLI, rng, stream, rng.next(stream));
    }

    /** p = σ(t·(h1W2 + c2)), s ~ Bernoulli(p).  p, s: R x H2. */
    public void h2Step(Tensor p, Tensor s, Tensor hs1, float temp, Rng rng, int stream) {
        gibbs.halfStep(p, s, hs1, w2.value(), false, c2.value(), temp, null, null, Gibbs.Units.BERNOULLI, rng, stream, rng.next(stream));
    }

    /**
     * Mean field q(h1, h2 | v) = Π μ1^h1 (1 − μ1)^(1−h1) · Π μ2^h2 (1 − μ2)^(1−h2): from μ1 = σ(2·vW1 + c1),
     * μ2 = σ(μ1W2 + c2), {@code iters} fixed-point rounds μ1 = σ(vW1 + c1 + μ2W2ᵀ), μ2 = σ(μ1W2 + c2).
     * x (R x H1) is scratch (it keeps vW1 + c1).  mu1: R x H1, mu2: R x H2, v: R x D.
     */
    public void meanField(Tensor mu1, Tensor mu2, Tensor x, Tensor v, int iters) {
        Gemm g = gibbs.gemm();
        g.gemm(mu1, v, false, w1.value(), false, 2f, 0f, c1.value(), Gemm.Act.SIGMOID);
        g.gemm(mu2, mu1, false, w2.value(), false, 1f, 0f, c2.value(), Gemm.Act.SIGMOID);
        if (iters < 1) {
            return;
        }
        g.gemm(x, v, false, w1.value(), false, 1f, 0f, c1.value(), Gemm.Act.NONE);
        for (int i = 0; i < iters; i++) {
            mu1.copyFrom(x);
            g.gemm(mu1, mu2, false, w2.value(), true, 1f, 1f, null, Gemm.Act.SIGMOID);
            g.gemm(mu2, mu1, false, w2.value(), false, 1f, 0f, c2.value(), Gemm.Act.SIGMOID);
        }
    }

    /**
     * Adds the gradient of the negative log-likelihood (its variational bound) from a positive phase
     * (data v with mean-field μ1, μ2) and a negative phase (chain states nv, nh2 with nh1 = p(h1 | nv, nh2),
     * Rao-Blackwellized): grad W1 += nvᵀ·nh1/C − vᵀ·μ1/B, grad W2 += nh1ᵀ·nh2/C − μ1ᵀ·μ2/B, the biases
     * likewise with column means.
     */
    public void accumulateGradients(Tensor v, Tensor mu1, Tensor mu2, Tensor nv, Tensor nh1, Tensor nh2) {
        float sp = -1f / v.rows();
        float sn = 1f / nv.rows();
        Gemm g = gibbs.gemm();
        g.gemm(w1.grad(), v, true, mu1, false, sp, 1f, null, Gemm.Act.NONE);
        g.gemm(w1.grad(), nv, true, nh1, false, sn, 1f, null, Gemm.Act.NONE);
        g.gemm(w2.grad(), mu1, true, mu2, false, sp, 1f, null, Gemm.Act.NONE);
        g.gemm(w2.grad(), nh1, true, nh2, false, sn, 1f, null, Gemm.Act.NONE);
        gibbs.biasStats(b.grad(), v, sp, nv, sn);
        gibbs.biasStats(c1.grad(), mu1, sp, nh1, sn);
        gibbs.biasStats(c2.grad(), mu2, sp, nh2, sn);
    }

    @Override
    public void close() {
        for (Param p : params()) {
            p.close();
        }
        if (ownsGibbs) {
            gibbs.close();
        }
    }
}
