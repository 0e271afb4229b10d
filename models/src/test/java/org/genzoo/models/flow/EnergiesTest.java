package org.genzoo.models.flow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.genzoo.host.autograd.F;
import org.genzoo.host.autograd.Tape;
import org.genzoo.host.autograd.Var;
import org.genzoo.host.tensor.Tensor;
import org.genzoo.host.testing.Check;
import org.genzoo.host.testing.OnDevice;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The energy kernels against the double {@link Energies#value}, their gradients against central differences, and the quadrature. */
class EnergiesTest extends OnDevice {
    /** float32 evaluation of O(10) energies: sin/exp/log to a few ulp, squared terms amplify relative error. */
    private static final double ATOL = 2e-5;
    private static final double RTOL = 2e-5;
    /** Gradients: float32 vs central differences in double (step 1e-6). */
    private static final double ATOL_GRAD = 2e-4;
    private static final double RTOL_GRAD = 2e-4;
    private static final int B = 93;

    @ParameterizedTest
    @EnumSource(Energies.class)
    void kernelMatchesReferenceWithGradient(Energies e) {
        long seed = 10 + e.ordinal();
        // Inputs over [-5, 5]^2 cover the wall of the boxed energies; the row stride of a column view is exercised too.
        float[] wide = Check.uniform(seed, B * 3, -5, 5);
        float[] z = new float[B * 2];
        for (int r = 0; r < B; r++) {
            z[2 * r] = wide[3 * r];
            z[2 * r + 1] = wide[3 * r + 1];
        }
        double[] w = Check.toDouble(Check.uniform(seed + 1, B, -1, 1));
        double[] ref = new double[B];
        double[] fd = new double[2 * B];
        for (int r = 0; r < B; r++) {
            ref[r] = e.value(z[2 * r], z[2 * r + 1]);
            final int row = r;
            double[] g = Check.finiteDiff(v -> w[row] * e.value(v[0], v[1]), new double[] {z[2 * r], z[2 * r + 1]}, 1e-6);
            fd[2 * r] = g[0];
            fd[2 * r + 1] = g[1];
        }
        try (Tensor tz = Tensor.of(dev, B, 3, wide); Tensor tw = Tensor.of(dev, B, 1, toFloat(w)); Tape t = Tape.record(dev)) {
            Var zv = F.cols(t.leaf(tz), 0, 2);
            Var u = e.apply(zv);
            t.backward(F.sum(F.mul(u, t.constant(tw))));
            String tag = e + " (seed " + seed + ")";
            Check.close(ref, u.value().toArray(), ATOL, RTOL, "U " + tag);
            Check.close(fd, zv.grad().toArray(), ATOL_GRAD, RTOL_GRAD, "dU/dz " + tag);
        }
    }

    @ParameterizedTest
    @Tag("large") // quadrature in Java, no kernel: not for the simulated-GPU pass
    @EnumSource(Energies.class)
    void quadratureIsConverged(Energies e) {
        double logZ = e.logZ();
        assertTrue(Double.isFinite(logZ), e + " log Z " + logZ);
        // Halving the grid changes log Z by less than 1e-6 (the midpoint rule on smooth integrands converges as h^2).
        double half = e.boxed() ? Energies.BOX + 12 * Energies.WALL : 6.0;
        assertEquals(logZ, e.logIntegral(half, 2 * Energies.QUAD_STEP), 1e-6, e + ": grid 0.008 vs 0.004");
        // A wider region adds nothing.
        assertEquals(logZ, e.logIntegral(half + 1, Energies.QUAD_STEP * 1.25), 1e-6, e + ": wider region");
        if (e.boxed()) {
            // The wall leaves under 2.5% of the mass outside the box (about WALL sqrt(pi/2) per unit of edge mass).
            double inside = e.logIntegral(Energies.BOX, Energies.QUAD_STEP);
            assertTrue(logZ - inside < Math.log(1 / 0.975), e + ": log Z " + logZ + " vs inside the box " + inside);
        }
    }

    @Test
    @Tag("large") // quadrature in Java, no kernel: not for the simulated-GPU pass
    void u1PartitionFunctionByPolarIntegration() {
        // Independent check of log Z(U1): in polar coordinates exp(-U1) = exp(-½((r-2)/0.4)²) (exp(-½((r cosθ - 2)/0.6)²) +
        // exp(-½((r cosθ + 2)/0.6)²)); integrate r dr dθ with the midpoint rule on a fine polar grid.
        int nr = 4000, nt = 4000;
        double rMax = 6, sum = 0;
        for (int i = 0; i < nr; i++) {
            double r = (i + 0.5) * rMax / nr;
            for (int j = 0; j < nt; j++) {
                double th = (j + 0.5) * 2 * Math.PI / nt;
                sum += Math.exp(-Energies.U1.value(r * Math.cos(th), r * Math.sin(th))) * r;
            }
        }
        double logZ = Math.log(sum * (rMax / nr) * (2 * Math.PI / nt));
        assertEquals(logZ, Energies.U1.logZ(), 1e-5);
    }

    @Test
    void namesAndShapes() {
        assertEquals(Energies.U3, Energies.of("u3"));
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> Energies.of("u9"));
        assertTrue(ex.getMessage().contains("u1, u2, u3, u4"), ex.getMessage());
        try (Tensor z = Tensor.zeros(dev, 4, 3); Tape t = Tape.noGrad(dev)) {
            assertThrows(IllegalArgumentException.class, () -> Energies.U1.apply(t.constant(z)));
        }
    }

    private static float[] toFloat(double[] x) {
        float[] f = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            f[i] = (float) x[i];
        }
        return f;
    }
}
