package org.genzoo.host.ops;

import java.util.List;
import java.util.Map;
import org.genzoo.host.Device;
import org.genzoo.host.Kernel;
import org.genzoo.host.tensor.Tensor;

/**
 * Optimizer kernels (kernels/optim.cl): Adam/AdamW, SGD with momentum, weight clipping, and global
 * gradient-norm clipping computed entirely on the device. Parameters and states are contiguous;
 * the optimizers pass all their parameters as one flat vector, so a step is one launch.
 *
 * <p>One instance per device ({@link #on}) holds its launch shape from the tuning file
 * {@code kernels/tuning/optim.properties}: LANE_VW floats per vector (a CPU's SIMD width, 1 on a
 * GPU), ITERS vectors per work-item (hundreds on a CPU, so a step is a few dozen work-groups; 1 on a
 * GPU), WG work-items per work-group, and NORM_WG / NORM_GROUPS for the norm's tree.
 * The per-element update does not depend on any of them, so results are bitwise the same on one
 * device whatever the shape.
 */
public final class Optim {
    public static final String FAMILY = "optim";
    private static final String FILE = "optim.cl";

    private final Device device;
    private final Map<String, String> defines;
    private final int lanes;
    private final int iters;
    private final long wg;
    private final int normWg;
    private final int normGroups;

    /** The instance in use on {@code device}: made once from the device's tuning unless {@link #use} put another in place. */
    public static Optim on(Device device) {
        return state(device).current();
    }

    /** Uses {@code o} on its device until the returned scope closes (tests, benchmarks, the tuner). */
    public static OpConfigs.Scope use(Optim o) {
        return state(o.device).use(o);
    }

    /**
     * The instances worth checking on {@code d}: the tuned one, one element per work-item, 4 and 16
     * lanes, and 4 lanes times 3 vectors per work-item (chunks that end inside a tensor's tail).
     */
    public static List<Optim> variants(Device d) {
        Optim t = state(d).tuned();
        return List.of(t, new Optim(d, 1, 1, OpTuning.pow2Cap(d, 64), t.normWg, t.normGroups),
                new Optim(d, 4, 1, OpTuning.pow2Cap(d, 32), t.normWg, t.normGroups), new Optim(d, 16, 1, 1, t.normWg, t.normGroups),
                new Optim(d, 4, 3, OpTuning.pow2Cap(d, 4), t.normWg, t.normGroups));
    }

    private static final class State extends OpConfigs<Optim> {
        State(Device d) {
            super(new Optim(d));
        }
    }

    private static State state(Device d) {
        return d.shared(State.class, State::new);
    }

    private Optim(Device d) {
        this(d, OpTuning.of(d, FAMILY));
    }

    private Optim(Device d, OpTuning t) {
        this(d, t.pow2("LANE_VW", OpTuning.defaultLanes(d)), t.getInt("ITERS", OpTuning.isCpu(d) ? 256 : 1),
                t.pow2("WG", OpTuning.isCpu(d) ? 1 : OpTuning.pow2Cap(d, 256)), t.pow2("NORM_WG", OpTuning.pow2Cap(d, 64)),
                t.getInt("NORM_GROUPS", 16));
    }

    /** An instance with an explicit shape (tests and the tuner compare shapes against each other). */
    public Optim(Device d, int lanes, int iters, int wg, int normWg, int normGroups) {
        if (lanes != 1 && lanes != 4 && lanes != 8 && lanes != 16) {
            throw new IllegalArgumentException("optim LANE_VW must be 1, 4, 8 or 16, got " + lanes);
        }
        if (iters < 1) {
            throw new IllegalArgumentException("optim ITERS must be at least 1, got " + iters);
        }
        if (normGroups < 1) {
            throw new IllegalArgumentException("optim NORM_GROUPS must be at least 1, got " + normGroups);
        }
        this.device = d;
        this.lanes = lanes;
        this.iters = iters;
        this.wg = wg;
        this.normWg = normWg;
        this.normGroups = normGroups;
        this.defines = Map.of("LANE_VW", Integer.toString(lanes), "ITERS", Integer.toString(iters), "NORM_WG",
                Integer.toString(normWg));
    }

    @Override
    public String toString() {
        return "optim LANE_VW=" + lanes + " ITERS=" + iters + " WG=" + wg + " NORM_WG=" + normWg + " NORM_GROUPS=" + normGroups;
    }

    private static void requireContiguous(Tensor t, String what) {
        if (!t.contiguous()) {
            throw new IllegalArgumentException(what + " must be contiguous, got a view " + t);
        }
    }

    /** Global size of an update launch over n floats: one work-item per LANE_VW * ITERS of them. */
    private long[] global(int n) {
        long chunk = (long) lanes * iters;
        return new long[] {Math.max(1, (n + chunk - 1) / chunk)};
    }

    /**
     * One Adam step for one parameter (or all of them, laid out flat); the gradient {@code g} is
     * read and then set to zero. {@code gscale} is a 1-element device scalar multiplying the
     * gradient (from {@link #clipScale}); {@code decoupledWd} is AdamW's decay, {@code l2Wd} classic L2.
     */
    public void adam(Tensor w, Tensor m, Tensor v, Tensor g, Tensor gscale, float lr, float b1, float b2, float eps,
            long step, float decoupledWd, float l2Wd) {
        for (Tensor t : new Tensor[] {w, m, v, g}) {
            requireContiguous(t, "adam weights, moments and gradient");
        }
        w.requireShape(g, "adam weights vs gradient");
        w.requireShape(m, "adam weights vs first moment");
        w.requireShape(v, "adam weights vs second moment");
        if (step < 1) {
            throw new IllegalArgumentException("Adam step count is 1-based, got " + step);
        }
        float c1 = (float) (1.0 / (1.0 - Math.pow(b1, step)));
        float c2 = (float) (1.0 / (1.0 - Math.pow(b2, step)));
        int n = w.size();
        if (n == 0) {
            return;
        }
        Kernel k = device.kernel(FILE, "adam_step", defines).args(view(w), view(m), view(v), view(g), gscale, lr, b1, b2, eps,
                c1, c2, decoupledWd, l2Wd, n);
        device.launch(k, global(n), new long[] {wg});
    }

    public static OpCost adamCost(int n) {
        return OpCost.of(14.0 * n, 4.0 * (3 + 3) * n);
    }

    /** One SGD step; the gradient {@code g} is read and then set to zero. */
    public void sgd(Tensor w, Tensor u, Tensor g, Tensor gscale, float lr, float momentum, float wd) {
        for (Tensor t : new Tensor[] {w, u, g}) {
            requireContiguous(t, "sgd weights, momentum and gradient");
        }
        w.requireShape(g, "sgd weights vs gradient");
        w.requireShape(u, "sgd weights vs momentum");
        int n = w.size();
        if (n == 0) {
            return;
        }
        Kernel k = device.kernel(FILE, "sgd_step", defines).args(view(w), view(u), view(g), gscale, lr, momentum, wd, n);
        device.launch(k, global(n), new long[] {wg});
    }

    public void clipWeights(Tensor w, float c) {
        requireContiguous(w, "weights");
        int n = w.size();
        if (n == 0) {
            return;
        }
        device.launch(device.kernel(FILE, "clip_weights", defines).args(w, w.offset(), c, n), global(n), new long[] {wg});
    }

    /**
     * The update kernels index from the start of their buffers: a tensor at an offset is passed
     * as a sub-buffer-free view only when it starts the buffer.
     */
    private static Tensor view(Tensor t) {
        if (t.offset() != 0) {
            throw new IllegalArgumentException("optimizer buffers must start their device buffer (offset 0), got " + t);
        }
        return t;
    }

    /** Floats of scratch {@link #clipScale} needs for this many gradients (any device's instance). */
    public static int partialsFor(int gradients) {
        return gradients * 64;
    }

    /**
     * Global gradient norm over all {@code grads}: norm[0] = sqrt(sum of squares), scale[0] =
     * min(1, maxNorm / (norm + 1e-6)) (1 when maxNorm <= 0). Deterministic: fixed-order tree sums,
     * NORM_GROUPS partials per gradient.
     */
    public void clipScale(List<Tensor> grads, Tensor partials, Tensor norm, Tensor scale, float maxNorm) {
        if (normGroups > 64) {
            throw new IllegalArgumentException("optim NORM_GROUPS " + normGroups + " is more than the 64 partials per gradient "
                    + "the optimizers allocate");
        }
        if (partials.size() < grads.size() * normGroups) {
            throw new IllegalArgumentException("partials needs " + grads.size() * normGroups + " floats, has " + partials.size());
        }
        Kernel k = device.kernel(FILE, "sumsq_partial", defines);
        for (int i = 0; i < grads.size(); i++) {
            Tensor g = grads.get(i);
            requireContiguous(g, "gradient");
            k.args(partials, i * normGroups, g, g.offset(), g.size());
            device.launch(k, new long[] {(long) normGroups * normWg}, new long[] {normWg});
        }
        Kernel fin = device.kernel(FILE, "clip_scale", defines).args(norm, scale, partials, grads.size() * normGroups, maxNorm);
        device.launch(fin, new long[] {normWg}, new long[] {normWg});
    }
}
