package org.genzoo.models.vae;

/** The decoder's observation model p(x | z). */
public enum Likelihood {
    /** Independent Bernoulli per pixel with logits from the decoder's last (linear) layer; x in {0, 1}. */
    BERNOULLI,
    /** Diagonal Gaussian with a mean head and a log-variance head; x real. */
    GAUSSIAN
}
