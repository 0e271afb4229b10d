package org.genzoo.models.eval;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import java.util.Map;
import org.genzoo.host.Device;
import org.genzoo.host.autograd.Param;
import org.genzoo.host.autograd.Tape;
import org.genzoo.host.autograd.Var;
import org.genzoo.host.ops.Rng;
import org.genzoo.host.tensor.Tensor;
import org.genzoo.host.testing.Check;
import org.genzoo.models.vae.Activation;
import org.genzoo.models.vae.HierarchicalVae;
import org.genzoo.models.vae.HvaeConfig;
import org.genzoo.models.vae.LatentModel;
import org.genzoo.models.vae.Likelihood;
import org.genzoo.models.vae.Objective;
import org.genzoo.models.vae.Vae;
import org.junit.jupiter.api.Test;

/** Importance-sampled NLL: exact chunk combination, determinism, and the bound rising with K on a trained VAE. */
class ImportanceSamplingTest extends OnTrainedVae {
    /**
     * Monte Carlo tolerance: a difference of two estimates may fall short of its expected sign by at
     * most this many standard errors (of the paired per-example differences) before the test fails.
     */
    static final double Z = 3.5;
    /** Combination of float chunk sums in double: float logsumexp carries ~1e-6 relative. */
    static final double COMBINE_TOL = 1e-5;

    @Test
    void combineIsTheLogSumExpOfAllWeights() {
        float[] s = Check.uniform(11, 5, -300, -200);
        double max = -1e300;
        for (float v : s) {
            max = Math.max(max, v);
        }
        double sum = 0;
        for (float v : s) {
            sum += Math.exp(v - max);
        }
        assertEquals(max + Math.log(sum) - Math.log(1234), ImportanceSampling.combine(s, 0, 5, 1234), 1e-12);
        float[] inf = {Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY};
        assertEquals(Double.NEGATIVE_INFINITY, ImportanceSampling.combine(inf, 0, 2, 2));
    }

    /**
     * log w_ij = a_i + log(j + 1) within each logWeights call of kk samples: with K = 7 in chunks of
     * 3, 3, 1 the estimate is a_i + log((6 + 6 + 1) / 7). Averaging chunk means instead would give
     * another number, so this checks the exact combination, partial chunks and partial batches.
     */
    @Test
    void chunksAndBatchesCombineExactly() {
        int n = 5;
        float[] x = new float[n * 2];
        for (int i = 0; i < n; i++) {
            x[2 * i] = -3f * i - 0.25f;
        }
        try (Tensor xt = Tensor.of(dev, n, 2, x); FakeModel m = new FakeModel(dev)) {
            // batches of 2 (2, 2, 1 examples), kc = 6 / 2 = 3 samples a call
            ImportanceSampling.Options o = new ImportanceSampling.Options(7, 2, 6, 0, 1L);
            assertEquals(3, o.samplesPerCall());
            double[] ll = ImportanceSampling.logLikelihoods(m, xt, o);
            for (int i = 0; i < n; i++) {
                assertEquals(x[2 * i] + Math.log(13.0 / 7), ll[i], COMBINE_TOL, "example " + i);
            }
            double[] first3 = ImportanceSampling.logLikelihoods(m, xt, o.withLimit(3));
            assertEquals(3, first3.length);
            // one call holding all K: a_i + log(28 / 7)
            double[] whole = ImportanceSampling.logLikelihoods(m, xt, o.withMaxRowsPerCall(100));
            assertEquals(x[2] + Math.log(4), whole[1], COMBINE_TOL);
        }
    }

    @Test
    void boundGrowsWithKWithinMonteCarloError() {
        ImportanceSampling.Options base = ImportanceSampling.Options.of(1).withBatchSize(32).withMaxRowsPerCall(2048).withLimit(256)
                .withSeed(7);
        int[] ks = {1, 5, 50, 500};
        double[][] ll = new double[ks.length][];
        for (int i = 0; i < ks.length; i++) {
            ImportanceSampling.Options o = new ImportanceSampling.Options(ks[i], base.batchSize(), base.maxRowsPerCall(), base.limit(),
                    base.seed());
            ll[i] = ImportanceSampling.logLikelihoods(vae, data, o);
        }
        // K = 500 runs in chunks of 2048 / 32 = 64 samples (7 full, one of 52)
        assertEquals(64, new ImportanceSampling.Options(500, 32, 2048, 0, 0).samplesPerCall());
        for (int i = 0; i + 1 < ks.length; i++) {
            ImportanceSampling.Mean diff = pairedDiff(ll[i + 1], ll[i]);
            System.out.printf("L_%d - L_%d = %.4f ± %.4f%n", ks[i + 1], ks[i], diff.mean(), diff.stdErr());
            assertTrue(diff.mean() >= -Z * diff.stdErr(), "L_" + ks[i] + " <= L_" + ks[i + 1] + " within " + Z
                    + " standard errors: difference " + diff.mean() + " ± " + diff.stdErr());
        }
        ImportanceSampling.Mean gain = pairedDiff(ll[3], ll[0]);
        assertTrue(gain.mean() > Z * gain.stdErr(), "the K = 500 bound is clearly above the ELBO-like L_1: " + gain);
        // no bound beats the data entropy (log 4 + 64 H(0.05) = 14.1 nats)
        double entropy = Math.log(4) + 64 * -(0.05 * Math.log(0.05) + 0.95 * Math.log(0.95));
        ImportanceSampling.Mean l500 = ImportanceSampling.Mean.of(ll[3]);
        assertTrue(l500.mean() < -entropy + Z * l500.stdErr(), "log p estimate " + l500 + " above −entropy " + -entropy);
    }

    @Test
    void reportIsDeterministicAndLeavesTheTrainingNoiseAlone() {
        ImportanceSampling.Options o = ImportanceSampling.Options.of(100).withBatchSize(16).withMaxRowsPerCall(512).withLimit(40)
                .withSeed(3);
        vae.rng().setCounter(Vae.Z_STREAM, 12345);
        Map<Integer, Long> before = vae.rng().counters();
        ImportanceSampling.Report a = ImportanceSampling.evaluate(vae, data, o);
        assertEquals(before, vae.rng().counters(), "the model's counters are restored");
        ImportanceSampling.Report b = ImportanceSampling.evaluate(vae, data, o);
        assertArrayEquals(a.logLikelihoods(), b.logLikelihoods(), "same seed, same numbers");
        assertEquals(a.elbo(), b.elbo());
        ImportanceSampling.Report c = ImportanceSampling.evaluate(vae, data, o.withSeed(4));
        assertFalse(java.util.Arrays.equals(a.logLikelihoods(), c.logLikelihoods()), "another seed, other noise");

        assertEquals(40, a.examples());
        ImportanceSampling.Mean m = ImportanceSampling.Mean.of(a.logLikelihoods());
        assertEquals(-m.mean(), a.meanNll(), 1e-12);
        assertEquals(m.stdErr(), a.nllStdErr(), 1e-12);
        ImportanceSampling.Elbo e = a.elbo();
        System.out.printf("NLL_100 %.3f ± %.3f, ELBO %.3f (recon %.3f, kl %.3f)%n", a.meanNll(), a.nllStdErr(), e.elbo(), e.recon(),
                e.kl());
        assertEquals(e.recon() - e.kl(), e.elbo(), 1e-9);
        assertTrue(e.kl() > 0, "a trained model's posterior differs from the prior: KL " + e.kl());
        // −NLL_100 is a tighter bound than the ELBO (data variance dominates the error here)
        assertTrue(-a.meanNll() >= e.elbo() - Z * a.nllStdErr(), "IWAE-100 " + -a.meanNll() + " vs ELBO " + e.elbo());
    }

    @Test
    void worksForTheHierarchicalModel() {
        HvaeConfig h = new HvaeConfig(EvalFixtures.D, List.of(32), 6, List.of(16), 3, Activation.TANH, Likelihood.BERNOULLI,
                Objective.ELBO, 1, 1f, 0, 5);
        try (HierarchicalVae m = new HierarchicalVae(dev, h)) {
            ImportanceSampling.Report r = ImportanceSampling.evaluate(m, data,
                    ImportanceSampling.Options.of(30).withBatchSize(8).withMaxRowsPerCall(80).withLimit(24).withSeed(1));
            assertTrue(Double.isFinite(r.meanNll()) && r.meanNll() > 0, "NLL " + r.meanNll());
            assertTrue(-r.meanNll() >= r.elbo().elbo() - Z * r.nllStdErr(), "IWAE-30 " + -r.meanNll() + " vs ELBO " + r.elbo());
        }
    }

    @Test
    void fixedBinarizationIsBinaryAndRepeatable() {
        try (Tensor grey = Tensor.of(dev, 10, 20, Check.uniform(5, 200, 0, 1)); Tensor a = ImportanceSampling.fixedBinarization(grey, 9);
                Tensor b = ImportanceSampling.fixedBinarization(grey, 9)) {
            float[] av = a.toArray();
            assertArrayEquals(av, b.toArray());
            for (float v : av) {
                assertTrue(v == 0f || v == 1f);
            }
        }
    }

    @Test
    void refusesBadOptionsAndData() {
        assertThrows(IllegalArgumentException.class, () -> ImportanceSampling.Options.of(0));
        assertThrows(IllegalArgumentException.class, () -> ImportanceSampling.Options.of(5).withBatchSize(0));
        try (Tensor wrong = Tensor.zeros(dev, 3, 5)) {
            assertThrows(IllegalArgumentException.class, () -> ImportanceSampling.logLikelihoods(vae, wrong, ImportanceSampling.Options.of(2)));
        }
    }

    /** mean ± standard error of a − b, example by example. */
    static ImportanceSampling.Mean pairedDiff(double[] a, double[] b) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i] - b[i];
        }
        return ImportanceSampling.Mean.of(d);
    }

    /** Log-weights a_i + log(j + 1) for sample j of a call, a_i = x[i, 0]; nothing else works. */
    static final class FakeModel implements LatentModel {
        private final Device device;
        private final Rng rng = new Rng(0);

        FakeModel(Device device) {
            this.device = device;
        }

        @Override
        public String name() {
            return "fake";
        }

        @Override
        public Device device() {
            return device;
        }

        @Override
        public int dataDim() {
            return 2;
        }

        @Override
        public int latentDim() {
            return 1;
        }

        @Override
        public List<Param> params() {
            return List.of();
        }

        @Override
        public Rng rng() {
            return rng;
        }

        @Override
        public Var loss(Tape t, Tensor x, long step) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Map<String, Float> lastMetrics() {
            return Map.of();
        }

        @Override
        public Map<String, Tensor> lastTerms() {
            return Map.of();
        }

        @Override
        public Var logWeights(Tape t, Tensor x, int k) {
            float[] xv = x.toArray();
            float[] w = new float[x.rows() * k];
            for (int i = 0; i < x.rows(); i++) {
                for (int j = 0; j < k; j++) {
                    w[i * k + j] = (float) (xv[2 * i] + Math.log(j + 1));
                }
            }
            Tensor out = t.alloc(x.rows(), k);
            out.write(w);
            return t.constant(out);
        }

        @Override
        public Tensor sample(int n) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Tensor reconstruct(Tensor x) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Tensor encodeMean(Tensor x) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void close() {
        }
    }
}
