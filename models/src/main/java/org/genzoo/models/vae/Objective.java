package org.genzoo.models.vae;

/** What the model maximizes. */
public enum Objective {
    /** The evidence lower bound E_q[log p(x|z)] − KL(q‖p), one reparameterized sample per example. */
    ELBO,
    /**
     * The importance-weighted bound log (1/K) Σ_k p(x, z_k) / q(z_k|x) with K samples
     * (Burda et al. 2016); K = 1 is the ELBO in its single-sample form.
     */
    IWAE
}
