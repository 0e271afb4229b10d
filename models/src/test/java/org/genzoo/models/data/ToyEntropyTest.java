package org.genzoo.models.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The toy generators and their entropies: fixed splits reproduce bit for bit; the closed-form and
 * quadrature densities integrate to 1; the 8-Gaussian entropy matches its near-closed form; the
 * nearest-neighbour estimator used for pinwheel agrees with the exact-density Monte Carlo on a toy
 * where both exist.
 */
class ToyEntropyTest {
    @Test
    void splitsAreFixedSeparateAndSized() throws java.io.IOException {
        DatasetSplits a = Datasets.load("toy:rings", null);
        DatasetSplits b = Toys.load("toy:rings");
        assertArrayEquals(a.test().x(), b.test().x());
        assertEquals(Toys.TRAIN, a.train().size());
        assertEquals(Toys.VALIDATION, a.validation().size());
        assertEquals(Toys.TEST, a.test().size());
        assertEquals(2, a.train().dim());
        float[] t = a.train().x();
        float[] s = a.test().x();
        assertEquals(false, t[0] == s[0] && t[1] == s[1], "test points are drawn from their own seed");
        assertThrows(IllegalArgumentException.class, () -> Toys.load("toy:spiral"));
    }

    /**
     * Midpoint sum of p over [−5, 5]² with step 0.05: for Gaussian noise of std σ ≥ 0.08 a lattice
     * sum with step below σ is exact to far below the tolerance (aliasing ~exp(−2π²σ²/h²)); the
     * checkerboard's edges fall between grid points.
     */
    @Test
    void densitiesIntegrateToOne() {
        for (String toy : new String[] {"8gaussians", "circles", "rings", "checkerboard"}) {
            double h = 0.05;
            double sum = 0;
            for (int i = 0; i < 200; i++) {
                double x = -5 + h * (i + 0.5);
                for (int j = 0; j < 200; j++) {
                    double y = -5 + h * (j + 0.5);
                    sum += Math.exp(ToyEntropy.logDensity(toy, x, y)) * h * h;
                }
            }
            assertEquals(1.0, sum, 1e-4, toy + ": ∫ p");
        }
    }

    /**
     * Eight nearly disjoint equal Gaussians of std σ = 0.5/1.414: H ≈ log 8 + 1 + log(2πσ²) = 2.838;
     * the overlap lowers it slightly, so the Monte Carlo value sits within 0.02 below.
     */
    @Test
    void eightGaussiansEntropyAndTheNearestNeighbourEstimator() {
        double sigma = 0.5 / 1.414;
        double disjoint = Math.log(8) + 1 + Math.log(2 * Math.PI * sigma * sigma);
        ToyEntropy.Estimate mc = ToyEntropy.entropy("8gaussians", 20_000, 3);
        assertEquals(disjoint - 0.01, mc.nats(), 0.02);
        int n = 100_000;
        ToyEntropy.Estimate kl = ToyEntropy.kozachenkoLeonenko(Toys.sampleDouble("8gaussians", n, new SplittableRandom(5)), n);
        // 1-NN spread ~0.005 at this n; allow 0.03 for the estimator's bias.
        assertEquals(mc.nats(), kl.nats(), 0.03, "Kozachenko-Leonenko vs exact-density Monte Carlo");
        assertEquals(Math.log(32), ToyEntropy.entropy("checkerboard", 10, 1).nats(), 0.0);
    }
}
