package org.genzoo.host.autograd;

import org.genzoo.host.tensor.Tensor;

/**
 * A value on the tape, with its gradient when something upstream needs one. A Var made from a
 * {@link Param} shares the parameter's tensors: its gradient accumulates. Any other Var's gradient
 * is assigned by the first contribution of a backward pass and accumulated by later ones.
 */
public final class Var {
    private final Tensor value;
    private final Param param;
    private final boolean requiresGrad;
    /** True for an op's output, false for parameters, constants and leaves. */
    private final boolean derived;
    private Tensor grad;
    private boolean gradWritten;
    /** The op that made this Var, when it recorded one for {@link Tape#gradients} (null otherwise). */
    Tape.Node node;
    /** The output of {@link F#linear} with a fused ReLU: the value is y = relu(z), y > 0 iff z > 0. */
    boolean reluOutput;
    /**
     * The gradient holds exactly one contribution, already multiplied by [value > 0] (the ReLU's
     * backward, fused into the GEMM that wrote it); the producing linear layer then skips its own.
     */
    boolean gradReluMasked;

    Var(Tensor value, Param param, boolean requiresGrad) {
        this(value, param, requiresGrad, false);
    }

    Var(Tensor value, Param param, boolean requiresGrad, boolean derived) {
        this.value = value;
        this.param = param;
        this.requiresGrad = requiresGrad;
        this.derived = derived;
    }

    boolean derived() {
        return derived;
    }

    public Tensor value() {
        return value;
    }

    public int rows() {
        return value.rows();
    }

    public int cols() {
        return value.cols();
    }

    public boolean requiresGrad() {
        return requiresGrad;
    }

    /** The gradient after backward (null when this Var got none). */
    public Tensor grad() {
        return param != null ? param.grad() : grad;
    }

    Param param() {
        return param;
    }

    /**
     * The gradient tensor to write into, allocating it on first use, and the beta to write with:
     * 1 (accumulate) for parameters and for every contribution after the first, else 0 (assign).
     */
    float prepareGrad(Tape tape) {
        if (param != null) {
            return 1f;
        }
        if (grad == null) {
            grad = tape.alloc(value.rows(), value.cols());
        }
        if (gradWritten) {
            gradReluMasked = false; // a second contribution, not masked: the ReLU's backward must run on the sum
            return 1f;
        }
        gradWritten = true;
        return 0f;
    }

    boolean hasGrad() {
        return param != null || gradWritten;
    }

    @Override
    public String toString() {
        return "Var(" + value.shape() + (param != null ? ", " + param.name() : "") + ")";
    }
}
