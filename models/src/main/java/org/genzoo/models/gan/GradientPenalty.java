package org.genzoo.models.gan;

import java.util.function.UnaryOperator;
import org.genzoo.host.autograd.F;
import org.genzoo.host.autograd.Tape;
import org.genzoo.host.autograd.Var;
import org.genzoo.host.ops.Elementwise;
import org.genzoo.host.ops.Gemm;
import org.genzoo.host.ops.Reduce;
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

    /** x̂ = fake + α ⊙ (real − fake), α one uniform draw per row from {@code rng}'s {@code stream}. */
    public static Tensor interpolate(Tape t, Tensor real, Tensor fake, Rng rng, int stream) {
        int b = real.rows();
        int d = real.cols();
        Tensor alpha = t.alloc(b, 1);
        rng.uniform(alpha, stream);
        Tensor ones = t.alloc(1, d);
        ones.fill(1f);
        Tensor a = t.alloc(b, d);
        t.device().shared(Gemm.class, Gemm::new).mm(a, alpha, false, ones, false);
        Tensor diff = t.alloc(b, d);
        Elementwise.sub(diff, real, fake);
        Tensor x = t.alloc(b, d);
        Elementwise.mul(x, a, diff);
        Elementwise.add(x, x, fake);
        return x;
    }

    /** λ · mean_i (‖∇x critic(x)_i‖ − 1)² at the points x (B x D), differentiable in the critic's parameters. */
    public static Var at(Tape t, UnaryOperator<Var> critic, Tensor x, float lambda) {
        Var xv = t.constant(x);
        Var d = critic.apply(xv);
        Tensor ones = t.alloc(d.rows(), 1);
        ones.fill(1f);
        Var g = t.gradients(d, t.constant(ones), xv)[0];
        Tensor eps = t.alloc(g.rows(), 1);
        eps.fill(EPS);
        Var norm = F.exp(F.scale(F.log(F.add(F.reduceRows(Reduce.Op.SUM, F.square(g)), t.constant(eps))), 0.5f));
        Tensor one = t.alloc(g.rows(), 1);
        one.fill(1f);
        return F.scale(F.mean(F.square(F.sub(norm, t.constant(one)))), lambda);
    }
}
