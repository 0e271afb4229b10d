package org.genzoo.models.flow;

import java.util.List;
import org.genzoo.host.autograd.Param;
import org.genzoo.host.autograd.Var;
import org.genzoo.host.tensor.Tensor;

/**
 * One invertible layer of a normalizing flow. The data direction x -> z is "forward", the
 * generative direction z -> x is "inverse". Both record on {@link org.genzoo.host.autograd.Tape#current()}.
 */
public interface FlowLayer extends AutoCloseable {
    /** D, the width of x and z. */
    int dim();

    /** x -> z recorded on Tape.current(); logdet = per-example log|det dz/dx| as a B x 1 Var. */
    Step forward(Var x);

    /**
     * z -> x recorded on Tape.current(); logdet = per-example log|det dx/dz| (= minus forward's).
     * Layers whose inverse is iterative (planar, radial: 1-D root finding; i-ResNet: fixed point)
     * compute it without gradients and say so in the javadoc; if a recording tape asks for
     * gradients through such an inverse they throw IllegalStateException saying which direction
     * is differentiable.
     */
    Step inverse(Var z);

    /**
     * {@link #forward(Var)} with the log-dets of the layers before added in: the step's logdet is
     * {@code before} + this layer's (before: B x 1, or null for the first layer). Layers whose kernel
     * can add it in the same launch override this; the default adds with one more op.
     */
    default Step forward(Var x, Var before) {
        Step s = forward(x);
        return before == null ? s : new Step(s.out(), org.genzoo.host.autograd.F.add(before, s.logdet()));
    }

    /** {@link #inverse(Var)} with the log-dets so far added in, as {@link #forward(Var, Var)}. */
    default Step inverse(Var z, Var before) {
        Step s = inverse(z);
        return before == null ? s : new Step(s.out(), org.genzoo.host.autograd.F.add(before, s.logdet()));
    }

    /** Every trainable parameter in a fixed order (checkpoints depend on it). */
    List<Param> params();

    /** Called once before the first training step with the first batch (ActNorm's data-dependent init); default no-op. */
    default void initialize(Tensor firstBatch) {
    }

    /** A layer's output and its per-example log-determinant (B x 1). */
    record Step(Var out, Var logdet) {
    }

    @Override
    default void close() {
    }
}
