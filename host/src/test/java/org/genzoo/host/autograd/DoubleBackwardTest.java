package org.genzoo.host.autograd;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.ToDoubleFunction;
import org.genzoo.host.ops.Reduce;
import org.genzoo.host.tensor.Tensor;
import org.genzoo.host.testing.Check;
import org.genzoo.host.testing.OnDevice;
import org.junit.jupiter.api.Test;

/**
 * {@link Tape#gradients} (double backward) against a double-precision reference: the input
 * gradient of a critic against finite differences of the critic, and the parameter gradient of
 * the WGAN-GP penalty λ·mean((‖∇x D‖ − 1)²) against finite differences of the reference penalty.
 */
class DoubleBackwardTest extends OnDevice {
    /** float32 first and second derivatives of O(1) quantities vs double finite differences. */
    private static final double ATOL = 3e-4;
    private static final double RTOL = 3e-3;
    private static final double FD_STEP = 1e-6;
    /** Inside the square root of the norm, as the GAN code does (keeps log finite at g = 0). */
    private static final double EPS = 1e-6;
    private static final float SLOPE = 0.2f;
    private static final double LAMBDA = 1.5;

    // Critic: x (B x IN) -> tanh(linear) H1 -> linear H2 -> leaky ReLU -> relu(linear) H3 -> linear 1.
    private static final int B = 7;
    private static final int IN = 3;
    private static final int H1 = 5;
    private static final int H2 = 4;
    private static final int H3 = 6;
    private static final int[][] SHAPES = {{H1, IN}, {1, H1}, {H2, H1}, {1, H2}, {H3, H2}, {1, H3}, {1, H3}, {1, 1}};

    /** Reference critic output and input gradient of row r, in double. Returns {D, dD/dx_0, ...}. */
    private static double[] reference(double[] p, double[] x, int r) {
        int o = 0;
        double[][] m = new double[SHAPES.length][];
        for (int k = 0; k < SHAPES.length; k++) {
            m[k] = java.util.Arrays.copyOfRange(p, o, o += SHAPES[k][0] * SHAPES[k][1]);
        }
        double[] w1 = m[0], b1 = m[1], w2 = m[2], b2 = m[3], w3 = m[4], b3 = m[5], w4 = m[6], b4 = m[7];
        double[] a1 = new double[H1];
        for (int j = 0; j < H1; j++) {
            double s = b1[j];
            for (int i = 0; i < IN; i++) {
                s += w1[j * IN + i] * x[r * IN + i];
            }
            a1[j] = Math.tanh(s);
        }
        double[] z2 = new double[H2];
        double[] a2 = new double[H2];
        for (int j = 0; j < H2; j++) {
            double s = b2[j];
            for (int i = 0; i < H1; i++) {
                s += w2[j * H1 + i] * a1[i];
            }
            z2[j] = s;
            a2[j] = s > 0 ? s : SLOPE * s;
        }
        double[] z3 = new double[H3];
        double d = b4[0];
        for (int j = 0; j < H3; j++) {
            double s = b3[j];
            for (int i = 0; i < H2; i++) {
                s += w3[j * H2 + i] * a2[i];
            }
            z3[j] = s;
            d += w4[j] * Math.max(s, 0);
        }
        // Backward in double: dz3 = w4 [z3 > 0]; dz2 = (W3ᵀ dz3) leak'(z2); dpre1 = (W2ᵀ dz2)(1 − a1²); dx = W1ᵀ dpre1.
        double[] dz3 = new double[H3];
        for (int j = 0; j < H3; j++) {
            dz3[j] = z3[j] > 0 ? w4[j] : 0;
        }
        double[] dz2 = new double[H2];
        for (int i = 0; i < H2; i++) {
            double s = 0;
            for (int j = 0; j < H3; j++) {
                s += w3[j * H2 + i] * dz3[j];
            }
            dz2[i] = s * (z2[i] > 0 ? 1 : SLOPE);
        }
        double[] dp1 = new double[H1];
        for (int i = 0; i < H1; i++) {
            double s = 0;
            for (int j = 0; j < H2; j++) {
                s += w2[j * H1 + i] * dz2[j];
            }
            dp1[i] = s * (1 - a1[i] * a1[i]);
        }
        double[] out = new double[1 + IN];
        out[0] = d;
        for (int i = 0; i < IN; i++) {
            double s = 0;
            for (int j = 0; j < H1; j++) {
                s += w1[j * IN + i] * dp1[j];
            }
            out[1 + i] = s;
        }
        return out;
    }

    private static double referencePenalty(double[] p, double[] x) {
        double sum = 0;
        for (int r = 0; r < B; r++) {
            double[] g = reference(p, x, r);
            double n2 = EPS;
            for (int i = 0; i < IN; i++) {
                n2 += g[1 + i] * g[1 + i];
            }
            double dev = Math.sqrt(n2) - 1;
            sum += dev * dev;
        }
        return LAMBDA * sum / B;
    }

    private static double referenceMeanD(double[] p, double[] x) {
        double s = 0;
        for (int r = 0; r < B; r++) {
            s += reference(p, x, r)[0];
        }
        return s / B;
    }

    /** The critic of the reference, on the tape. */
    private static Var critic(List<Linear> ls, Var x) {
        Var h = ls.get(0).forward(x);
        h = F.leakyRelu(ls.get(1).forward(h), SLOPE);
        h = ls.get(2).forward(h);
        return ls.get(3).forward(h);
    }

    /** λ·mean((sqrt(Σ g² + eps) − 1)²) from F ops, as the WGAN-GP code builds it. */
    private static Var penalty(Tape tape, Var g) {
        Tensor eps = tape.alloc(g.rows(), 1);
        eps.fill((float) EPS);
        Tensor one = tape.alloc(g.rows(), 1);
        one.fill(1f);
        Var n2 = F.add(F.reduceRows(Reduce.Op.SUM, F.square(g)), tape.constant(eps));
        Var norm = F.exp(F.scale(F.log(n2), 0.5f));
        return F.scale(F.mean(F.square(F.sub(norm, tape.constant(one)))), (float) LAMBDA);
    }

    private List<Linear> critic(long seed) {
        SplittableRandom init = new SplittableRandom(seed);
        List<Linear> ls = List.of(new Linear(dev, "c0", IN, H1, F.LinearAct.TANH, init),
                new Linear(dev, "c1", H1, H2, F.LinearAct.NONE, init), new Linear(dev, "c2", H2, H3, F.LinearAct.RELU, init),
                new Linear(dev, "c3", H3, 1, F.LinearAct.NONE, init));
        int k = 0;
        for (Linear l : ls) {
            l.bias().value().write(Check.uniform(seed + 10 + k++, l.out(), -0.3, 0.3));
        }
        return ls;
    }

    private static List<Param> params(List<Linear> ls) {
        List<Param> ps = new ArrayList<>();
        for (Linear l : ls) {
            ps.add(l.weight());
            ps.add(l.bias());
        }
        return ps;
    }

    private static double[] flatValues(List<Param> ps) {
        List<Double> all = new ArrayList<>();
        for (Param p : ps) {
            for (float v : p.value().toArray()) {
                all.add((double) v);
            }
        }
        return all.stream().mapToDouble(Double::doubleValue).toArray();
    }

    private static float[] flatGrads(List<Param> ps) {
        int n = 0;
        for (Param p : ps) {
            n += p.size();
        }
        float[] g = new float[n];
        int o = 0;
        for (Param p : ps) {
            float[] a = p.grad().toArray();
            System.arraycopy(a, 0, g, o, a.length);
            o += a.length;
        }
        return g;
    }

    private static void closeAll(List<Linear> ls) {
        for (Linear l : ls) {
            l.close();
        }
    }

    @Test
    void inputGradientMatchesFiniteDifferencesOfTheCritic() {
        long seed = 501;
        List<Linear> ls = critic(seed);
        float[] x = Check.uniform(seed + 1, B * IN, -1.5, 1.5);
        try (Tensor tx = Tensor.of(dev, B, IN, x); Tape tape = Tape.record(dev)) {
            double[] p0 = flatValues(params(ls));
            Var xv = tape.constant(tx);
            Var d = critic(ls, xv);
            Tensor ones = tape.alloc(B, 1);
            ones.fill(1f);
            Var g = tape.gradients(d, tape.constant(ones), xv)[0];
            double[] xd = Check.toDouble(x);
            double[] fd = new double[B * IN];
            for (int r = 0; r < B; r++) {
                int row = r;
                double[] xr = java.util.Arrays.copyOfRange(xd, r * IN, r * IN + IN);
                double[] fdr = Check.finiteDiff(xi -> {
                    double[] xx = xd.clone();
                    System.arraycopy(xi, 0, xx, row * IN, IN);
                    return reference(p0, xx, row)[0];
                }, xr, FD_STEP);
                System.arraycopy(fdr, 0, fd, r * IN, IN);
            }
            Check.close(fd, g.value().toArray(), ATOL, RTOL, "∇x D, seed " + seed);
        } finally {
            closeAll(ls);
        }
    }

    @Test
    void penaltyGradientReachesEveryWeightAndMatchesFiniteDifferences() {
        long seed = 502;
        List<Linear> ls = critic(seed);
        List<Param> ps = params(ls);
        float[] x = Check.uniform(seed + 1, B * IN, -1.5, 1.5);
        try (Tensor tx = Tensor.of(dev, B, IN, x)) {
            double[] p0 = flatValues(ps);
            double[] xd = Check.toDouble(x);
            float got;
            try (Tape tape = Tape.record(dev)) {
                Var xv = tape.constant(tx);
                Var d = critic(ls, xv);
                Tensor ones = tape.alloc(B, 1);
                ones.fill(1f);
                Var g = tape.gradients(d, tape.constant(ones), xv)[0];
                Var pen = penalty(tape, g);
                got = pen.value().get(0, 0);
                tape.backward(pen);
            }
            assertEquals(referencePenalty(p0, xd), got, 1e-4, "penalty value, seed " + seed);
            double[] fd = Check.finiteDiff(p -> referencePenalty(p, xd), p0, FD_STEP);
            Check.close(fd, flatGrads(ps), ATOL, RTOL, "d penalty / d params, seed " + seed);
            // Every weight matrix gets a non-zero gradient from the penalty (the output bias cannot).
            for (Linear l : ls) {
                float[] gw = l.weight().grad().toArray();
                double norm = 0;
                for (float v : gw) {
                    norm += v * v;
                }
                assertTrue(norm > 1e-8, l.weight().name() + " got no gradient from the penalty, seed " + seed);
            }
        } finally {
            closeAll(ls);
        }
    }

    @Test
    void criticLossPlusPenaltyMatchesFiniteDifferences() {
        long seed = 503;
        List<Linear> ls = critic(seed);
        List<Param> ps = params(ls);
        float[] x = Check.uniform(seed + 1, B * IN, -1.5, 1.5);
        try (Tensor tx = Tensor.of(dev, B, IN, x)) {
            double[] p0 = flatValues(ps);
            double[] xd = Check.toDouble(x);
            try (Tape tape = Tape.record(dev)) {
                Var xv = tape.constant(tx);
                Var d = critic(ls, xv);
                Tensor ones = tape.alloc(B, 1);
                ones.fill(1f);
                Var g = tape.gradients(d, tape.constant(ones), xv)[0];
                tape.backward(F.add(F.mean(d), penalty(tape, g)));
            }
            ToDoubleFunction<double[]> f = p -> referenceMeanD(p, xd) + referencePenalty(p, xd);
            Check.close(Check.finiteDiff(f, p0, FD_STEP), flatGrads(ps), ATOL, RTOL, "d (mean D + penalty) / d params, seed " + seed);
        } finally {
            closeAll(ls);
        }
    }

    @Test
    void secondDerivativesOfTheActivationsMatchFiniteDifferences() {
        // loss = Σ (∂/∂x Σ f(x ⊙ w))² for each activation: needs f'' through unaryGrad.
        long seed = 504;
        int n = 9;
        float[] x = Check.uniform(seed, n, -2, 2);
        float[] w = Check.uniform(seed + 1, n, 0.3, 1.5);
        for (var f : new org.genzoo.host.ops.Elementwise.Unary[] {org.genzoo.host.ops.Elementwise.Unary.TANH,
            org.genzoo.host.ops.Elementwise.Unary.SIGMOID, org.genzoo.host.ops.Elementwise.Unary.EXP,
            org.genzoo.host.ops.Elementwise.Unary.SQUARE, org.genzoo.host.ops.Elementwise.Unary.LEAKY_RELU,
            org.genzoo.host.ops.Elementwise.Unary.RELU}) {
            try (Param pw = new Param("w", dev, 1, n); Tensor tx = Tensor.of(dev, 1, n, x)) {
                pw.value().write(w);
                try (Tape tape = Tape.record(dev)) {
                    Var xv = tape.constant(tx);
                    Var y = F.unary(f, F.mul(xv, tape.param(pw)), SLOPE);
                    Tensor ones = tape.alloc(1, n);
                    ones.fill(1f);
                    Var g = tape.gradients(y, tape.constant(ones), xv)[0];
                    tape.backward(F.sum(F.square(g)));
                }
                // g_i = w_i f'(x_i w_i); loss = Σ g_i².
                ToDoubleFunction<double[]> ref = p -> {
                    double s = 0;
                    for (int i = 0; i < n; i++) {
                        double z = x[i] * p[i];
                        double d;
                        switch (f) {
                            case TANH: d = 1 - Math.tanh(z) * Math.tanh(z); break;
                            case SIGMOID: { double sg = 1 / (1 + Math.exp(-z)); d = sg * (1 - sg); break; }
                            case EXP: d = Math.exp(z); break;
                            case SQUARE: d = 2 * z; break;
                            case LEAKY_RELU: d = z > 0 ? 1 : SLOPE; break;
                            default: d = z > 0 ? 1 : 0; break;
                        }
                        s += p[i] * d * p[i] * d;
                    }
                    return s;
                };
                Check.close(Check.finiteDiff(ref, Check.toDouble(w), FD_STEP), pw.grad().toArray(), ATOL, RTOL,
                        "second derivative of " + f + ", seed " + seed);
            }
        }
    }

    @Test
    void matmulAndRowOpsHaveADoubleBackward() {
        // D = sum_rows(sigmoid(x·Wᵀ (matmul) + b) ⊙ v) with v constant; loss = Σ (∂D/∂x)².
        long seed = 505;
        int b = 4;
        int in = 3;
        int h = 5;
        float[] x = Check.uniform(seed, b * in, -1, 1);
        float[] w = Check.uniform(seed + 1, h * in, -1, 1);
        float[] bias = Check.uniform(seed + 2, h, -0.5, 0.5);
        float[] v = Check.uniform(seed + 3, b * h, -1, 1);
        try (Param pw = new Param("w", dev, h, in); Param pb = new Param("b", dev, 1, h); Tensor tx = Tensor.of(dev, b, in, x);
             Tensor tv = Tensor.of(dev, b, h, v)) {
            pw.value().write(w);
            pb.value().write(bias);
            try (Tape tape = Tape.record(dev)) {
                Var xv = tape.constant(tx);
                Var z = F.addRow(F.matmul(xv, false, tape.param(pw), true), tape.param(pb));
                Var d = F.reduceRows(Reduce.Op.SUM, F.mul(F.sigmoid(z), tape.constant(tv)));
                Tensor ones = tape.alloc(b, 1);
                ones.fill(1f);
                Var g = tape.gradients(d, tape.constant(ones), xv)[0];
                tape.backward(F.sum(F.square(g)));
            }
            double[] p0 = new double[h * in + h];
            for (int i = 0; i < h * in; i++) {
                p0[i] = w[i];
            }
            for (int i = 0; i < h; i++) {
                p0[h * in + i] = bias[i];
            }
            ToDoubleFunction<double[]> ref = p -> {
                double s = 0;
                for (int r = 0; r < b; r++) {
                    for (int i = 0; i < in; i++) {
                        double gi = 0;
                        for (int j = 0; j < h; j++) {
                            double zz = p[h * in + j];
                            for (int k = 0; k < in; k++) {
                                zz += x[r * in + k] * p[j * in + k];
                            }
                            double sg = 1 / (1 + Math.exp(-zz));
                            gi += v[r * h + j] * sg * (1 - sg) * p[j * in + i];
                        }
                        s += gi * gi;
                    }
                }
                return s;
            };
            float[] got = new float[h * in + h];
            System.arraycopy(pw.grad().toArray(), 0, got, 0, h * in);
            System.arraycopy(pb.grad().toArray(), 0, got, h * in, h);
            Check.close(Check.finiteDiff(ref, p0, FD_STEP), got, ATOL, RTOL, "matmul/addRow double backward, seed " + seed);
        }
    }

    @Test
    void concatColsSplitsTheGradient() {
        // loss = Σ w ⊙ [a | b]: da = w[:, :3], db = w[:, 3:].
        int r = 4;
        float[] a = Check.uniform(61, r * 3, -1, 1);
        float[] b = Check.uniform(62, r * 2, -1, 1);
        float[] w = Check.uniform(63, r * 5, -1, 1);
        try (Param pa = new Param("a", dev, r, 3); Param pb = new Param("b", dev, r, 2); Tensor tw = Tensor.of(dev, r, 5, w)) {
            pa.value().write(a);
            pb.value().write(b);
            float[] y;
            try (Tape tape = Tape.record(dev)) {
                Var c = F.concatCols(tape.param(pa), tape.param(pb));
                y = c.value().toArray();
                tape.backward(F.sum(F.mul(c, tape.constant(tw))));
            }
            float[] ga = pa.grad().toArray();
            float[] gb = pb.grad().toArray();
            for (int i = 0; i < r; i++) {
                for (int j = 0; j < 5; j++) {
                    assertEquals(j < 3 ? a[i * 3 + j] : b[i * 2 + j - 3], y[i * 5 + j]);
                    assertEquals(w[i * 5 + j], j < 3 ? ga[i * 3 + j] : gb[i * 2 + j - 3]);
                }
            }
        }
    }

    @Test
    void anOpWithoutDoubleBackwardOnThePathIsAnError() {
        try (Param pw = new Param("w", dev, 1, 3); Tensor tx = Tensor.of(dev, 1, 3, new float[] {0.1f, -0.2f, 0.3f});
             Tape tape = Tape.record(dev)) {
            Var xv = tape.constant(tx);
            Var y = F.softplus(F.mul(xv, tape.param(pw)));
            Tensor ones = tape.alloc(1, 3);
            ones.fill(1f);
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> tape.gradients(y, tape.constant(ones), xv));
            assertTrue(e.getMessage().contains("softplus"), e.getMessage());
        }
    }

    @Test
    void anInputTheOutputDoesNotDependOnGetsZero() {
        try (Param pw = new Param("w", dev, 1, 3); Tensor tx = Tensor.of(dev, 1, 3, new float[] {0.1f, -0.2f, 0.3f});
             Tensor other = Tensor.of(dev, 1, 3, new float[] {1, 2, 3}); Tape tape = Tape.record(dev)) {
            Var xv = tape.constant(tx);
            Var y = F.tanh(F.mul(xv, tape.param(pw)));
            Tensor ones = tape.alloc(1, 3);
            ones.fill(1f);
            Var g = tape.gradients(y, tape.constant(ones), tape.constant(other))[0];
            assertArrayEquals(new float[3], g.value().toArray());
        }
    }
}
