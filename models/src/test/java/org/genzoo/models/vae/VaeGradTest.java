package org.genzoo.models.vae;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import java.util.Map;
import org.genzoo.host.testing.OnDevice;
import org.genzoo.host.autograd.Param;
import org.genzoo.host.tensor.Tensor;
import org.genzoo.host.testing.Check;
import org.junit.jupiter.api.Test;

/**
 * Every VAE objective's loss and parameter gradients against central finite differences of the
 * double-precision {@link VaeReference} at tiny shapes, with the device's own noise (a twin Rng
 * at the same seed, stream and counter).
 */
class VaeGradTest extends OnDevice {
    /** float32 forward/backward of O(1) batch means vs double central differences. */
    private static final double ATOL = 3e-4;
    private static final double RTOL = 3e-3;
    /** Loss value: float32 sums of a few dozen O(1) terms. */
    private static final double LOSS_TOL = 1e-4;
    private static final double FD_STEP = 1e-5;
    private static final int D = 5;
    private static final int H = 4;
    private static final int L = 2;
    private static final int B = 3;

    private static VaeConfig.Builder tiny(long seed) {
        return VaeConfig.builder(D, L).hidden(H).activation(Activation.TANH).seed(seed);
    }

    /** Loss and gradients of a fresh model (parameters randomized from {@code seed}) vs the reference. */
    private static void checkAgainstReference(VaeConfig c, float[] x, long step, String what) {
        try (Vae m = new Vae(dev, c); Tensor tx = Tensor.of(dev, B, D, x)) {
            ModelTesting.randomize(m.params(), c.seed() + 100, 0.6);
            float got = ModelTesting.lossAndBackward(dev, m, tx, step);
            float[] eps = ModelTesting.twinNormal(dev, c.seed(), Vae.Z_STREAM, 0, B * c.samples(), L);
            List<Param> ps = m.params();
            double[] p0 = ModelTesting.values(ps);
            double ref = VaeReference.vaeLoss(c, p0, x, B, eps, step);
            assertEquals(ref, got, LOSS_TOL * (1 + Math.abs(ref)), what + ": loss, seed " + c.seed());
            double[] fd = Check.finiteDiff(p -> VaeReference.vaeLoss(c, p, x, B, eps, step), p0, FD_STEP);
            Check.close(fd, ModelTesting.grads(ps), ATOL, RTOL, what + ": gradients, seed " + c.seed());
        }
    }

    @Test
    void elboBernoulliTanh() {
        checkAgainstReference(tiny(1).build(), ModelTesting.binary(11, B * D), 0, "ELBO, Bernoulli, tanh");
    }

    @Test
    void elboGaussianReluTwoHiddenLayers() {
        VaeConfig c = VaeConfig.builder(D, L).hidden(H, 3).activation(Activation.RELU).likelihood(Likelihood.GAUSSIAN).seed(2)
                .build();
        checkAgainstReference(c, Check.uniform(12, B * D, -1, 1), 0, "ELBO, Gaussian, relu");
    }

    @Test
    void elboWithSampledKl() {
        checkAgainstReference(tiny(3).kl(KlEstimator.SAMPLE).build(), ModelTesting.binary(13, B * D), 0, "ELBO, sampled KL");
    }

    @Test
    void betaVaeWithAnnealing() {
        VaeConfig c = tiny(4).beta(3f).warmupSteps(10).build();
        checkAgainstReference(c, ModelTesting.binary(14, B * D), 3, "beta 3, step 3 of 10 warm-up");
    }

    @Test
    void iwaeBound() {
        checkAgainstReference(tiny(5).iwae(3).kl(KlEstimator.SAMPLE).build(), ModelTesting.binary(15, B * D), 0, "IWAE K=3");
    }

    @Test
    void iwaeGaussianLikelihood() {
        VaeConfig c = tiny(6).likelihood(Likelihood.GAUSSIAN).iwae(2).kl(KlEstimator.SAMPLE).build();
        checkAgainstReference(c, Check.uniform(16, B * D, -1, 1), 0, "IWAE K=2, Gaussian");
    }

    @Test
    void mixturePriorElboAndIwae() {
        VaeConfig c = tiny(7).prior(new PriorSpec.Mixture(3)).build();
        checkAgainstReference(c, ModelTesting.binary(17, B * D), 0, "mixture prior, ELBO");
        checkAgainstReference(c.toBuilder().iwae(2).build(), ModelTesting.binary(18, B * D), 0, "mixture prior, IWAE K=2");
    }

    @Test
    void vampPrior() {
        VaeConfig c = tiny(8).prior(new PriorSpec.Vamp(3)).build();
        checkAgainstReference(c, ModelTesting.binary(19, B * D), 0, "VampPrior, ELBO");
        checkAgainstReference(c.toBuilder().iwae(2).build(), ModelTesting.binary(20, B * D), 0, "VampPrior, IWAE K=2");
    }

    @Test
    void freeBitsGradientsMatchReference() {
        float[] x = ModelTesting.binary(21, B * 6);
        // L = 3 in two groups {0, 2} and {1}, and λ between the two groups' KL.
        VaeConfig probe = VaeConfig.builder(6, 3).hidden(H).activation(Activation.TANH).seed(9).freeBits(0.01f, 0, 1, 0).build();
        double[] klDim;
        try (Vae m = new Vae(dev, probe)) {
            ModelTesting.randomize(m.params(), probe.seed() + 100, 0.6);
            klDim = VaeReference.klPerDim(probe, ModelTesting.values(m.params()), x, B);
        }
        double[] g = VaeReference.groupKl(probe, klDim);
        double lambda = (g[0] + g[1]) / 2;
        assertTrue(Math.abs(g[0] - g[1]) > 0.02, "the groups' KL must differ to straddle λ: " + g[0] + " vs " + g[1]);
        VaeConfig c = probe.toBuilder().freeBits((float) lambda, 0, 1, 0).build();
        try (Vae m = new Vae(dev, c); Tensor tx = Tensor.of(dev, B, 6, x)) {
            ModelTesting.randomize(m.params(), c.seed() + 100, 0.6);
            float got = ModelTesting.lossAndBackward(dev, m, tx, 0);
            float[] eps = ModelTesting.twinNormal(dev, c.seed(), Vae.Z_STREAM, 0, B, 3);
            double[] p0 = ModelTesting.values(m.params());
            assertEquals(VaeReference.vaeLoss(c, p0, x, B, eps, 0), got, LOSS_TOL * (1 + Math.abs(got)), "free-bits loss");
            double[] fd = Check.finiteDiff(p -> VaeReference.vaeLoss(c, p, x, B, eps, 0), p0, FD_STEP);
            Check.close(fd, ModelTesting.grads(m.params()), ATOL, RTOL, "free-bits gradients, λ " + lambda);
        }
    }

    @Test
    void freeBitsGroupBelowLambdaGetsNoKlGradient() {
        float[] x = ModelTesting.binary(22, B * D);
        VaeConfig probe = tiny(10).build();
        double[] klDim;
        try (Vae m = new Vae(dev, probe)) {
            ModelTesting.randomize(m.params(), probe.seed() + 100, 0.6);
            klDim = VaeReference.klPerDim(probe, ModelTesting.values(m.params()), x, B);
        }
        int low = klDim[0] < klDim[1] ? 0 : 1;
        int high = 1 - low;
        assertTrue(klDim[high] - klDim[low] > 0.02, "dimensions' KL must differ: " + klDim[0] + " vs " + klDim[1]);
        float lambda = (float) ((klDim[0] + klDim[1]) / 2);
        // Reconstruction only (β = 0) vs free bits: the encoder head rows of the dimension below λ
        // (its mu row and its logvar row) get the same gradient; the dimension above λ does not.
        float[][] headGrad = new float[2][];
        VaeConfig[] cs = {probe.toBuilder().beta(0f).build(), probe.toBuilder().freeBits(lambda).build()};
        for (int i = 0; i < 2; i++) {
            try (Vae m = new Vae(dev, cs[i]); Tensor tx = Tensor.of(dev, B, D, x)) {
                ModelTesting.randomize(m.params(), probe.seed() + 100, 0.6);
                ModelTesting.lossAndBackward(dev, m, tx, 0);
                Param head = m.params().stream().filter(p -> p.name().equals("encoder.head.weight")).findFirst().orElseThrow();
                headGrad[i] = head.grad().toArray();
            }
        }
        for (int row : new int[] {low, L + low}) {
            for (int j = 0; j < H; j++) {
                assertEquals(headGrad[0][row * H + j], headGrad[1][row * H + j], 1e-6,
                        "dimension " + low + " is below λ: no KL gradient in head row " + row);
            }
        }
        double diff = 0;
        for (int row : new int[] {high, L + high}) {
            for (int j = 0; j < H; j++) {
                diff = Math.max(diff, Math.abs(headGrad[0][row * H + j] - headGrad[1][row * H + j]));
            }
        }
        assertTrue(diff > 1e-3, "dimension " + high + " is above λ: its KL gradient must show, max difference " + diff);
    }

    @Test
    void capacityFollowsScheduleAndMatchesReference() {
        VaeConfig c = tiny(11).capacity(40f, 100, 5f).build();
        assertEquals(0f, c.capacityAt(0));
        assertEquals(10f, c.capacityAt(25), 1e-6);
        assertEquals(40f, c.capacityAt(100));
        assertEquals(40f, c.capacityAt(1000));
        float[] x = ModelTesting.binary(23, B * D);
        // Step 0: C = 0 < KL (the term pushes KL down); step 100: C = 40 > KL (it pushes KL up).
        checkAgainstReference(c, x, 0, "capacity at step 0");
        checkAgainstReference(c, x, 100, "capacity at step 100");
        try (Vae m = new Vae(dev, c); Tensor tx = Tensor.of(dev, B, D, x)) {
            for (long step : new long[] {0, 25, 60, 100, 150}) {
                float loss = ModelTesting.lossAndBackward(dev, m, tx, step);
                Map<String, Float> mt = m.lastMetrics();
                float cap = c.capacityAt(step);
                assertEquals(cap, mt.get("capacity"), 1e-6, "capacity metric at step " + step);
                assertEquals(-mt.get("recon") + 5f * Math.abs(mt.get("kl") - cap), loss, 1e-4 * (1 + Math.abs(loss)),
                        "loss = −recon + γ|KL − C| at step " + step);
                assertEquals(loss, mt.get("loss"));
            }
        }
    }

    @Test
    void annealingRampsBeta() {
        VaeConfig c = tiny(12).beta(2f).warmupSteps(10).build();
        float[] x = ModelTesting.binary(24, B * D);
        try (Vae m = new Vae(dev, c); Tensor tx = Tensor.of(dev, B, D, x)) {
            long[] steps = {0, 5, 10, 20};
            float[] betas = {0f, 1f, 2f, 2f};
            for (int i = 0; i < steps.length; i++) {
                float loss = ModelTesting.lossAndBackward(dev, m, tx, steps[i]);
                Map<String, Float> mt = m.lastMetrics();
                assertEquals(betas[i], mt.get("beta"), 1e-6, "β at step " + steps[i]);
                assertEquals(-mt.get("recon") + betas[i] * mt.get("kl"), loss, 1e-4 * (1 + Math.abs(loss)), "loss at step " + steps[i]);
                assertEquals(mt.get("recon") - mt.get("kl"), mt.get("elbo"), 1e-5, "elbo = recon − kl");
            }
        }
    }

    @Test
    void iwaeWithOneSampleIsTheSingleSampleElbo() {
        float[] x = ModelTesting.binary(25, B * D);
        for (PriorSpec prior : List.of(new PriorSpec.StandardNormal(), new PriorSpec.Mixture(2), new PriorSpec.Vamp(2))) {
            VaeConfig elbo = tiny(13).prior(prior).kl(KlEstimator.SAMPLE).build();
            VaeConfig iwae = elbo.toBuilder().iwae(1).build();
            float[] loss = new float[2];
            float[][] grads = new float[2][];
            VaeConfig[] cs = {elbo, iwae};
            for (int i = 0; i < 2; i++) {
                try (Vae m = new Vae(dev, cs[i]); Tensor tx = Tensor.of(dev, B, D, x)) {
                    ModelTesting.randomize(m.params(), 113, 0.6);
                    loss[i] = ModelTesting.lossAndBackward(dev, m, tx, 0);
                    grads[i] = ModelTesting.grads(m.params());
                    assertEquals(1, m.rng().counter(Vae.Z_STREAM), "one draw on the z stream");
                }
            }
            assertEquals(loss[0], loss[1], 1e-5 * (1 + Math.abs(loss[0])), prior + ": IWAE(K=1) loss = −ELBO");
            double[] g0 = new double[grads[0].length];
            for (int i = 0; i < g0.length; i++) {
                g0[i] = grads[0][i];
            }
            Check.close(g0, grads[1], 1e-5, 1e-4, prior + ": IWAE(K=1) gradient = ELBO gradient");
        }
    }

    @Test
    void logWeightsAreExampleMajor() {
        float[] x = ModelTesting.binary(26, B * D);
        VaeConfig c = tiny(14).build();
        try (Vae m = new Vae(dev, c); Tensor tx = Tensor.of(dev, B, D, x)) {
            ModelTesting.randomize(m.params(), 114, 0.6);
            int k = 4;
            float[] lw;
            try (var t = org.genzoo.host.autograd.Tape.noGrad(dev)) {
                lw = m.logWeights(t, tx, k).value().toArray();
            }
            float[] eps = ModelTesting.twinNormal(dev, c.seed(), Vae.Z_STREAM, 0, B * k, L);
            VaeReference.VaeParams ref = new VaeReference.VaeParams(c, ModelTesting.values(m.params()));
            double[] expect = new double[B * k];
            for (int b = 0; b < B; b++) {
                double[] xb = VaeReference.row(x, b, D);
                double[] s = ref.enc.apply(xb);
                double[] mu = VaeReference.slice(s, 0, L);
                double[] lv = VaeReference.slice(s, L, 2 * L);
                for (int j = 0; j < k; j++) {
                    double[] z = VaeReference.reparam(mu, lv, eps, b * k + j);
                    expect[b * k + j] = ref.dec.logLik(xb, z) + ref.logPrior(z) - VaeReference.logNormal(z, mu, lv);
                }
            }
            Check.close(expect, lw, 1e-4, 1e-4, "log-weights B x K (no-grad path)");
        }
    }

    @Test
    void samplesReconstructionsAndMeansHaveTheirShapes() {
        for (PriorSpec prior : List.of(new PriorSpec.StandardNormal(), new PriorSpec.Mixture(3), new PriorSpec.Vamp(2))) {
            try (Vae m = new Vae(dev, tiny(15).prior(prior).build()); Tensor tx = Tensor.of(dev, B, D, ModelTesting.binary(27, B * D));
                 Tensor s = m.sample(7); Tensor r = m.reconstruct(tx); Tensor mu = m.encodeMean(tx)) {
                assertEquals("7 x " + D, s.shape());
                assertEquals(B + " x " + D, r.shape());
                assertEquals(B + " x " + L, mu.shape());
                for (float v : s.toArray()) {
                    assertTrue(v > 0 && v < 1, prior + ": Bernoulli means are probabilities, got " + v);
                }
                assertEquals(1, m.rng().counter(Vae.PRIOR_STREAM) > 0 ? 1 : 0, "sampling advanced the prior stream");
            }
        }
    }

    @Test
    void invalidConfigsNameTheirFields() {
        InvalidConfigException e = assertThrows(InvalidConfigException.class,
                () -> VaeConfig.builder(0, 2).hidden(4, -1).beta(-1f).build());
        assertEquals(List.of("dataDim", "hidden[1]", "beta"), e.fields());
        e = assertThrows(InvalidConfigException.class, () -> tiny(1).prior(new PriorSpec.Mixture(2)).freeBits(0.5f).build());
        assertEquals(List.of("freeBits"), e.fields());
        e = assertThrows(InvalidConfigException.class, () -> tiny(1).iwae(5).beta(2f).build());
        assertEquals(List.of("beta"), e.fields());
        e = assertThrows(InvalidConfigException.class, () -> tiny(1).freeBits(0.5f, 0, 2).build());
        assertEquals(List.of("freeBitsGroups"), e.fields());
        e = assertThrows(InvalidConfigException.class, () -> tiny(1).prior(new PriorSpec.Vamp(0)).build());
        assertEquals(List.of("prior.pseudoInputs"), e.fields());
        e = assertThrows(InvalidConfigException.class, () -> tiny(1).capacity(10f, 5, 1f).beta(4f).build());
        assertEquals(List.of("capacityGamma"), e.fields());
        e = assertThrows(InvalidConfigException.class,
                () -> new VaeConfig(D, List.of(H), L, Activation.TANH, Likelihood.BERNOULLI, new PriorSpec.Mixture(2), Objective.ELBO, 1,
                        KlEstimator.ANALYTIC, 1f, 0, 0f, List.of(), 0f, 0, 0f, 0));
        assertEquals(List.of("kl"), e.fields());
    }
}
