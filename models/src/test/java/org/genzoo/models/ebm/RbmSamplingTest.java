package org.genzoo.models.ebm;

import static org.junit.jupiter.api.Assertions.*;

import org.genzoo.host.ops.GibbsReference;
import org.genzoo.host.ops.Gibbs;
import org.genzoo.host.ops.Rng;
import org.genzoo.host.tensor.Tensor;
import org.genzoo.host.testing.Check;
import org.genzoo.host.testing.OnDevice;
import org.junit.jupiter.api.Test;

/**
 * The samplers on tiny RBMs whose distribution is known exactly by enumeration: Gibbs chains and
 * parallel tempering reach it (chi-square goodness of fit), AIS estimates log Z, the device
 * enumeration gives it.
 */
class RbmSamplingTest extends OnDevice {
    /** Chi-square tests reject at p below this (a correct sampler fails once in 10^4 runs; the seeds are fixed). */
    static final double P_MIN = 1e-4;
    /** Device enumeration (float sums of D softplus terms) vs the double reference. */
    static final double EXACT_ATOL = 1e-3;
    /** AIS (1,000 temperatures, 100 chains) on a tiny model: its ±3 s.d. band there is a few hundredths of a nat. */
    static final double AIS_ATOL = 0.05;
    /** Float products of a few terms and sigmoids vs double. */
    static final double STATS_ATOL = 2e-5;

    /** A tiny RBM with weights drawn from the seed (|W| up to 1.5: a multimodal but mixing distribution). */
    static Rbm tiny(long seed, int d, int h, double scale) {
        Rbm r = new Rbm(dev, null, "t", d, h, Gibbs.Units.BERNOULLI);
        r.weights().value().write(Check.uniform(seed, d * h, -scale, scale));
        r.visibleBias().value().write(Check.uniform(seed + 1, d, -1, 1));
        r.hiddenBias().value().write(Check.uniform(seed + 2, h, -1, 1));
        return r;
    }

    static double[] exactVisible(Rbm r) {
        int d = r.visibleUnits();
        int h = r.hiddenUnits();
        double[] w = Check.toDouble(r.weights().value().toArray());
        double[] b = Check.toDouble(r.visibleBias().value().toArray());
        double[] c = Check.toDouble(r.hiddenBias().value().toArray());
        double lz = GibbsReference.logZByVisible(w, b, c, d, h);
        double[] p = new double[1 << d];
        double[] v = new double[d];
        for (int s = 0; s < p.length; s++) {
            for (int q = 0; q < d; q++) {
                v[q] = (s >> q) & 1;
            }
            p[s] = Math.exp(-GibbsReference.freeEnergy(v, 1, d, w, h, b, c, false)[0] - lz);
        }
        return p;
    }

    /** Upper tail of the chi-square distribution with k degrees of freedom (Wilson-Hilferty normal approximation). */
    static double chiSquareP(double x, int k) {
        double z = (Math.cbrt(x / k) - (1 - 2.0 / (9 * k))) / Math.sqrt(2.0 / (9 * k));
        return 0.5 * erfc(z / Math.sqrt(2));
    }

    static double erfc(double x) {
        // Numerical Recipes' erfc via Chebyshev fit, relative error < 1.2e-7
        double z = Math.abs(x);
        double t = 1 / (1 + 0.5 * z);
        double r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806
                + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? r : 2 - r;
    }

    /** Pearson's statistic of the visible states of {@code v} (rows x d, counted over sweeps) against p. */
    static double[] chiSquare(long[] counts, double[] p) {
        long n = 0;
        for (long c : counts) {
            n += c;
        }
        double x = 0;
        for (int s = 0; s < p.length; s++) {
            double e = n * p[s];
            x += (counts[s] - e) * (counts[s] - e) / e;
        }
        return new double[] {x, chiSquareP(x, p.length - 1)};
    }

    static void count(float[] v, int rows, int d, long[] counts) {
        for (int r = 0; r < rows; r++) {
            int s = 0;
            for (int q = 0; q < d; q++) {
                s |= (v[r * d + q] > 0.5f ? 1 : 0) << q;
            }
            counts[s]++;
        }
    }

    @Test
    void longGibbsChainsMatchTheExactDistribution() {
        long seed = 101;
        int d = 5, h = 3, chains = 200, burn = 50, sweeps = 400;
        try (Rbm r = tiny(seed, d, h, 1.5); Tensor v = Tensor.zeros(dev, chains, d); Tensor pv = Tensor.empty(dev, chains, d);
                Tensor ph = Tensor.empty(dev, chains, h); Tensor sh = Tensor.empty(dev, chains, h)) {
            Rng rng = new Rng(seed);
            long[] counts = new long[1 << d];
            for (int i = 0; i < burn + sweeps; i++) {
                r.hiddenStep(ph, sh, v, 1f, null, rng, 0);
                r.visibleStep(pv, v, sh, 1f, null, null, rng, 2);
                if (i >= burn) {
                    count(v.toArray(), chains, d, counts);
                }
            }
            // successive sweeps are correlated: the counts are thinned by nothing, so compare with the
            // effective sample size bound by using the statistic of every 4th sweep's share (conservative)
            double[] cs = chiSquare(thin(counts, 4), exactVisible(r));
            assertTrue(cs[1] > P_MIN, "seed " + seed + ": chi-square " + cs[0] + " on " + ((1 << d) - 1) + " dof, p = " + cs[1]);
        }
    }

    /** Divides every count by f (rounding): the test then behaves as if only every f-th sweep were kept. */
    static long[] thin(long[] counts, int f) {
        long[] out = new long[counts.length];
        for (int i = 0; i < counts.length; i++) {
            out[i] = Math.round(counts[i] / (double) f);
        }
        return out;
    }

    @Test
    void aisMatchesExactLogZOnATinyRbm() {
        long seed = 103;
        int d = 10, h = 6;
        try (Rbm r = tiny(seed, d, h, 1.0)) {
            double[] w = Check.toDouble(r.weights().value().toArray());
            double[] b = Check.toDouble(r.visibleBias().value().toArray());
            double[] c = Check.toDouble(r.hiddenBias().value().toArray());
            double exact = GibbsReference.logZByVisible(w, b, c, d, h);
            assertEquals(exact, LogZ.exact(r), EXACT_ATOL, "device enumeration, seed " + seed);
            float[] base = new float[d];
            LogZ.Estimate e = LogZ.ais(r, base, LogZ.schedule(1000), 100, seed);
            assertTrue(e.lo() <= exact && exact <= e.hi(), "seed " + seed + ": exact " + exact + " outside AIS band " + e);
            assertEquals(exact, e.logZ(), 0.05, "seed " + seed + ": AIS " + e);
        }
    }

    /** The visible marginal of the tempered joint p_β(v, h) ∝ exp(−β E(v, h)): the RBM with β·(W, b, c). */
    static double[] exactTempered(Rbm r, double beta) {
        int d = r.visibleUnits();
        int h = r.hiddenUnits();
        double[] w = Check.toDouble(r.weights().value().toArray());
        double[] b = Check.toDouble(r.visibleBias().value().toArray());
        double[] c = Check.toDouble(r.hiddenBias().value().toArray());
        for (double[] a : new double[][] {w, b, c}) {
            for (int i = 0; i < a.length; i++) {
                a[i] *= beta;
            }
        }
        double lz = GibbsReference.logZByVisible(w, b, c, d, h);
        double[] p = new double[1 << d];
        double[] v = new double[d];
        for (int s = 0; s < p.length; s++) {
            for (int q = 0; q < d; q++) {
                v[q] = (s >> q) & 1;
            }
            p[s] = Math.exp(-GibbsReference.freeEnergy(v, 1, d, w, h, b, c, false)[0] - lz);
        }
        return p;
    }

    @Test
    void parallelTemperingKeepsEveryTemperaturesDistribution() {
        long seed = 107;
        int d = 5, h = 3, chains = 200, burn = 50, sweeps = 400;
        double[] betas = {1, 0.7, 0.4, 0.1};
        try (Rbm r = tiny(seed, d, h, 2.0); Tensor data = Tensor.zeros(dev, 8, d);
                RbmLearner l = new RbmLearner(r, RbmLearner.Method.PT, 1, chains, betas, new Rng(seed))) {
            long[][] counts = new long[betas.length][1 << d];
            for (int i = 0; i < burn + sweeps; i++) {
                l.step(data, i);
                if (i >= burn) {
                    for (int t = 0; t < betas.length; t++) {
                        count(l.chainsAt(t).toArray(), chains, d, counts[t]);
                    }
                }
            }
            for (int t = 0; t < betas.length; t++) {
                double[] cs = chiSquare(thin(counts[t], 4), exactTempered(r, betas[t]));
                assertTrue(cs[1] > P_MIN, "seed " + seed + " beta " + betas[t] + ": chi-square " + cs[0] + ", p = " + cs[1]);
            }
            // the test has power: the β = 1 chains are far from the β = 0.4 distribution
            double[] wrong = chiSquare(thin(counts[0], 4), exactTempered(r, 0.4));
            assertTrue(wrong[1] < P_MIN, "seed " + seed + ": chi-square cannot tell beta 1 from 0.4 (p = " + wrong[1] + ")");
            for (double rate : l.swapRates()) {
                assertTrue(rate > 0.05 && rate <= 1, "seed " + seed + ": swap rates " + java.util.Arrays.toString(l.swapRates()));
            }
        }
    }

    @Test
    void gaussianExactLogZMatchesNumericalIntegration() {
        long seed = 109;
        int d = 2, h = 2;
        try (Rbm r = new Rbm(dev, null, "g", d, h, Gibbs.Units.GAUSSIAN)) {
            float[] w = Check.uniform(seed, d * h, -1, 1);
            float[] b = Check.uniform(seed + 1, d, -1, 1);
            float[] c = Check.uniform(seed + 2, h, -1, 1);
            r.weights().value().write(w);
            r.visibleBias().value().write(b);
            r.hiddenBias().value().write(c);
            // Z = Σ_h ∫ exp(−|v − b|²/2 + vWh + c·h) dv by the midpoint rule on [−14, 14]² (tails below e^-40)
            double step = 0.01;
            double z = 0;
            for (int s = 0; s < (1 << h); s++) {
                double ch = 0;
                double[] wh = new double[d];
                for (int j = 0; j < h; j++) {
                    int hj = (s >> j) & 1;
                    ch += c[j] * hj;
                    for (int i = 0; i < d; i++) {
                        wh[i] += w[i * h + j] * hj;
                    }
                }
                double sum = 0;
                for (double v0 = -14 + step / 2; v0 < 14; v0 += step) {
                    double e0 = -0.5 * (v0 - b[0]) * (v0 - b[0]) + v0 * wh[0];
                    for (double v1 = -14 + step / 2; v1 < 14; v1 += step) {
                        sum += Math.exp(e0 - 0.5 * (v1 - b[1]) * (v1 - b[1]) + v1 * wh[1]);
                    }
                }
                z += Math.exp(ch) * sum * step * step;
            }
            assertEquals(Math.log(z), LogZ.exact(r), 1e-4, "seed " + seed);
        }
    }

    /** log Z of a unit-variance Gaussian RBM in double: v integrated in closed form for each of the 2^H hidden states. */
    static double gaussianLogZ(float[] w, float[] b, float[] c, int d, int h) {
        double max = Double.NEGATIVE_INFINITY;
        double[] f = new double[1 << h];
        double bb = 0;
        for (float x : b) {
            bb += (double) x * x;
        }
        for (int s = 0; s < f.length; s++) {
            double ch = 0;
            double yy = 0;
            for (int j = 0; j < h; j++) {
                ch += ((s >> j) & 1) * (double) c[j];
            }
            for (int i = 0; i < d; i++) {
                double y = b[i];
                for (int j = 0; j < h; j++) {
                    y += ((s >> j) & 1) * (double) w[i * h + j];
                }
                yy += y * y;
            }
            // ∫ exp(−|v − b|²/2 + v·Wh) dv = (2π)^{D/2} exp(|b + Wh|²/2 − |b|²/2)
            f[s] = ch + 0.5 * yy - 0.5 * bb;
            max = Math.max(max, f[s]);
        }
        double sum = 0;
        for (double x : f) {
            sum += Math.exp(x - max);
        }
        return max + Math.log(sum) + 0.5 * d * Math.log(2 * Math.PI);
    }

    /** AIS from the Gaussian base model N(a, I) x uniform hiddens reaches the closed-form log Z of a small GRBM. */
    @Test
    void gaussianAisMatchesExactLogZ() {
        long seed = 113;
        int d = 12, h = 8;
        try (Rbm r = new Rbm(dev, null, "g", d, h, Gibbs.Units.GAUSSIAN)) {
            float[] w = Check.uniform(seed, d * h, -0.6f, 0.6f);
            float[] b = Check.uniform(seed + 1, d, -1, 1);
            float[] c = Check.uniform(seed + 2, h, -1, 1);
            r.weights().value().write(w);
            r.visibleBias().value().write(b);
            r.hiddenBias().value().write(c);
            double exact = gaussianLogZ(w, b, c, d, h);
            assertEquals(exact, LogZ.exact(r), EXACT_ATOL, "device enumeration, seed " + seed);
            // the base: standardized data would have means near 0; any means give an unbiased estimate
            float[] base = Check.uniform(seed + 3, d, -0.3f, 0.3f);
            LogZ.Estimate e = LogZ.ais(r, base, LogZ.schedule(1000), 100, seed);
            assertTrue(e.lo() <= exact && exact <= e.hi(), "seed " + seed + ": exact " + exact + " outside AIS band " + e);
            assertEquals(exact, e.logZ(), AIS_ATOL, "seed " + seed + ": AIS " + e);
        }
    }

    /** The PCD statistics (one stacked product for W): grad = chainsᵀ·p(h | chains)/C − v0ᵀ·p(h | v0)/B, in double. */
    @Test
    void pcdGradientStatisticsMatchTheReference() {
        long seed = 127;
        int d = 7, h = 5, chains = 9, rows = 6;
        float[] data = Check.uniform(seed + 7, rows * d, 0, 1);
        for (int i = 0; i < data.length; i++) {
            data[i] = data[i] < 0.5f ? 0f : 1f;
        }
        try (Rbm r = tiny(seed, d, h, 1.0); Tensor v0 = Tensor.of(dev, rows, d, data);
                RbmLearner l = new RbmLearner(r, RbmLearner.Method.PCD, 2, chains, new double[] {1}, new Rng(seed))) {
            for (int step = 0; step < 3; step++) {
                for (var p : r.params()) {
                    p.grad().fill(0f);
                }
                l.step(v0, step);
            }
            double[] w = Check.toDouble(r.weights().value().toArray());
            double[] c = Check.toDouble(r.hiddenBias().value().toArray());
            double[] cv = Check.toDouble(l.chains().toArray());
            double[] x = Check.toDouble(data);
            double[] gw = new double[d * h];
            double[] gb = new double[d];
            double[] gc = new double[h];
            for (int pass = 0; pass < 2; pass++) {
                double[] v = pass == 0 ? x : cv;
                int n = pass == 0 ? rows : chains;
                double sgn = pass == 0 ? -1.0 / rows : 1.0 / chains;
                for (int q = 0; q < n; q++) {
                    for (int j = 0; j < h; j++) {
                        double z = c[j];
                        for (int i = 0; i < d; i++) {
                            z += v[q * d + i] * w[i * h + j];
                        }
                        double p = GibbsReference.sigmoid(z);
                        gc[j] += sgn * p;
                        for (int i = 0; i < d; i++) {
                            gw[i * h + j] += sgn * v[q * d + i] * p;
                        }
                    }
                    for (int i = 0; i < d; i++) {
                        gb[i] += sgn * v[q * d + i];
                    }
                }
            }
            Check.close(gw, r.weights().grad().toArray(), STATS_ATOL, 0, "seed " + seed + " grad W");
            Check.close(gb, r.visibleBias().grad().toArray(), STATS_ATOL, 0, "seed " + seed + " grad b");
            Check.close(gc, r.hiddenBias().grad().toArray(), STATS_ATOL, 0, "seed " + seed + " grad c");
        }
    }
}
