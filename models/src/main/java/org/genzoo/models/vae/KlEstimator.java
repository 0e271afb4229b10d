package org.genzoo.models.vae;

/** How the ELBO's KL(q(z|x) ‖ p(z)) term is computed. */
public enum KlEstimator {
    /** Closed form; only for the standard normal prior (needed for free bits, which work per dimension). */
    ANALYTIC,
    /** Single-sample Monte Carlo log q(z|x) − log p(z) at the reparameterized z; any prior. */
    SAMPLE
}
