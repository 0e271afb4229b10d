package org.genzoo.models.ebm;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Path;
import org.genzoo.host.ops.GibbsReference;
import org.genzoo.host.ops.Rng;
import org.genzoo.host.tensor.Tensor;
import org.genzoo.host.testing.Check;
import org.genzoo.host.testing.OnDevice;
import org.genzoo.models.train.Checkpoints;
import org.genzoo.models.train.Trainer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The DBM against plain-Java references in double: the h1 half-step (two products, sigmoid, Philox
 * draw), the mean-field fixed point, the gradient statistics of a tiny DBM against exact enumeration
 * of all its states, exact log Z (device enumeration of h1) against brute force, AIS against exact,
 * the variational bound's terms; and the persistent chains' bitwise resume under the trainer.
 */
class DbmTest extends OnDevice {
    /** Float products and sigmoids of a few hundred terms vs double. */
    static final double P_ATOL = 2e-5;
    static final double P_RTOL = 1e-4;
    /** A uniform within this of its probability may round either way in float. */
    static final double DRAW_MARGIN = 1e-4;
    /** Device enumeration (float sums of D + H2 softplus terms) vs the double reference. */
    static final double EXACT_ATOL = 1e-3;
    /** AIS (1,000 temperatures, 100 chains) on a tiny DBM: the band there is a few hundredths of a nat. */
    static final double AIS_ATOL = 0.05;
    /**
     * Model statistics from 400 steps x 500 chains: each mean has a Monte-Carlo s.d. near 0.0025
     * (autocorrelation of a few sweeps included); 6 s.d.
     */
    static final double STATS_ATOL = 0.015;

    @TempDir
    Path tmp;

    record Ref(int d, int h1, int h2, double[] w1, double[] w2, double[] b, double[] c1, double[] c2) {
    }

    static Dbm tiny(long seed, int d, int h1, int h2, double scale) {
        Dbm m = new Dbm(dev, null, "t", d, h1, h2);
        m.w1().value().write(Check.uniform(seed, d * h1, -scale, scale));
        m.w2().value().write(Check.uniform(seed + 1, h1 * h2, -scale, scale));
        m.b().value().write(Check.uniform(seed + 2, d, -1, 1));
        m.c1().value().write(Check.uniform(seed + 3, h1, -1, 1));
        m.c2().value().write(Check.uniform(seed + 4, h2, -1, 1));
        return m;
    }

    static Ref ref(Dbm m) {
        return new Ref(m.visibleUnits(), m.hidden1(), m.hidden2(), Check.toDouble(m.w1().value().toArray()),
                Check.toDouble(m.w2().value().toArray()), Check.toDouble(m.b().value().toArray()), Check.toDouble(m.c1().value().toArray()),
                Check.toDouble(m.c2().value().toArray()));
    }

    static double sigmoid(double x) {
        return 1 / (1 + Math.exp(-x));
    }

    static double softplus(double x) {
        return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
    }

    /** Logits of h1 for one row: vW1 + h2W2ᵀ + c1. */
    static double[] h1Logits(Ref r, double[] v, int vo, double[] h2, int ho) {
        double[] x = new double[r.h1];
        for (int j = 0; j < r.h1; j++) {
            double s = r.c1[j];
            for (int i = 0; i < r.d; i++) {
                s += v[vo + i] * r.w1[i * r.h1 + j];
            }
            for (int k = 0; k < r.h2; k++) {
                s += h2[ho + k] * r.w2[j * r.h2 + k];
            }
            x[j] = s;
        }
        return x;
    }

    static double[] h2Means(Ref r, double[] h1) {
        double[] y = new double[r.h2];
        for (int k = 0; k < r.h2; k++) {
            double s = r.c2[k];
            for (int j = 0; j < r.h1; j++) {
                s += h1[j] * r.w2[j * r.h2 + k];
            }
            y[k] = sigmoid(s);
        }
        return y;
    }

    /** Mean field for one row as Dbm.meanField: μ1 = σ(2vW1 + c1), μ2 = σ(μ1W2 + c2), then iters rounds. */
    static double[][] meanField(Ref r, double[] v, int vo, int iters) {
        double[] zero = new double[r.h2];
        double[] x = h1Logits(r, v, vo, zero, 0);
        double[] mu1 = new double[r.h1];
        for (int j = 0; j < r.h1; j++) {
            mu1[j] = sigmoid(2 * (x[j] - r.c1[j]) + r.c1[j]);
        }
        double[] mu2 = h2Means(r, mu1);
        for (int t = 0; t < iters; t++) {
            double[] y = h1Logits(r, v, vo, mu2, 0);
            for (int j = 0; j < r.h1; j++) {
                mu1[j] = sigmoid(y[j]);
            }
            mu2 = h2Means(r, mu1);
        }
        return new double[][] {mu1, mu2};
    }

    /** −E(v, h1, h2). */
    static double negEnergy(Ref r, int[] v, int[] h1, int[] h2) {
        double s = 0;
        for (int i = 0; i < r.d; i++) {
            s += r.b[i] * v[i];
            for (int j = 0; j < r.h1; j++) {
                s += v[i] * r.w1[i * r.h1 + j] * h1[j];
            }
        }
        for (int j = 0; j < r.h1; j++) {
            s += r.c1[j] * h1[j];
            for (int k = 0; k < r.h2; k++) {
                s += h1[j] * r.w2[j * r.h2 + k] * h2[k];
            }
        }
        for (int k = 0; k < r.h2; k++) {
            s += r.c2[k] * h2[k];
        }
        return s;
    }

    static int[] bits(int s, int n, int shift) {
        int[] x = new int[n];
        for (int i = 0; i < n; i++) {
            x[i] = (s >> (shift + i)) & 1;
        }
        return x;
    }

    /** Brute force over all 2^(D+H1+H2) states: {log Z, E[v_i h1_j] (D·H1), E[h1_j h2_k] (H1·H2), E[v], E[h1], E[h2]}. */
    static double[][] enumerate(Ref r) {
        int n = r.d + r.h1 + r.h2;
        double[] e = new double[1 << n];
        double max = Double.NEGATIVE_INFINITY;
        for (int s = 0; s < e.length; s++) {
            e[s] = negEnergy(r, bits(s, r.d, 0), bits(s, r.h1, r.d), bits(s, r.h2, r.d + r.h1));
            max = Math.max(max, e[s]);
        }
        double z = 0;
        for (double x : e) {
            z += Math.exp(x - max);
        }
        double[] vh = new double[r.d * r.h1];
        double[] hh = new double[r.h1 * r.h2];
        double[] ev = new double[r.d];
        double[] e1 = new double[r.h1];
        double[] e2 = new double[r.h2];
        for (int s = 0; s < e.length; s++) {
            double p = Math.exp(e[s] - max) / z;
            int[] v = bits(s, r.d, 0);
            int[] h1 = bits(s, r.h1, r.d);
            int[] h2 = bits(s, r.h2, r.d + r.h1);
            for (int i = 0; i < r.d; i++) {
                ev[i] += p * v[i];
                for (int j = 0; j < r.h1; j++) {
                    vh[i * r.h1 + j] += p * v[i] * h1[j];
                }
            }
            for (int j = 0; j < r.h1; j++) {
                e1[j] += p * h1[j];
                for (int k = 0; k < r.h2; k++) {
                    hh[j * r.h2 + k] += p * h1[j] * h2[k];
                }
            }
            for (int k = 0; k < r.h2; k++) {
                e2[k] += p * h2[k];
            }
        }
        return new double[][] {{max + Math.log(z)}, vh, hh, ev, e1, e2};
    }

    /** log Z with v and h2 summed out for every h1 (double), for models too big for brute force. */
    static double logZByH1(Ref r) {
        double max = Double.NEGATIVE_INFINITY;
        double[] f = new double[1 << r.h1];
        for (int s = 0; s < f.length; s++) {
            int[] h1 = bits(s, r.h1, 0);
            double t = 0;
            for (int j = 0; j < r.h1; j++) {
                t += r.c1[j] * h1[j];
            }
            for (int i = 0; i < r.d; i++) {
                double y = r.b[i];
                for (int j = 0; j < r.h1; j++) {
                    y += h1[j] * r.w1[i * r.h1 + j];
                }
                t += softplus(y);
            }
            for (int k = 0; k < r.h2; k++) {
                double y = r.c2[k];
                for (int j = 0; j < r.h1; j++) {
                    y += h1[j] * r.w2[j * r.h2 + k];
                }
                t += softplus(y);
            }
            f[s] = t;
            max = Math.max(max, t);
        }
        double z = 0;
        for (double x : f) {
            z += Math.exp(x - max);
        }
        return max + Math.log(z);
    }

    @Test
    void h1HalfStepMatchesTheReferenceAtOddSizes() {
        int[][] shapes = {{1, 1, 1, 1}, {7, 33, 93, 7}, {33, 93, 7, 33}, {5, 784, 33, 17}};
        for (int[] sh : shapes) {
            long seed = 200 + sh[0] + sh[1];
            int rows = sh[0], d = sh[1], h1 = sh[2], h2 = sh[3];
            try (Dbm m = tiny(seed, d, h1, h2, 0.5); Tensor v = Tensor.of(dev, rows, d, binary(seed + 5, rows * d));
                    Tensor s2 = Tensor.of(dev, rows, h2, binary(seed + 6, rows * h2)); Tensor p = Tensor.empty(dev, rows, h1);
                    Tensor s = Tensor.empty(dev, rows, h1); Tensor x = Tensor.empty(dev, rows, h1)) {
                Rng rng = new Rng(seed);
                int stream = 3;
                float temp = 0.7f;
                long counter = rng.counter(stream);
                m.h1Step(p, s, x, v, s2, temp, rng, stream);
                Ref r = ref(m);
                double[] vd = Check.toDouble(v.toArray());
                double[] hd = Check.toDouble(s2.toArray());
                double[] want = new double[rows * h1];
                for (int q = 0; q < rows; q++) {
                    double[] lx = h1Logits(r, vd, q * d, hd, q * h2);
                    for (int j = 0; j < h1; j++) {
                        want[q * h1 + j] = sigmoid(temp * lx[j]);
                    }
                }
                String what = "seed " + seed + " shape " + java.util.Arrays.toString(sh);
                float[] gp = p.toArray();
                float[] gs = s.toArray();
                Check.close(want, gp, P_ATOL, P_RTOL, what + " probabilities");
                for (int i = 0; i < want.length; i++) {
                    double u = GibbsReference.uniform(seed, stream, counter, i);
                    if (gs[i] != (u < want[i] ? 1 : 0) && Math.abs(u - want[i]) > DRAW_MARGIN) {
                        fail(what + ": sample " + i + " is " + gs[i] + ", U " + u + " vs p " + want[i]);
                    }
                }
            }
        }
    }

    static float[] binary(long seed, int n) {
        float[] u = Check.uniform(seed, n, 0, 1);
        for (int i = 0; i < n; i++) {
            u[i] = u[i] < 0.5f ? 0f : 1f;
        }
        return u;
    }

    @Test
    void meanFieldMatchesTheReferenceAndReachesAFixedPoint() {
        long seed = 211;
        int rows = 7, d = 33, h1 = 17, h2 = 9;
        try (Dbm m = tiny(seed, d, h1, h2, 0.4); Tensor v = Tensor.of(dev, rows, d, binary(seed + 5, rows * d));
                Tensor mu1 = Tensor.empty(dev, rows, h1); Tensor mu2 = Tensor.empty(dev, rows, h2); Tensor x = Tensor.empty(dev, rows, h1)) {
            Ref r = ref(m);
            double[] vd = Check.toDouble(v.toArray());
            for (int iters : new int[] {0, 1, 5, 50}) {
                m.meanField(mu1, mu2, x, v, iters);
                double[] w1 = new double[rows * h1];
                double[] w2 = new double[rows * h2];
                for (int q = 0; q < rows; q++) {
                    double[][] mf = meanField(r, vd, q * d, iters);
                    System.arraycopy(mf[0], 0, w1, q * h1, h1);
                    System.arraycopy(mf[1], 0, w2, q * h2, h2);
                }
                Check.close(w1, mu1.toArray(), P_ATOL, P_RTOL, "seed " + seed + " mu1 after " + iters);
                Check.close(w2, mu2.toArray(), P_ATOL, P_RTOL, "seed " + seed + " mu2 after " + iters);
                if (iters == 50) {
                    // a fixed point: one more round of the equations leaves it in place
                    float[] a1 = mu1.toArray();
                    float[] a2 = mu2.toArray();
                    for (int q = 0; q < rows; q++) {
                        double[] m2 = new double[h2];
                        for (int k = 0; k < h2; k++) {
                            m2[k] = a2[q * h2 + k];
                        }
                        double[] y = h1Logits(r, vd, q * d, m2, 0);
                        for (int j = 0; j < h1; j++) {
                            assertEquals(sigmoid(y[j]), a1[q * h1 + j], P_ATOL, "seed " + seed + ": not a fixed point at row " + q);
                        }
                    }
                }
            }
        }
    }

    @Test
    void gradientStatisticsOfATinyDbmMatchExactEnumeration() {
        long seed = 223;
        int d = 5, h1 = 4, h2 = 3, chains = 500, burn = 50, steps = 400, rows = 6, iters = 20;
        try (DbmModel model = new DbmModel(dev, d, h1, h2, 0, iters, 1, chains, 0.01f, seed);
                Tensor v = Tensor.of(dev, rows, d, binary(seed + 9, rows * d))) {
            Dbm m = model.dbm();
            m.w1().value().write(Check.uniform(seed, d * h1, -1, 1));
            m.w2().value().write(Check.uniform(seed + 1, h1 * h2, -1, 1));
            m.b().value().write(Check.uniform(seed + 2, d, -1, 1));
            m.c1().value().write(Check.uniform(seed + 3, h1, -1, 1));
            m.c2().value().write(Check.uniform(seed + 4, h2, -1, 1));
            Ref r = ref(m);
            for (int i = 0; i < burn; i++) {
                model.step(v, i);
            }
            for (var p : m.params()) {
                p.grad().fill(0f);
            }
            for (int i = burn; i < burn + steps; i++) {
                model.step(v, i);
            }
            // the positive statistics from the reference mean field
            double[] vd = Check.toDouble(v.toArray());
            double[] pvh = new double[d * h1];
            double[] phh = new double[h1 * h2];
            double[] pv = new double[d];
            double[] p1 = new double[h1];
            double[] p2 = new double[h2];
            for (int q = 0; q < rows; q++) {
                double[][] mf = meanField(r, vd, q * d, iters);
                for (int i = 0; i < d; i++) {
                    pv[i] += vd[q * d + i] / rows;
                    for (int j = 0; j < h1; j++) {
                        pvh[i * h1 + j] += vd[q * d + i] * mf[0][j] / rows;
                    }
                }
                for (int j = 0; j < h1; j++) {
                    p1[j] += mf[0][j] / rows;
                    for (int k = 0; k < h2; k++) {
                        phh[j * h2 + k] += mf[0][j] * mf[1][k] / rows;
                    }
                }
                for (int k = 0; k < h2; k++) {
                    p2[k] += mf[1][k] / rows;
                }
            }
            double[][] ex = enumerate(r);
            // grad = steps·(⟨·⟩_chains − ⟨·⟩_data): the chains' mean is grad/steps + positive
            String what = "seed " + seed;
            compare(ex[1], pvh, m.w1().grad().toArray(), steps, what + " <v h1>");
            compare(ex[2], phh, m.w2().grad().toArray(), steps, what + " <h1 h2>");
            compare(ex[3], pv, m.b().grad().toArray(), steps, what + " <v>");
            compare(ex[4], p1, m.c1().grad().toArray(), steps, what + " <h1>");
            compare(ex[5], p2, m.c2().grad().toArray(), steps, what + " <h2>");
        }
    }

    static void compare(double[] exact, double[] positive, float[] grad, int steps, String what) {
        double[] got = new double[grad.length];
        for (int i = 0; i < got.length; i++) {
            got[i] = grad[i] / (double) steps + positive[i];
        }
        for (int i = 0; i < got.length; i++) {
            assertEquals(exact[i], got[i], STATS_ATOL, what + "[" + i + "]: chains " + got[i] + " vs exact " + exact[i]);
        }
    }

    @Test
    void exactLogZMatchesBruteForceAndAisMatchesExact() {
        long seed = 227;
        try (Dbm small = tiny(seed, 4, 3, 3, 1.0)) {
            double brute = enumerate(ref(small))[0][0];
            assertEquals(brute, DbmLogZ.exact(small), EXACT_ATOL, "seed " + seed + ": device enumeration of h1 vs all states");
        }
        try (Dbm m = tiny(seed + 10, 10, 6, 4, 1.0)) {
            double exact = logZByH1(ref(m));
            assertEquals(exact, DbmLogZ.exact(m), EXACT_ATOL, "seed " + seed);
            float[] base = Check.uniform(seed + 11, 10, -1, 1);
            LogZ.Estimate e = DbmLogZ.ais(m, base, LogZ.schedule(1000), 100, seed);
            assertTrue(e.lo() <= exact && exact <= e.hi(), "seed " + seed + ": exact " + exact + " outside the AIS band " + e);
            assertEquals(exact, e.logZ(), AIS_ATOL, "seed " + seed + ": AIS " + e);
        }
    }

    @Test
    void boundTermsMatchTheReferenceAndBoundTheExactLikelihood() {
        long seed = 229;
        int rows = 9, d = 6, h1 = 4, h2 = 3, iters = 10;
        try (Dbm m = tiny(seed, d, h1, h2, 1.0); Tensor v = Tensor.of(dev, rows, d, binary(seed + 5, rows * d))) {
            Ref r = ref(m);
            double[] got = DbmLogZ.meanFieldTerms(m, v, iters);
            double logZ = enumerate(r)[0][0];
            double[] vd = Check.toDouble(v.toArray());
            for (int q = 0; q < rows; q++) {
                double[][] mf = meanField(r, vd, q * d, iters);
                // E_q[−E] + H(q) summed over all hidden states with the factorial q, in double
                double want = 0;
                double logPv = Double.NEGATIVE_INFINITY;
                int[] vi = new int[d];
                for (int i = 0; i < d; i++) {
                    vi[i] = (int) vd[q * d + i];
                }
                for (int s = 0; s < (1 << (h1 + h2)); s++) {
                    int[] a = bits(s, h1, 0);
                    int[] c = bits(s, h2, h1);
                    double lq = 0;
                    for (int j = 0; j < h1; j++) {
                        lq += Math.log(a[j] == 1 ? mf[0][j] : 1 - mf[0][j]);
                    }
                    for (int k = 0; k < h2; k++) {
                        lq += Math.log(c[k] == 1 ? mf[1][k] : 1 - mf[1][k]);
                    }
                    double ne = negEnergy(r, vi, a, c);
                    want += Math.exp(lq) * (ne - lq);
                    logPv = logPv == Double.NEGATIVE_INFINITY ? ne : Math.max(logPv, ne) + Math.log1p(Math.exp(-Math.abs(logPv - ne)));
                }
                assertEquals(want, got[q], 1e-3, "seed " + seed + " row " + q + ": bound terms");
                assertTrue(got[q] - logZ <= logPv - logZ + 1e-4, "seed " + seed + " row " + q + ": bound " + (got[q] - logZ)
                        + " above the exact log p(v) " + (logPv - logZ));
            }
        }
    }

    @Test
    void persistentChainsResumeBitwiseAfterARestart() throws IOException {
        String model = ", \"layers\": [8, 5], \"pretrainSteps\": 3, \"meanFieldIters\": 4, \"chains\": 12, \"k\": 2";
        Path a = tmp.resolve("a");
        Path b = tmp.resolve("b");
        new Trainer(dev, RbmTrainingTest.spec(a, "dbm", model, 30), Trainer.Options.defaults().withData(RbmTrainingTest.loader())).run();
        Trainer.Result first = new Trainer(dev, RbmTrainingTest.spec(b, "dbm", model, 30), RbmTrainingTest.cancelAt(13)).run();
        assertEquals(Trainer.Status.CANCELLED, first.status());
        Trainer.Result second = new Trainer(dev, RbmTrainingTest.spec(b, "dbm", model, 30),
                Trainer.Options.defaults().withData(RbmTrainingTest.loader()).withResume(true)).run();
        assertEquals(30, second.steps());
        Checkpoints.Loaded fa = Checkpoints.load(Checkpoints.dirFor(a, 30));
        Checkpoints.Loaded fb = Checkpoints.load(Checkpoints.dirFor(b, 30));
        assertTrue(fa.state().tensors().stream().anyMatch(e -> e.name().contains("chains.h1")), "chains in state.safetensors");
        RbmTrainingTest.assertBitwise(fa.weights(), fb.weights(), "dbm weights");
        RbmTrainingTest.assertBitwise(fa.state(), fb.state(), "dbm chains");
        assertEquals(fa.info().stateRng(), fb.info().stateRng());
    }

    /** 2x4 binary-ish images (a second RBM's 8 visible units), fixed by the seed. */
    static org.genzoo.models.data.DatasetSplits eight(long seed) {
        java.util.function.LongFunction<org.genzoo.models.data.Dataset> make = sd -> {
            java.util.SplittableRandom r = new java.util.SplittableRandom(sd);
            float[] x = new float[64 * 8];
            for (int i = 0; i < x.length; i++) {
                x[i] = r.nextDouble() < (i % 3 == 0 ? 0.8 : 0.2) ? 0.95f : 0.05f;
            }
            return new org.genzoo.models.data.Dataset("eight", 2, 4, x, null);
        };
        return new org.genzoo.models.data.DatasetSplits("eight", "synthetic",
                new org.genzoo.models.data.DatasetSplits.Part(org.genzoo.models.data.Split.TRAIN, make.apply(seed), "all"),
                new org.genzoo.models.data.DatasetSplits.Part(org.genzoo.models.data.Split.VALIDATION, make.apply(seed + 1), "all"),
                new org.genzoo.models.data.DatasetSplits.Part(org.genzoo.models.data.Split.TEST, make.apply(seed + 2), "all"));
    }

    @Test
    void pretrainedRbmCheckpointsNamedInTheSpecInitializeTheDbm() throws IOException {
        Path lo = tmp.resolve("lo");
        Path hi = tmp.resolve("hi");
        Path dbmOut = tmp.resolve("dbm");
        new Trainer(dev, RbmTrainingTest.spec(lo, "rbm", ", \"hidden\": 8", 10), Trainer.Options.defaults().withData(RbmTrainingTest.loader()))
                .run();
        new Trainer(dev, RbmTrainingTest.spec(hi, "rbm", ", \"hidden\": 5", 10), Trainer.Options.defaults().withData(d -> eight(5))).run();
        String model = String.format(", \"layers\": [8, 5], \"meanFieldIters\": 3, \"chains\": 8, \"pretrained\": {\"layer1\": \"%s\", "
                + "\"layer2\": \"%s\"}", lo.toString().replace("\\", "/"), hi.toString().replace("\\", "/"));
        // one joint step at a negligible learning rate: the weights are still the composed RBMs'
        String spec = String.format("""
                {"name": "t", "model": {"family": "dbm"%s}, "data": {"dataset": "idx:/unused"},
                 "optimizer": {"type": "sgd", "lr": 1e-9}, "batchSize": 16, "budget": {"steps": 1}, "seed": 7,
                 "eval": {"every": 0, "metrics": {"aisTemperatures": 0}}, "checkpoint": {"every": 1, "keep": 0}, "output": "%s"}
                """, model, dbmOut.toString().replace("\\", "/"));
        Trainer.Result r = new Trainer(dev, org.genzoo.models.train.JobSpec.parse(spec),
                Trainer.Options.defaults().withData(RbmTrainingTest.loader())).run();
        assertEquals(Trainer.Status.SUCCEEDED, r.status(), spec);
        var a = Checkpoints.load(Checkpoints.dirFor(lo, 10)).weights();
        var b = Checkpoints.load(Checkpoints.dirFor(hi, 10)).weights();
        var m = Checkpoints.load(Checkpoints.dirFor(dbmOut, 1)).weights();
        float[] c1 = a.get("rbm.c").data().clone();
        for (int j = 0; j < c1.length; j++) {
            c1[j] += b.get("rbm.b").data()[j];
        }
        float[][][] pairs = {{a.get("rbm.W").data(), m.get("dbm.W1").data()}, {b.get("rbm.W").data(), m.get("dbm.W2").data()},
            {a.get("rbm.b").data(), m.get("dbm.b").data()}, {c1, m.get("dbm.c1").data()}, {b.get("rbm.c").data(), m.get("dbm.c2").data()}};
        for (float[][] p : pairs) {
            Check.close(Check.toDouble(p[0]), p[1], 1e-6, 0, "composed DBM parameter");
        }
        // errors name the field and say what to do
        var f = new DbmFamily();
        var bad = JobSpecs.model("{\"family\": \"dbm\", \"layers\": [8, 5], \"pretrained\": {\"layer1\": \"" + tmp.resolve("none")
                .toString().replace("\\", "/") + "\", \"layer2\": \"x\"}}");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> f.create(dev, bad, 16, 1).close());
        assertTrue(e.getMessage().contains("/model/pretrained/layer1"), e.getMessage());
        var wrong = JobSpecs.model("{\"family\": \"dbm\", \"layers\": [7, 5], \"pretrained\": {\"layer1\": \"" + lo.toString()
                .replace("\\", "/") + "\", \"layer2\": \"" + hi.toString().replace("\\", "/") + "\"}}");
        e = assertThrows(IllegalArgumentException.class, () -> f.create(dev, wrong, 16, 1).close());
        assertTrue(e.getMessage().contains("[16, 7]"), e.getMessage());
        var both = JobSpecs.model("{\"family\": \"dbm\", \"pretrainSteps\": 5, \"pretrained\": {\"layer1\": \"a\", \"layer2\": \"b\"}}");
        assertTrue(f.validate(both, "/model").toString().contains("/model/pretrainSteps"), f.validate(both, "/model").toString());
    }

    /** Spec snippets as JSON trees. */
    static final class JobSpecs {
        static com.fasterxml.jackson.databind.JsonNode model(String json) {
            try {
                return org.genzoo.models.train.JobSpec.mapper().readTree(json);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
    }
}
