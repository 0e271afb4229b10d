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
    /**
     * Set by {@link F#cols}: this Var's value is columns [viewFrom, viewTo) of viewOf's value, and its
     * gradient is the same columns of viewOf's gradient, written in place (no copy, no launch).
     */
    private Var viewOf;
    private int viewFrom;
    private int viewTo;

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
        if (viewOf != null) {
            // Contributions accumulate into the parent's gradient, made whole (zeroed) by the first of them.
            if (grad == null) {
                viewOf.prepareWhole(tape);
                grad = viewOf.grad().cols(viewFrom, viewTo);
            }
            gradWritten = true;
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

    /** The beta the next {@link #prepareGrad} returns (1 accumulates, 0 assigns), without preparing anything. */
    float nextBeta() {
        return param != null || viewOf != null || gradWritten ? 1f : 0f;
    }

    /** Makes this Var's value and gradient columns [from, to) of {@code parent}'s (see {@link F#cols}). */
    void viewOf(Var parent, int from, int to) {
        viewOf = parent;
        viewFrom = from;
        viewTo = to;
    }

    /**
     * For a backward kernel that writes all of a's and b's gradients: when a and b are column views
     * of one parent that together cover it, and nothing has contributed to the parent's gradient,
     * hands out the two views of a fresh parent gradient to assign (beta 0, no zero fill: every
     * element gets written) and returns true; else changes nothing and returns false.
     */
    static boolean claimCover(Tape tape, Var a, Var b) {
        Var p = a.viewOf;
        if (p == null || b.viewOf != p || p.param != null || p.viewOf != null || p.gradWritten || a.grad != null || b.grad != null) {
            return false;
        }
        boolean aFirst = a.viewFrom == 0 && a.viewTo == b.viewFrom && b.viewTo == p.cols();
        boolean bFirst = b.viewFrom == 0 && b.viewTo == a.viewFrom && a.viewTo == p.cols();
        if (!aFirst && !bFirst) {
            return false;
        }
        if (p.grad == null) {
            p.grad = tape.alloc(p.rows(), p.cols());
        }
        p.gradWritten = true;
        p.gradReluMasked = false;
        a.grad = p.grad.cols(a.viewFrom, a.viewTo);
        b.grad = p.grad.cols(b.viewFrom, b.viewTo);
        a.gradWritten = true;
        b.gradWritten = true;
        return true;
    }

    /**
     * Makes the whole gradient ready to accumulate into: allocated, and zeroed unless a
     * contribution already assigned it. For a column view's first contribution.
     */
    private void prepareWhole(Tape tape) {
        if (param != null) {
            return; // a parameter's gradient always accumulates
        }
        if (viewOf != null) {
            prepareGrad(tape);
            return;
        }
        if (grad == null) {
            grad = tape.alloc(value.rows(), value.cols());
        }
        if (!gradWritten) {
            grad.fill(0f);
            gradWritten = true;
        }
        gradReluMasked = false; // the view's contribution is not masked: the ReLU's backward must run on the sum
    }

    boolean hasGrad() {
        return param != null || gradWritten;
    }

    @Override
    public String toString() {
        return "Var(" + value.shape() + (param != null ? ", " + param.name() : "") + ")";
    }
}
