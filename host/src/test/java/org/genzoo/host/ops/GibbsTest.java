package org.genzoo.host.ops;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Arrays;
import org.genzoo.host.tensor.Tensor;
import org.genzoo.host.testing.Check;
import org.genzoo.host.testing.OnDevice;
import org.genzoo.host.testing.SimGpu;
import org.junit.jupiter.api.Test;

/** Every kernel of gibbs.cl against {@link GibbsReference}, both half-step variants. */
class GibbsTest extends OnDevice {
    /** Probabilities: a float product of K <= 784 terms of size ~1 (error ~ K·eps·|terms|) through a sigmoid (slope <= 1/4). */
    static final double P_ATOL = 2e-5;
    static final double P_RTOL = 1e-4;
    /** A sample may differ from the reference only where its uniform is this close to the probability (float P). */
    static final double DRAW_MARGIN = 1e-4;
    /** Box-Muller in float: a few ulp of |z| <= 5.8 (as RngTest). */
    static final double NORMAL_ATOL = 1e-5;
    /** Row sums of a few hundred float terms of size <= ~10. */
    static final double SUM_ATOL = 1e-3;
    static final double SUM_RTOL = 1e-5;

    /**
     * (R, K, N, transW, rowTemps, base, gaussian): sizes that break the tiles (1, 7, 33, 93), the two
     * half-steps of a 784-500 RBM at batch 100, and each option at least once in each of the three
     * builds the models use (hidden step, visible step, Gaussian visible step).
     */
    static final int[][] CASES = {
        {1, 1, 1, 0, 0, 0, 0}, {7, 93, 33, 1, 1, 1, 0}, {33, 7, 93, 1, 0, 1, 1}, {93, 144, 17, 0, 1, 1, 0}, {93, 17, 144, 1, 1, 0, 1},
        {100, 784, 500, 0, 0, 0, 0}, {100, 500, 784, 1, 0, 0, 0}, {33, 93, 7, 1, 0, 1, 0},
    };

    /** The simulated GPU's cases: those of {@link #CASES} with every size within 1, 7, 33 and 93. */
    static final int[][] SIM_CASES = Arrays.stream(CASES).filter(c -> c[0] <= 93 && c[1] <= 93 && c[2] <= 93).toArray(int[][]::new);

    @Test
    void halfStepMatchesReferenceForBothVariantsAndAllModes() {
        long seed = 0xB17E5L;
        for (Gibbs.Variant variant : Gibbs.Variant.values()) {
            try (Gibbs g = new Gibbs(dev, variant)) {
                for (int[] c : SimGpu.active() ? SIM_CASES : CASES) {
                    check(g, seed++, c[0], c[1], c[2], c[3] == 1, c[4] == 1, c[5] == 1, c[6] == 1 ? Gibbs.Units.GAUSSIAN
                            : Gibbs.Units.BERNOULLI, variant);
                }
            }
        }
    }

    void check(Gibbs g, long seed, int r, int k, int n, boolean transW, boolean rowTemps, boolean base, Gibbs.Units units,
            Gibbs.Variant variant) {
        String what = variant + " seed " + seed + " R=" + r + " K=" + k + " N=" + n + (transW ? " transW" : "") + (rowTemps ? " rowTemps" : "")
                + (base ? " base" : "") + " " + units;
        float[] a = Check.uniform(seed, r * k, 0, 1);
        for (int i = 0; i < a.length; i++) {
            a[i] = a[i] < 0.5f ? 0f : 1f; // binary states, as the chains hold
        }
        double scale = 4 / Math.sqrt(k);
        float[] w = Check.uniform(seed + 1, k * n, -scale, scale);
        float[] bias = Check.uniform(seed + 2, n, -1, 1);
        float[] temps = Check.uniform(seed + 3, r, 0.2, 1);
        float[] bs = Check.uniform(seed + 4, n, -2, 2);
        float temp = 0.9f;
        int stream = 5;
        long counter = 0x2_0000_0007L;
        try (Tensor ta = Tensor.of(dev, r, k, a); Tensor tw = transW ? Tensor.of(dev, n, k, transpose(w, k, n)) : Tensor.of(dev, k, n, w);
                Tensor tb = Tensor.of(dev, 1, n, bias); Tensor tt = Tensor.of(dev, r, 1, temps); Tensor tbase = Tensor.of(dev, 1, n, bs);
                Tensor p = Tensor.empty(dev, r, n); Tensor smp = Tensor.empty(dev, r, n)) {
            Rng rng = new Rng(seed);
            g.halfStep(p, smp, ta, tw, transW, tb, temp, rowTemps ? tt : null, base ? tbase : null, units, rng, stream, counter);
            double[] x = GibbsReference.product(Check.toDouble(a), r, k, Check.toDouble(w), false, n, Check.toDouble(bias));
            double[] z = GibbsReference.tempered(x, r, n, temp, rowTemps ? Check.toDouble(temps) : null, base ? Check.toDouble(bs) : null);
            float[] gp = p.toArray();
            float[] gs = smp.toArray();
            if (units == Gibbs.Units.GAUSSIAN) {
                Check.close(z, gp, P_ATOL, P_RTOL, what + " mean");
                double[] noise = new double[r * n];
                float[] gn = new float[r * n];
                for (int i = 0; i < noise.length; i++) {
                    noise[i] = GibbsReference.normal(seed, stream, counter, i);
                    gn[i] = gs[i] - gp[i];
                }
                Check.close(noise, gn, NORMAL_ATOL, 0, what + " noise");
            } else {
                double[] pr = new double[z.length];
                for (int i = 0; i < z.length; i++) {
                    pr[i] = GibbsReference.sigmoid(z[i]);
                }
                Check.close(pr, gp, P_ATOL, P_RTOL, what + " probabilities");
                for (int i = 0; i < pr.length; i++) {
                    double u = GibbsReference.uniform(seed, stream, counter, i);
                    double want = u < pr[i] ? 1 : 0;
                    if (gs[i] != want && Math.abs(u - pr[i]) > DRAW_MARGIN) {
                        fail(what + ": sample " + i + " is " + gs[i] + ", U " + u + " vs p " + pr[i]);
                    }
                }
            }
        }
    }

    static float[] transpose(float[] w, int rows, int cols) {
        float[] t = new float[w.length];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                t[j * rows + i] = w[i * cols + j];
            }
        }
        return t;
    }

    @Test
    void sampleLogitsMatchesReference() {
        long seed = 41;
        int r = 93, c = 33;
        float[] x = Check.uniform(seed, r * c, -30, 30);
        try (Gibbs g = new Gibbs(dev); Tensor tx = Tensor.of(dev, r, c, x); Tensor p = Tensor.empty(dev, r, c);
                Tensor s = Tensor.empty(dev, r, c)) {
            g.sampleLogits(p, s, tx, 0.3f, new Rng(seed), 2, 11);
            double[] ref = new double[r * c];
            for (int i = 0; i < ref.length; i++) {
                ref[i] = GibbsReference.sigmoid(0.3 * x[i]);
            }
            float[] gp = p.toArray();
            float[] gs = s.toArray();
            Check.close(ref, gp, P_ATOL, P_RTOL, "sampleLogits seed " + seed);
            for (int i = 0; i < ref.length; i++) {
                double u = GibbsReference.uniform(seed, 2, 11, i);
                assertTrue(gs[i] == (u < gp[i] ? 1f : 0f), "sampleLogits seed " + seed + " element " + i);
            }
        }
    }

    @Test
    void biasStatsAccumulatesScaledSums() {
        long seed = 43;
        int rp = 93, rn = 33, c = 7;
        float[] pos = Check.uniform(seed, rp * c, 0, 1);
        float[] neg = Check.uniform(seed + 1, rn * c, 0, 1);
        float[] db0 = Check.uniform(seed + 2, c, -1, 1);
        try (Gibbs g = new Gibbs(dev); Tensor tp = Tensor.of(dev, rp, c, pos); Tensor tn = Tensor.of(dev, rn, c, neg);
                Tensor db = Tensor.of(dev, 1, c, db0)) {
            g.biasStats(db, tp, -1f / rp, tn, 1f / rn);
            double[] ref = new double[c];
            for (int j = 0; j < c; j++) {
                double a = 0;
                for (int i = 0; i < rp; i++) {
                    a += pos[i * c + j];
                }
                double b = 0;
                for (int i = 0; i < rn; i++) {
                    b += neg[i * c + j];
                }
                ref[j] = db0[j] - a / rp + b / rn;
            }
            Check.close(ref, db.toArray(), 1e-6, 1e-5, "biasStats seed " + seed);
        }
    }

    @Test
    void freeEnergyAndEnergyMatchReference() {
        long seed = 47;
        int r = 33, d = 93, h = 17;
        for (Gibbs.Units units : Gibbs.Units.values()) {
            boolean gauss = units == Gibbs.Units.GAUSSIAN;
            float[] v = Check.uniform(seed, r * d, gauss ? -2 : 0, gauss ? 2 : 1);
            if (!gauss) {
                for (int i = 0; i < v.length; i++) {
                    v[i] = v[i] < 0.5f ? 0 : 1;
                }
            }
            float[] w = Check.uniform(seed + 1, d * h, -0.3, 0.3);
            float[] b = Check.uniform(seed + 2, d, -1, 1);
            float[] c = Check.uniform(seed + 3, h, -1, 1);
            float[] hs = Check.uniform(seed + 4, r * h, 0, 1);
            for (int i = 0; i < hs.length; i++) {
                hs[i] = hs[i] < 0.5f ? 0 : 1;
            }
            try (Gibbs g = new Gibbs(dev); Tensor tv = Tensor.of(dev, r, d, v); Tensor tw = Tensor.of(dev, d, h, w);
                    Tensor tb = Tensor.of(dev, 1, d, b); Tensor tc = Tensor.of(dev, 1, h, c); Tensor th = Tensor.of(dev, r, h, hs);
                    Tensor x = Tensor.empty(dev, r, h); Tensor f = Tensor.empty(dev, r, 1)) {
                g.gemm().gemm(x, tv, false, tw, false, 1f, 0f, tc, Gemm.Act.NONE);
                g.freeEnergy(f, x, tv, tb, units);
                double[] ref = GibbsReference.freeEnergy(Check.toDouble(v), r, d, Check.toDouble(w), h, Check.toDouble(b),
                        Check.toDouble(c), gauss);
                Check.close(ref, f.toArray(), SUM_ATOL, SUM_RTOL, "freeEnergy " + units + " seed " + seed);
                if (!gauss) {
                    g.gemm().mm(x, tv, false, tw, false);
                    g.energy(f, x, tv, th, tb, tc);
                    double[] e = GibbsReference.energy(Check.toDouble(v), Check.toDouble(hs), r, d, h, Check.toDouble(w),
                            Check.toDouble(b), Check.toDouble(c));
                    Check.close(e, f.toArray(), SUM_ATOL, SUM_RTOL, "energy seed " + seed);
                }
            }
        }
    }

    @Test
    void aisLogWeightsAccumulateTheTemperedDifference() {
        long seed = 53;
        int r = 7, h = 93;
        float[] x = Check.uniform(seed, r * h, -60, 60);
        float[] s = Check.uniform(seed + 1, r, -50, 50);
        float[] w0 = new float[r * 2];
        for (int i = 0; i < r; i++) {
            w0[2 * i] = 300f + i;
        }
        double[][] steps = {{0, 1e-3}, {1e-3, 0.5}, {0.5, 0.5001}, {0.5001, 1}};
        try (Gibbs g = new Gibbs(dev); Tensor tx = Tensor.of(dev, r, h, x); Tensor ts = Tensor.of(dev, r, 1, s);
                Tensor lw = Tensor.of(dev, r, 2, w0)) {
            double[] ref = new double[r];
            for (int i = 0; i < r; i++) {
                ref[i] = 300 + i;
            }
            for (double[] st : steps) {
                g.aisLogWeights(lw, tx, ts, (float) st[0], (float) st[1]);
                for (int i = 0; i < r; i++) {
                    double d = (st[1] - st[0]) * s[i];
                    for (int j = 0; j < h; j++) {
                        d += GibbsReference.softplus(st[1] * x[i * h + j]) - GibbsReference.softplus(st[0] * x[i * h + j]);
                    }
                    ref[i] += d;
                }
            }
            float[] got = lw.toArray();
            float[] sum = new float[r];
            for (int i = 0; i < r; i++) {
                sum[i] = got[2 * i];
            }
            // float temperatures (0.5001 is not exact) and float terms; the value itself is ~300
            Check.close(ref, sum, 5e-3, 1e-5, "aisLogWeights seed " + seed);
        }
    }

    @Test
    void enumerationGivesExactLogZ() {
        long seed = 59;
        int d = 7, h = 5;
        float[] w = Check.uniform(seed, d * h, -2, 2);
        float[] b = Check.uniform(seed + 1, d, -1, 1);
        float[] c = Check.uniform(seed + 2, h, -1, 1);
        int states = 1 << h;
        try (Gibbs g = new Gibbs(dev); Tensor tw = Tensor.of(dev, d, h, w); Tensor tb = Tensor.of(dev, 1, d, b);
                Tensor tc = Tensor.of(dev, 1, h, c); Tensor hs = Tensor.empty(dev, states, h); Tensor y = Tensor.empty(dev, states, d);
                Tensor f = Tensor.empty(dev, states, 1)) {
            g.enumerateHidden(hs, 0);
            float[] bits = hs.toArray();
            for (int s = 0; s < states; s++) {
                for (int j = 0; j < h; j++) {
                    assertEquals((s >> j) & 1, (int) bits[s * h + j], "state " + s + " bit " + j);
                }
            }
            g.gemm().gemm(y, hs, false, tw, true, 1f, 0f, tb, Gemm.Act.NONE);
            g.hiddenLogMarginal(f, y, hs, tc);
            double lz = GibbsReference.logSumExp(Check.toDouble(f.toArray()));
            double byVisible = GibbsReference.logZByVisible(Check.toDouble(w), Check.toDouble(b), Check.toDouble(c), d, h);
            double byHidden = GibbsReference.logZByHidden(Check.toDouble(w), Check.toDouble(b), Check.toDouble(c), d, h);
            assertEquals(byVisible, byHidden, 1e-9, "the two enumerations of the reference agree (seed " + seed + ")");
            assertEquals(byVisible, lz, 1e-4, "device enumeration vs reference (seed " + seed + ")");
        }
    }

    @Test
    void flipOneFlipsExactlyTheDrawnUnit() {
        long seed = 61;
        int r = 33, d = 93;
        float[] v = Check.uniform(seed, r * d, 0, 1);
        for (int i = 0; i < v.length; i++) {
            v[i] = v[i] < 0.5f ? 0 : 1;
        }
        try (Gibbs g = new Gibbs(dev); Tensor tv = Tensor.of(dev, r, d, v); Tensor vf = Tensor.empty(dev, r, d);
                Tensor idx = Tensor.empty(dev, r, 1)) {
            g.flipOne(vf, idx, tv, new Rng(seed), 4, 3);
            float[] got = vf.toArray();
            float[] ix = idx.toArray();
            for (int i = 0; i < r; i++) {
                int want = (int) Math.min(d - 1, Math.floor(GibbsReference.uniform(seed, 4, 3, i) * d));
                assertEquals(want, (int) ix[i], "seed " + seed + " row " + i);
                for (int q = 0; q < d; q++) {
                    assertEquals(q == want ? 1 - v[i * d + q] : v[i * d + q], got[i * d + q], "seed " + seed + " row " + i + " unit " + q);
                }
            }
        }
    }

    @Test
    void swapFollowsTheMetropolisRuleOfTheReference() {
        long seed = 67;
        int temps = 5, c = 3, d = 7, h = 4, rows = temps * c;
        float[] v = Check.uniform(seed, rows * d, 0, 1);
        float[] hs = Check.uniform(seed + 1, rows * h, 0, 1);
        float[] e = Check.uniform(seed + 2, rows, -3, 3);
        float[] t = new float[rows];
        for (int i = 0; i < rows; i++) {
            t[i] = 1f - 0.2f * (i / c);
        }
        for (int parity = 0; parity < 2; parity++) {
            try (Gibbs g = new Gibbs(dev); Tensor tv = Tensor.of(dev, rows, d, v); Tensor th = Tensor.of(dev, rows, h, hs);
                    Tensor te = Tensor.of(dev, rows, 1, e); Tensor tt = Tensor.of(dev, rows, 1, t); Tensor acc = Tensor.zeros(dev, rows, 1);
                    Tensor att = Tensor.zeros(dev, rows, 1)) {
                g.swap(tv, th, te, tt, acc, att, parity, temps, new Rng(seed), 6, 8);
                float[] gv = tv.toArray();
                float[] ge = te.toArray();
                float[] ga = acc.toArray();
                float[] gt = att.toArray();
                for (int ti = 0; ti < temps; ti++) {
                    for (int q = 0; q < c; q++) {
                        int a = ti * c + q;
                        boolean proposed = ti % 2 == parity && ti + 1 < temps;
                        boolean accept = false;
                        if (proposed) {
                            int b = a + c;
                            double logr = ((double) t[a] - t[b]) * ((double) e[a] - e[b]);
                            double u = GibbsReference.uniform(seed, 6, 8, a);
                            accept = logr >= 0 || u < Math.exp(logr);
                            assertEquals(accept ? e[b] : e[a], ge[a], "parity " + parity + " row " + a);
                            assertEquals(accept ? v[b * d] : v[a * d], gv[a * d], "parity " + parity + " row " + a);
                        }
                        assertEquals(proposed ? 1f : 0f, gt[a], "attempts, parity " + parity + " row " + a);
                        assertEquals(accept ? 1f : 0f, ga[a], "accepts, parity " + parity + " row " + a);
                    }
                }
            }
        }
    }
}
