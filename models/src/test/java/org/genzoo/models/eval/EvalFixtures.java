package org.genzoo.models.eval;

import java.util.SplittableRandom;
import org.genzoo.host.Device;
import org.genzoo.host.autograd.Adam;
import org.genzoo.host.autograd.Tape;
import org.genzoo.host.tensor.Tensor;
import org.genzoo.models.vae.Activation;
import org.genzoo.models.vae.LatentModel;
import org.genzoo.models.vae.Vae;
import org.genzoo.models.vae.VaeConfig;

/**
 * Structured synthetic binary data as in the VAE training test: 8 x 8 images (D = 64), four random
 * prototypes, each bit flipped with probability 0.05; and small VAEs trained on it.
 */
final class EvalFixtures {
    static final int H = 8;
    static final int W = 8;
    static final int D = H * W;
    static final int N = 512;
    static final int B = 64;
    static final long SEED = 2024;

    private EvalFixtures() {
    }

    /** N x D binary examples from {@link #SEED}. */
    static Tensor data(Device dev) {
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
        return Tensor.of(dev, N, D, x);
    }

    /** A D-64-L VAE with ReLU and the given β, trained {@code steps} Adam steps on consecutive batches. */
    static Vae trainedVae(Device dev, Tensor data, int latent, float beta, int steps) {
        VaeConfig c = VaeConfig.builder(D, latent).hidden(64).activation(Activation.RELU).beta(beta).seed(SEED).build();
        Vae m = new Vae(dev, c);
        train(dev, m, data, steps, 3e-3f);
        return m;
    }

    static void train(Device dev, LatentModel m, Tensor data, int steps, float lr) {
        try (Adam opt = new Adam(dev, m.params(), lr)) {
            for (int step = 0; step < steps; step++) {
                Tensor x = data.rows((step * B) % N, (step * B) % N + B);
                try (Tape t = Tape.record(dev)) {
                    t.backward(m.loss(t, x, step));
                }
                opt.step();
            }
        }
    }
}
