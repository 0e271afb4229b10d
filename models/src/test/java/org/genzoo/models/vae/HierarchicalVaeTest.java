package org.genzoo.models.vae;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import java.util.Map;
import org.genzoo.host.testing.OnDevice;
import org.genzoo.host.tensor.Tensor;
import org.genzoo.host.testing.Check;
import org.junit.jupiter.api.Test;

/** The two-stochastic-layer VAE's ELBO and IWAE bound vs finite differences of the reference. */
class HierarchicalVaeTest extends OnDevice {
    /** float32 forward/backward of O(1) batch means vs double central differences. */
    private static final double ATOL = 3e-4;
    private static final double RTOL = 3e-3;
    private static final double LOSS_TOL = 1e-4;
    private static final double FD_STEP = 1e-5;
    private static final int D = 5;
    private static final int B = 3;
    private static final int L1 = 3;
    private static final int L2 = 2;

    private static HvaeConfig tiny(Objective objective, int k, long seed) {
        return new HvaeConfig(D, List.of(4), L1, List.of(3), L2, Activation.TANH, Likelihood.BERNOULLI, objective, k, 1f, 0, seed);
    }

    private static void check(HvaeConfig c, float[] x, long step, String what) {
        try (HierarchicalVae m = new HierarchicalVae(dev, c); Tensor tx = Tensor.of(dev, B, D, x)) {
            ModelTesting.randomize(m.params(), c.seed() + 100, 0.6);
            float got = ModelTesting.lossAndBackward(dev, m, tx, step);
            int rows = B * c.samples();
            float[] eps1 = ModelTesting.twinNormal(dev, c.seed(), HierarchicalVae.Z1_STREAM, 0, rows, L1);
            float[] eps2 = ModelTesting.twinNormal(dev, c.seed(), HierarchicalVae.Z2_STREAM, 0, rows, L2);
            double[] p0 = ModelTesting.values(m.params());
            double ref = VaeReference.hvaeLoss(c, p0, x, B, eps1, eps2, step);
            assertEquals(ref, got, LOSS_TOL * (1 + Math.abs(ref)), what + ": loss, seed " + c.seed());
            double[] fd = Check.finiteDiff(p -> VaeReference.hvaeLoss(c, p, x, B, eps1, eps2, step), p0, FD_STEP);
            Check.close(fd, ModelTesting.grads(m.params()), ATOL, RTOL, what + ": gradients, seed " + c.seed());
        }
    }

    @Test
    void elboMatchesReference() {
        check(tiny(Objective.ELBO, 1, 31), ModelTesting.binary(41, B * D), 0, "two-layer ELBO");
    }

    @Test
    void annealedElboMatchesReference() {
        check(tiny(Objective.ELBO, 1, 32).withBeta(2f, 8), ModelTesting.binary(42, B * D), 2, "two-layer ELBO, β 2 at 2/8");
    }

    @Test
    void iwaeMatchesReference() {
        check(tiny(Objective.IWAE, 3, 33), ModelTesting.binary(43, B * D), 0, "two-layer IWAE K=3");
    }

    @Test
    void gaussianLikelihoodIwae() {
        HvaeConfig c = new HvaeConfig(D, List.of(4), L1, List.of(), L2, Activation.RELU, Likelihood.GAUSSIAN, Objective.IWAE, 2, 1f, 0,
                34);
        check(c, Check.uniform(44, B * D, -1, 1), 0, "two-layer IWAE K=2, Gaussian, no z1-z2 hidden layer");
    }

    @Test
    void iwaeWithOneSampleIsTheElbo() {
        float[] x = ModelTesting.binary(45, B * D);
        float[] loss = new float[2];
        float[][] grads = new float[2][];
        HvaeConfig[] cs = {tiny(Objective.ELBO, 1, 35), tiny(Objective.IWAE, 1, 35)};
        for (int i = 0; i < 2; i++) {
            try (HierarchicalVae m = new HierarchicalVae(dev, cs[i]); Tensor tx = Tensor.of(dev, B, D, x)) {
                ModelTesting.randomize(m.params(), 135, 0.6);
                loss[i] = ModelTesting.lossAndBackward(dev, m, tx, 0);
                grads[i] = ModelTesting.grads(m.params());
            }
        }
        assertEquals(loss[0], loss[1], 1e-5 * (1 + Math.abs(loss[0])), "IWAE(K=1) loss = −ELBO");
        double[] g0 = new double[grads[0].length];
        for (int i = 0; i < g0.length; i++) {
            g0[i] = grads[0][i];
        }
        Check.close(g0, grads[1], 1e-5, 1e-4, "IWAE(K=1) gradient = ELBO gradient");
    }

    @Test
    void interfaceShapesAndMetrics() {
        HvaeConfig c = tiny(Objective.ELBO, 1, 36);
        try (HierarchicalVae m = new HierarchicalVae(dev, c); Tensor tx = Tensor.of(dev, B, D, ModelTesting.binary(46, B * D));
             Tensor s = m.sample(5); Tensor r = m.reconstruct(tx); Tensor mu = m.encodeMean(tx)) {
            assertEquals("5 x " + D, s.shape());
            assertEquals(B + " x " + D, r.shape());
            assertEquals(B + " x " + (L1 + L2), mu.shape());
            assertEquals(L1 + L2, m.latentDim());
            float loss = ModelTesting.lossAndBackward(dev, m, tx, 0);
            Map<String, Float> mt = m.lastMetrics();
            assertEquals(List.of("loss", "elbo", "recon", "kl", "beta"), List.copyOf(mt.keySet()));
            assertEquals(loss, mt.get("loss"));
            assertEquals(List.of("loss", "elbo", "recon", "kl"), List.copyOf(m.lastTerms().keySet()));
            assertEquals(mt.get("kl"), m.lastTerms().get("kl").get(0, 0));
            assertEquals(-loss, mt.get("elbo"), 1e-5 * (1 + Math.abs(loss)), "β = 1: the loss is −ELBO");
            try (var t = org.genzoo.host.autograd.Tape.noGrad(dev)) {
                assertEquals(B + " x 7", m.logWeights(t, tx, 7).value().shape());
            }
        }
    }

    @Test
    void invalidConfigsNameTheirFields() {
        InvalidConfigException e = assertThrows(InvalidConfigException.class,
                () -> new HvaeConfig(D, List.of(0), 0, List.of(), L2, Activation.TANH, Likelihood.BERNOULLI, Objective.ELBO, 2, 1f, 0, 1));
        assertEquals(List.of("hidden1[0]", "latent1", "samples"), e.fields());
        e = assertThrows(InvalidConfigException.class, () -> tiny(Objective.IWAE, 5, 1).withBeta(0.5f, 10));
        assertEquals(List.of("beta", "warmupSteps"), e.fields());
    }
}
