package org.genzoo.host.ops;

import java.util.Map;
import org.genzoo.host.Device;
import org.genzoo.host.Kernel;
import org.genzoo.host.Tuning;
import org.genzoo.host.WorkGroups;
import org.genzoo.host.tensor.Tensor;

/**
 * GAN losses on a critic's per-row outputs l (n x 1) in one launch forward and one backward
 * ({@code kernels/ganloss.cl}): loss = k · Σ_i φ(s_i l_i) + extra, with s_i = sA on the first nA
 * rows and sB on the rest, φ one of {@link Kind}; optionally the mean of l over each of the two
 * row ranges (a discriminator's d_real and d_fake). The backward writes
 * dl_i = beta·dl_i + dloss · k · s_i · φ'(s_i l_i) and, with an extra term, its gradient dloss.
 */
public final class GanLoss {
    private static final String FILE = "ganloss.cl";

    /** φ: the identity (Wasserstein), log σ (logistic GAN), max(0, 1 − x) (hinge). */
    public enum Kind {
        LINEAR("LOSS_LINEAR"), LOGSIG("LOSS_LOGSIG"), HINGE("LOSS_HINGE");

        final String define;

        Kind(String define) {
            this.define = define;
        }
    }

    /**
     * This device's launch shape (kernels/tuning/ganloss.properties): WG work-items in the forward's
     * one work-group (also the kernel's WG define), WG1 per work-group of the backward. Defaults 64
     * and 64, capped by the device's work-group limits.
     */
    private record Shape(int wg, long[] wg1, Map<Kind, Map<String, String>> defines) {
        static Shape of(Device d) {
            Tuning t = d.tuning("ganloss");
            int wg = WorkGroups.tuned(d, t, "WG", 64, true);
            int wg1 = WorkGroups.tuned(d, t, "WG1", 64, false);
            Map<Kind, Map<String, String>> defs = new java.util.EnumMap<>(Kind.class);
            for (Kind k : Kind.values()) {
                defs.put(k, Map.of("WG", Integer.toString(wg), "LOSS", k.define));
            }
            return new Shape(wg, new long[] {wg1}, defs);
        }

        Map<String, String> defines(Kind kind) {
            return defines.get(kind);
        }
    }

    private static Shape shape(Device d) {
        return d.shared(Shape.class, Shape::of);
    }

    private GanLoss() {
    }

    /**
     * loss (1 x 1) = k · Σ_i φ(s_i l_i) + extra[0] (extra: 1 x 1 or null); means (2 x 1 contiguous, or
     * null) = the mean of l over rows [0, nA) and over [nA, n) (NaN for an empty range).
     */
    public static void forward(Kind kind, Tensor loss, Tensor means, Tensor l, int nA, float sA, float sB, float k, Tensor extra) {
        ShapeChecks.scalar(loss, "GAN loss: loss");
        ShapeChecks.column(l, l.rows(), "GAN loss: l");
        if (l.rows() == 0) {
            throw new IllegalArgumentException("GAN loss: l has no rows");
        }
        checkSplit(nA, l.rows());
        if (means != null) {
            ShapeChecks.column(means, 2, "GAN loss: means");
        }
        if (extra != null) {
            ShapeChecks.scalar(extra, "GAN loss: extra");
        }
        Elementwise.sameDevice(loss, l);
        Device dev = l.device();
        int wg = shape(dev).wg();
        Tensor m = means != null ? means : loss;
        Tensor e = extra != null ? extra : loss;
        dev.launch(dev.kernel(FILE, "gan_loss", shape(dev).defines(kind)).args(loss, loss.offset(), m, m.offset(), means != null ? 1 : 0,
                l, l.offset(), l.rows(), nA, sA, sB, k, e, e.offset(), extra != null ? 1 : 0,
                new Kernel.Local(3L * wg * Float.BYTES)), new long[] {wg}, new long[] {wg});
    }

    /**
     * dl = beta·dl + dloss · k · s_i · φ'(s_i l_i) (dl, l: n x 1 contiguous; dloss: 1 x 1); with
     * dextra (1 x 1) also dextra = betaExtra·dextra + dloss. beta = 0 does not read dl.
     */
    public static void backward(Kind kind, Tensor dl, Tensor dloss, Tensor l, int nA, float sA, float sB, float k, float beta,
            Tensor dextra, float betaExtra) {
        ShapeChecks.column(l, l.rows(), "GAN loss backward: l");
        ShapeChecks.column(dl, l.rows(), "GAN loss backward: dl");
        ShapeChecks.scalar(dloss, "GAN loss backward: dloss");
        checkSplit(nA, l.rows());
        if (dextra != null) {
            ShapeChecks.scalar(dextra, "GAN loss backward: dextra");
        }
        Elementwise.sameDevice(dl, dloss, l);
        int n = l.rows();
        if (n == 0) {
            return;
        }
        Device dev = l.device();
        Tensor e = dextra != null ? dextra : dloss;
        dev.launch(dev.kernel(FILE, "gan_loss_backward", shape(dev).defines(kind)).args(dl, dl.offset(), dloss, dloss.offset(), l,
                l.offset(), n, nA, sA, sB, k, beta, e, e.offset(), dextra != null ? 1 : 0, betaExtra), new long[] {n},
                shape(dev).wg1());
    }

    // ---------------------------------------------------------------------------------------------
    // Costs (flops, bytes) of one call

    /** Forward: φ (counted as 20 flops for log σ, 2 otherwise), a product and three sums per row; l read once. */
    public static OpCost forwardCost(Kind kind, int n) {
        return OpCost.of((kind == Kind.LOGSIG ? 24.0 : 6.0) * n, 4.0 * (n + 4));
    }

    /** Backward: φ' and three products per row; l read, dl written (and read when accumulating). */
    public static OpCost backwardCost(Kind kind, int n, boolean accumulate) {
        return OpCost.of((kind == Kind.LOGSIG ? 8.0 : 4.0) * n, 4.0 * ((accumulate ? 3 : 2) * (double) n + 2));
    }

    private static void checkSplit(int nA, int n) {
        if (nA < 0 || nA > n) {
            throw new IllegalArgumentException("GAN loss: the first range must have 0 to " + n + " rows, got nA = " + nA);
        }
    }
}
