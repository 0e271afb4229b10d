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
 *
 * <p>The parameters are moved into one flat layout ({@link FlatParams}) when the optimizer is made,
 * and the state uses the same layout, so a step is one update launch for all parameters (plus one
 * weight-clipping launch when that is on). Each element is updated exactly as a launch per
 * parameter would update it, so results are bitwise the same. The gradient norm keeps one set of
 * partial sums per parameter, so it too is bitwise what it was.
 */
public abstract class Optimizer implements AutoCloseable {
    protected final Device device;
    protected final Optim optim;
    protected final List<Param> params;
    private FlatParams flat;
    private final Tensor partials;
    private final Tensor norm;
    private final Tensor scale;
    private float maxGradNorm;
    private float weightClip;
    protected long step;
    private float lrScale = 1f;

    protected Optimizer(Device device, List<Param> params) {
        this.device = device;
        this.optim = Optim.on(device);
        this.params = List.copyOf(params);
        this.flat = FlatParams.pack(device, this.params);
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

    /** The flat layout of the parameters and state, packed again if another optimizer has since moved them. */
    protected final FlatParams flat() {
        if (!flat.holds(params)) {
            flat = FlatParams.pack(device, params); // the same list gives the same offsets: the state still fits
        }
        return flat;
    }

    /** Parameter {@code i}'s part of a state buffer in the flat layout, in the parameter's shape. */
    protected final Tensor stateView(Tensor flatState, int i) {
        return flat.view(flatState, i);
    }

    /** A zeroed state buffer in the flat layout. */
    protected final Tensor newState() {
        return flat.newState();
    }

    /** Applies one update from the accumulated gradients; the update kernels leave them zeroed. */
    public void step() {
        step++;
        FlatParams f = flat();
        if (maxGradNorm > 0) {
            List<Tensor> grads = new ArrayList<>(params.size());
            for (Param p : params) {
                grads.add(p.grad());
            }
            optim.clipScale(grads, partials, norm, scale, maxGradNorm);
        }
        update(f.values(), f.grads(), scale);
        if (weightClip > 0) {
            optim.clipWeights(f.values(), weightClip);
        }
    }

    /**
     * Updates every parameter at once and leaves the gradients zeroed: {@code values} and
     * {@code grads} hold all parameters in the flat layout (state buffers from {@link #newState()}
     * match it); {@code gscale} is the 1-element gradient multiplier.
     */
    protected abstract void update(Tensor values, Tensor grads, Tensor gscale);

    /** State tensors in a fixed order, for checkpoints (views, one per parameter and kind). */
    public abstract List<Tensor> state();

    /** The flat state buffers, closed with the optimizer. */
    protected abstract List<Tensor> stateBuffers();

    /** Restores the step counter (with {@link #state()} tensors written back) when resuming. */
    public void setSteps(long steps) {
        this.step = steps;
    }

    @Override
    public void close() {
        partials.close();
        norm.close();
        scale.close();
        for (Tensor t : stateBuffers()) {
            t.close();
        }
    }
}
