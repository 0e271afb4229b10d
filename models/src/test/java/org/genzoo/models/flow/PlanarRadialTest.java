package org.genzoo.models.flow;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import org.genzoo.host.autograd.F;
import org.genzoo.host.autograd.Param;
import org.genzoo.host.autograd.Tape;
import org.genzoo.host.autograd.Var;
import org.genzoo.host.tensor.Tensor;
import org.genzoo.host.testing.Check;
import org.genzoo.host.testing.OnDevice;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Planar and radial flows against {@link PlanarReference}: the generative direction and its log-det,
 * the log-det against a brute-force Jacobian, both round trips through the root-finding data
 * direction, and every gradient (input and parameters) against central differences in double.
 */
class PlanarRadialTest extends OnDevice {
    /** float32 forward of a few O(1) terms through tanh/softplus/log. */
    private static final double ATOL_FWD = 2e-5;
    private static final double RTOL_FWD = 2e-5;
    /** Log-det vs a central-difference Jacobian (step 1e-5: truncation ~1e-10, rounding ~1e-11/1e-5). */
    private static final double ATOL_JAC = 1e-6;
    /** Round trip through float32 inputs/outputs and the double root finding: a few float ulp of O(1) values. */
    private static final double ATOL_ROUND = 2e-5;
    /** float32 gradients of O(1) sums vs double central differences. */
    private static final double ATOL_GRAD = 2e-4;
    private static final double RTOL_GRAD = 2e-3;
    private static final double FD_STEP = 1e-6;
    private static final int B = 7;

    private record Ref(double[] x, double ld) {
    }

    private static FlowLayer make(String kind, int d, long seed) {
        return switch (kind) {
            case "planar" -> new Planar(dev, "p", d, new SplittableRandom(seed));
            case "radial" -> new Radial(dev, "r", d, new SplittableRandom(seed));
            default -> throw new IllegalArgumentException(kind);
        };
    }

    /** The reference map for one example; theta is the layer's params() flattened in order. */
    private static Ref reference(String kind, double[] z, double[] th) {
        int d = z.length;
        double[] a = java.util.Arrays.copyOfRange(th, 0, d);
        double[] c = java.util.Arrays.copyOfRange(th, d, 2 * d);
        if (kind.equals("planar")) {
            return new Ref(PlanarReference.planar(z, a, c, th[2 * d]), PlanarReference.planarLogdet(z, a, c, th[2 * d]));
        }
        return new Ref(PlanarReference.radial(z, a, th[d], th[d + 1]), PlanarReference.radialLogdet(z, a, th[d], th[d + 1]));
    }

    /** Parameters of moderate size: planar u, w in ±1.5 and b in ±1; radial z0 in ±1, α̂ and β̂ in ±1. */
    private static double[] randomTheta(String kind, int d, long seed) {
        double[] th = Check.toDouble(Check.uniform(seed, 2 * d + 1, -1, 1));
        if (kind.equals("planar")) {
            for (int j = 0; j < 2 * d; j++) {
                th[j] *= 1.5;
            }
        } else {
            th = java.util.Arrays.copyOf(th, d + 2);
        }
        return th;
    }

    private static void writeTheta(List<Param> ps, double[] th) {
        int o = 0;
        for (Param p : ps) {
            float[] v = new float[p.size()];
            for (int k = 0; k < v.length; k++) {
                v[k] = (float) th[o++];
            }
            p.value().write(v);
        }
    }

    private static double[] row(double[] z, int r, int d) {
        return java.util.Arrays.copyOfRange(z, r * d, (r + 1) * d);
    }

    /** L = Σ R ⊙ x + Σ q ⊙ logdet over the batch, in double. */
    private static double loss(String kind, double[] z, double[] th, double[] rr, double[] q, int d) {
        double s = 0;
        for (int r = 0; r < B; r++) {
            Ref f = reference(kind, row(z, r, d), th);
            for (int j = 0; j < d; j++) {
                s += rr[r * d + j] * f.x[j];
            }
            s += q[r] * f.ld;
        }
        return s;
    }

    @ParameterizedTest
    @CsvSource({"planar, 1", "planar, 2", "planar, 5", "radial, 1", "radial, 2", "radial, 6"})
    void generativeDirectionLogdetAndGradients(String kind, int d) {
        long seed = kind.hashCode() * 31L + d;
        String tag = kind + " D=" + d + " (seed " + seed + ")";
        float[] hz = Check.uniform(seed + 1, B * d, -2, 2);
        double[] z = Check.toDouble(hz);
        double[] th = randomTheta(kind, d, seed + 2);
        double[] rr = Check.toDouble(Check.uniform(seed + 3, B * d, -1, 1));
        double[] q = Check.toDouble(Check.uniform(seed + 4, B, -1, 1));
        try (FlowLayer layer = make(kind, d, seed); Tensor tz = Tensor.of(dev, B, d, hz);
                Tensor tr = Tensor.of(dev, B, d, toFloat(rr)); Tensor tq = Tensor.of(dev, B, 1, toFloat(q))) {
            writeTheta(layer.params(), th);
            float[] gx;
            float[] gld;
            float[] dz;
            try (Tape t = Tape.record(dev)) {
                Var zv = t.leaf(tz);
                FlowLayer.Step s = layer.inverse(zv);
                t.backward(F.add(F.sum(F.mul(s.out(), t.constant(tr))), F.sum(F.mul(s.logdet(), t.constant(tq)))));
                gx = s.out().value().toArray();
                gld = s.logdet().value().toArray();
                dz = zv.grad().toArray();
            }
            double[] refX = new double[B * d];
            double[] refLd = new double[B];
            for (int r = 0; r < B; r++) {
                double[] zr = row(z, r, d);
                Ref f = reference(kind, zr, th);
                System.arraycopy(f.x, 0, refX, r * d, d);
                refLd[r] = f.ld;
                double brute = PlanarReference.logAbsDet(PlanarReference.jacobian(v -> reference(kind, v, th).x, zr, 1e-5));
                Check.close(new double[] {brute}, new float[] {(float) f.ld}, ATOL_JAC, 0, "closed-form log-det vs Jacobian, row " + r + " " + tag);
            }
            Check.close(refX, gx, ATOL_FWD, RTOL_FWD, "x " + tag);
            Check.close(refLd, gld, ATOL_FWD, RTOL_FWD, "logdet " + tag);
            Check.close(Check.finiteDiff(v -> loss(kind, v, th, rr, q, d), z, FD_STEP), dz, ATOL_GRAD, RTOL_GRAD, "dL/dz " + tag);
            double[] fdTheta = Check.finiteDiff(v -> loss(kind, z, v, rr, q, d), th, FD_STEP);
            float[] gTheta = new float[th.length];
            int o = 0;
            for (Param p : layer.params()) {
                float[] g = p.grad().toArray();
                System.arraycopy(g, 0, gTheta, o, g.length);
                o += g.length;
            }
            Check.close(fdTheta, gTheta, ATOL_GRAD, RTOL_GRAD, "dL/dtheta " + tag);
        }
    }

    @ParameterizedTest
    @CsvSource({"planar, 1", "planar, 3", "planar, 6", "radial, 1", "radial, 3", "radial, 6"})
    void roundTripsThroughRootFinding(String kind, int d) {
        long seed = kind.hashCode() * 17L + d;
        String tag = kind + " D=" + d + " (seed " + seed + ")";
        float[] hz = Check.uniform(seed + 1, B * d, -3, 3);
        float[] hx = Check.uniform(seed + 5, B * d, -3, 3);
        try (FlowLayer layer = make(kind, d, seed); Tensor tz = Tensor.of(dev, B, d, hz); Tensor tx = Tensor.of(dev, B, d, hx)) {
            writeTheta(layer.params(), randomTheta(kind, d, seed + 2));
            try (Tape t = Tape.noGrad(dev)) {
                // forward(inverse(z)) = z, and the two log-dets cancel.
                FlowLayer.Step gen = layer.inverse(t.constant(tz));
                FlowLayer.Step back = layer.forward(gen.out());
                Check.close(Check.toDouble(hz), back.out().value().toArray(), ATOL_ROUND, 0, "forward(inverse(z)) " + tag);
                float[] ldg = gen.logdet().value().toArray();
                double[] neg = new double[B];
                for (int r = 0; r < B; r++) {
                    neg[r] = -ldg[r];
                }
                Check.close(neg, back.logdet().value().toArray(), ATOL_ROUND, 0, "forward logdet = -inverse logdet " + tag);
                // inverse(forward(x)) = x.
                FlowLayer.Step data = layer.forward(t.constant(tx));
                FlowLayer.Step again = layer.inverse(data.out());
                Check.close(Check.toDouble(hx), again.out().value().toArray(), ATOL_ROUND, 0, "inverse(forward(x)) " + tag);
            }
            try (Tape t = Tape.record(dev)) {
                IllegalStateException e = assertThrows(IllegalStateException.class, () -> layer.forward(t.constant(tx)));
                assertTrue(e.getMessage().contains("generative direction"), e.getMessage());
            }
        }
    }

    @ParameterizedTest
    @CsvSource({"-0.999999, 3.0", "-0.5, -40.0", "25.0, 0.3", "0.0, 1.0"})
    void planarRootFindingConvergesAtTheEdges(double m, double c) {
        double a = Planar.solve(c, m, 0);
        assertTrue(Math.abs(a + m * Math.tanh(a) - c) <= 1e-10 * (1 + Math.abs(c)), "m " + m + " c " + c + ": a " + a);
        assertThrows(IllegalStateException.class, () -> Planar.solve(Double.NaN, m, 3));
    }

    private static float[] toFloat(double[] x) {
        float[] f = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            f[i] = (float) x[i];
        }
        return f;
    }
}
