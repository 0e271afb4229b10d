package org.genzoo.models.vae;

import java.util.List;
import java.util.Map;
import org.genzoo.host.Device;
import org.genzoo.host.autograd.Param;
import org.genzoo.host.autograd.Tape;
import org.genzoo.host.autograd.Var;
import org.genzoo.host.ops.Rng;
import org.genzoo.host.tensor.Tensor;

/**
 * A latent-variable generative model a trainer can run without knowing its family: a loss to
 * minimize, importance log-weights for likelihood evaluation, samples, reconstructions and
 * posterior means. Tensors in are B x D (batch x data) on the model's device; tensors returned
 * by {@link #sample}, {@link #reconstruct} and {@link #encodeMean} belong to the caller.
 *
 * <p>Noise comes from the model's own {@link #rng()} (seeded from the config); a trainer saves
 * and restores its counters with checkpoints. A training step is
 * <pre>
 *   try (Tape t = Tape.record(device)) { t.backward(model.loss(t, x, step)); }
 *   optimizer.step();
 * </pre>
 * Nothing here reads the device except {@link #lastMetrics()} and the host-side samplers.
 */
public interface LatentModel extends AutoCloseable {
    /** A short family name for logs and metric tags ("vae", "iwae", "hvae"). */
    String name();

    Device device();

    int dataDim();

    /** Width of {@link #encodeMean}'s output (for a hierarchical model all layers together). */
    int latentDim();

    /** Every parameter in a fixed order (optimizers and checkpoints rely on it). */
    List<Param> params();

    /** The model's noise source (reparameterization and sampling). */
    Rng rng();

    /**
     * The loss at optimizer step {@code step} (0-based; drives the KL schedules): the negative
     * training objective averaged over the batch, 1 x 1, recorded on {@code t}. Also records the
     * values {@link #lastMetrics()} reports, without reading them back.
     */
    Var loss(Tape t, Tensor x, long step);

    /**
     * The metrics of the last {@link #loss} call, read from the device (blocking; call at logging
     * time, not every step). Keys are lower-case names in a fixed order: always {@code loss},
     * then the family's terms (e.g. {@code elbo}, {@code recon}, {@code kl}, {@code beta}). Empty
     * before the first call.
     */
    Map<String, Float> lastMetrics();

    /**
     * The device-side scalars of {@link #lastMetrics()} (not the host-known schedule values such as
     * beta) as 1 x 1 views of a model-owned tensor: nothing is read back; the values change with
     * the next {@link #loss} call. Empty before the first call.
     */
    Map<String, Tensor> lastTerms();

    /**
     * Importance log-weights log p(x, z_k) − log q(z_k | x) for K fresh samples per example, as a
     * B x K matrix on {@code t} (use a {@link Tape#noGrad} tape for evaluation). log (1/K) Σ_k
     * exp of a row is the IWAE bound of that example, an estimate of log p(x) from below.
     */
    Var logWeights(Tape t, Tensor x, int k);

    /** n samples from the model: the decoder mean (probabilities for Bernoulli) at z ~ p(z).  n x D. */
    Tensor sample(int n);

    /** The decoder mean at the posterior mean of each example.  B x D. */
    Tensor reconstruct(Tensor x);

    /** The posterior means E_q[z | x].  B x latentDim(). */
    Tensor encodeMean(Tensor x);

    @Override
    void close();
}
