package org.genzoo.models.vae;

import org.genzoo.host.autograd.F;

/** Hidden-layer activation of the encoder and decoder MLPs (tanh in the IWAE paper, ReLU otherwise). */
public enum Activation {
    RELU(F.LinearAct.RELU), TANH(F.LinearAct.TANH);

    private final F.LinearAct linear;

    Activation(F.LinearAct linear) {
        this.linear = linear;
    }

    /** The activation fused into the GEMM epilogue of each hidden layer. */
    public F.LinearAct linear() {
        return linear;
    }
}
