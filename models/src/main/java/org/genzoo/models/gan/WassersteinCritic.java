package org.genzoo.models.gan;

import java.util.List;
import java.util.SplittableRandom;
import java.util.function.BiConsumer;
import org.genzoo.host.Device;
import org.genzoo.host.autograd.Adam;
import org.genzoo.host.autograd.F;
import org.genzoo.host.autograd.Param;
import org.genzoo.host.autograd.Tape;
import org.genzoo.host.autograd.Var;
import org.genzoo.host.ops.Optim;
import org.genzoo.host.ops.Rng;
import org.genzoo.host.tensor.Tensor;

/**
 * The critic of WGAN / WGAN-GP trained alone between two fixed distributions P and Q, as an
 * estimator of the Wasserstein-1 distance: by Kantorovich–Rubinstein duality
 * W1(P, Q) = sup over 1-Lipschitz f of E_P f − E_Q f. With the gradient penalty the critic is
 * (softly) 1-Lipschitz and E_P f − E_Q f on fresh samples estimates W1 itself; with weight clipping
 * it estimates K·W1 for an unknown K (Arjovsky et al. 2017), so only the penalty version is compared
 * with a closed form. For N(m₁, s²) and N(m₂, s²) in 1-D the closed form is |m₁ − m₂|.
 *
 * <p>Two properties of the penalty matter for such a check. With weight λ the best critic between
 * two shifted Gaussians has slope 1 + 1/λ, so the estimate is biased up by 1/λ. And in 1-D the
 * input gradient cannot rotate: a critic that starts with the wrong sign must cross slope 0, where
 * the penalty is λ, so a large λ from the start can pin it at slope −1. {@link #train} therefore
 * takes λ per call: a short phase with λ = 1 finds the sign, a longer one with a large λ removes the bias.
 */
public final class WassersteinCritic implements AutoCloseable {
    /** Draws a batch into a B x D tensor from a seeded stream. */
    public interface Sampler extends BiConsumer<Tensor, Rng> {
    }

    private final Device device;
    private final GanNet critic;
    private final float clip;
    private final Rng rng;

    /** @param clip weight clipping bound (0 = none) */
    public WassersteinCritic(Device device, int dim, int[] hidden, float clip, long seed) {
        this.device = device;
        this.critic = new GanNet(device, "critic", GanConfig.sizes(dim, hidden, 1), GanNet.Act.RELU, GanNet.Act.LINEAR, 0.2f, false,
                new SplittableRandom(seed));
        this.clip = clip;
        this.rng = new Rng(seed);
    }

    public GanNet critic() {
        return critic;
    }

    /** Trains the critic for {@code steps} Adam steps of batch {@code b} from P and Q with penalty weight {@code lambda} (0 = none). */
    public void train(Sampler p, Sampler q, int steps, int b, float lr, float lambda) {
        List<Param> ps = critic.params();
        try (Adam opt = new Adam(device, ps, lr, 0.5f, 0.9f, 1e-8f, 0f, 0f); Tensor xp = Tensor.empty(device, b, critic.in());
                Tensor xq = Tensor.empty(device, b, critic.in())) {
            Optim optim = Optim.on(device);
            for (int s = 0; s < steps; s++) {
                p.accept(xp, rng);
                q.accept(xq, rng);
                try (Tape t = Tape.record(device)) {
                    // Minimize E_Q f − E_P f (+ penalty): f grows on P.
                    Var loss = F.sub(F.mean(critic.forward(t.constant(xq))), F.mean(critic.forward(t.constant(xp))));
                    if (lambda > 0) {
                        Tensor xhat = GradientPenalty.interpolate(t, xp, xq, rng, GanModel.STREAM_ALPHA);
                        loss = F.add(loss, GradientPenalty.at(t, critic::forward, xhat, lambda));
                    }
                    t.backward(loss);
                }
                opt.step();
                if (clip > 0) {
                    for (Param w : ps) {
                        optim.clipWeights(w.value(), clip);
                    }
                }
            }
        }
    }

    /** E_P f − E_Q f over {@code batches} fresh batches of b. */
    public double estimate(Sampler p, Sampler q, int batches, int b) {
        double sum = 0;
        try (Tensor xp = Tensor.empty(device, b, critic.in()); Tensor xq = Tensor.empty(device, b, critic.in())) {
            for (int i = 0; i < batches; i++) {
                p.accept(xp, rng);
                q.accept(xq, rng);
                try (Tape t = Tape.noGrad(device)) {
                    sum += F.sub(F.mean(critic.forward(t.constant(xp), true)), F.mean(critic.forward(t.constant(xq), true)))
                            .value().get(0, 0);
                }
            }
        }
        return sum / batches;
    }

    /** A sampler of N(mean, std²) in every coordinate, from the device RNG's stream {@code stream}. */
    public static Sampler gaussian(float mean, float std, int stream) {
        return (x, r) -> {
            r.normal(x, stream);
            org.genzoo.host.ops.Elementwise.scale(x, x, std);
            if (mean != 0f) {
                Tensor shift = Tensor.empty(x.device(), x.rows(), x.cols());
                shift.fill(mean);
                org.genzoo.host.ops.Elementwise.add(x, x, shift);
                shift.close();
            }
        };
    }

    @Override
    public void close() {
        critic.close();
    }
}
