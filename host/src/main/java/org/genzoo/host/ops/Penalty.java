package org.genzoo.host.ops;

import java.util.Map;
import org.genzoo.host.Device;
import org.genzoo.host.Kernel;
import org.genzoo.host.Tuning;
import org.genzoo.host.WorkGroups;
import org.genzoo.host.tensor.Tensor;

/**
 * The WGAN-GP gradient penalty's own arithmetic ({@code kernels/penalty.cl}; Gulrajani et al.
 * 2017), each part one launch: the interpolates x̂ = fake + α ⊙ (real − fake) with one α per row,
 * the penalty gp = λ · mean_i (‖g_i‖ − 1)² of the rows g_i of the critic's input gradient, with
 * ‖g_i‖ = sqrt(Σ g_i² + eps), and its gradient in g. The row norms go through a B x 1 tensor from
 * the forward to the backward.
 */
public final class Penalty {
    private static final String FILE = "penalty.cl";

    /**
     * This device's launch shape (kernels/tuning/penalty.properties): WG work-items in the penalty's
     * one work-group (also the kernel's WG define), WG1 per work-group of the 1-D launches. Defaults
     * 64 and 64, capped by the device's work-group limits.
     */
    private record Shape(int wg, long[] wg1, Map<String, String> defines) {
        static Shape of(Device d) {
            Tuning t = d.tuning("penalty");
            int wg = WorkGroups.tuned(d, t, "WG", 64, true);
            int wg1 = WorkGroups.tuned(d, t, "WG1", 64, false);
            return new Shape(wg, new long[] {wg1}, Map.of("WG", Integer.toString(wg)));
        }
    }

    private static Shape shape(Device d) {
        return d.shared(Shape.class, Shape::of);
    }

    private Penalty() {
    }

    /** x = fake + α ⊙ (real − fake), α: B x 1 (contiguous), x, real, fake: B x D (views allowed). */
    public static void interpolate(Tensor x, Tensor real, Tensor fake, Tensor alpha) {
        real.requireShape(fake, "interpolate: real vs fake");
        x.requireShape(real, "interpolate: x vs real");
        ShapeChecks.column(alpha, real.rows(), "interpolate: alpha");
        Elementwise.sameDevice(x, real, fake, alpha);
        int b = real.rows();
        int d = real.cols();
        if (b == 0 || d == 0) {
            return;
        }
        Device dev = x.device();
        dev.launch(dev.kernel(FILE, "gp_interpolate", shape(dev).defines()).args(x, x.offset(), x.ld(), real, real.offset(), real.ld(),
                fake, fake.offset(), fake.ld(), alpha, alpha.offset(), b, d), new long[] {(long) b * d}, shape(dev).wg1());
    }

    /**
     * gp = λ · (1/B) Σ_i (n_i − 1)² with n_i = sqrt(Σ_j g[i, j]² + eps), written to gp (1 x 1);
     * norms (B x 1, contiguous) receives n for {@link #backward}. g: B x D, B ≥ 1.
     */
    public static void forward(Tensor gp, Tensor norms, Tensor g, float eps, float lambda) {
        ShapeChecks.scalar(gp, "penalty: gp");
        ShapeChecks.column(norms, g.rows(), "penalty: norms");
        if (g.rows() == 0) {
            throw new IllegalArgumentException("penalty: g has no rows (" + g.shape() + "); the mean needs at least one");
        }
        Elementwise.sameDevice(gp, norms, g);
        Device dev = g.device();
        int wg = shape(dev).wg();
        dev.launch(dev.kernel(FILE, "gp_penalty", shape(dev).defines()).args(gp, gp.offset(), norms, g, g.offset(), g.ld(), g.rows(),
                g.cols(), eps, lambda, 1f / g.rows(), new Kernel.Local((long) wg * Float.BYTES)), new long[] {wg}, new long[] {wg});
    }

    /**
     * dg = beta·dg + dgp · (2λ/B) · (n_i − 1) / n_i · g[i, j], the gradient of {@link #forward} in g
     * times the incoming gradient dgp (1 x 1). norms: the forward's. beta = 0 does not read dg.
     */
    public static void backward(Tensor dg, Tensor dgp, Tensor norms, Tensor g, float lambda, float beta) {
        dg.requireShape(g, "penalty backward: dg vs g");
        ShapeChecks.scalar(dgp, "penalty backward: dgp");
        ShapeChecks.column(norms, g.rows(), "penalty backward: norms");
        Elementwise.sameDevice(dg, dgp, norms, g);
        int b = g.rows();
        int d = g.cols();
        if (b == 0 || d == 0) {
            return;
        }
        Device dev = g.device();
        dev.launch(dev.kernel(FILE, "gp_penalty_backward", shape(dev).defines()).args(dg, dg.offset(), dg.ld(), dgp, dgp.offset(), norms,
                g, g.offset(), g.ld(), b, d, 2f * lambda / b, beta), new long[] {(long) b * d}, shape(dev).wg1());
    }

    // ---------------------------------------------------------------------------------------------
    // Costs (flops, bytes) of one call

    /** Interpolate: a subtraction, a product and a sum per element; real and fake read, x written. */
    public static OpCost interpolateCost(int b, int d) {
        return OpCost.of(3.0 * b * d, 4.0 * (3.0 * b * d + b));
    }

    /** Penalty: a square and a sum per element, a square root and three flops per row; g read, norms written. */
    public static OpCost forwardCost(int b, int d) {
        return OpCost.of(2.0 * b * d + 5.0 * b, 4.0 * ((double) b * d + b + 1));
    }

    /** Backward: a product per element and four flops per row (one more per element when accumulating). */
    public static OpCost backwardCost(int b, int d, boolean accumulate) {
        double n = (double) b * d;
        return OpCost.of((accumulate ? 3 : 1) * n + 4.0 * b, 4.0 * ((accumulate ? 3 : 2) * n + b + 1));
    }
}
