package org.genzoo.host.autograd;

import java.util.ArrayList;
import java.util.List;
import org.genzoo.host.Device;
import org.genzoo.host.tensor.Tensor;

/**
 * SGD with heavy-ball momentum and L2 weight decay: u = mu·u + g + wd·w; w -= lr·u. One launch per
 * step updates every parameter (see {@link Optimizer}).
 */
public final class Sgd extends Optimizer {
    private final float lr;
    private final float momentum;
    private final float weightDecay;
    /** Momentum in the flat layout. */
    private final Tensor u;

    public Sgd(Device device, List<Param> params, float lr, float momentum, float weightDecay) {
        super(device, checked(params, lr, momentum));
        this.lr = lr;
        this.momentum = momentum;
        this.weightDecay = weightDecay;
        this.u = newState();
    }

    private static List<Param> checked(List<Param> params, float lr, float momentum) {
        if (!(lr > 0) || momentum < 0 || momentum >= 1) {
            throw new IllegalArgumentException("SGD needs lr > 0 and 0 <= momentum < 1; got " + lr + ", " + momentum);
        }
        return params;
    }

    @Override
    protected void update(Tensor values, Tensor grads, Tensor gscale) {
        optim.sgd(values, u, grads, gscale, lr * lrScale(), momentum, weightDecay);
    }

    /** Momentum of every parameter (views into the flat state). */
    @Override
    public List<Tensor> state() {
        List<Tensor> s = new ArrayList<>(params.size());
        for (int i = 0; i < params.size(); i++) {
            s.add(stateView(u, i));
        }
        return s;
    }

    @Override
    protected List<Tensor> stateBuffers() {
        return List.of(u);
    }
}
