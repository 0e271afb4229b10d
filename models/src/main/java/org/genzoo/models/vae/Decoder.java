package org.genzoo.models.vae;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.genzoo.host.Device;
import org.genzoo.host.autograd.F;
import org.genzoo.host.autograd.Mlp;
import org.genzoo.host.autograd.Param;
import org.genzoo.host.autograd.Sequential;
import org.genzoo.host.autograd.Var;

/**
 * p(x | z): an MLP L -> hidden... -> D. Bernoulli: the last layer is linear and gives logits;
 * Gaussian: a {@link GaussianMlp} with a mean and a log-variance head.
 */
public final class Decoder implements AutoCloseable {
    private final Likelihood likelihood;
    private final Sequential logits;
    private final GaussianMlp gaussian;

    /** {@code hidden} in decoder order (from z to x). */
    public Decoder(Device device, String name, int latent, List<Integer> hidden, int data, Activation act, Likelihood likelihood,
            SplittableRandom init) {
        this.likelihood = likelihood;
        if (likelihood == Likelihood.BERNOULLI) {
            int[] sizes = new int[hidden.size() + 2];
            sizes[0] = latent;
            for (int i = 0; i < hidden.size(); i++) {
                sizes[i + 1] = hidden.get(i);
            }
            sizes[sizes.length - 1] = data;
            logits = Mlp.of(device, name, sizes, act.linear(), F.LinearAct.NONE, init);
            gaussian = null;
        } else {
            logits = null;
            gaussian = new GaussianMlp(device, name, latent, hidden, data, act, init);
        }
    }

    /** log p(x | z) per example.  x: R x D, z: R x L -> R x 1. */
    public Var logLik(Var x, Var z) {
        if (likelihood == Likelihood.BERNOULLI) {
            return F.bernoulliLogLik(x, logits(z));
        }
        Var s = gaussian.forward(z);
        return F.gaussianLogDensity(x, gaussian.mu(s), gaussian.logvar(s));
    }

    /** Whether p(x | z) is Bernoulli (then {@link #logits} applies). */
    public boolean bernoulli() {
        return likelihood == Likelihood.BERNOULLI;
    }

    /** A Bernoulli decoder's logits.  z: R x L -> R x D. */
    public Var logits(Var z) {
        if (likelihood != Likelihood.BERNOULLI) {
            throw new IllegalStateException("logits: the decoder is " + likelihood + ", not Bernoulli");
        }
        return logits.forward(z);
    }

    /** E[x | z]: sigmoid(logits) or the mean head.  z: R x L -> R x D. */
    public Var mean(Var z) {
        if (likelihood == Likelihood.BERNOULLI) {
            return F.sigmoid(logits.forward(z));
        }
        return gaussian.mu(gaussian.forward(z));
    }

    public List<Param> params() {
        return new ArrayList<>(likelihood == Likelihood.BERNOULLI ? logits.params() : gaussian.params());
    }

    @Override
    public void close() {
        for (Param p : params()) {
            p.close();
        }
    }
}
