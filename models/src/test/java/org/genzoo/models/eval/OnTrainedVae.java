package org.genzoo.models.eval;

import org.genzoo.models.vae.Vae;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** Eval tests on a small VAE (latent 4, beta 1) trained 300 steps on the fixture data. */
abstract class OnTrainedVae extends OnEvalData {
    protected static Vae vae;

    @BeforeAll
    static void trainVae() {
        vae = EvalFixtures.trainedVae(dev, data, 4, 1f, 300);
    }

    @AfterAll
    static void closeVae() {
        if (vae != null) {
            vae.close();
            vae = null;
        }
    }
}
