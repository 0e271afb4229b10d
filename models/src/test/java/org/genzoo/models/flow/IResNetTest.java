package org.genzoo.models.flow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.genzoo.host.autograd.F;
import org.genzoo.host.autograd.Param;
import org.genzoo.host.autograd.SpectralNorm;
import org.genzoo.host.autograd.Tape;
import org.genzoo.host.autograd.Var;
import org.genzoo.host.tensor.Tensor;
import org.genzoo.host.testing.Check;
import org.genzoo.host.testing.OnDevice;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The invertible residual block against {@link IResNetReference}: contraction after spectral
 * normalization, the fixed-point inverse, the Hutchinson series against the exact log-det at D = 2,
 * and gradients of the series and of the exact 2-D log-det against central differences.
 */
class IResNetTest extends OnDevice {
    /** float32 gradients of O(1) sums through a few GEMMs vs double central differences. */
    private static final double ATOL_GRAD = 3e-4;
    private static final double RTOL_GRAD = 3e-3;
    private static final double ATOL_FWD = 3e-5;
    private static final double RTOL_FWD = 3e-5;
    private static final double FD_STEP = 1e-6;

    private static IResNet block(int d, int[] hidden, float c, int terms, double tol, int maxIter, long seed, double gain) {
        IResNet b = new IResNet(dev, "ires", d, new IResNet.Config(hidden, c, 1, terms, tol, maxIter), seed);
        // Scale the weights up so the soft normalization is active (σ > c) in every layer.
        SplittableRandom r = new SplittableRandom(seed + 9);
        for (Param p : b.params()) {
            float[] v = p.value().toArray();
            for (int i = 0; i < v.length; i++) {
                v[i] = p.name().endsWith("bias") ? (float) (0.5 * (r.nextDouble() * 2 - 1)) : (float) (v[i] * gain);
            }
            p.value().write(v);
        }
        return b;
    }

    /** The reference with the block's current weights and power-iteration vectors. */
    private static IResNetReference reference(IResNet b, int d, int[] hidden, double c) {
        int[] sizes = new int[hidden.length + 2];
        sizes[0] = d;
        System.arraycopy(hidden, 0, sizes, 1, hidden.length);
        sizes[sizes.length - 1] = d;
        int n = sizes.length - 1;
        double[][] w = new double[n][], bb = new double[n][], u = new double[n][], v = new double[n][];
        List<Param> ps = b.params();
        for (int l = 0; l < n; l++) {
            w[l] = Check.toDouble(ps.get(2 * l).value().toArray());
            bb[l] = Check.toDouble(ps.get(2 * l + 1).value().toArray());
            SpectralNorm sn = b.spectralNorms().get(l);
            u[l] = Check.toDouble(sn.u().toArray());
            v[l] = Check.toDouble(sn.v().toArray());
        }
        return new IResNetReference(sizes, w, bb, u, v, c);
    }

    /** Largest singular value of a small square matrix by power iteration on JᵀJ in double. */
    private static double spectralNorm(double[][] j) {
        int d = j.length;
        double[] x = new double[d];
        java.util.Arrays.fill(x, 1);
        double lambda = 0;
        for (int it = 0; it < 5000; it++) {
            double[] y = IResNetReference.apply(j, x);
            double[] z = new double[d];
            for (int c = 0; c < d; c++) {
                for (int r = 0; r < d; r++) {
                    z[c] += j[r][c] * y[r];
                }
            }
            double nz = 0;
            for (double e : z) {
                nz += e * e;
            }
            nz = Math.sqrt(nz);
            if (nz == 0) {
                return 0;
            }
            lambda = nz;
            for (int c = 0; c < d; c++) {
                x[c] = z[c] / nz;
            }
        }
        return Math.sqrt(lambda);
    }

    private static double[] row(float[] x, int r, int d) {
        double[] out = new double[d];
        for (int j = 0; j < d; j++) {
            out[j] = x[r * d + j];
        }
        return out;
    }

    /** One recording step so the power iteration has run and u, v are what the next reference reads. */
    private static void touch(IResNet b, int d) {
        try (Tape t = Tape.record(dev); Tensor x = Tensor.zeros(dev, 1, d); Tensor e = Tensor.zeros(dev, 1, d)) {
            b.forwardSeries(t.constant(x), e);
        }
    }

    @ParameterizedTest
    @CsvSource({"2, 0.9", "3, 0.7", "6, 0.97"})
    void blockIsContractiveAfterNormalization(int d, float c) {
        long seed = 100 + d;
        int[] hidden = {16, 16};
        try (IResNet b = block(d, hidden, c, 4, 1e-5, 100, seed, 4.0)) {
            touch(b, d);
            IResNetReference ref = reference(b, d, hidden, c);
            float[] xs = Check.uniform(seed + 1, 300 * d, -4, 4);
            double worst = 0;
            for (int r = 0; r < 300; r++) {
                worst = Math.max(worst, spectralNorm(ref.jacobian(row(xs, r, d))));
            }
            // Lip(g) <= c^3 for three layers with ||W_sn|| <= c each (power iteration converged: 50 warm-up steps).
            double bound = Math.pow(c, 3);
            assertTrue(worst <= bound * (1 + 1e-4), String.format(Locale.ROOT, "max ||J_g|| %.6f > c^3 = %.6f (seed %d)", worst, bound, seed));
            assertTrue(worst > 0.05 * bound, "the normalized block should not be trivially flat: max ||J_g|| " + worst);
            // And directly: |g(x) - g(y)| < |x - y| on random pairs.
            for (int r = 0; r + 1 < 300; r += 2) {
                double[] x = row(xs, r, d), y = row(xs, r + 1, d);
                double[] gx = (double[]) ref.gAndJacobian(x)[0], gy = (double[]) ref.gAndJacobian(y)[0];
                double num = 0, den = 0;
                for (int j = 0; j < d; j++) {
                    num += (gx[j] - gy[j]) * (gx[j] - gy[j]);
                    den += (x[j] - y[j]) * (x[j] - y[j]);
                }
                assertTrue(Math.sqrt(num) <= bound * (1 + 1e-4) * Math.sqrt(den), "Lipschitz ratio on pair " + r + " (seed " + seed + ")");
            }
        }
    }

    @ParameterizedTest
    @CsvSource({"2, 0.9", "3, 0.97", "5, 0.5"})
    void fixedPointInverseConverges(int d, float c) {
        long seed = 200 + d;
        int[] hidden = {32, 32};
        int n = 64;
        float[] hx = Check.uniform(seed + 1, n * d, -3, 3);
        try (IResNet b = block(d, hidden, c, 4, 1e-5, 200, seed, 4.0); Tensor x = Tensor.of(dev, n, d, hx)) {
            touch(b, d);
            try (Tape t = Tape.noGrad(dev)) {
                FlowLayer.Step fwd = b.forward(t.constant(x));
                FlowLayer.Step inv = b.inverse(fwd.out());
                Check.close(Check.toDouble(hx), inv.out().value().toArray(), 1e-4, 0, "inverse(forward(x)) D=" + d + " (seed " + seed + ")");
                assertTrue(b.lastInverseResidual() <= 1e-5, "residual " + b.lastInverseResidual());
                assertTrue(b.lastInverseIterations() > 0 && b.lastInverseIterations() < 200, "iterations " + b.lastInverseIterations());
                if (d == 2) {
                    // The inverse's log-det is minus the forward's (both exact at D = 2 in evaluation).
                    float[] lf = fwd.logdet().value().toArray();
                    double[] neg = new double[n];
                    for (int r = 0; r < n; r++) {
                        neg[r] = -lf[r];
                    }
                    Check.close(neg, inv.logdet().value().toArray(), 1e-4, 0, "inverse log-det");
                }
            }
        }
        // An iteration cap that cannot be met is an error naming the residual and the count.
        try (IResNet b = block(d, hidden, c, 4, 1e-9, 2, seed, 4.0); Tensor x = Tensor.of(dev, n, d, hx); Tape t = Tape.noGrad(dev)) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> b.inverse(t.constant(x)));
            assertTrue(e.getMessage().contains("did not converge") && e.getMessage().contains("after 2 fixed-point iterations"),
                    e.getMessage());
        }
        try (IResNet b = block(d, hidden, c, 4, 1e-5, 100, seed, 1.0); Tensor x = Tensor.of(dev, n, d, hx); Tape t = Tape.record(dev)) {
            assertThrows(IllegalStateException.class, () -> b.inverse(t.constant(x)));
        }
    }

    /**
     * At D = 2: the device's exact log-det equals the reference's log|det(I + J)|; the mean of
     * 4000 Hutchinson probes of the series equals the exactly traced truncated series within 4
     * standard errors; the truncated series is within its truncation bound of the exact log-det.
     */
    @Test
    void seriesEstimatorMatchesExactLogdetAt2d() {
        int d = 2;
        long seed = 301;
        int[] hidden = {16, 16};
        float c = 0.8f;
        int terms = 10;
        int probes = 4000;
        float[] points = Check.uniform(seed + 1, 3 * d, -2, 2);
        try (IResNet b = block(d, hidden, c, terms, 1e-5, 100, seed, 4.0)) {
            touch(b, d);
            IResNetReference ref = reference(b, d, hidden, c);
            for (int p = 0; p < 3; p++) {
                double[] x = row(points, p, d);
                float[] rep = new float[probes * d];
                for (int r = 0; r < probes; r++) {
                    rep[r * d] = (float) x[0];
                    rep[r * d + 1] = (float) x[1];
                }
                double exact = ref.exactLogdet(x);
                double truncated = ref.seriesExact(x, terms);
                float[] est;
                float exactDev;
                try (Tensor tx = Tensor.of(dev, probes, d, rep); Tape t = Tape.noGrad(dev)) {
                    exactDev = b.forward(t.constant(tx)).logdet().value().get(0, 0);
                    Tensor eps = t.alloc(probes, d);
                    b.rng().normal(eps, 0);
                    est = b.forwardSeries(t.constant(tx), eps).logdet().value().toArray();
                }
                String tag = "point " + p + " (seed " + seed + ")";
                Check.close(new double[] {exact}, new float[] {exactDev}, ATOL_FWD, RTOL_FWD, "exact 2-D log-det " + tag);
                double mean = 0, sq = 0;
                for (float e : est) {
                    mean += e;
                }
                mean /= probes;
                for (float e : est) {
                    sq += (e - mean) * (e - mean);
                }
                double se = Math.sqrt(sq / (probes - 1) / probes);
                assertTrue(Math.abs(mean - truncated) <= 4 * se + 1e-5, String.format(Locale.ROOT,
                        "Hutchinson mean %.6f vs traced series %.6f: more than 4 standard errors (%.2g) apart, %s", mean, truncated, se, tag));
                double lip = spectralNorm(ref.jacobian(x));
                double tail = 0;
                for (int k = terms + 1; k < 400; k++) {
                    tail += d * Math.pow(lip, k) / k;
                }
                assertTrue(Math.abs(truncated - exact) <= tail + 1e-12, String.format(Locale.ROOT,
                        "truncated series %.8f vs exact %.8f: beyond the truncation bound %.3g, %s", truncated, exact, tail, tag));
            }
        }
    }

    @ParameterizedTest
    @CsvSource({"2, series", "3, series", "2, exact"})
    void gradientsMatchFiniteDifferences(int d, String mode) {
        long seed = 400 + d + mode.length();
        int[] hidden = {5, 4};
        float c = 0.9f;
        int terms = 3;
        int n = 3;
        String tag = "D=" + d + " " + mode + " (seed " + seed + ")";
        float[] hx = Check.uniform(seed + 1, n * d, -1.5, 1.5);
        float[] he = Check.uniform(seed + 2, n * d, -1.5, 1.5);
        double[] rr = Check.toDouble(Check.uniform(seed + 3, n * d, -1, 1));
        double[] q = Check.toDouble(Check.uniform(seed + 4, n, -1, 1));
        try (IResNet b = block(d, hidden, c, terms, 1e-5, 100, seed, 3.0); Tensor tx = Tensor.of(dev, n, d, hx);
                Tensor te = Tensor.of(dev, n, d, he); Tensor tr = Tensor.of(dev, n, d, toFloat(rr)); Tensor tq = Tensor.of(dev, n, 1, toFloat(q))) {
            float[] dx;
            float[] zGot;
            float[] ldGot;
            try (Tape t = Tape.record(dev)) {
                Var x = t.leaf(tx);
                FlowLayer.Step s = mode.equals("exact") ? b.forwardExact2d(x) : b.forwardSeries(x, te);
                t.backward(F.add(F.sum(F.mul(s.out(), t.constant(tr))), F.sum(F.mul(s.logdet(), t.constant(tq)))));
                dx = x.grad().toArray();
                zGot = s.out().value().toArray();
                ldGot = s.logdet().value().toArray();
            }
            IResNetReference ref = reference(b, d, hidden, c);
            double[] zRef = new double[n * d];
            double[] ldRef = new double[n];
            for (int r = 0; r < n; r++) {
                double[] x = row(hx, r, d);
                System.arraycopy(ref.z(x), 0, zRef, r * d, d);
                ldRef[r] = mode.equals("exact") ? ref.exactLogdet(x) : ref.seriesProbe(x, row(he, r, d), terms);
            }
            Check.close(zRef, zGot, ATOL_FWD, RTOL_FWD, "z " + tag);
            Check.close(ldRef, ldGot, ATOL_FWD, RTOL_FWD, "logdet " + tag);

            // Loss as a function of x and of the flattened parameters (w0, b0, w1, b1, ...).
            List<Param> ps = b.params();
            double[] theta = flatten(ps);
            java.util.function.BiFunction<double[], double[], Double> loss = (xs, th) -> {
                IResNetReference rf = withTheta(ref, th);
                double s = 0;
                for (int r = 0; r < n; r++) {
                    double[] x = java.util.Arrays.copyOfRange(xs, r * d, (r + 1) * d);
                    double[] z = rf.z(x);
                    for (int j = 0; j < d; j++) {
                        s += rr[r * d + j] * z[j];
                    }
                    s += q[r] * (mode.equals("exact") ? rf.exactLogdet(x) : rf.seriesProbe(x, row(he, r, d), terms));
                }
                return s;
            };
            Check.close(Check.finiteDiff(v -> loss.apply(v, theta), Check.toDouble(hx), FD_STEP), dx, ATOL_GRAD, RTOL_GRAD, "dL/dx " + tag);
            double[] fd = Check.finiteDiff(v -> loss.apply(Check.toDouble(hx), v), theta, FD_STEP);
            float[] got = new float[theta.length];
            int o = 0;
            for (Param p : ps) {
                float[] g = p.grad().toArray();
                System.arraycopy(g, 0, got, o, g.length);
                o += g.length;
            }
            Check.close(fd, got, ATOL_GRAD, RTOL_GRAD, "dL/dtheta " + tag);
        }
    }

    @Test
    void badConfigurationsAreRefused() {
        IResNet.Config bad = new IResNet.Config(new int[] {8}, 1.0f, 1, 4, 1e-5, 100);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new IResNet(dev, "x", 2, bad, 1));
        assertTrue(e.getMessage().contains("lipschitz"), e.getMessage());
        assertEquals(0.9f, IResNet.Config.defaults().lipschitz());
    }

    @Test
    void factoryBuildsAndValidatesTheLayerTypes() throws Exception {
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        try (FlowLayer l = FlowLayers.create(dev, json.readTree("{\"type\": \"iresnet\", \"hidden\": [8], \"lipschitz\": 0.7,"
                + " \"seriesTerms\": 3}"), 2, 5)) {
            assertTrue(l instanceof IResNet);
            assertEquals(4, l.params().size());
        }
        try (FlowLayer p = FlowLayers.create(dev, json.readTree("{\"type\": \"planar\"}"), 3, 5);
                FlowLayer r = FlowLayers.create(dev, json.readTree("{\"type\": \"radial\"}"), 3, 5)) {
            assertTrue(p instanceof Planar && r instanceof Radial);
        }
        assertEquals("/model/layers/0/lipschitz", FlowLayers.validate(json.readTree("{\"type\": \"iresnet\", \"lipschitz\": 1.0}"),
                "/model/layers/0").get(0).pointer());
        assertEquals(1, FlowLayers.validate(json.readTree("{\"type\": \"planar\", \"hidden\": [3]}"), "/model/layers/0").size());
    }

    private static double[] flatten(List<Param> ps) {
        List<Double> all = new ArrayList<>();
        for (Param p : ps) {
            for (float f : p.value().toArray()) {
                all.add((double) f);
            }
        }
        double[] out = new double[all.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = all.get(i);
        }
        return out;
    }

    private static IResNetReference withTheta(IResNetReference r, double[] th) {
        int n = r.layers();
        double[][] w = new double[n][], b = new double[n][];
        int o = 0;
        for (int l = 0; l < n; l++) {
            w[l] = java.util.Arrays.copyOfRange(th, o, o + r.w[l].length);
            o += r.w[l].length;
            b[l] = java.util.Arrays.copyOfRange(th, o, o + r.b[l].length);
            o += r.b[l].length;
        }
        return new IResNetReference(r.sizes, w, b, r.u, r.v, r.c);
    }

    private static float[] toFloat(double[] x) {
        float[] f = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            f[i] = (float) x[i];
        }
        return f;
    }
}
