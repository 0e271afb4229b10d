package org.genzoo.models.vae;

import java.util.List;
import org.genzoo.host.Device;
import org.genzoo.host.autograd.Param;
import org.genzoo.host.autograd.Tape;
import org.genzoo.host.ops.Rng;
import org.genzoo.host.tensor.Tensor;
import org.genzoo.host.testing.Check;

/** Helpers shared by the model tests: parameter vectors, one recorded loss, the twin noise. */
final class ModelTesting {
    private ModelTesting() {
    }

    /** Overwrites every parameter with uniform values in ±scale (seeded), so biases are not all zero. */
    static void randomize(List<Param> ps, long seed, double scale) {
        for (int i = 0; i < ps.size(); i++) {
            ps.get(i).value().write(Check.uniform(seed + 7919L * i, ps.get(i).size(), -scale, scale));
        }
    }

    static double[] values(List<Param> ps) {
        int n = ps.stream().mapToInt(Param::size).sum();
        double[] out = new double[n];
        int o = 0;
        for (Param p : ps) {
            float[] v = p.value().toArray();
            for (float f : v) {
                out[o++] = f;
            }
        }
        return out;
    }

    static float[] grads(List<Param> ps) {
        int n = ps.stream().mapToInt(Param::size).sum();
        float[] out = new float[n];
        int o = 0;
        for (Param p : ps) {
            float[] g = p.grad().toArray();
            System.arraycopy(g, 0, out, o, g.length);
            o += g.length;
        }
        return out;
    }

    static void zeroGrads(List<Param> ps) {
        ps.forEach(Param::zeroGrad);
    }

    /** One loss + backward; returns the loss value (parameter gradients are left in place). */
    static float lossAndBackward(Device dev, LatentModel m, Tensor x, long step) {
        zeroGrads(m.params());
        try (Tape t = Tape.record(dev)) {
            var loss = m.loss(t, x, step);
            t.backward(loss);
            return loss.value().get(0, 0);
        }
    }

    /** The normal draws at (seed, stream, counter) the model's reparameterization used.  rows x cols. */
    static float[] twinNormal(Device dev, long seed, int stream, long counter, int rows, int cols) {
        try (Tensor eps = Tensor.empty(dev, rows, cols)) {
            new Rng(seed).normal(eps, stream, counter);
            return eps.toArray();
        }
    }

    static float[] binary(long seed, int n) {
        float[] u = Check.uniform(seed, n, 0, 1);
        for (int i = 0; i < n; i++) {
            u[i] = u[i] < 0.5f ? 0f : 1f;
        }
        return u;
    }
}
