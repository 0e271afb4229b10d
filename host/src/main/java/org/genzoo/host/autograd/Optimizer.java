package org.genzoo.host.autograd;

import java.util.ArrayList;
import java.util.List;
import org.genzoo.host.Device;
import org.genzoo.host.ops.Optim;
import org.genzoo.host.tensor.Tensor;

/**
 * Updates parameters from their gradients, all on the device: optional global gradient-norm
 * clipping (the scale is computed on the device and read by the update kernels, no host round
 * trip), the update, then the gradients are zeroed. State tensors (moments, momentum) are owned here.
 */
public abstract class Optimizer implements AutoCloseable {
    protected final Device device;
    protected final Optim optim;
    protected final List<Param> params;
    private final Tensor partials;
    private final Tensor norm;
    private final Tensor scale;
    private float maxGradNorm;
    private float weightClip;
    protected long step;
    private float lrScale = 1f;

    protected Optimizer(Device device, List<Param> params) {
        this.device = device;
        this.optim = new Optim(device);
        this.params = List.copyOf(params);
        this.partials = Tensor.zeros(device, 1, Math.max(1, Optim.partialsFor(params.size())));
        this.norm = Tensor.zeros(device, 1, 1);
        this.scale = Tensor.zeros(device, 1, 1);
        this.scale.fill(1f);
    }

    /** Clip the global L2 norm of all gradients to {@code maxNorm} before each step (0 = off). */
    public Optimizer clipGradNorm(float maxNorm) {
        this.maxGradNorm = maxNorm;
        if (maxNorm <= 0) {
            scale.fill(1f);
        }
        return this;
    }

    /** Clamp every weight to [-c, c] after each step (WGAN's weight clipping; 0 = off). */
    public Optimizer clipWeights(float c) {
        this.weightClip = c;
        return this;
    }

    /** The gradient norm of the last step (device read: for logging, not every step). */
    public float lastGradNorm() {
        return norm.get(0, 0);
    }

    /** The parameters this optimizer updates, in its state order. */
    public List<Param> params() {
        return params;
    }

    /** Multiplies the learning rate from the next step on (schedules); 1 = the rate given at construction. */
    public void setLrScale(float s) {
        this.lrScale = s;
    }

    /** The current learning-rate multiplier. */
    public float lrScale() {
        return lrScale;
    }

    public long steps() {
        return step;
    }

    /** Applies one update from the accumulated gradients; the update kernels leave them zeroed. */
    public void step() {
        step++;
        if (maxGradNorm > 0) {
            List<Tensor> grads = new ArrayList<>(params.size());
            for (Param p : params) {
                grads.add(p.grad());
            }
            optim.clipScale(grads, partials, norm, scale, maxGradNorm);
        }
        for (int i = 0; i < params.size(); i++) {
            update(i, params.get(i), scale);
            if (weightClip > 0) {
                optim.clipWeights(params.get(i).value(), weightClip);
            }
        }
    }

    /**
     * Updates parameter {@code i} and leaves its gradient zeroed; {@code gscale} is the 1-element
     * gradient multiplier.
     */
    protected abstract void update(int i, Param p, Tensor gscale);

    /** State tensors in a fixed order, for checkpoints. */
    public abstract List<Tensor> state();

    /** Restores the step counter (with {@link #state()} tensors written back) when resuming. */
    public void setSteps(long steps) {
        this.step = steps;
    }

    @Override
    public void close() {
        partials.close();
        norm.close();
        scale.close();
        for (Tensor t : state()) {
            t.close();
        }
    }
}
