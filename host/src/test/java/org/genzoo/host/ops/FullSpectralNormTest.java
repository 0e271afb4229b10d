package org.genzoo.host.ops;

import static org.junit.jupiter.api.Assertions.*;

import org.genzoo.host.autograd.F;
import org.genzoo.host.autograd.Param;
import org.genzoo.host.autograd.SpectralNorm;
import org.genzoo.host.autograd.Tape;
import org.genzoo.host.autograd.Var;
import org.genzoo.host.tensor.Tensor;
import org.genzoo.host.testing.Check;
import org.genzoo.host.testing.OnDevice;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The SN-GAN use of the spectral-norm kernels (W_sn = W / σ, Miyato et al. 2018): the same
 * {@code spectral.cl} kernels and {@link SpectralNorm} class as the invertible ResNet's soft
 * normalization, against a double reference and finite differences.
 */
class FullSpectralNormTest extends OnDevice {
    /** W / σ: one float division and σ's rounding. */
    private static final double RTOL_SCALE = 1e-6;
    /** Backward: dW_sn / σ plus a rank-one term from a float dot product over at most 9,000 terms. */
    private static final double ATOL_BWD = 2e-5;
    private static final double RTOL_BWD = 2e-4;
    /** σ after 50 warm-up and then per-step iterations vs the Jacobi SVD in double, float rounding of uᵀWv. */
    private static final double RTOL_SIGMA = 1e-4;
    private static final double FD_STEP = 1e-6;

    private static float[] toFloat(double[] x) {
        float[] f = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            f[i] = (float) x[i];
        }
        return f;
    }

    /** W / (uᵀWv), in double. */
    private static double[] fullNormalize(double[] w, double[] u, double[] v, int m, int n) {
        double s = SpectralReference.sigma(u, w, v, m, n);
        double[] out = new double[w.length];
        for (int k = 0; k < w.length; k++) {
            out[k] = w[k] / s;
        }
        return out;
    }

    private static double loss(double[] w, double[] r, double[] u, double[] v, int m, int n) {
        double[] wsn = fullNormalize(w, u, v, m, n);
        double s = 0;
        for (int k = 0; k < w.length; k++) {
            s += r[k] * wsn[k];
        }
        return s;
    }

    /** Includes a W with σ &lt; 1 (scale 0.01), where the soft normalization would leave W alone. */
    @ParameterizedTest
    @CsvSource({"7, 5, 1", "1, 3, 1", "33, 17, 1", "100, 90, 1", "7, 5, 0.01"})
    void kernelForwardAndBackwardMatchReference(int m, int n, double scale) {
        long seed = 13L * m + n;
        double[] w = Check.toDouble(Check.uniform(seed, m * n, -1, 1));
        for (int k = 0; k < w.length; k++) {
            w[k] = (float) (w[k] * scale);
        }
        double[] r = Check.toDouble(Check.uniform(seed + 1, m * n, -1, 1));
        // u, v near the singular vectors, as after power iteration (σ = uᵀWv stays away from 0).
        double[][] uv = SpectralReference.powerIteration(w, Check.toDouble(Check.uniform(seed + 2, m, 0.5, 1)), m, n);
        float[] hu = toFloat(uv[0]);
        float[] hv = toFloat(uv[1]);
        double[] u = Check.toDouble(hu);
        double[] v = Check.toDouble(hv);
        String tag = m + " x " + n + " scale " + scale + " (seed " + seed + ")";
        try (Tensor tw = Tensor.of(dev, m, n, toFloat(w)); Tensor tu = Tensor.of(dev, 1, m, hu); Tensor tv = Tensor.of(dev, 1, n, hv);
                Tensor ts = Tensor.zeros(dev, 1, 1); Tensor wsn = Tensor.empty(dev, m, n); Tensor dr = Tensor.of(dev, m, n, toFloat(r));
                Tensor dw = Tensor.empty(dev, m, n); Tensor scratch = Tensor.empty(dev, 1, 1)) {
            Spectral.sigma(ts, tu, tw, tv);
            Spectral.softNormalize(wsn, tw, ts, 1f, true);
            Check.close(fullNormalize(w, u, v, m, n), wsn.toArray(), 1e-7, RTOL_SCALE, "W / sigma " + tag);
            double[] fd = Check.finiteDiff(x -> loss(x, r, u, v, m, n), w, FD_STEP);
            Spectral.softNormalizeBackward(dw, dr, tw, ts, tu, tv, 1f, true, 0f, scratch);
            double gmax = 0;
            for (double g : fd) {
                gmax = Math.max(gmax, Math.abs(g));
            }
            // The gradient scales as 1/σ: the absolute bound follows it.
            Check.close(fd, dw.toArray(), ATOL_BWD * Math.max(1, gmax), RTOL_BWD, "d(W / sigma)/dW " + tag);
        }
    }

    @Test
    @Tag("large") // power iterations and finite differences: not kernel coverage (kernelForwardAndBackwardMatchReference runs the kernels on the simulated GPU)
    void moduleSigmaIsTheLargestSingularValueAndTheGradientMatchesFiniteDifferences() {
        int m = 24;
        int n = 9;
        long seed = 77;
        float[] hw = Check.uniform(seed, m * n, -0.1, 0.1);
        double[] r = Check.toDouble(Check.uniform(seed + 1, m * n, -1, 1));
        try (Param w = new Param("d.0.weight", dev, m, n); Tensor tr = Tensor.of(dev, m, n, toFloat(r));
                SpectralNorm sn = SpectralNorm.full(w, 1, seed)) {
            w.value().write(hw);
            assertTrue(sn.isFull());
            float[] wsn;
            try (Tape t = Tape.record(dev)) {
                Var out = sn.normalized();
                t.backward(F.sum(F.mul(out, t.constant(tr))));
                wsn = out.value().toArray();
            }
            double truth = SpectralReference.largestSingularValue(Check.toDouble(hw), m, n);
            Check.close(new double[] {truth}, sn.sigma().toArray(), 0, RTOL_SIGMA, "sigma vs SVD (seed " + seed + ")");
            // σ < 1 here: W / σ scales W up to spectral norm 1 (the soft version would not touch it).
            assertTrue(truth < 1, "test premise: sigma " + truth);
            assertEquals(1.0, SpectralReference.largestSingularValue(Check.toDouble(wsn), m, n), 1e-4, "sigma(W_sn), seed " + seed);
            double[] u = Check.toDouble(sn.u().toArray());
            double[] v = Check.toDouble(sn.v().toArray());
            double[] fd = Check.finiteDiff(x -> loss(x, r, u, v, m, n), Check.toDouble(hw), FD_STEP);
            Check.close(fd, w.grad().toArray(), ATOL_BWD, RTOL_BWD, "dW through W / sigma (seed " + seed + ")");
        }
    }

    @Test
    @Tag("large") // many steps: state, not kernel coverage (kernelForwardAndBackwardMatchReference runs the kernels on the simulated GPU)
    void uIsPersistedAcrossStepsAndTracksAChangingWeight() {
        int m = 16;
        int n = 8;
        long seed = 78;
        float[] hw = Check.uniform(seed, m * n, -1, 1);
        try (Param w = new Param("w", dev, m, n); SpectralNorm sn = SpectralNorm.full(w, 1, seed)) {
            w.value().write(hw);
            try (Tape t = Tape.record(dev)) {
                sn.normalized();
            }
            float[] u1 = sn.u().toArray();
            // An evaluation tape reuses u: same vector after it.
            try (Tape t = Tape.noGrad(dev)) {
                sn.normalized();
            }
            assertArrayEquals(u1, sn.u().toArray(), "noGrad must not iterate");
            // Small changes of W, one iteration per step: σ keeps up with the true largest singular value.
            float[] cur = hw.clone();
            float[] drift = Check.uniform(seed + 1, m * n, -0.02, 0.02);
            for (int step = 0; step < 20; step++) {
                for (int k = 0; k < cur.length; k++) {
                    cur[k] += drift[k];
                }
                w.value().write(cur);
                try (Tape t = Tape.record(dev)) {
                    sn.normalized();
                }
            }
            double truth = SpectralReference.largestSingularValue(Check.toDouble(cur), m, n);
            Check.close(new double[] {truth}, sn.sigma().toArray(), 0, 1e-3, "sigma after 20 drifting steps (seed " + seed + ")");
        }
    }
}
