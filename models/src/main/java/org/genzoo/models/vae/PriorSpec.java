package org.genzoo.models.vae;

/** The prior p(z) of a single-stochastic-layer VAE. */
public sealed interface PriorSpec permits PriorSpec.StandardNormal, PriorSpec.Mixture, PriorSpec.Vamp {
    /** p(z) = N(0, I). */
    record StandardNormal() implements PriorSpec {
    }

    /**
     * p(z) = Σ_k π_k N(z; m_k, diag v_k) with learnable means, log-variances and mixture logits.
     * Means start uniform in ±1, log-variances at 0, logits at 0.
     */
    record Mixture(int components) implements PriorSpec {
    }

    /**
     * VampPrior (Tomczak &amp; Welling 2018): p(z) = (1/K) Σ_k q(z | u_k) with K learnable
     * pseudo-inputs u_k (K x D) pushed through the encoder. Pseudo-inputs start uniform in [0, 1).
     */
    record Vamp(int pseudoInputs) implements PriorSpec {
    }

    static PriorSpec standardNormal() {
        return new StandardNormal();
    }
}
