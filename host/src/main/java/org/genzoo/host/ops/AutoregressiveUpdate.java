package org.genzoo.host.ops;

import org.genzoo.host.Device;
import org.genzoo.host.DeviceBuffer;
import org.genzoo.host.Kernel;
import org.genzoo.host.Tuning;
import org.genzoo.host.WorkGroups;
import org.genzoo.host.tensor.Tensor;

/**
 * One pass of the masked autoregressive update ({@code made_autoregressive_update} in
 * {@code kernels/made.cl}): x_i = (z_i − t_i)·exp(−s_i) for the columns whose degree equals
 * {@code step}, from a MADE's output h = [raw | t]; the log-scale is bounded like the coupling's
 * (s = S·tanh(raw / S), S = 0 unbounded). D such passes, each after a MADE pass on the current x,
 * invert a MAF (sampling) or an IAF (density). Forward only.
 */
public final class AutoregressiveUpdate {
    private AutoregressiveUpdate() {
    }

    /**
     * x: B x D (updated in place where degree == step); z: B x D; h: B x 2D; degree: D ints in 1..D
     * on the same device.
     */
    public static void update(Tensor x, Tensor z, Tensor h, DeviceBuffer degree, int step, float bound) {
        z.requireShape(x, "autoregressive update z vs x");
        int b = x.rows();
        int d = x.cols();
        if (h.rows() != b || h.cols() != 2 * d) {
            throw new IllegalArgumentException("autoregressive update: h must be " + b + " x " + (2 * d) + ", got " + h.shape());
        }
        if (degree.bytes() < (long) d * Integer.BYTES) {
            throw new IllegalArgumentException("autoregressive update: the degree buffer holds fewer than " + d + " ints");
        }
        if (step < 1 || step > d) {
            throw new IllegalArgumentException("autoregressive update: step must be in 1.." + d + ", got " + step);
        }
        if (!(bound >= 0) || Float.isInfinite(bound)) {
            throw new IllegalArgumentException("autoregressive update: the bound must be 0 or positive and finite, got " + bound);
        }
        Elementwise.sameDevice(x, z, h);
        if (b == 0) {
            return;
        }
        Device dev = x.device();
        Kernel k = dev.kernel("made.cl", "made_autoregressive_update").args(x, x.offset(), x.ld(), z, z.offset(), z.ld(),
                h, h.offset(), h.ld(), degree, step, bound, b, d);
        // UPDATE_WG work-items per work-group, at most UPDATE_LX along a row (kernels/tuning/made.properties).
        Tuning t = dev.tuning("made");
        int wg = WorkGroups.requirePow2(t, "UPDATE_WG", t.getInt("UPDATE_WG", WorkGroups.pow2(dev, 64, 0)));
        int maxLx = Math.min(wg, WorkGroups.requirePow2(t, "UPDATE_LX", t.getInt("UPDATE_LX", 16)));
        long lx = WorkGroups.pow2Cap(d, maxLx);
        long ly = wg / lx;
        dev.launch(k, new long[] {ceil(d, lx) * lx, ceil(b, ly) * ly}, new long[] {lx, ly});
    }

    /** Per element: a compare, a tanh and divide/multiply for the bound, an exp and two flops (only the selected columns compute). */
    public static OpCost cost(int b, int d) {
        double n = (double) b * d;
        return OpCost.of(6.0 * b, (n + 2.0 * n / d + d) * Float.BYTES + 2.0 * b * Float.BYTES);
    }

    private static long ceil(long a, long b) {
        return (a + b - 1) / b;
    }
}
