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
 * The VampPrior (Tomczak &amp; Welling 2018): p(z) = (1/K) Σ_k q(z | u_k), a uniform mixture of
 * the encoder's posteriors at K learnable pseudo-inputs u (K x D, parameter prior.pseudoInputs,
 * started uniform in [0, 1)). The gradient reaches both u and the shared encoder.
 */
public final class VampPrior implements Prior {
    private final Device device;
    private final Param pseudo;
    private final GaussianMlp encoder;

    public VampPrior(Device device, int pseudoInputs, GaussianMlp encoder, SplittableRandom init) {
        this.device = device;
        this.encoder = encoder;
        pseudo = new Param("prior.pseudoInputs", device, pseudoInputs, encoder.in());
        float[] u = new float[pseudoInputs * encoder.in()];
        for (int i = 0; i < u.length; i++) {
            u[i] = (float) init.nextDouble();
        }
        pseudo.value().write(u);
    }

    @Override
    public Var logDensity(Var z) {
        Var s = encoder.forward(Tape.current().param(pseudo));
        return VF.mixtureLogDensity(z, encoder.mu(s), encoder.logvar(s), null);
    }

    @Override
    public Tensor sample(int n, Rng rng, int stream) {
        float[] mu;
        float[] lv;
        try (Tape t = Tape.noGrad(device)) {
            Var s = encoder.forward(t.param(pseudo));
            mu = encoder.mu(s).value().toArray();
            lv = encoder.logvar(s).value().toArray();
        }
        return Prior.sampleMixture(device, rng, stream, n, new double[pseudo.value().rows()], mu, lv, encoder.out());
    }

    /** Only the pseudo-inputs: the encoder's parameters belong to the model. */
    @Override
    public List<Param> params() {
        return List.of(pseudo);
    }
}
