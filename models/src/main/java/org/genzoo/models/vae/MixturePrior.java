package org.genzoo.models.vae;

import java.util.List;
import java.util.SplittableRandom;
import org.genzoo.host.Device;
import org.genzoo.host.autograd.Param;
import org.genzoo.host.autograd.Tape;
import org.genzoo.host.autograd.Var;
import org.genzoo.host.ops.Rng;
import org.genzoo.host.tensor.Tensor;

/**
 * p(z) = Σ_k π_k N(z; m_k, diag exp(v_k)), π = softmax(a), with learnable means m (K x L),
 * log-variances v (K x L) and logits a (1 x K). Means start uniform in ±1, v and a at 0.
 * Parameters in order: prior.means, prior.logvars, prior.logits.
 */
public final class MixturePrior implements Prior {
    private final Device device;
    private final Param means;
    private final Param logvars;
    private final Param logits;

    public MixturePrior(Device device, int components, int latentDim, SplittableRandom init) {
        this.device = device;
        means = new Param("prior.means", device, components, latentDim);
        logvars = new Param("prior.logvars", device, components, latentDim);
        logits = new Param("prior.logits", device, 1, components);
        float[] m = new float[components * latentDim];
        for (int i = 0; i < m.length; i++) {
            m[i] = (float) (init.nextDouble() * 2 - 1);
        }
        means.value().write(m);
    }

    @Override
    public Var logDensity(Var z) {
        Tape t = Tape.current();
        return VF.mixtureLogDensity(z, t.param(means), t.param(logvars), t.param(logits));
    }

    @Override
    public Tensor sample(int n, Rng rng, int stream) {
        float[] a = logits.value().toArray();
        double[] w = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            w[i] = a[i];
        }
        return Prior.sampleMixture(device, rng, stream, n, w, means.value().toArray(), logvars.value().toArray(),
                means.value().cols());
    }

    @Override
    public List<Param> params() {
        return List.of(means, logvars, logits);
    }
}
