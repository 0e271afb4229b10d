package org.genzoo.models.flow;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.genzoo.host.autograd.Adam;
import org.genzoo.host.autograd.Tape;
import org.genzoo.host.ops.Rng;
import org.genzoo.host.testing.OnDevice;
import org.junit.jupiter.api.Test;

/**
 * Reverse KL on U1 with a small planar flow reaches a loss within 0.1 nats of −log Z(U1), log Z by
 * quadrature ({@link Energies#logZ}); the final loss is a 20,000-draw Monte-Carlo estimate whose
 * standard error is part of the budget.
 */
class ReverseKlTest extends OnDevice {
    /** 16 planar layers, 1500 Adam steps of 128 draws (lr 0.01, x0.3 at half, x0.1 at three quarters): ~35 s on PoCL, KL ~0.06. */
    private static final int LAYERS = 16;
    private static final int STEPS = 1500;
    private static final int BATCH = 128;
    private static final float LR = 0.01f;

    @Test
    void planarFlowFitsU1WithinATenthOfANat() {
        long seed = 7;
        List<FlowLayer> layers = new ArrayList<>();
        SplittableRandom init = new SplittableRandom(seed);
        for (int k = 0; k < LAYERS; k++) {
            layers.add(new Planar(dev, "planar" + k, 2, init));
        }
        double logZ = Energies.U1.logZ();
        try (Flow flow = new Flow(dev, 2, layers); Adam opt = new Adam(dev, flow.params(), LR)) {
            Rng rng = new Rng(seed);
            long t0 = System.nanoTime();
            for (int step = 0; step < STEPS; step++) {
                opt.setLrScale(step < STEPS / 2 ? 1f : step < 3 * STEPS / 4 ? 0.3f : 0.1f);
                try (Tape t = Tape.record(dev)) {
                    t.backward(ReverseKl.loss(flow, Energies.U1, BATCH, rng, 0));
                }
                opt.step();
            }
            dev.finish();
            double secs = (System.nanoTime() - t0) / 1e9;
            ReverseKl.Estimate e = ReverseKl.estimate(flow, Energies.U1, 20000, 5000, new Rng(seed + 1), 0);
            String msg = String.format(Locale.ROOT, "loss %.4f ± %.4f vs -log Z %.4f: KL %.4f after %d steps in %.1f s (seed %d)",
                    e.loss(), e.stderr(), -logZ, e.kl(), STEPS, secs, seed);
            assertTrue(e.kl() + 2 * e.stderr() < 0.1, msg);
            assertTrue(e.kl() > -4 * e.stderr(), "the loss cannot go below -log Z: " + msg);
        }
    }
}
