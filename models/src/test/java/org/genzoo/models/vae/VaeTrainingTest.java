package org.genzoo.models.vae;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Map;
import java.util.SplittableRandom;
import org.genzoo.host.Device;
import org.genzoo.host.TestDevices;
import org.genzoo.host.autograd.Adam;
import org.genzoo.host.autograd.F;
import org.genzoo.host.autograd.Tape;
import org.genzoo.host.tensor.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Small models trained a few hundred steps on structured synthetic binary data (D = 64): four
 * random prototypes, each bit flipped with probability 0.05. The data's entropy is
 * log 4 + 64·H(0.05) = 1.39 + 12.70 = 14.1 nats per example, so −log p(x) ≥ 14.1 for any model,
 * and a model that knows nothing (p = 1/2 everywhere) scores 64·log 2 = 44.4.
 */
class VaeTrainingTest {
    private static final int D = 64;
    private static final int N = 512;
    private static final int B = 64;
    private static final int STEPS = 300;
    private static final long SEED = 2024;
    private static final double ENTROPY = Math.log(4) + D * (-(0.05 * Math.log(0.05) + 0.95 * Math.log(0.95)));

    private static Device dev;
    private static Tensor data;

    @BeforeAll
    static void open() {
        dev = TestDevices.openDefault();
        SplittableRandom r = new SplittableRandom(SEED);
        float[][] protos = new float[4][D];
        for (float[] p : protos) {
            for (int i = 0; i < D; i++) {
                p[i] = r.nextBoolean() ? 1f : 0f;
            }
        }
        float[] x = new float[N * D];
        for (int n = 0; n < N; n++) {
            float[] p = protos[r.nextInt(4)];
            for (int i = 0; i < D; i++) {
                x[n * D + i] = r.nextDouble() < 0.05 ? 1f - p[i] : p[i];
            }
        }
        data = Tensor.of(dev, N, D, x);
    }

    @AfterAll
    static void close() {
        if (data != null) {
            data.close();
        }
        if (dev != null) {
            dev.close();
        }
    }

    /** Trains {@code m} with Adam on consecutive minibatches; returns the first step's loss. */
    private static float train(LatentModel m, float lr) {
        float first = Float.NaN;
        try (Adam opt = new Adam(dev, m.params(), lr)) {
            for (int step = 0; step < STEPS; step++) {
                Tensor x = data.rows((step * B) % N, (step * B) % N + B);
                try (Tape t = Tape.record(dev)) {
                    var loss = m.loss(t, x, step);
                    t.backward(loss);
                    if (step == 0) {
                        first = loss.value().get(0, 0);
                    }
                }
                opt.step();
            }
        }
        return first;
    }

    /** The mean IWAE bound with K samples over the whole data set (no gradient). */
    private static double iwae(LatentModel m, int k) {
        double sum = 0;
        for (int b = 0; b < N; b += B) {
            try (Tape t = Tape.noGrad(dev)) {
                sum += F.sum(F.logMeanExp(m.logWeights(t, data.rows(b, b + B), k))).value().get(0, 0);
            }
        }
        return sum / N;
    }

    private static Map<String, Float> evaluate(LatentModel m) {
        try (Tape t = Tape.noGrad(dev)) {
            m.loss(t, data, STEPS);
        }
        return m.lastMetrics();
    }

    @Test
    void vaeLearnsThePrototypes() {
        VaeConfig c = VaeConfig.builder(D, 4).hidden(64).activation(Activation.RELU).seed(SEED).build();
        try (Vae m = new Vae(dev, c)) {
            float first = train(m, 3e-3f);
            Map<String, Float> mt = evaluate(m);
            double bound = iwae(m, 20);
            System.out.printf("vae: first loss %.2f, ELBO %.2f (recon %.2f, kl %.2f), IWAE-20 %.2f, entropy %.2f%n", first,
                    mt.get("elbo"), mt.get("recon"), mt.get("kl"), bound, ENTROPY);
            assertTrue(first > 40, "an untrained model is near 64·log 2 = 44.4 nats, got " + first);
            assertTrue(mt.get("elbo") > -18.0, "after " + STEPS + " steps the ELBO reaches −18 nats (16.1 seen), got " + mt.get("elbo"));
            assertTrue(bound >= mt.get("elbo") - 0.1, "IWAE-20 " + bound + " bounds log p(x) at least as tightly as the ELBO "
                    + mt.get("elbo"));
            assertTrue(bound < -ENTROPY + 0.5, "no bound beats the data entropy: " + bound);
        }
    }

    @Test
    void iwaeAndHierarchicalModelsTrain() {
        VaeConfig c = VaeConfig.builder(D, 4).hidden(64).activation(Activation.TANH).iwae(5).kl(KlEstimator.SAMPLE).seed(SEED).build();
        try (Vae m = new Vae(dev, c)) {
            train(m, 3e-3f);
            double bound = iwae(m, 20);
            System.out.printf("iwae-5: IWAE-20 %.2f%n", bound);
            assertTrue(bound > -18.0, "IWAE(K=5) training reaches an IWAE-20 bound above −18 nats (15.9 seen), got " + bound);
        }
        HvaeConfig h = new HvaeConfig(D, java.util.List.of(64), 8, java.util.List.of(16), 4, Activation.TANH, Likelihood.BERNOULLI,
                Objective.IWAE, 3, 1f, 0, SEED);
        try (HierarchicalVae m = new HierarchicalVae(dev, h)) {
            train(m, 3e-3f);
            double bound = iwae(m, 20);
            System.out.printf("hvae iwae-3: IWAE-20 %.2f%n", bound);
            assertTrue(bound > -18.0, "the two-layer model reaches an IWAE-20 bound above −18 nats (15.0 seen), got " + bound);
        }
    }
}
