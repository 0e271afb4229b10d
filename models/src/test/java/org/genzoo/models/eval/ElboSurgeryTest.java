package org.genzoo.models.eval;

import static org.junit.jupiter.api.Assertions.*;

import org.genzoo.host.tensor.Tensor;
import org.genzoo.host.testing.Check;
import org.genzoo.models.vae.Activation;
import org.genzoo.models.vae.PriorSpec;
import org.genzoo.models.vae.Vae;
import org.genzoo.models.vae.VaeConfig;
import org.junit.jupiter.api.Test;

/** ELBO surgery on a trained VAE, and the blocked aggregate density against a double reference. */
class ElboSurgeryTest extends OnTrainedVae {
    /** Monte Carlo tolerance in standard errors (the identity's gap has mean zero). */
    static final double Z = 4;
    /** Float rounding of the per-example terms (O(10) nats each) on top of the Monte Carlo error. */
    static final double FLOAT_TOL = 1e-4;
    /** Blocked aggregate density vs double: float pairwise terms (~1e-6 of Σ|term|) and float logsumexp. */
    static final double AGG_ATOL = 1e-4;
    static final double AGG_RTOL = 1e-5;

    @Test
    void identityHoldsWithinMonteCarloErrorAndInformationIsBoundedByLogN() {
        ElboSurgery.Result r = ElboSurgery.estimate(vae, data, ElboSurgery.Options.of(0, 11));
        System.out.printf("N %d: avg KL %.4f ± %.4f = I %.4f ± %.4f + marginal KL %.4f ± %.4f (gap %.4f ± %.4f, log N %.4f)%n",
                r.examples(), r.avgKl(), r.avgKlStdErr(), r.mutualInfo(), r.mutualInfoStdErr(), r.marginalKl(), r.marginalKlStdErr(),
                r.identityGap(), r.identityGapStdErr(), r.logN());
        assertEquals(EvalFixtures.N, r.examples());
        assertTrue(r.analyticKl());
        assertEquals(r.avgKl() - (r.mutualInfo() + r.marginalKl()), r.identityGap(), 1e-9);
        assertTrue(Math.abs(r.identityGap()) <= Z * r.identityGapStdErr() + FLOAT_TOL,
                "avg KL " + r.avgKl() + " vs I + marginal KL " + (r.mutualInfo() + r.marginalKl()) + ": gap " + r.identityGap() + " ± "
                        + r.identityGapStdErr());
        assertTrue(r.mutualInfo() <= r.logN() + FLOAT_TOL, "I(x; z) estimate " + r.mutualInfo() + " above log N = " + r.logN());
        // four prototypes: a useful code carries about log 4 = 1.39 nats of them, and I >= 0
        assertTrue(r.mutualInfo() > 1.0, "a trained model's code is informative: I = " + r.mutualInfo());
        assertTrue(r.marginalKl() > -Z * r.marginalKlStdErr(), "marginal KL " + r.marginalKl());

        ElboSurgery.Result again = ElboSurgery.estimate(vae, data, ElboSurgery.Options.of(0, 11).withMaxBlockFloats(5000));
        assertEquals(r.mutualInfo(), again.mutualInfo(), 1e-5, "smaller blocks change nothing but rounding");
        assertEquals(r.avgKl(), again.avgKl(), 0.0);
    }

    @Test
    void otherPriorsUseTheSampledKlAndTheIdentityIsExact() {
        VaeConfig c = VaeConfig.builder(EvalFixtures.D, 3).hidden(16).activation(Activation.TANH).prior(new PriorSpec.Mixture(3)).seed(4)
                .build();
        try (Vae m = new Vae(dev, c)) {
            ElboSurgery.Result r = ElboSurgery.estimate(m, data, ElboSurgery.Options.of(100, 2));
            assertFalse(r.analyticKl());
            assertEquals(100, r.examples());
            assertEquals(0.0, r.identityGap(), 1e-9);
            assertTrue(r.mutualInfo() <= r.logN() + FLOAT_TOL);
        }
    }

    @Test
    void blockedAggregateDensityMatchesDoubleReference() {
        long seed = 31;
        int n = 93, m = 144, l = 3;
        float[] z = Check.uniform(seed, n * l, -2, 2);
        float[] mu = Check.uniform(seed + 1, m * l, -2, 2);
        float[] lv = Check.uniform(seed + 2, m * l, -3, 1);
        double[] ref = new double[n];
        for (int i = 0; i < n; i++) {
            double[] t = new double[m];
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < m; j++) {
                for (int u = 0; u < l; u++) {
                    double d = z[i * l + u] - mu[j * l + u];
                    double v = lv[j * l + u];
                    t[j] += -0.5 * (Math.log(2 * Math.PI) + v + d * d * Math.exp(-v));
                }
                max = Math.max(max, t[j]);
            }
            double s = 0;
            for (double v : t) {
                s += Math.exp(v - max);
            }
            ref[i] = max + Math.log(s) - Math.log(m);
        }
        try (Tensor tz = Tensor.of(dev, n, l, z); Tensor tm = Tensor.of(dev, m, l, mu); Tensor tl = Tensor.of(dev, m, l, lv)) {
            // one block; 6 rows x 144 (last row block 3 rows); 1 row x 50 columns (blocks 50, 50, 44)
            for (long budget : new long[] {1L << 20, 1000, 50}) {
                double[] got = ElboSurgery.logAggregateDensity(tz, tm, tl, budget);
                for (int i = 0; i < n; i++) {
                    assertEquals(ref[i], got[i], AGG_ATOL + AGG_RTOL * Math.abs(ref[i]), "seed " + seed + " budget " + budget + " row " + i);
                }
            }
        }
    }
}
