package org.genzoo.models.vae;

import java.util.List;
import java.util.SplittableRandom;
import org.genzoo.host.Device;
import org.genzoo.host.autograd.F;
import org.genzoo.host.autograd.Param;
import org.genzoo.host.autograd.Var;
import org.genzoo.host.ops.Rng;
import org.genzoo.host.tensor.Tensor;

/** A prior p(z) over L latent dimensions: a differentiable log-density and a sampler. */
public interface Prior extends AutoCloseable {
    /** log p(z) per row, on the active tape.  z: R x L -> R x 1. */
    Var logDensity(Var z);

    /** n draws z ~ p(z) (no gradient), owned by the caller; may read small tensors back.  n x L. */
    Tensor sample(int n, Rng rng, int stream);

    /** Learnable parameters (none for N(0, I)). */
    List<Param> params();

    @Override
    default void close() {
        for (Param p : params()) {
            p.close();
        }
    }

    /** The prior a spec names; the VampPrior shares {@code encoder} (q(z|x) with input width D). */
    static Prior create(Device device, PriorSpec spec, int latentDim, GaussianMlp encoder, SplittableRandom init) {
        if (spec instanceof PriorSpec.StandardNormal) {
            return new StandardNormalPrior(device, latentDim);
        }
        if (spec instanceof PriorSpec.Mixture m) {
            return new MixturePrior(device, m.components(), latentDim, init);
        }
        if (spec instanceof PriorSpec.Vamp v) {
            return new VampPrior(device, v.pseudoInputs(), encoder, init);
        }
        throw new IllegalArgumentException("unknown prior " + spec);
    }

    /** p(z) = N(0, I). */
    final class StandardNormalPrior implements Prior {
        private final Device device;
        private final int latentDim;

        StandardNormalPrior(Device device, int latentDim) {
            this.device = device;
            this.latentDim = latentDim;
        }

        @Override
        public Var logDensity(Var z) {
            return F.standardNormalLogDensity(z);
        }

        @Override
        public Tensor sample(int n, Rng rng, int stream) {
            Tensor z = Tensor.empty(device, n, latentDim);
            rng.normal(z, stream);
            return z;
        }

        @Override
        public List<Param> params() {
            return List.of();
        }
    }

    /**
     * Draws n samples from Σ_k w_k N(m_k, diag exp(v_k)) given on the host (small K x L arrays):
     * the component from a device uniform read back, then the reparameterized draw on the device.
     * logWeights need not be normalized.
     */
    static Tensor sampleMixture(Device device, Rng rng, int stream, int n, double[] logWeights, float[] means, float[] logvars,
            int latentDim) {
        int k = logWeights.length;
        double max = Double.NEGATIVE_INFINITY;
        for (double w : logWeights) {
            max = Math.max(max, w);
        }
        double[] cdf = new double[k];
        double total = 0;
        for (int i = 0; i < k; i++) {
            total += Math.exp(logWeights[i] - max);
            cdf[i] = total;
        }
        float[] u;
        try (Tensor tu = Tensor.empty(device, n, 1)) {
            rng.uniform(tu, stream);
            u = tu.toArray();
        }
        float[] mu = new float[n * latentDim];
        float[] lv = new float[n * latentDim];
        for (int r = 0; r < n; r++) {
            double target = u[r] * total;
            int c = 0;
            while (c < k - 1 && cdf[c] <= target) {
                c++;
            }
            System.arraycopy(means, c * latentDim, mu, r * latentDim, latentDim);
            System.arraycopy(logvars, c * latentDim, lv, r * latentDim, latentDim);
        }
        Tensor z = Tensor.empty(device, n, latentDim);
        try (Tensor tm = Tensor.of(device, n, latentDim, mu); Tensor tl = Tensor.of(device, n, latentDim, lv)) {
            rng.reparameterize(z, null, tm, tl, stream);
        }
        return z;
    }
}
