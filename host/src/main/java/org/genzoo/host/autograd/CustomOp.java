package org.genzoo.host.autograd;

import org.genzoo.host.tensor.Tensor;

/**
 * The hooks an op outside this package needs to record itself on the active {@link Tape} with its
 * own kernels (the flow layers' coupling and autoregressive kernels, for example), following the
 * same rules as {@link F}: compute the output into {@link Tape#alloc} tensors, wrap it with
 * {@link #result}, and register a backward step with {@link #onBackward} that writes each input's
 * gradient with the beta {@link #gradBeta} returns (0 assigns the first contribution, 1
 * accumulates later ones and every parameter gradient).
 */
public final class CustomOp {
    private CustomOp() {
    }

    /** A Var for {@code value} on the active tape; it needs a gradient when {@code requiresGrad} and the tape records. */
    public static Var result(Tensor value, boolean requiresGrad) {
        return Tape.current().result(value, requiresGrad);
    }

    /** Registers a backward step on the active tape (ignored by a noGrad tape). */
    public static void onBackward(Runnable step) {
        Tape.current().onBackward(step);
    }

    /** True once a backward pass has written a gradient into {@code v} (always for parameters). */
    public static boolean hasGrad(Var v) {
        return v.hasGrad();
    }

    /**
     * Makes sure {@code v}'s gradient tensor exists and returns the beta to write it with: 0 for the
     * first contribution to a non-parameter Var (assign), 1 afterwards and for parameters (accumulate).
     */
    public static float gradBeta(Tape tape, Var v) {
        return v.prepareGrad(tape);
    }
}
