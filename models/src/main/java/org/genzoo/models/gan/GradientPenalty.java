package org.genzoo.models.gan;

import java.util.function.UnaryOperator;
import org.genzoo.host.autograd.CustomOp;
import org.genzoo.host.autograd.Tape;
import org.genzoo.host.autograd.Var;
import org.genzoo.host.ops.Penalty;
import org.genzoo.host.ops.Rng;
import org.genzoo.host.tensor.Tensor;

/**
 * The WGAN-GP penalty (Gulrajani et al. 2017): λ · mean_i (‖∇x D(x̂_i)‖₂ − 1)² on the interpolates
 * x̂_i = α_i x_i + (1 − α_i) x̃_i, α_i ~ U[0, 1] drawn per example on the device. The input gradient
 * comes from the tape's double backward ({@link Tape#gradients}), so the penalty's own gradient
 * reaches the critic's parameters. ‖g‖ = sqrt(Σ g² + {@link #EPS}) keeps the norm differentiable
 * at g = 0.
 */
public final class GradientPenalty {
    /** Inside the square root of the norm. */
    public static final float EPS = 1e-12f;

    private GradientPenalty() {
    }

    /** x̂ = fake + α ⊙ (real − fake), α one uniform draw per row from {@code rng}'s {@code stream} (one fused launch after the draw). */
    public static Tensor interpolate(Tape t, Tensor real, Tensor fake, Rng rng, int stream) {
        Tensor alpha = t.alloc(real.rows(), 1);
        rng.uniform(alpha, stream);
        Tensor x = t.alloc(real.rows(), real.cols());
        Penalty.interpolate(x, real, fake, alpha);
        return x;
    }

    /** λ · mean_i (‖∇x critic(x)_i‖ − 1)² at the points x (B x D), differentiable in the critic's parameters. */
    public static Var at(Tape t, UnaryOperator<Var> critic, Tensor x, float lambda) {
        return at(t, critic, x, lambda, null, null);
    }

    /**
     * As {@link #at(Tape, UnaryOperator, Tensor, float)}, with the ones that seed the input gradient
     * given (B x 1, filled with 1 by the caller and kept across steps), and the penalty written into
     * {@code into} (1 x 1, the caller's) when not null. The penalty and its gradient in ∇x are one
     * launch each ({@link Penalty}); the gradient then flows through the tape's double backward.
     */
    public static Var at(Tape t, UnaryOperator<Var> critic, Tensor x, float lambda, Tensor ones, Tensor into) {
        Var xv = t.constant(x);
        Var d = critic.apply(xv);
        Tensor seed = ones;
        if (seed == null) {
            seed = t.alloc(d.rows(), 1);
            seed.fill(1f);
        }
        Var g = t.gradients(d, t.constant(seed), xv)[0];
        Tensor gp = into != null ? into : t.alloc(1, 1);
        Tensor norms = t.alloc(g.rows(), 1);
        Penalty.forward(gp, norms, g.value(), EPS, lambda);
        Var out = CustomOp.result(gp, g.requiresGrad());
        CustomOp.onBackward(() -> {
            if (CustomOp.hasGrad(out) && g.requiresGrad()) {
                float beta = CustomOp.gradBeta(t, g);
                Penalty.backward(g.grad(), out.grad(), norms, g.value(), lambda, beta);
            }
        });
        return out;
    }
}
