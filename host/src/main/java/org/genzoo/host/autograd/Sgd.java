package org.genzoo.host.autograd;

import java.util.ArrayList;
import java.util.List;
import org.genzoo.host.Device;
import org.genzoo.host.tensor.Tensor;

/** SGD with heavy-ball momentum and L2 weight decay: u = mu·u + g + wd·w; w -= lr·u. */
public final class Sgd extends Optimizer {
    private final float lr;
    private final float momentum;
    private final float weightDecay;
    private final List<Tensor> u = new ArrayList<>();

    public Sgd(Device device, List<Param> params, float lr, float momentum, float weightDecay) {
        super(device, params);
        if (!(lr > 0) || momentum < 0 || momentum >= 1) {
            throw new IllegalArgumentException("SGD needs lr > 0 and 0 <= momentum < 1; got " + lr + ", " + momentum);
        }
        this.lr = lr;
        this.momentum = momentum;
        this.weightDecay = weightDecay;
        for (Param p : params) {
            u.add(Tensor.zeros(device, p.value().rows(), p.value().cols()));
        }
    }

    @Override
    protected void update(int i, Param p, Tensor gscale) {
        optim.sgd(p.value(), u.get(i), p.grad(), gscale, lr * lrScale(), momentum, weightDecay);
    }

    @Override
    public List<Tensor> state() {
        return List.copyOf(u);
    }
}
