package org.genzoo.models.eval;

import static org.junit.jupiter.api.Assertions.*;

import java.util.SplittableRandom;
import org.genzoo.models.data.Toys;
import org.junit.jupiter.api.Test;

/** Mode coverage, the Fréchet distance and precision/recall against closed forms and constructed cases. */
class GanMetricsTest {
    /** Monte Carlo share of a 2-D Gaussian within 3σ: 1 − e^{−4.5} = 0.98889; 20,000 draws give stderr 0.0007. */
    private static final double HQ_TOL = 0.004;
    /** Fréchet distance of exact moments: rounding only. */
    private static final double FD_EXACT_TOL = 1e-9;

    @Test
    void exactSamplesCoverEveryModeWithTheGaussianShareWithin3Sigma() {
        for (String toy : new String[] {"ring8", "grid25"}) {
            long seed = toy.length();
            float[] s = Toys.sample(toy, 20_000, new SplittableRandom(seed));
            ModeCoverage.Result r = ModeCoverage.of(s, Toys.modeMeans(toy), Toys.modeStd(toy));
            assertEquals(Toys.modeMeans(toy).length, r.modesCovered(), toy + ", seed " + seed);
            assertEquals(1 - Math.exp(-4.5), r.highQuality(), HQ_TOL, toy + ", seed " + seed);
            // KL of a multinomial histogram from uniform: about (K − 1) / (2N) nats.
            assertTrue(r.reverseKl() < 0.01, toy + " reverse KL " + r.reverseKl());
        }
    }

    @Test
    void aCollapsedGeneratorCoversOneModeWithReverseKlLogK() {
        double[][] means = Toys.modeMeans("ring8");
        float[] s = new float[2 * 1000];
        for (int i = 0; i < 1000; i++) {
            s[2 * i] = (float) means[3][0];
            s[2 * i + 1] = (float) means[3][1];
        }
        ModeCoverage.Result r = ModeCoverage.of(s, means, Toys.RING8_STD);
        assertEquals(1, r.modesCovered());
        assertEquals(1.0, r.highQuality());
        assertEquals(Math.log(8), r.reverseKl(), 1e-12);
        // Points between modes are low quality and cover nothing.
        float[] mid = {0f, 0f, 1f, 1f};
        ModeCoverage.Result m = ModeCoverage.of(mid, means, Toys.RING8_STD);
        assertEquals(0, m.modesCovered());
        assertEquals(0.0, m.highQuality());
    }

    @Test
    void aModeBelowTenthOfItsShareIsNotCovered() {
        double[][] means = Toys.modeMeans("ring8");
        // 800 samples: fair share 100; mode 0 gets 9 (< 10), modes 1..7 share the rest.
        float[] s = new float[1600];
        int k = 0;
        for (int i = 0; i < 800; i++) {
            int m = i < 9 ? 0 : 1 + (i % 7);
            s[k++] = (float) means[m][0];
            s[k++] = (float) means[m][1];
        }
        assertEquals(7, ModeCoverage.of(s, means, Toys.RING8_STD).modesCovered());
    }

    @Test
    void frechetDistanceMatchesTheClosedFormOfGaussians() {
        int d = 5;
        // Diagonal covariances: Σ_j (μ1 − μ2)_j² + (s1_j − s2_j)².
        double[] mu1 = {0, 1, 2, 3, 4};
        double[] mu2 = {1, 1, 0, 3, 5};
        double[] s1 = {1, 2, 0.5, 3, 1};
        double[] s2 = {2, 2, 1.5, 1, 0.1};
        double[] c1 = new double[d * d];
        double[] c2 = new double[d * d];
        double want = 0;
        for (int j = 0; j < d; j++) {
            c1[j * d + j] = s1[j] * s1[j];
            c2[j * d + j] = s2[j] * s2[j];
            want += (mu1[j] - mu2[j]) * (mu1[j] - mu2[j]) + (s1[j] - s2[j]) * (s1[j] - s2[j]);
        }
        assertEquals(want, FrechetDistance.of(mu1, c1, mu2, c2, d), FD_EXACT_TOL * Math.max(1, want));
        // A rotated pair (non-diagonal, non-commuting): invariance under a common rotation of both.
        double[] q = rotation(d, 7);
        double[] r1 = FrechetDistance.multiply(FrechetDistance.multiply(q, c1, d), transpose(q, d), d);
        double[] r2 = FrechetDistance.multiply(FrechetDistance.multiply(q, c2, d), transpose(q, d), d);
        assertEquals(want, FrechetDistance.of(apply(q, mu1, d), r1, apply(q, mu2, d), r2, d), 1e-8 * Math.max(1, want));
        // Equal Gaussians: 0.
        assertEquals(0, FrechetDistance.of(mu1, r1, mu1, r1, d), 1e-9);
    }

    @Test
    void frechetDistanceOfNonCommutingCovariancesIn2dMatchesTheTraceFormula() {
        // For 2 x 2 PSD M: tr sqrt(M) = sqrt(tr M + 2 sqrt(det M)); with M = S1^½ S2 S1^½,
        // tr M = tr(S1 S2) and det M = det S1 · det S2.
        double[] s1 = {2, 0.7, 0.7, 1};
        double[] s2 = {0.5, -0.3, -0.3, 3};
        double[] mu1 = {0.2, -1};
        double[] mu2 = {1, 0.5};
        double trProd = s1[0] * s2[0] + s1[1] * s2[2] + s1[2] * s2[1] + s1[3] * s2[3];
        double det = (s1[0] * s1[3] - s1[1] * s1[2]) * (s2[0] * s2[3] - s2[1] * s2[2]);
        double dm = (mu1[0] - mu2[0]) * (mu1[0] - mu2[0]) + (mu1[1] - mu2[1]) * (mu1[1] - mu2[1]);
        double want = dm + s1[0] + s1[3] + s2[0] + s2[3] - 2 * Math.sqrt(trProd + 2 * Math.sqrt(det));
        assertEquals(want, FrechetDistance.of(mu1, s1, mu2, s2, 2), 1e-10);
    }

    @Test
    void frechetDistanceOfSamplesApproachesTheClosedForm() {
        int d = 3;
        int n = 20_000;
        long seed = 11;
        SplittableRandom r = new SplittableRandom(seed);
        double[] x = new double[n * d];
        double[] y = new double[n * d];
        for (int i = 0; i < n * d; i++) {
            x[i] = r.nextGaussian();
            y[i] = 1 + 2 * r.nextGaussian();
        }
        // d · (1² + (2 − 1)²) = 6; sampling error of the moments ~ 0.05 at n = 20,000.
        assertEquals(6.0, FrechetDistance.between(x, n, y, n, d), 0.15, "seed " + seed);
    }

    @Test
    void precisionAndRecallSeeOverlapAndMissingMass() {
        int d = 2;
        int n = 600;
        long seed = 21;
        SplittableRandom r = new SplittableRandom(seed);
        double[] real = new double[n * d];
        double[] same = new double[n * d];
        double[] half = new double[n * d];
        double[] far = new double[n * d];
        for (int i = 0; i < n; i++) {
            // Real: two clusters at x = ±5.
            double cx = i % 2 == 0 ? -5 : 5;
            real[i * d] = cx + r.nextGaussian();
            real[i * d + 1] = r.nextGaussian();
            double sx = (i % 2 == 0 ? -5 : 5) + r.nextGaussian();
            same[i * d] = sx;
            same[i * d + 1] = r.nextGaussian();
            half[i * d] = -5 + r.nextGaussian();
            half[i * d + 1] = r.nextGaussian();
            far[i * d] = 50 + r.nextGaussian();
            far[i * d + 1] = r.nextGaussian();
        }
        PrecisionRecall.Result s = PrecisionRecall.of(real, n, same, n, d);
        assertTrue(s.precision() > 0.9 && s.recall() > 0.9, "same distribution: " + s + ", seed " + seed);
        PrecisionRecall.Result h = PrecisionRecall.of(real, n, half, n, d);
        assertTrue(h.precision() > 0.9, "one cluster only: precision " + h + ", seed " + seed);
        assertEquals(0.5, h.recall(), 0.06, "one cluster only: recall, seed " + seed);
        PrecisionRecall.Result f = PrecisionRecall.of(real, n, far, n, d);
        assertEquals(0.0, f.precision());
        assertEquals(0.0, f.recall());
    }

    private static double[] rotation(int d, long seed) {
        // Gram–Schmidt of a random matrix.
        SplittableRandom r = new SplittableRandom(seed);
        double[] q = new double[d * d];
        for (int i = 0; i < d; i++) {
            double[] v = new double[d];
            for (int j = 0; j < d; j++) {
                v[j] = r.nextGaussian();
            }
            for (int k = 0; k < i; k++) {
                double dot = 0;
                for (int j = 0; j < d; j++) {
                    dot += v[j] * q[k * d + j];
                }
                for (int j = 0; j < d; j++) {
                    v[j] -= dot * q[k * d + j];
                }
            }
            double nrm = 0;
            for (double e : v) {
                nrm += e * e;
            }
            for (int j = 0; j < d; j++) {
                q[i * d + j] = v[j] / Math.sqrt(nrm);
            }
        }
        return q;
    }

    private static double[] transpose(double[] a, int d) {
        double[] t = new double[d * d];
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < d; j++) {
                t[j * d + i] = a[i * d + j];
            }
        }
        return t;
    }

    private static double[] apply(double[] q, double[] v, int d) {
        double[] o = new double[d];
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < d; j++) {
                o[i] += q[i * d + j] * v[j];
            }
        }
        return o;
    }
}
