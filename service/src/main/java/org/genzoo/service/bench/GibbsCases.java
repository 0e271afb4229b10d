package org.genzoo.service.bench;

import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.genzoo.host.Device;
import org.genzoo.host.ops.Gibbs;
import org.genzoo.host.ops.OpCost;
import org.genzoo.host.ops.Rng;
import org.genzoo.host.tensor.Tensor;

/**
 * Kernel benchmark cases of gibbs.cl: the two half-steps of an RBM 784-500 at batch 100 in the
 * device's variant. Validation: the probabilities against a double-precision product and sigmoid,
 * and every sample against its probability (0 or 1, and U &lt; P for the rng's uniform at the same
 * position, checked through the rate of ones).
 */
final class GibbsCases {
    private GibbsCases() {
    }

    /** A float product of up to 784 unit-size terms through a sigmoid (slope ≤ 1/4). */
    private static final double ATOL = 2e-5;

    static List<BenchCase> all() {
        return List.of(halfStep(100, 784, 500, false), halfStep(100, 500, 784, true));
    }

    static BenchCase halfStep(int r, int k, int n, boolean transW) {
        String name = String.format(Locale.ROOT, "gibbs half-step %s %dx%d->%d", transW ? "visible" : "hidden", r, k, n);
        return new BenchCase() {
            Device dev;
            Gibbs g;
            Tensor a;
            Tensor w;
            Tensor bias;
            Tensor p;
            Tensor s;
            float[] ha;
            float[] hw;
            float[] hb;
            final Rng rng = new Rng(3);

            @Override
            public String family() {
                return "gibbs";
            }

            @Override
            public String name() {
                return name + (g == null ? "" : " (" + g.variant().name().toLowerCase(Locale.ROOT) + ")");
            }

            @Override
            public OpCost cost() {
                return Gibbs.halfStepCost(r, n, k);
            }

            @Override
            public void setup(Device device) {
                dev = device;
                g = new Gibbs(device);
                SplittableRandom rnd = new SplittableRandom(5);
                ha = new float[r * k];
                for (int i = 0; i < ha.length; i++) {
                    ha[i] = rnd.nextBoolean() ? 1f : 0f;
                }
                hw = new float[k * n];
                double sc = 4 / Math.sqrt(k);
                for (int i = 0; i < hw.length; i++) {
                    hw[i] = (float) (sc * (2 * rnd.nextDouble() - 1));
                }
                hb = new float[n];
                for (int i = 0; i < n; i++) {
                    hb[i] = (float) (2 * rnd.nextDouble() - 1);
                }
                a = Tensor.of(device, r, k, ha);
                w = transW ? Tensor.of(device, n, k, transpose(hw, k, n)) : Tensor.of(device, k, n, hw);
                bias = Tensor.of(device, 1, n, hb);
                p = Tensor.empty(device, r, n);
                s = Tensor.empty(device, r, n);
            }

            @Override
            public void validate() {
                run();
                float[] gp = p.toArray();
                float[] gs = s.toArray();
                double ones = 0;
                double mean = 0;
                for (int i = 0; i < r; i++) {
                    for (int j = 0; j < n; j++) {
                        double x = hb[j];
                        for (int q = 0; q < k; q++) {
                            x += ha[i * k + q] * hw[q * n + j];
                        }
                        double want = 1 / (1 + Math.exp(-x));
                        float got = gp[i * n + j];
                        if (!(Math.abs(got - want) <= ATOL)) {
                            throw new AssertionError(name + ": P[" + i + "," + j + "] is " + got + ", reference " + want);
                        }
                        if (gs[i * n + j] != 0f && gs[i * n + j] != 1f) {
                            throw new AssertionError(name + ": sample " + gs[i * n + j] + " is not binary");
                        }
                        ones += gs[i * n + j];
                        mean += want;
                    }
                }
                // the number of ones is a sum of independent Bernoullis: within 5 standard deviations of Σ p
                if (Math.abs(ones - mean) > 5 * Math.sqrt(mean) + 1) {
                    throw new AssertionError(name + ": " + ones + " ones, expected " + mean);
                }
            }

            @Override
            public void run() {
                g.halfStep(p, s, a, w, transW, bias, 1f, null, null, Gibbs.Units.BERNOULLI, rng, 0, rng.next(0));
            }

            @Override
            public void close() {
                for (AutoCloseable c : new AutoCloseable[] {a, w, bias, p, s, g}) {
                    if (c != null) {
                        try {
                            c.close();
                        } catch (Exception e) {
                            throw new IllegalStateException(e);
                        }
                    }
                }
            }
        };
    }

    private static float[] transpose(float[] x, int rows, int cols) {
        float[] t = new float[x.length];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                t[j * rows + i] = x[i * cols + j];
            }
        }
        return t;
    }
}
