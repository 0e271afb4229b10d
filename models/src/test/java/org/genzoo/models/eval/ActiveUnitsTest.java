package org.genzoo.models.eval;

import static org.junit.jupiter.api.Assertions.*;

import org.genzoo.host.tensor.Tensor;
import org.genzoo.models.vae.Vae;
import org.junit.jupiter.api.Test;

/** Active units against a direct covariance, and a heavily penalized KL switching units off. */
class ActiveUnitsTest extends OnEvalData {
    /** Means from batches of 100 vs one call of 512 rows: GEMM blocking may round them differently (float). */
    static final double VAR_TOL = 1e-5;
    static final int L = 8;

    @Test
    void countMatchesDirectCovarianceAndLargeBetaSwitchesUnitsOff() {
        int plain;
        try (Vae m = EvalFixtures.trainedVae(dev, data, L, 1f, 300)) {
            ActiveUnits a = ActiveUnits.measure(m, data, 0, 100, ActiveUnits.DEFAULT_THRESHOLD);
            double[] direct = directVariances(m);
            int count = 0;
            for (int u = 0; u < L; u++) {
                assertEquals(direct[u], a.variances()[u], VAR_TOL * Math.max(1, direct[u]), "unit " + u);
                count += direct[u] > 0.01 ? 1 : 0;
            }
            assertEquals(count, a.active());
            assertEquals(L, a.latentDim());
            assertEquals(EvalFixtures.N, a.examples());
            plain = a.active();
            System.out.println("beta 1: " + a.active() + " active, variances " + java.util.Arrays.toString(a.variances()));
        }
        try (Vae m = EvalFixtures.trainedVae(dev, data, L, 30f, 300)) {
            ActiveUnits a = ActiveUnits.measure(m, data);
            System.out.println("beta 30: " + a.active() + " active, variances " + java.util.Arrays.toString(a.variances()));
            assertTrue(plain >= 1, "β = 1 keeps at least one unit: " + plain);
            assertTrue(a.active() < plain, "β = 30 leaves fewer active units (" + a.active() + ") than β = 1 (" + plain + ")");
        }
    }

    @Test
    void fromMeansCountsOnlyUnitsAboveTheThreshold() {
        // unit 0 varies (values ±1: variance 1), unit 1 barely (±0.05: 0.0025), unit 2 is constant
        double[] means = {1, 0.05, 3, -1, -0.05, 3};
        ActiveUnits a = ActiveUnits.fromMeans(means, 2, 3, 0.01);
        assertArrayEquals(new double[] {1, 0.0025, 0}, a.variances(), 1e-15);
        assertEquals(1, a.active());
        assertTrue(a.isActive(0));
        assertFalse(a.isActive(1));
    }

    /** Population variance of each unit of encodeMean over all data in one call, E[z²] − E[z]² in double. */
    private static double[] directVariances(Vae m) {
        float[] mu;
        try (Tensor t = m.encodeMean(data)) {
            mu = t.toArray();
        }
        int n = data.rows();
        double[] s = new double[L];
        double[] ss = new double[L];
        for (int i = 0; i < n; i++) {
            for (int u = 0; u < L; u++) {
                s[u] += mu[i * L + u];
                ss[u] += (double) mu[i * L + u] * mu[i * L + u];
            }
        }
        double[] var = new double[L];
        for (int u = 0; u < L; u++) {
            var[u] = ss[u] / n - (s[u] / n) * (s[u] / n);
        }
        return var;
    }
}
