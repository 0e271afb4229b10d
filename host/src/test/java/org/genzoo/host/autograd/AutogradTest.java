package org.genzoo.host.autograd;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import java.util.SplittableRandom;
import org.genzoo.host.tensor.Tensor;
import org.genzoo.host.testing.Check;
import org.genzoo.host.testing.OnDevice;
import org.junit.jupiter.api.Test;

/** Tape gradients against central finite differences of a double-precision reference. */
class AutogradTest extends OnDevice {
    /** float32 forward and backward vs a double FD derivative of O(1) quantities. */
    private static final double ATOL = 2e-4;
    private static final double RTOL = 2e-3;
    private static final double FD_STEP = 1e-5;


    // Reference: B=5, IN=3, H=4, OUT=2.
    // h = tanh(x W1ᵀ + b1); z = h W2ᵀ + b2; s = sigmoid(z)
    // loss = mean((s - t)²) + 0.1·sum(softplus(h)) + mean(z ⊙ z) + sum(h + h) / 50
    private static final int B = 5;
    private static final int IN = 3;
    private static final int H = 4;
    private static final int OUT = 2;

    private static double referenceLoss(double[] p, float[] x, float[] t) {
        int o = 0;
        double[] w1 = java.util.Arrays.copyOfRange(p, o, o += H * IN);
        double[] b1 = java.util.Arrays.copyOfRange(p, o, o += H);
        double[] w2 = java.util.Arrays.copyOfRange(p, o, o += OUT * H);
        double[] b2 = java.util.Arrays.copyOfRange(p, o, o += OUT);
        double mse = 0;
        double sp = 0;
        double zz = 0;
        double hh = 0;
        for (int r = 0; r < B; r++) {
            double[] h = new double[H];
            for (int j = 0; j < H; j++) {
                double s = b1[j];
                for (int i = 0; i < IN; i++) {
                    s += x[r * IN + i] * w1[j * IN + i];
                }
                h[j] = Math.tanh(s);
                sp += Math.max(h[j], 0) + Math.log1p(Math.exp(-Math.abs(h[j])));
                hh += 2 * h[j];
            }
            for (int k = 0; k < OUT; k++) {
                double z = b2[k];
                for (int j = 0; j < H; j++) {
                    z += h[j] * w2[k * H + j];
                }
                double s = 1 / (1 + Math.exp(-z));
                mse += (s - t[r * OUT + k]) * (s - t[r * OUT + k]);
                zz += z * z;
            }
        }
        return mse / (B * OUT) + 0.1 * sp + zz / (B * OUT) + hh / 50;
    }

    @Test
    void compositeGradientsMatchFiniteDifferences() {
        long seed = 123;
        SplittableRandom init = new SplittableRandom(seed);
        float[] x = Check.uniform(seed + 1, B * IN, -1, 1);
        float[] t = Check.uniform(seed + 2, B * OUT, 0, 1);
        try (Linear l1 = new Linear(dev, "l1", IN, H, F.LinearAct.TANH, init);
             Linear l2 = new Linear(dev, "l2", H, OUT, F.LinearAct.NONE, init);
             Tensor tx = Tensor.of(dev, B, IN, x); Tensor tt = Tensor.of(dev, B, OUT, t)) {
            l1.bias().value().write(Check.uniform(seed + 3, H, -0.5, 0.5));
            l2.bias().value().write(Check.uniform(seed + 4, OUT, -0.5, 0.5));
            float gotLoss;
            try (Tape tape = Tape.record(dev)) {
                Var h = l1.forward(tape.constant(tx));
                Var z = l2.forward(h);
                Var loss = F.add(F.add(F.mse(F.sigmoid(z), tape.constant(tt)), F.scale(F.sum(F.softplus(h)), 0.1f)),
                        F.add(F.mean(F.mul(z, z)), F.scale(F.sum(F.add(h, h)), 1f / 50)));
                tape.backward(loss);
                gotLoss = loss.value().get(0, 0);
            }
            List<Param> ps = List.of(l1.weight(), l1.bias(), l2.weight(), l2.bias());
            double[] p0 = values(ps);
            float[] grads = gradients(ps);
            assertEquals(referenceLoss(p0, x, t), gotLoss, 1e-5, "loss value, seed " + seed);
            double[] fd = Check.finiteDiff(p -> referenceLoss(p, x, t), p0, FD_STEP);
            Check.close(fd, grads, ATOL, RTOL, "composite gradient, seed " + seed);
        }
    }

    /**
     * ReLU layers whose backward the consumer's dx GEMM applies (F.linear with RELU feeding F.linear):
     * h1 = relu(x W1ᵀ + b1), q = sum(h1 ⊙ h1) / 20 (recorded before layer 2, so its gradient
     * reaches h1 after layer 2's: the fused first contribution plus an unmasked second one),
     * h2 = relu(h1 W2ᵀ + b2) (one contribution, from layer 3: the ReLU backward is skipped),
     * z = h2 W3ᵀ + b3; loss = mean((z − t)²) + q. Against central finite differences in double.
     */
    @Test
    void reluChainGradientsMatchFiniteDifferences() {
        long seed = 321;
        int b = 6;
        int in = 3;
        int h = 5;
        int out = 2;
        SplittableRandom init = new SplittableRandom(seed);
        float[] x = Check.uniform(seed + 1, b * in, -1, 1);
        float[] t = Check.uniform(seed + 2, b * out, -1, 1);
        try (Linear l1 = new Linear(dev, "l1", in, h, F.LinearAct.RELU, init); Linear l2 = new Linear(dev, "l2", h, h, F.LinearAct.RELU, init);
             Linear l3 = new Linear(dev, "l3", h, out, F.LinearAct.NONE, init); Tensor tx = Tensor.of(dev, b, in, x);
             Tensor tt = Tensor.of(dev, b, out, t)) {
            List<Param> ps = List.of(l1.weight(), l1.bias(), l2.weight(), l2.bias(), l3.weight(), l3.bias());
            long s = seed + 3;
            for (Param p : ps) {
                p.value().write(Check.uniform(s++, p.size(), -0.8, 0.8));
            }
            try (Tape tape = Tape.record(dev)) {
                Var h1 = l1.forward(tape.constant(tx));
                Var q = F.scale(F.sum(F.mul(h1, h1)), 1f / 20);
                Var h2 = l2.forward(h1);
                Var z = l3.forward(h2);
                tape.backward(F.add(F.mse(z, tape.constant(tt)), q));
            }
            double[] p0 = values(ps);
            float[] grads = gradients(ps);
            java.util.function.ToDoubleFunction<double[]> ref = p -> {
                int[] off = {0};
                java.util.function.IntFunction<double[]> take = len -> java.util.Arrays.copyOfRange(p, off[0], off[0] += len);
                double[] w1 = take.apply(h * in);
                double[] b1 = take.apply(h);
                double[] w2 = take.apply(h * h);
                double[] b2 = take.apply(h);
                double[] w3 = take.apply(out * h);
                double[] b3 = take.apply(out);
                double mse = 0;
                double qq = 0;
                for (int r = 0; r < b; r++) {
                    double[] a1 = new double[h];
                    double[] a2 = new double[h];
                    for (int j = 0; j < h; j++) {
                        double v = b1[j];
                        for (int i = 0; i < in; i++) {
                            v += x[r * in + i] * w1[j * in + i];
                        }
                        a1[j] = Math.max(v, 0);
                        qq += a1[j] * a1[j];
                    }
                    for (int j = 0; j < h; j++) {
                        double v = b2[j];
                        for (int i = 0; i < h; i++) {
                            v += a1[i] * w2[j * h + i];
                        }
                        a2[j] = Math.max(v, 0);
                    }
                    for (int k = 0; k < out; k++) {
                        double v = b3[k];
                        for (int i = 0; i < h; i++) {
                            v += a2[i] * w3[k * h + i];
                        }
                        mse += (v - t[r * out + k]) * (v - t[r * out + k]);
                    }
                }
                return mse / (b * out) + qq / 20;
            };
            double[] fd = Check.finiteDiff(ref::applyAsDouble, p0, FD_STEP);
            Check.close(fd, grads, ATOL, RTOL, "relu chain gradient, seed " + seed);
        }
    }

    @Test
    void matmulGradientsForAllTransposes() {
        int m = 3;
        int k = 4;
        int n = 2;
        for (int tr = 0; tr < 4; tr++) {
            boolean ta = (tr & 1) != 0;
            boolean tb = (tr & 2) != 0;
            long seed = 40 + tr;
            float[] a = Check.uniform(seed, m * k, -1, 1);
            float[] b = Check.uniform(seed + 1, k * n, -1, 1);
            float[] w = Check.uniform(seed + 2, m * n, -1, 1);
            try (Param pa = new Param("a", dev, ta ? k : m, ta ? m : k); Param pb = new Param("b", dev, tb ? n : k, tb ? k : n);
                 Tensor tw = Tensor.of(dev, m, n, w)) {
                pa.value().write(a);
                pb.value().write(b);
                try (Tape tape = Tape.record(dev)) {
                    Var c = F.matmul(tape.param(pa), ta, tape.param(pb), tb);
                    tape.backward(F.sum(F.mul(c, tape.constant(tw))));
                }
                // loss = Σ_ij w_ij Σ_p opA_ip opB_pj
                java.util.function.ToDoubleFunction<double[]> f = p -> {
                    double s = 0;
                    for (int i = 0; i < m; i++) {
                        for (int j = 0; j < n; j++) {
                            double c = 0;
                            for (int q = 0; q < k; q++) {
                                double av = ta ? p[q * m + i] : p[i * k + q];
                                double bv = tb ? p[m * k + j * k + q] : p[m * k + q * n + j];
                                c += av * bv;
                            }
                            s += w[i * n + j] * c;
                        }
                    }
                    return s;
                };
                double[] p0 = new double[m * k + k * n];
                for (int i = 0; i < a.length; i++) {
                    p0[i] = a[i];
                }
                for (int i = 0; i < b.length; i++) {
                    p0[m * k + i] = b[i];
                }
                double[] fd = Check.finiteDiff(f, p0, FD_STEP);
                Check.close(java.util.Arrays.copyOfRange(fd, 0, m * k), pa.grad().toArray(), ATOL, RTOL,
                        "dA transA=" + ta + " transB=" + tb + " seed " + seed);
                Check.close(java.util.Arrays.copyOfRange(fd, m * k, fd.length), pb.grad().toArray(), ATOL, RTOL,
                        "dB transA=" + ta + " transB=" + tb + " seed " + seed);
            }
        }
    }

    @Test
    void parameterGradientsAccumulateUntilZeroed() {
        float[] w = {0.5f, -1f, 2f};
        try (Param p = new Param("w", dev, 1, 3)) {
            p.value().write(w);
            for (int pass = 0; pass < 2; pass++) {
                try (Tape tape = Tape.record(dev)) {
                    tape.backward(F.sum(F.square(tape.param(p))));
                }
            }
            assertArrayEquals(new float[] {2f, -4f, 8f}, p.grad().toArray(), 1e-6f, "two passes of d(w²) = 2·2w");
            p.zeroGrad();
            assertArrayEquals(new float[3], p.grad().toArray());
        }
    }

    @Test
    void misuseIsReported() {
        assertThrows(IllegalStateException.class, () -> F.relu(null), "no active tape");
        try (Param p = new Param("w", dev, 2, 2); Tape tape = Tape.record(dev)) {
            Var v = tape.param(p);
            assertThrows(IllegalArgumentException.class, () -> tape.backward(v), "a 2 x 2 loss");
            Var loss = F.sum(v);
            tape.backward(loss);
            assertThrows(IllegalStateException.class, () -> tape.backward(loss), "second backward");
        }
    }

    @Test
    void tinyMlpLearnsA2dRegression() {
        // y = sin(2 x1) · cos(x2) on 256 points of [-1.5, 1.5]²; its variance is about 0.17.
        final double targetMse = 0.01;
        long seed = 2026;
        int n = 256;
        float[] x = Check.uniform(seed, 2 * n, -1.5, 1.5);
        float[] y = new float[n];
        for (int i = 0; i < n; i++) {
            y[i] = (float) (Math.sin(2 * x[2 * i]) * Math.cos(x[2 * i + 1]));
        }
        SplittableRandom init = new SplittableRandom(seed);
        try (Sequential mlp = Mlp.of(dev, "mlp", new int[] {2, 32, 32, 1}, F.LinearAct.TANH, F.LinearAct.NONE, init);
             Adam adam = new Adam(dev, mlp.params(), 0.01f);
             Tensor tx = Tensor.of(dev, n, 2, x); Tensor ty = Tensor.of(dev, n, 1, y)) {
            float first = Float.NaN;
            float last = Float.NaN;
            for (int step = 0; step < 400; step++) {
                try (Tape tape = Tape.record(dev)) {
                    Var loss = F.mse(mlp.forward(tape.constant(tx)), tape.constant(ty));
                    tape.backward(loss);
                    adam.step();
                    if (step == 0) {
                        first = loss.value().get(0, 0);
                    }
                    if (step == 399) {
                        last = loss.value().get(0, 0);
                    }
                }
            }
            assertTrue(last < targetMse, "MLP MSE after 400 Adam steps: " + last + " (started at " + first + "), want < " + targetMse);
        }
    }

    /** The parameters' values, concatenated, in double (the finite differences' starting point). */
    private static double[] values(List<Param> ps) {
        float[] f = concat(ps, false);
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }

    /** The parameters' gradients, concatenated in the order of {@link #values}. */
    private static float[] gradients(List<Param> ps) {
        return concat(ps, true);
    }

    private static float[] concat(List<Param> ps, boolean grads) {
        int n = 0;
        for (Param p : ps) {
            n += p.size();
        }
        float[] out = new float[n];
        int o = 0;
        for (Param p : ps) {
            float[] v = (grads ? p.grad() : p.value()).toArray();
            System.arraycopy(v, 0, out, o, v.length);
            o += v.length;
        }
        return out;
    }
}
