package org.genzoo.host.ops;

import java.util.Map;
import org.genzoo.host.Device;
import org.genzoo.host.Kernel;
import org.genzoo.host.Tuning;
import org.genzoo.host.WorkGroups;
import org.genzoo.host.tensor.Tensor;

/**
 * RealNVP's affine coupling, the elementwise part ({@code kernels/coupling.cl}; Dinh et al. 2017):
 * y = m ⊙ x + (1 − m) ⊙ (x ⊙ exp(s) + t) with s = S·tanh(raw / S), logdet = Σ_{m=0} s, its inverse
 * and both backward passes. The scale/shift network's output h = [raw | t] (B x 2D) comes in;
 * the network itself runs elsewhere (GEMMs on m ⊙ x).
 *
 * <p>Shapes: x, y: B x D; h: B x 2D; logdet: B x 1; mask: 1 x D of 0/1 (1 = passes through),
 * contiguous. Any other operand may be a view. {@code bound} S &gt; 0 bounds the log-scale to
 * (−S, S); S = 0 leaves it unbounded.
 *
 * <p>Chained log-dets: given {@code prev} (B x 1), the forward and inverse write logdet = prev ± Σ s,
 * a flow's running sum in the same launch; the backward given {@code dprev} also writes
 * dprev = betaPrev·dprev + dlogdet, the gradient that the sum passes back to prev.
 */
public final class AffineCoupling {
    public static final String FILE = "coupling.cl";

    /**
     * This device's launch shape (kernels/tuning/coupling.properties). Rows narrower than WIDE_FROM
     * run one row per work-item, NARROW_LY rows per work-group; wider rows get WIDE_LX work-items
     * and a tree sum. The backward runs BACKWARD_WG work-items per 2-D work-group, at most
     * BACKWARD_LX along a row. Defaults: 32, 64, 64, 64 and 16, capped by the device's work-group
     * limits. ROW_VEC=1 (CPU devices): wide rows run one row per work-item in explicit float16
     * chunks instead (NARROW_LY rows per work-group), and the backward 16 columns per work-item
     * (kernels/coupling.cl, ROWVEC); default 0.
     */
    private record Shape(int wideFrom, int wideLx, int narrowLy, int backwardWg, int backwardLx, boolean rowVec) {
        static Shape of(Device d) {
            Tuning t = d.tuning("coupling");
            int wg = t.getInt("BACKWARD_WG", WorkGroups.pow2(d, 64, 0));
            return new Shape(t.getInt("WIDE_FROM", 32),
                    WorkGroups.requirePow2(t, "WIDE_LX", t.getInt("WIDE_LX", WorkGroups.pow2(d, 64, 0))),
                    t.getInt("NARROW_LY", WorkGroups.pow2(d, 64, 1)),
                    WorkGroups.requirePow2(t, "BACKWARD_WG", wg),
                    Math.min(wg, WorkGroups.requirePow2(t, "BACKWARD_LX", t.getInt("BACKWARD_LX", 16))),
                    t.getInt("ROW_VEC", 0) == 1);
        }

        /** Whether rows of width d run the ROWVEC kernels. */
        boolean vec(int d) {
            return rowVec && d >= wideFrom;
        }
    }

    private AffineCoupling() {
    }

    /** y = coupling(x), logdet[r] = Σ s over the transformed columns. */
    public static void forward(Tensor y, Tensor logdet, Tensor x, Tensor h, Tensor mask, float bound) {
        rows("affine_coupling_forward", y, logdet, x, h, mask, bound, null, null);
    }

    /** As {@link #forward(Tensor, Tensor, Tensor, Tensor, Tensor, float)} with logdet[r] = prev[r] + Σ s (prev: B x 1, or null). */
    public static void forward(Tensor y, Tensor logdet, Tensor x, Tensor h, Tensor mask, float bound, Tensor prev) {
        rows("affine_coupling_forward", y, logdet, x, h, mask, bound, null, prev);
    }

    /** x = coupling⁻¹(y), logdet[r] = −Σ s. */
    public static void inverse(Tensor x, Tensor logdet, Tensor y, Tensor h, Tensor mask, float bound) {
        rows("affine_coupling_inverse", x, logdet, y, h, mask, bound, null, null);
    }

    /** As {@link #inverse(Tensor, Tensor, Tensor, Tensor, Tensor, float)} with logdet[r] = prev[r] − Σ s (prev: B x 1, or null). */
    public static void inverse(Tensor x, Tensor logdet, Tensor y, Tensor h, Tensor mask, float bound, Tensor prev) {
        rows("affine_coupling_inverse", x, logdet, y, h, mask, bound, null, prev);
    }

    /**
     * For tests on every device: forward (direction 1) or inverse (−1) with the ROWVEC layout on
     * ({@code rowVec} true, any width) or off (the LX/LY kernels), whatever the device's tuning says.
     */
    static void rowsWithLayout(int direction, Tensor out, Tensor logdet, Tensor in, Tensor h, Tensor mask, float bound, boolean rowVec) {
        rows(direction > 0 ? "affine_coupling_forward" : "affine_coupling_inverse", out, logdet, in, h, mask, bound, rowVec, null);
    }

    /** As {@link #rowsWithLayout} with a chained log-det (prev: B x 1). */
    static void rowsWithLayout(int direction, Tensor out, Tensor logdet, Tensor in, Tensor h, Tensor mask, float bound, boolean rowVec,
            Tensor prev) {
        rows(direction > 0 ? "affine_coupling_forward" : "affine_coupling_inverse", out, logdet, in, h, mask, bound, rowVec, prev);
    }

    /** For tests: {@link #backward} (direction 1) or {@link #inverseBackward} (−1) with the ROWVEC layout on or off. */
    static void gradWithLayout(int direction, Tensor din, float beta, Tensor dh, Tensor dout, Tensor dlogdet, Tensor in, Tensor h,
            Tensor mask, float bound, boolean rowVec) {
        grad(direction, din, beta, dh, dout, dlogdet, in, h, mask, bound, rowVec, null, 0f);
    }

    /** As {@link #gradWithLayout} with the chained log-det's gradient dprev = betaPrev·dprev + dlogdet. */
    static void gradWithLayout(int direction, Tensor din, float beta, Tensor dh, Tensor dout, Tensor dlogdet, Tensor in, Tensor h,
            Tensor mask, float bound, boolean rowVec, Tensor dprev, float betaPrev) {
        grad(direction, din, beta, dh, dout, dlogdet, in, h, mask, bound, rowVec, dprev, betaPrev);
    }

    /**
     * Backward of {@link #forward}: dx = beta·dx + ∂/∂x, dh (B x 2D) assigned. {@code dlogdet} is the
     * gradient of the log-det output (B x 1; pass zeros when it has none).
     */
    public static void backward(Tensor dx, float beta, Tensor dh, Tensor dy, Tensor dlogdet, Tensor x, Tensor h,
            Tensor mask, float bound) {
        grad(1, dx, beta, dh, dy, dlogdet, x, h, mask, bound, null, null, 0f);
    }

    /**
     * As {@link #backward(Tensor, float, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, float)}, also
     * writing dprev = betaPrev·dprev + dlogdet (the gradient of a chained forward's prev; dprev: B x 1, or null).
     */
    public static void backward(Tensor dx, float beta, Tensor dh, Tensor dy, Tensor dlogdet, Tensor x, Tensor h,
            Tensor mask, float bound, Tensor dprev, float betaPrev) {
        grad(1, dx, beta, dh, dy, dlogdet, x, h, mask, bound, null, dprev, betaPrev);
    }

    /** Backward of {@link #inverse}: dy = beta·dy + ∂/∂y, dh assigned; {@code y} is the inverse's input. */
    public static void inverseBackward(Tensor dy, float beta, Tensor dh, Tensor dx, Tensor dlogdet, Tensor y, Tensor h,
            Tensor mask, float bound) {
        grad(-1, dy, beta, dh, dx, dlogdet, y, h, mask, bound, null, null, 0f);
    }

    /** As {@link #inverseBackward(Tensor, float, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, float)} with dprev as in {@link #backward}. */
    public static void inverseBackward(Tensor dy, float beta, Tensor dh, Tensor dx, Tensor dlogdet, Tensor y, Tensor h,
            Tensor mask, float bound, Tensor dprev, float betaPrev) {
        grad(-1, dy, beta, dh, dx, dlogdet, y, h, mask, bound, null, dprev, betaPrev);
    }

    /** rowVec: null takes the device's tuning (ROW_VEC and WIDE_FROM), true or false forces the layout. */
    private static void rows(String name, Tensor out, Tensor logdet, Tensor in, Tensor h, Tensor mask, float bound, Boolean rowVec,
            Tensor prev) {
        check(name, out, in, h, mask, bound);
        int b = in.rows();
        int d = in.cols();
        if (logdet.rows() != b || logdet.cols() != 1) {
            throw new IllegalArgumentException(name + ": logdet must be " + b + " x 1, got " + logdet.shape());
        }
        if (prev != null) {
            prev.requireShape(logdet, name + ": prev (the log-det so far) vs logdet");
            Elementwise.sameDevice(prev, logdet);
        }
        Tensor p = prev != null ? prev : logdet;
        Elementwise.sameDevice(out, logdet, in, h, mask);
        if (b == 0) {
            return;
        }
        Device dev = in.device();
        Shape shape = dev.shared(Shape.class, Shape::of);
        boolean vec = rowVec != null ? rowVec : shape.vec(d);
        int lx = d >= shape.wideFrom() && !vec ? shape.wideLx() : 1;
        int ly = lx == 1 ? shape.narrowLy() : 1;
        Map<String, String> defs = vec ? Map.of("LX", "1", "LY", Integer.toString(ly), "ROWVEC", "1")
                : Map.of("LX", Integer.toString(lx), "LY", Integer.toString(ly));
        Kernel k = dev.kernel(FILE, name, defs).args(
                out, out.offset(), out.ld(), logdet, logdet.offset(), logdet.ld(), in, in.offset(), in.ld(),
                h, h.offset(), h.ld(), mask, bound, b, d, p, p.offset(), p.ld(), prev != null ? 1 : 0);
        dev.launch(k, new long[] {lx, ceil(b, ly) * ly}, new long[] {lx, ly});
    }

    private static void grad(int direction, Tensor din, float beta, Tensor dh, Tensor dout, Tensor dlogdet, Tensor in,
            Tensor h, Tensor mask, float bound, Boolean rowVec, Tensor dprev, float betaPrev) {
        String name = direction > 0 ? "affine_coupling_backward" : "affine_coupling_backward (of inverse)";
        check(name, din, in, h, mask, bound);
        dout.requireShape(in, name + " gradient vs input");
        dh.requireShape(h, name + " dh vs h");
        int b = in.rows();
        int d = in.cols();
        if (dlogdet.rows() != b || dlogdet.cols() != 1) {
            throw new IllegalArgumentException(name + ": dlogdet must be " + b + " x 1, got " + dlogdet.shape());
        }
        Elementwise.sameDevice(din, dh, dout, dlogdet, in, h, mask);
        if (dprev != null) {
            dprev.requireShape(dlogdet, name + ": dprev vs dlogdet");
            Elementwise.sameDevice(dprev, dlogdet);
        }
        if (b == 0) {
            return;
        }
        Tensor q = dprev != null ? dprev : dlogdet;
        int hasPrev = dprev != null ? 1 : 0;
        Device dev = in.device();
        Shape shape = dev.shared(Shape.class, Shape::of);
        if (rowVec != null ? rowVec : shape.vec(d)) {
            Kernel k = dev.kernel(FILE, "affine_coupling_backward_vec", Map.of("LX", "1", "LY", Integer.toString(shape.narrowLy()),
                    "ROWVEC", "1")).args(din, din.offset(), din.ld(), dh, dh.offset(), dh.ld(), dout, dout.offset(), dout.ld(), dlogdet,
                    dlogdet.offset(), dlogdet.ld(), in, in.offset(), in.ld(), h, h.offset(), h.ld(), mask, bound, beta, direction, b, d,
                    q, q.offset(), q.ld(), betaPrev, hasPrev);
            dev.launch(k, new long[] {ceil(d, 16), b}, null);
            return;
        }
        Kernel k = dev.kernel(FILE, "affine_coupling_backward").args(din, din.offset(), din.ld(), dh, dh.offset(), dh.ld(),
                dout, dout.offset(), dout.ld(), dlogdet, dlogdet.offset(), dlogdet.ld(), in, in.offset(), in.ld(),
                h, h.offset(), h.ld(), mask, bound, beta, direction, b, d, q, q.offset(), q.ld(), betaPrev, hasPrev);
        long lx = WorkGroups.pow2Cap(d, shape.backwardLx());
        long ly = shape.backwardWg() / lx;
        dev.launch(k, new long[] {ceil(d, lx) * lx, ceil(b, ly) * ly}, new long[] {lx, ly});
    }

    private static void check(String name, Tensor out, Tensor in, Tensor h, Tensor mask, float bound) {
        out.requireShape(in, name + " output vs input");
        int d = in.cols();
        if (h.rows() != in.rows() || h.cols() != 2 * d) {
            throw new IllegalArgumentException(name + ": h must be " + in.rows() + " x " + (2 * d)
                    + " (the network's log-scales then shifts for each of the " + d + " columns), got " + h.shape());
        }
        if (mask.rows() != 1 || mask.cols() != d || !mask.contiguous()) {
            throw new IllegalArgumentException(name + ": mask must be a contiguous 1 x " + d + " row of 0/1, got " + mask.shape());
        }
        if (!(bound >= 0) || Float.isInfinite(bound)) {
            throw new IllegalArgumentException(name + ": the log-scale bound must be 0 (unbounded) or a positive finite number, got "
                    + bound);
        }
    }

    /**
     * {@link #forward} or {@link #inverse} on B x D: per element one exp, a tanh, a divide and
     * multiply for the bound, and two flops of the affine map (about 6); reads x, raw, t, writes
     * y; plus the B log-dets.
     */
    public static OpCost forwardCost(int b, int d) {
        double n = (double) b * d;
        return OpCost.of(7 * n, (4 * n + b + d) * Float.BYTES);
    }

    /** Either backward: about 10 flops an element; reads dy, x, raw, t, dlogdet, writes dx and dh (2 columns). */
    public static OpCost backwardCost(int b, int d, boolean accumulate) {
        double n = (double) b * d;
        return OpCost.of(10 * n, ((accumulate ? 8 : 7) * n + b + d) * Float.BYTES);
    }

    private static long ceil(long a, long b) {
        return (a + b - 1) / b;
    }
}
