package org.genzoo.models.flow;

import java.util.List;
import java.util.Locale;
import org.genzoo.host.Device;
import org.genzoo.host.WorkGroups;
import org.genzoo.host.autograd.CustomOp;
import org.genzoo.host.autograd.Tape;
import org.genzoo.host.autograd.Var;
import org.genzoo.host.tensor.Tensor;

/**
 * The 2-D test energies U1–U4 of Rezende &amp; Mohamed 2015 (unnormalized log-densities
 * p(z) ∝ exp(−U(z))), for reverse-KL training ({@link ReverseKl}). With
 * w1 = sin(2πz1/4), w2 = 3 exp(−½((z1 − 1)/0.6)²), w3 = 3σ((z1 − 1)/0.3):
 * <pre>
 * U1 = ½((‖z‖ − 2)/0.4)² − log(exp(−½((z1 − 2)/0.6)²) + exp(−½((z1 + 2)/0.6)²))
 * U2 = ½((z2 − w1)/0.4)²
 * U3 = −log(exp(−½((z2 − w1)/0.35)²) + exp(−½((z2 − w1 + w2)/0.35)²))
 * U4 = −log(exp(−½((z2 − w1)/0.4)²) + exp(−½((z2 − w1 + w3)/0.35)²))
 * </pre>
 * U2–U4 are not normalizable on the plane (U2 is constant along z2 = w1); they are restricted to the
 * box [−4, 4]² by a steep quadratic wall, U += ½ Σ_j (max(0, |z_j| − 4)/0.05)², which keeps U finite
 * and its gradient pointing back into the box (an infinite energy outside would leave samples there
 * without a gradient). The wall holds 1.5–2% of the mass (log Z is 0.016–0.021 above the integral
 * over the box alone); {@link #logZ} is computed for exactly this energy, so the reverse-KL bound
 * −log Z is the one the training objective approaches.
 *
 * <p>{@link #apply} evaluates U on the device ({@code kernels/energies.cl}) as a differentiable
 * B x 1 Var of a B x 2 Var; {@link #value} is the same function in double on the host (the
 * reference, and the integrand of the quadrature).
 */
public enum Energies {
    U1(1, false), U2(2, true), U3(3, true), U4(4, true);

    /** Half-width of the wall (see the class comment). */
    public static final double WALL = 0.05;
    public static final double BOX = 4.0;
    /** Quadrature grid spacing: the integrands vary on scales of 0.05 (the wall) and 0.35 (the modes). */
    static final double QUAD_STEP = 0.004;

    private final int which;
    private final boolean boxed;
    private volatile double logZ = Double.NaN;

    Energies(int which, boolean boxed) {
        this.which = which;
        this.boxed = boxed;
    }

    /** The spec name ("u1".."u4"). */
    public String specName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static List<String> specNames() {
        return List.of("u1", "u2", "u3", "u4");
    }

    /** The energy for a spec name. */
    public static Energies of(String specName) {
        for (Energies e : values()) {
            if (e.specName().equals(specName)) {
                return e;
            }
        }
        throw new IllegalArgumentException("unknown energy '" + specName + "': choose one of " + String.join(", ", specNames()));
    }

    /** True for U2–U4 (restricted to the [−4, 4]² box). */
    public boolean boxed() {
        return boxed;
    }

    /** U(z) per row (B x 1) of a B x 2 Var, on the active tape; the gradient flows to z. */
    public Var apply(Var z) {
        if (z.cols() != 2) {
            throw new IllegalArgumentException("energy " + specName() + " is defined on R^2: the input has " + z.cols()
                    + " columns, it needs 2");
        }
        Tape t = Tape.current();
        Device d = t.device();
        int b = z.rows();
        Tensor u = t.alloc(b, 1);
        Tensor zv = z.value();
        // One row per work-item: WG in kernels/tuning/energies.properties, else up to 64 by the device's limit.
        long[] local = {d.tuning("energies").getInt("WG", WorkGroups.pow2(d, 64, 0))};
        if (b > 0) {
            d.launch(d.kernel("energies.cl", "energy_forward").args(u, u.offset(), u.ld(), zv, zv.offset(), zv.ld(), b, which),
                    new long[] {b}, local);
        }
        Var out = CustomOp.result(u, z.requiresGrad());
        CustomOp.onBackward(() -> {
            if (CustomOp.hasGrad(out) && z.requiresGrad() && b > 0) {
                float beta = CustomOp.gradBeta(t, z);
                Tensor dz = z.grad();
                Tensor du = out.grad();
                d.launch(d.kernel("energies.cl", "energy_backward").args(dz, dz.offset(), dz.ld(), du, du.offset(), du.ld(), zv,
                        zv.offset(), zv.ld(), beta, b, which), new long[] {b}, local);
            }
        });
        return out;
    }

    /** U(z1, z2) in double (the same function as {@link #apply}, wall included). */
    public double value(double z1, double z2) {
        double u;
        if (which == 1) {
            double r = Math.hypot(z1, z2);
            double q = (r - 2) / 0.4;
            u = 0.5 * q * q - lse(-0.5 * sq((z1 - 2) / 0.6), -0.5 * sq((z1 + 2) / 0.6));
        } else {
            double w1 = Math.sin(2 * Math.PI * z1 / 4);
            if (which == 2) {
                u = 0.5 * sq((z2 - w1) / 0.4);
            } else if (which == 3) {
                double w2 = 3 * Math.exp(-0.5 * sq((z1 - 1) / 0.6));
                u = -lse(-0.5 * sq((z2 - w1) / 0.35), -0.5 * sq((z2 - w1 + w2) / 0.35));
            } else {
                double w3 = 3 / (1 + Math.exp(-(z1 - 1) / 0.3));
                u = -lse(-0.5 * sq((z2 - w1) / 0.4), -0.5 * sq((z2 - w1 + w3) / 0.35));
            }
        }
        if (boxed) {
            u += 0.5 * sq(Math.max(0, Math.abs(z1) - BOX) / WALL) + 0.5 * sq(Math.max(0, Math.abs(z2) - BOX) / WALL);
        }
        return u;
    }

    /**
     * log Z = log ∫ exp(−U) over the plane, by the midpoint rule on a grid of spacing
     * {@link #QUAD_STEP} in double over the region holding the mass: [−4.6, 4.6]² for the boxed
     * energies (12 wall widths beyond the box), [−6, 6]² for U1 (its ring has radial scale 0.4 around
     * r = 2, so exp(−U1) &lt; e^−50 beyond). Computed once (about a second), then cached.
     */
    public double logZ() {
        double v = logZ;
        if (Double.isNaN(v)) {
            double half = boxed ? BOX + 12 * WALL : 6.0;
            v = logIntegral(half, QUAD_STEP);
            logZ = v;
        }
        return v;
    }

    /** log ∫ exp(−U) over [−half, half]² by the midpoint rule with spacing h (log-sum-exp in double). */
    public double logIntegral(double half, double h) {
        int n = (int) Math.ceil(2 * half / h);
        double step = 2 * half / n;
        double m = Double.NEGATIVE_INFINITY;
        double[] row = new double[n];
        double s = 0;
        for (int i = 0; i < n; i++) {
            double z1 = -half + (i + 0.5) * step;
            for (int j = 0; j < n; j++) {
                row[j] = -value(z1, -half + (j + 0.5) * step);
            }
            for (int j = 0; j < n; j++) {
                if (row[j] > m) {
                    s = s * Math.exp(m - row[j]);
                    m = row[j];
                }
                s += Math.exp(row[j] - m);
            }
        }
        return m + Math.log(s) + 2 * Math.log(step);
    }

    private static double sq(double x) {
        return x * x;
    }

    private static double lse(double a, double b) {
        double m = Math.max(a, b);
        return m + Math.log(Math.exp(a - m) + Math.exp(b - m));
    }
}
