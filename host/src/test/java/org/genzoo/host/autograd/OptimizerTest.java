package org.genzoo.host.autograd;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.List;
import org.genzoo.host.ops.Optim;
import org.genzoo.host.tensor.Tensor;
import org.genzoo.host.testing.Check;
import org.genzoo.host.testing.OnDevice;
import org.junit.jupiter.api.Test;

/** Optimizers against a double-precision reference of the same update rules. */
class OptimizerTest extends OnDevice {
    /** A few float32 updates of O(lr) each: rounding stays near float epsilon times the weights. */
    private static final double ATOL = 2e-6;
    private static final double RTOL = 2e-5;


    private static Param param(String name, float[] w, int rows, int cols) {
        Param p = new Param(name, dev, rows, cols);
        p.value().write(w);
        return p;
    }

    /** Reference Adam/AdamW with optional clipping, 3 steps, gradients g1/g2 fixed each step. */
    private static double[][] adamRef(float[] w1, float[] g1, float[] w2, float[] g2, double lr, double b1, double b2, double eps,
            double wd, double l2, double maxNorm, int steps) {
        double[][] w = {Check.toDouble(w1), Check.toDouble(w2)};
        double[][] g = {Check.toDouble(g1), Check.toDouble(g2)};
        double[][] m = {new double[w1.length], new double[w2.length]};
        double[][] v = {new double[w1.length], new double[w2.length]};
        for (int t = 1; t <= steps; t++) {
            double sq = 0;
            for (double[] gi : g) {
                for (double x : gi) {
                    sq += x * x;
                }
            }
            double scale = maxNorm > 0 ? Math.min(1, maxNorm / (Math.sqrt(sq) + 1e-6)) : 1;
            for (int p = 0; p < 2; p++) {
                for (int i = 0; i < w[p].length; i++) {
                    double gi = g[p][i] * scale + l2 * w[p][i];
                    m[p][i] = b1 * m[p][i] + (1 - b1) * gi;
                    v[p][i] = b2 * v[p][i] + (1 - b2) * gi * gi;
                    double mh = m[p][i] / (1 - Math.pow(b1, t));
                    double vh = v[p][i] / (1 - Math.pow(b2, t));
                    w[p][i] -= lr * wd * w[p][i];
                    w[p][i] -= lr * mh / (Math.sqrt(vh) + eps);
                }
            }
        }
        return w;
    }

    /** Runs {@code body} once per launch shape of {@link Optim#variants} with it in use; failures name it. */
    private static void forEachVariant(Runnable body) {
        for (Optim o : Optim.variants(dev)) {
            try (var scope = Optim.use(o)) {
                body.run();
            } catch (AssertionError e) {
                throw new AssertionError(o + ": " + e.getMessage(), e);
            }
        }
    }

    private void runAdam(double wd, double l2, double maxNorm) {
        forEachVariant(() -> runAdamOnce(wd, l2, maxNorm));
    }

    private void runAdamOnce(double wd, double l2, double maxNorm) {
        long seed = 77;
        float[] w1 = Check.uniform(seed, 7 * 5, -1, 1);
        float[] g1 = Check.uniform(seed + 1, 7 * 5, -3, 3);
        float[] w2 = Check.uniform(seed + 2, 93, -1, 1);
        float[] g2 = Check.uniform(seed + 3, 93, -3, 3);
        try (Param p1 = param("w1", w1, 7, 5); Param p2 = param("w2", w2, 1, 93);
             Adam adam = new Adam(dev, List.of(p1, p2), 0.01f, 0.9f, 0.999f, 1e-8f, (float) wd, (float) l2)) {
            adam.clipGradNorm((float) maxNorm);
            for (int t = 0; t < 3; t++) {
                p1.grad().write(g1);
                p2.grad().write(g2);
                adam.step();
            }
            double[][] want = adamRef(w1, g1, w2, g2, 0.01, 0.9, 0.999, 1e-8, wd, l2, maxNorm, 3);
            String what = "adam wd " + wd + " l2 " + l2 + " clip " + maxNorm + " seed " + seed;
            Check.close(want[0], p1.value().toArray(), ATOL, RTOL, what);
            Check.close(want[1], p2.value().toArray(), ATOL, RTOL, what);
            assertArrayEquals(new float[93], p2.grad().toArray(), "gradients are zeroed after the step");
            if (maxNorm > 0) {
                double sq = 0;
                for (float x : g1) {
                    sq += x * x;
                }
                for (float x : g2) {
                    sq += x * x;
                }
                assertEquals(Math.sqrt(sq), adam.lastGradNorm(), 1e-4 * Math.sqrt(sq), "global gradient norm");
            }
        }
    }

    @Test
    void adamMatchesReference() {
        runAdam(0, 0, 0);
    }

    @Test
    void adamWDecouplesWeightDecay() {
        runAdam(0.1, 0, 0);
    }

    @Test
    void adamWithL2AndGlobalNormClipping() {
        runAdam(0, 0.01, 1.0);
    }

    @Test
    void sgdMomentumAndWeightClipping() {
        forEachVariant(this::sgdMomentumAndWeightClippingOnce);
    }

    private void sgdMomentumAndWeightClippingOnce() {
        long seed = 11;
        float[] w = Check.uniform(seed, 144, -1, 1);
        float[] g = Check.uniform(seed + 1, 144, -1, 1);
        try (Param p = param("w", w, 12, 12); Sgd sgd = new Sgd(dev, List.of(p), 0.1f, 0.9f, 0.01f)) {
            sgd.clipWeights(0.95f);
            double[] wr = Check.toDouble(w);
            double[] u = new double[144];
            for (int t = 0; t < 4; t++) {
                p.grad().write(g);
                sgd.step();
                for (int i = 0; i < 144; i++) {
                    u[i] = 0.9 * u[i] + g[i] + 0.01 * wr[i];
                    wr[i] = Math.max(-0.95, Math.min(0.95, wr[i] - 0.1 * u[i]));
                }
            }
            Check.close(wr, p.value().toArray(), ATOL, RTOL, "sgd seed " + seed);
        }
    }

    /**
     * The one-launch flat update gives bitwise the weights, moments and gradient norm of one
     * launch per parameter, one element per work-item (the update before the flat layout), for
     * every launch shape, over steps with clipping, both decays, and odd sizes (1, 7, 33, 93).
     */
    @Test
    void flatUpdateIsBitwiseThePerParameterUpdate() {
        long seed = 2024;
        int[][] shapes = {{1, 1}, {7, 33}, {1, 93}, {93, 7}, {33, 1}};
        List<float[]> w0 = new ArrayList<>();
        List<float[][]> grads = new ArrayList<>();
        for (int i = 0; i < shapes.length; i++) {
            int n = shapes[i][0] * shapes[i][1];
            w0.add(Check.uniform(seed + i, n, -1, 1));
            float[][] g = new float[4][];
            for (int t = 0; t < 4; t++) {
                g[t] = Check.uniform(seed + 100 * (t + 1) + i, n, -3, 3);
            }
            grads.add(g);
        }
        float lr = 0.01f, b1 = 0.9f, b2 = 0.999f, eps = 1e-8f, wd = 0.1f, l2 = 0.01f, maxNorm = 2f;
        // Per parameter, one element per work-item: the update as it was before the flat layout.
        Optim perElement = new Optim(dev, 1, 1, 64, 64, 16);
        List<float[]> want = new ArrayList<>();
        float wantNorm;
        List<Tensor> owned = new ArrayList<>();
        try {
            List<Tensor> w = new ArrayList<>(), g = new ArrayList<>(), m = new ArrayList<>(), v = new ArrayList<>();
            for (int i = 0; i < shapes.length; i++) {
                int r = shapes[i][0], c = shapes[i][1];
                w.add(Tensor.of(dev, r, c, w0.get(i)));
                g.add(Tensor.zeros(dev, r, c));
                m.add(Tensor.zeros(dev, r, c));
                v.add(Tensor.zeros(dev, r, c));
            }
            owned.addAll(w);
            owned.addAll(g);
            owned.addAll(m);
            owned.addAll(v);
            Tensor partials = Tensor.zeros(dev, 1, Optim.partialsFor(shapes.length));
            Tensor norm = Tensor.zeros(dev, 1, 1);
            Tensor scale = Tensor.zeros(dev, 1, 1);
            owned.addAll(List.of(partials, norm, scale));
            for (int t = 0; t < 4; t++) {
                for (int i = 0; i < shapes.length; i++) {
                    g.get(i).write(grads.get(i)[t]);
                }
                perElement.clipScale(g, partials, norm, scale, maxNorm);
                for (int i = 0; i < shapes.length; i++) {
                    perElement.adam(w.get(i), m.get(i), v.get(i), g.get(i), scale, lr, b1, b2, eps, t + 1, wd, l2);
                }
            }
            for (Tensor t : w) {
                want.add(t.toArray());
            }
            wantNorm = norm.get(0, 0);
        } finally {
            owned.forEach(Tensor::close);
        }
        forEachVariant(() -> {
            List<Param> ps = new ArrayList<>();
            for (int i = 0; i < shapes.length; i++) {
                ps.add(param("p" + i, w0.get(i), shapes[i][0], shapes[i][1]));
            }
            try (Adam adam = new Adam(dev, ps, lr, b1, b2, eps, wd, l2)) {
                adam.clipGradNorm(maxNorm);
                for (int t = 0; t < 4; t++) {
                    for (int i = 0; i < shapes.length; i++) {
                        ps.get(i).grad().write(grads.get(i)[t]);
                    }
                    adam.step();
                }
                for (int i = 0; i < shapes.length; i++) {
                    float[] got = ps.get(i).value().toArray();
                    for (int k = 0; k < got.length; k++) {
                        assertEquals(Float.floatToRawIntBits(want.get(i)[k]), Float.floatToRawIntBits(got[k]),
                                "parameter " + i + " element " + k + ": flat " + got[k] + " vs per-parameter " + want.get(i)[k]
                                        + " (seed " + seed + ")");
                    }
                    assertArrayEquals(new float[got.length], ps.get(i).grad().toArray(), "gradient zeroed");
                }
                assertEquals(Float.floatToRawIntBits(wantNorm), Float.floatToRawIntBits(adam.lastGradNorm()), "gradient norm bits");
            } finally {
                ps.forEach(Param::close);
            }
        });
    }

    /** A second optimizer over the same parameters moves them; the first notices and moves them back. */
    @Test
    void parametersSharedByTwoOptimizersStayConsistent() {
        float[] w = Check.uniform(5, 33, -1, 1);
        float[] g = Check.uniform(6, 33, -1, 1);
        try (Param p = param("w", w, 3, 11); Sgd a = new Sgd(dev, List.of(p), 0.1f, 0f, 0f)) {
            try (Sgd b = new Sgd(dev, List.of(p), 0.1f, 0f, 0f)) {
                p.grad().write(g);
                b.step();
            }
            p.grad().write(g);
            a.step();
            double[] want = new double[33];
            for (int i = 0; i < 33; i++) {
                want[i] = w[i] - 2 * 0.1 * g[i];
            }
            Check.close(want, p.value().toArray(), ATOL, RTOL, "two SGD steps through two optimizers");
        }
    }

    @Test
    void badHyperparametersAreRefused() {
        try (Param p = new Param("w", dev, 1, 1)) {
            assertThrows(IllegalArgumentException.class, () -> new Adam(dev, List.of(p), -1f));
            assertThrows(IllegalArgumentException.class, () -> new Sgd(dev, List.of(p), 0.1f, 1.5f, 0f));
        }
    }
}
