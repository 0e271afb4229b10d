package org.genzoo.host.ops;

import java.util.List;
import org.genzoo.host.Device;
import org.genzoo.host.Kernel;
import org.genzoo.host.tensor.Tensor;

/**
 * Optimizer kernels (kernels/optim.cl): Adam/AdamW, SGD with momentum, weight clipping, and global
 * gradient-norm clipping computed entirely on the device. Parameters and states are contiguous.
 */
public final class Optim {
    static final long WG = 64;
    /** Work-groups per parameter in the norm's first pass: enough to keep every core busy. */
    static final int NORM_GROUPS = 16;

    private final Device device;

    public Optim(Device device) {
        this.device = device;
    }

    private static void requireContiguous(Tensor t, String what) {
        if (!t.contiguous()) {
            throw new IllegalArgumentException(what + " must be contiguous, got a view " + t);
        }
    }

    /**
     * One Adam step for one parameter; the gradient {@code g} is read and then set to zero. {@code gscale} is a 1-element device scalar multiplying the
     * gradient (from {@link #clipScale}); {@code decoupledWd} is AdamW's decay, {@code l2Wd} classic L2.
     */
    public void adam(Tensor w, Tensor m, Tensor v, Tensor g, Tensor gscale, float lr, float b1, float b2, float eps,
            long step, float decoupledWd, float l2Wd) {
        requireContiguous(w, "weights");
        w.requireShape(g, "adam weights vs gradient");
        w.requireShape(m, "adam weights vs first moment");
        w.requireShape(v, "adam weights vs second moment");
        if (step < 1) {
            throw new IllegalArgumentException("Adam step count is 1-based, got " + step);
        }
        float c1 = (float) (1.0 / (1.0 - Math.pow(b1, step)));
        float c2 = (float) (1.0 / (1.0 - Math.pow(b2, step)));
        int n = w.size();
        Kernel k = device.kernel("optim.cl", "adam_step").args(w, m, v, g, gscale, lr, b1, b2, eps, c1, c2, decoupledWd, l2Wd, n);
        device.launch(k, new long[] {n}, new long[] {WG});
    }

    public static OpCost adamCost(int n) {
        return OpCost.of(14.0 * n, 4.0 * (3 + 3) * n);
    }

    /** One SGD step; the gradient {@code g} is read and then set to zero. */
    public void sgd(Tensor w, Tensor u, Tensor g, Tensor gscale, float lr, float momentum, float wd) {
        requireContiguous(w, "weights");
        w.requireShape(g, "sgd weights vs gradient");
        w.requireShape(u, "sgd weights vs momentum");
        int n = w.size();
        Kernel k = device.kernel("optim.cl", "sgd_step").args(w, u, g, gscale, lr, momentum, wd, n);
        device.launch(k, new long[] {n}, new long[] {WG});
    }

    public void clipWeights(Tensor w, float c) {
        requireContiguous(w, "weights");
        int n = w.size();
        device.launch(device.kernel("optim.cl", "clip_weights").args(w, c, n), new long[] {n}, new long[] {WG});
    }

    /** Floats of scratch {@link #clipScale} needs for this many gradients. */
    public static int partialsFor(int gradients) {
        return gradients * NORM_GROUPS;
    }

    /**
     * Global gradient norm over all {@code grads}: norm[0] = sqrt(sum of squares), scale[0] =
     * min(1, maxNorm / (norm + 1e-6)) (1 when maxNorm <= 0). Deterministic: fixed-order tree sums.
     */
    public void clipScale(List<Tensor> grads, Tensor partials, Tensor norm, Tensor scale, float maxNorm) {
        if (partials.size() < partialsFor(grads.size())) {
            throw new IllegalArgumentException("partials needs " + partialsFor(grads.size()) + " floats, has " + partials.size());
        }
        Kernel k = device.kernel("optim.cl", "sumsq_partial");
        for (int i = 0; i < grads.size(); i++) {
            Tensor g = grads.get(i);
            requireContiguous(g, "gradient");
            k.args(partials, i * NORM_GROUPS, g, g.size());
            device.launch(k, new long[] {NORM_GROUPS * WG}, new long[] {WG});
        }
        Kernel fin = device.kernel("optim.cl", "clip_scale").args(norm, scale, partials, grads.size() * NORM_GROUPS, maxNorm);
        device.launch(fin, new long[] {WG}, new long[] {WG});
    }
}
