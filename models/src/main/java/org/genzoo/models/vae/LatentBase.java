package org.genzoo.models.vae;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.genzoo.host.Device;
import org.genzoo.host.autograd.F;
import org.genzoo.host.autograd.Tape;
import org.genzoo.host.autograd.Var;
import org.genzoo.host.ops.Rng;
import org.genzoo.host.tensor.Tensor;

/**
 * What {@link Vae} and {@link HierarchicalVae} share: the device, the noise source, the metric
 * plumbing (loss, elbo or iwae, recon, kl on the device; beta or capacity on the host), the batch
 * checks, the importance-weight bookkeeping of the IWAE bound and of {@link #logWeights}, and the
 * plain ELBO from one weight per example. A subclass supplies {@link #weights}: per sample log p(x|z)
 * and log q − log p, whatever its layers are.
 */
abstract class LatentBase implements LatentModel {
    protected final Device device;
    protected final Rng rng;
    protected final VF vf;
    protected final Metrics metrics;

    protected LatentBase(Device device, long seed, Objective objective) {
        this.device = device;
        this.rng = new Rng(seed);
        this.vf = new VF(device);
        this.metrics = new Metrics(device, Metrics.names("loss", objective == Objective.IWAE ? "iwae" : "elbo", "recon", "kl"));
    }

    /** log w (B x K), and per sample log p(x|z) and log q − log p (BK x 1, example-major). */
    protected record Terms(Var logW, Var logPx, Var kl) {
    }

    /** The importance terms of K fresh samples per example of x (B x D), on {@code t}. */
    protected abstract Terms weights(Tape t, Tensor x, int k);

    protected abstract Objective objective();

    /** Importance samples of the IWAE objective. */
    protected abstract int samples();

    /** β at the 0-based step (KL annealing). */
    protected abstract float betaAt(long step);

    @Override
    public Device device() {
        return device;
    }

    @Override
    public Rng rng() {
        return rng;
    }

    @Override
    public final Var loss(Tape t, Tensor x, long step) {
        checkBatch(x);
        metrics.begin();
        if (objective() == Objective.IWAE) {
            Terms terms = weights(t, x, samples());
            Var bound = F.mean(F.logMeanExp(terms.logW));
            Var loss = F.scale(bound, -1f);
            metrics.put("loss", loss);
            metrics.put("iwae", bound);
            metrics.put("recon", F.mean(terms.logPx));
            metrics.put("kl", F.mean(terms.kl));
            return loss;
        }
        return elboLoss(t, x, step);
    }

    /** The ELBO objective: by default β·mean(log q − log p) − mean(log p(x|z)) from one weight per example. */
    protected Var elboLoss(Tape t, Tensor x, long step) {
        Terms terms = weights(t, x, 1);
        float beta = betaAt(step);
        Var fused = fusedElbo(terms.logPx, terms.kl, beta);
        if (fused != null) {
            return fused;
        }
        Var recon = F.mean(terms.logPx);
        Var kl = F.mean(terms.kl);
        return putElbo(F.sub(F.scale(kl, beta), recon), recon, kl, beta);
    }

    /**
     * β·mean(kl) − mean(rec) with its metrics written by {@link F#elbo} straight into the metric
     * slots (one launch each way instead of two means, a difference, four copies and their
     * backward); null when the terms are not both R x 1 columns or the slots do not line up.
     */
    protected Var fusedElbo(Var rec, Var kl, float beta) {
        if (rec.cols() != 1 || kl.cols() != 1 || rec.rows() != kl.rows()) {
            return null;
        }
        Tensor slots = metrics.slots("loss", "elbo", "recon", "kl");
        if (slots == null) {
            return null;
        }
        metrics.putHost("beta", beta);
        return F.elbo(rec, kl, beta, slots);
    }

    /**
     * {@link #fusedElbo} for a Bernoulli decoder's logits and the analytic KL of N(mu, exp(logvar))
     * from N(0, I), straight from those inputs ({@link F#bernoulliNormalElbo}: both per-row terms in
     * one launch, the whole backward in one); null when the slots do not line up.
     */
    protected Var fusedBernoulliElbo(Var x, Var logits, Var mu, Var logvar, float beta) {
        Tensor slots = metrics.slots("loss", "elbo", "recon", "kl");
        if (slots == null) {
            return null;
        }
        metrics.putHost("beta", beta);
        return F.bernoulliNormalElbo(x, logits, mu, logvar, beta, slots);
    }

    /** Records loss, elbo = recon − kl, recon, kl and (unless NaN) the host value beta; returns the loss. */
    protected Var putElbo(Var loss, Var recon, Var kl, float beta) {
        metrics.put("loss", loss);
        metrics.putDifference("elbo", recon, kl);
        metrics.put("recon", recon);
        metrics.put("kl", kl);
        if (!Float.isNaN(beta)) {
            metrics.putHost("beta", beta);
        }
        return loss;
    }

    @Override
    public Map<String, Float> lastMetrics() {
        return metrics.read();
    }

    @Override
    public Map<String, Tensor> lastTerms() {
        return metrics.terms();
    }

    @Override
    public Var logWeights(Tape t, Tensor x, int k) {
        checkBatch(x);
        if (k < 1) {
            throw new IllegalArgumentException("logWeights: k must be at least 1, got " + k);
        }
        return weights(t, x, k).logW;
    }

    /** A caller-owned copy of a tape value. */
    protected Tensor copyOut(Var v) {
        Tensor out = Tensor.empty(device, v.rows(), v.cols());
        out.copyFrom(v.value());
        return out;
    }

    protected void checkBatch(Tensor x) {
        if (x.cols() != dataDim()) {
            throw new IllegalArgumentException(name() + ": batch has " + x.cols() + " columns, the model expects D = " + dataDim());
        }
        if (x.rows() < 1) {
            throw new IllegalArgumentException(name() + ": empty batch");
        }
    }

    /** Layer widths in reverse order (a decoder mirrors its encoder). */
    static List<Integer> reversed(List<Integer> h) {
        List<Integer> r = new ArrayList<>(h);
        Collections.reverse(r);
        return r;
    }

    /** Closes what this class owns; subclasses close their layers and call this. */
    @Override
    public void close() {
        vf.close();
        metrics.close();
    }
}
