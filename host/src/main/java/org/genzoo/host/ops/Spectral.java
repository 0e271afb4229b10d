package org.genzoo.host.ops;

import java.util.Map;
import org.genzoo.host.Device;
import org.genzoo.host.DeviceBuffer;
import org.genzoo.host.Kernel;
import org.genzoo.host.Tuning;
import org.genzoo.host.WorkGroups;
import org.genzoo.host.tensor.Tensor;

/**
 * Spectral norm by power iteration and the soft spectral normalization of invertible ResNets
 * ({@code kernels/spectral.cl}; Miyato et al. 2018, Behrmann et al. 2019).
 *
 * <p>W is M x N (OUT x IN, as in {@link org.genzoo.host.autograd.Linear}); u holds M values and v
 * holds N (any contiguous 1 x K or K x 1 tensor). One power iteration is v = normalize(Wᵀu),
 * u = normalize(W v); σ = uᵀWv estimates the largest singular value and its gradient in W with u
 * and v held fixed is u vᵀ. Soft normalization: W_sn = W / max(1, σ / c), c the Lipschitz
 * coefficient. σ and the backward's scratch scalar are 1 x 1 tensors that stay on the device.
 *
 * <p>Methods with {@code beta} compute {@code dW = beta * dW + contribution}: beta = 0 assigns
 * without reading dW, beta = 1 accumulates (parameter gradients).
 */
public final class Spectral {
    private static final String FILE = "spectral.cl";
    /** Dot products: at most this many work-groups in the first pass, each folding at least 16 * WG elements. */
    private static final int DOT_GROUPS = 64;

    /**
     * This device's launch shape (kernels/tuning/spectral.properties): WG work-items in the
     * one-work-group reductions (norm, σ, the backward's dot product; also the kernel's WG define),
     * WG1 in the 1-D launches, a WG2 x WG2 work-group for the 2-D ones. Defaults 256, 64 and 16,
     * capped by the device's work-group limits.
     */
    private record Shape(int wg, long[] wg1, long[] wg2, long fuseMax, long localBytes, Map<String, String> defines) {
        static Shape of(Device d) {
            Tuning t = d.tuning("spectral");
            int wg = WorkGroups.requirePow2(t, "WG", t.getInt("WG", WorkGroups.pow2(d, 256, 0)));
            int wg1 = t.getInt("WG1", WorkGroups.pow2(d, 64, 0));
            int edge = Integer.highestOneBit((int) Math.max(1, Math.sqrt(WorkGroups.pow2(d, 256, 0))));
            int wg2 = t.getInt("WG2", Math.min(16, edge));
            long fuseMax = t.getInt("FUSE_MAX", 1 << 16);
            return new Shape(wg, new long[] {wg1}, new long[] {wg2, wg2}, fuseMax, d.info().localMemBytes(),
                    Map.of("WG", Integer.toString(wg)));
        }
    }

    private static Shape shape(Device d) {
        return d.shared(Shape.class, Shape::of);
    }

    private Spectral() {
    }

    /**
     * {@code iterations} power iterations in place: v = normalize(Wᵀu), u = normalize(W v). u: M
     * values (read and written), v: N values (written), W: M x N. A zero vector stays zero.
     */
    public static void powerIteration(Tensor u, Tensor v, Tensor w, int iterations) {
        checkW(w, "power iteration");
        checkVector(u, w.rows(), "power iteration: u");
        checkVector(v, w.cols(), "power iteration: v");
        if (iterations < 0) {
            throw new IllegalArgumentException("power iteration: iterations must be >= 0, got " + iterations);
        }
        Elementwise.sameDevice(w, u, v);
        int m = w.rows();
        int n = w.cols();
        Device d = w.device();
        for (int it = 0; it < iterations; it++) {
            d.launch(d.kernel(FILE, "spectral_matvec_t", shape(d).defines()).args(v, v.offset(), w, w.offset(), u, u.offset(), m, n),
                    new long[] {n}, shape(d).wg1());
            normalize(v);
            d.launch(d.kernel(FILE, "spectral_matvec", shape(d).defines()).args(u, u.offset(), w, w.offset(), v, v.offset(), m, n),
                    new long[] {m}, shape(d).wg1());
            normalize(u);
        }
    }

    /**
     * Whether {@link #powerStep} takes W (M x N) on its device: M·N within the tuning's FUSE_MAX
     * (default 65,536; 0 turns it off), M at most 16·WG (one dot-product partial) and v, W v and the
     * tree within half the device's local memory.
     */
    public static boolean fusesPowerStep(Tensor w) {
        Shape s = shape(w.device());
        long m = w.rows();
        long n = w.cols();
        return m * n <= s.fuseMax() && m <= 16L * s.wg() && (m + n + s.wg()) * Float.BYTES <= s.localBytes() / 2;
    }

    /**
     * One power iteration (v = normalize(Wᵀu), u = normalize(W v)), σ = uᵀWv, and copies of the new
     * u, v and σ into uCopy, vCopy, sigmaCopy, in one launch of one work-group: bitwise the results
     * of {@link #powerIteration} with one iteration, {@link #sigma} and three copies (the same fma
     * orders and trees). Only where {@link #fusesPowerStep} says so.
     */
    public static void powerStep(Tensor u, Tensor v, Tensor w, Tensor sigma, Tensor uCopy, Tensor vCopy, Tensor sigmaCopy) {
        checkW(w, "power step");
        checkVector(u, w.rows(), "power step: u");
        checkVector(v, w.cols(), "power step: v");
        checkVector(uCopy, w.rows(), "power step: u copy");
        checkVector(vCopy, w.cols(), "power step: v copy");
        ShapeChecks.scalar(sigma, "power step: sigma");
        ShapeChecks.scalar(sigmaCopy, "power step: sigma copy");
        if (!fusesPowerStep(w)) {
            throw new IllegalArgumentException("power step: W " + w.shape() + " is over the one-work-group limit of this device"
                    + " (FUSE_MAX in kernels/tuning/spectral.properties, 16·WG rows, local memory); check fusesPowerStep first");
        }
        Elementwise.sameDevice(w, u, v, sigma, uCopy, vCopy, sigmaCopy);
        Device d = w.device();
        int wg = shape(d).wg();
        d.launch(d.kernel(FILE, "spectral_power_sigma", shape(d).defines()).args(u, u.offset(), v, v.offset(), w, w.offset(), w.rows(),
                w.cols(), sigma, sigma.offset(), uCopy, uCopy.offset(), vCopy, vCopy.offset(), sigmaCopy, sigmaCopy.offset(),
                new Kernel.Local((long) wg * Float.BYTES), new Kernel.Local((long) w.cols() * Float.BYTES),
                new Kernel.Local((long) w.rows() * Float.BYTES)), new long[] {wg}, new long[] {wg});
    }

    /** x = x / ||x|| in place (left as is when its norm is below 1e-12).  x: any contiguous vector. */
    public static void normalize(Tensor x) {
        if (!x.contiguous() || (x.rows() != 1 && x.cols() != 1)) {
            throw new IllegalArgumentException("normalize: x must be a contiguous vector, got " + x.shape());
        }
        Device d = x.device();
        int wg = shape(d).wg();
        d.launch(d.kernel(FILE, "spectral_normalize", shape(d).defines()).args(x, x.offset(), x.size(),
                new Kernel.Local((long) wg * Float.BYTES)), new long[] {wg}, new long[] {wg});
    }

    /** sigma = uᵀ W v (W v into pooled scratch, then a two-pass dot product).  sigma: 1 x 1; u: M; W: M x N; v: N. */
    public static void sigma(Tensor sigma, Tensor u, Tensor w, Tensor v) {
        checkW(w, "sigma");
        checkVector(u, w.rows(), "sigma: u");
        checkVector(v, w.cols(), "sigma: v");
        ShapeChecks.scalar(sigma, "sigma");
        Elementwise.sameDevice(w, u, v, sigma);
        Device d = w.device();
        int m = w.rows();
        try (DeviceBuffer wv = d.pool().acquireFloats(m)) {
            d.launch(d.kernel(FILE, "spectral_matvec", shape(d).defines()).args(wv, 0, w, w.offset(), v, v.offset(), m, w.cols()),
                    new long[] {m}, shape(d).wg1());
            dot(sigma, u, u.offset(), wv, 0, m);
        }
    }

    /** out[0] = Σ_k a[offA + k] b[offB + k], k &lt; n, in two deterministic passes; a, b: tensors or device buffers. */
    private static void dot(Tensor out, Object a, int offA, Object b, int offB, int n) {
        Device d = out.device();
        long perGroup = 16L * shape(d).wg();
        int groups = (int) Math.max(1, Math.min(DOT_GROUPS, ((long) n + perGroup - 1) / perGroup));
        int chunk = (int) (((long) n + groups - 1) / groups);
        int wg = shape(d).wg();
        Kernel.Local lm = new Kernel.Local((long) wg * Float.BYTES);
        try (DeviceBuffer part = d.pool().acquireFloats(groups)) {
            d.launch(d.kernel(FILE, "spectral_dot_partial", shape(d).defines()).args(part, a, offA, b, offB, n, chunk, lm),
                    new long[] {(long) groups * wg}, new long[] {wg});
            d.launch(d.kernel(FILE, "spectral_dot_final", shape(d).defines()).args(out, out.offset(), part, groups, lm), new long[] {wg},
                    new long[] {wg});
        }
    }

    /** dW = beta * dW + dsigma · u vᵀ (the gradient of σ = uᵀWv with u, v fixed).  dsigma: 1 x 1. */
    public static void sigmaBackward(Tensor dw, Tensor dsigma, Tensor u, Tensor v, float beta) {
        checkW(dw, "sigma backward: dW");
        checkVector(u, dw.rows(), "sigma backward: u");
        checkVector(v, dw.cols(), "sigma backward: v");
        ShapeChecks.scalar(dsigma, "sigma backward: dsigma");
        Elementwise.sameDevice(dw, dsigma, u, v);
        Device d = dw.device();
        d.launch(d.kernel(FILE, "spectral_sigma_backward", shape(d).defines()).args(dw, dw.offset(), dsigma, dsigma.offset(), u,
                u.offset(), v, v.offset(), beta, dw.rows(), dw.cols()), new long[] {dw.cols(), dw.rows()},
                shape(d).wg2());
    }

    /** W_sn = W / max(1, σ / c).  wsn, W: M x N; sigma: 1 x 1 (read on the device); 0 &lt; c. */
    public static void softNormalize(Tensor wsn, Tensor w, Tensor sigma, float c) {
        softNormalize(wsn, w, sigma, c, false);
    }

    /**
     * W_sn = W / max(1, σ / c) (soft, {@code full} false) or W_sn = c·W / σ ({@code full}: the
     * spectral normalization of SN-GAN, Miyato et al. 2018, with c = 1).  One kernel serves both.
     */
    public static void softNormalize(Tensor wsn, Tensor w, Tensor sigma, float c, boolean full) {
        checkW(w, "soft normalize: W");
        checkW(wsn, "soft normalize: W_sn");
        wsn.requireShape(w, "soft normalize: W_sn vs W");
        ShapeChecks.scalar(sigma, "soft normalize: sigma");
        checkCoefficient(c);
        Elementwise.sameDevice(wsn, w, sigma);
        int n = w.size();
        Device d = w.device();
        d.launch(d.kernel(FILE, "spectral_soft_normalize", shape(d).defines()).args(wsn, wsn.offset(), w, w.offset(), sigma,
                sigma.offset(), c, full ? 0f : 1f, n), new long[] {n}, shape(d).wg1());
    }

    /**
     * Backward of {@link #softNormalize} through W directly and through σ = uᵀWv (u, v fixed):
     * dW = beta * dW + dW_sn / s − [σ &gt; c] (Σ dW_sn ⊙ W) / (s² c) · u vᵀ, s = max(1, σ / c).
     * {@code scratch}: a 1 x 1 tensor the dot product goes through (overwritten).
     */
    public static void softNormalizeBackward(Tensor dw, Tensor dwsn, Tensor w, Tensor sigma, Tensor u, Tensor v, float c,
            float beta, Tensor scratch) {
        softNormalizeBackward(dw, dwsn, w, sigma, u, v, c, false, beta, scratch);
    }

    /**
     * Backward of {@link #softNormalize(Tensor, Tensor, Tensor, float, boolean)}: as the soft one
     * with s = σ / c and the rank-one term always on when {@code full}.
     */
    public static void softNormalizeBackward(Tensor dw, Tensor dwsn, Tensor w, Tensor sigma, Tensor u, Tensor v, float c,
            boolean full, float beta, Tensor scratch) {
        checkW(w, "soft normalize backward: W");
        checkW(dw, "soft normalize backward: dW");
        checkW(dwsn, "soft normalize backward: dW_sn");
        dw.requireShape(w, "soft normalize backward: dW vs W");
        dwsn.requireShape(w, "soft normalize backward: dW_sn vs W");
        checkVector(u, w.rows(), "soft normalize backward: u");
        checkVector(v, w.cols(), "soft normalize backward: v");
        ShapeChecks.scalar(sigma, "soft normalize backward: sigma");
        ShapeChecks.scalar(scratch, "soft normalize backward: scratch");
        checkCoefficient(c);
        Elementwise.sameDevice(dw, dwsn, w, sigma, u, v, scratch);
        int m = w.rows();
        int n = w.cols();
        Device d = w.device();
        dot(scratch, dwsn, dwsn.offset(), w, w.offset(), m * n);
        d.launch(d.kernel(FILE, "spectral_soft_normalize_backward", shape(d).defines()).args(dw, dw.offset(), dwsn, dwsn.offset(),
                scratch, scratch.offset(), sigma, sigma.offset(), u, u.offset(), v, v.offset(), c, full ? 0f : 1f, beta, m, n),
                new long[] {n, m}, shape(d).wg2());
    }

    // ---------------------------------------------------------------------------------------------
    // Costs (flops, bytes) of one call

    /** One power iteration: two matrix-vector products (2MN flops and 4MN bytes each) and two norms. */
    public static OpCost powerIterationCost(int m, int n) {
        return OpCost.of(4.0 * m * n + 3.0 * (m + n), 4.0 * (2.0 * m * n + 4.0 * (m + n)));
    }

    /** σ = uᵀWv: one matrix-vector product into scratch and a dot product. */
    public static OpCost sigmaCost(int m, int n) {
        return OpCost.of(2.0 * m * n + 2.0 * m, 4.0 * ((double) m * n + 3.0 * m + n + 1));
    }

    /** The fused power step: the iteration's two products and σ (no second W v), reads W twice. */
    public static OpCost powerStepCost(int m, int n) {
        return OpCost.of(4.0 * m * n + 5.0 * (m + n), 4.0 * (2.0 * m * n + 3.0 * (m + n) + 2));
    }

    /** W_sn = W / s: one division per element, W read and W_sn written. */
    public static OpCost softNormalizeCost(int m, int n) {
        return OpCost.of((double) m * n + 1, 4.0 * (2.0 * m * n + 1));
    }

    /** Backward: a dot product over dW_sn ⊙ W, then dW from dW_sn and the rank-one term. */
    public static OpCost softNormalizeBackwardCost(int m, int n, boolean accumulate) {
        double mn = (double) m * n;
        return OpCost.of(2 * mn + 5 * mn, 4.0 * (2 * mn + (accumulate ? 3 : 2) * mn + m + n));
    }

    // ---------------------------------------------------------------------------------------------

    private static void checkW(Tensor w, String what) {
        if (!w.contiguous()) {
            throw new IllegalArgumentException(what + " must be contiguous (a parameter or a fresh tensor), got a view "
                    + w.shape() + " with ld " + w.ld());
        }
        if (w.size() == 0) {
            throw new IllegalArgumentException(what + " is empty (" + w.shape() + ")");
        }
    }

    private static void checkVector(Tensor x, int n, String what) {
        if (!x.contiguous() || (x.rows() != 1 && x.cols() != 1) || x.size() != n) {
            throw new IllegalArgumentException(what + " must be a contiguous vector of " + n + " values, got " + x.shape());
        }
    }

    private static void checkCoefficient(float c) {
        if (!(c > 0) || !Float.isFinite(c)) {
            throw new IllegalArgumentException("soft normalize: the Lipschitz coefficient c must be positive and finite, got " + c);
        }
    }
}
