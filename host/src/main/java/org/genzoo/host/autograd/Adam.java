package org.genzoo.host.autograd;

import java.util.ArrayList;
import java.util.List;
import org.genzoo.host.Device;
import org.genzoo.host.tensor.Tensor;

/**
 * Adam with bias correction (Kingma & Ba 2015); with {@code decoupledWeightDecay} > 0 it is AdamW
 * (Loshchilov & Hutter 2019), and {@code l2} adds classic L2 decay to the gradient.
 */
public final class Adam extends Optimizer {
    private final float lr;
    private final float beta1;
    private final float beta2;
    private final float eps;
    private final float decoupledWeightDecay;
    private final float l2;
    private final List<Tensor> m = new ArrayList<>();
    private final List<Tensor> v = new ArrayList<>();

    public Adam(Device device, List<Param> params, float lr) {
        this(device, params, lr, 0.9f, 0.999f, 1e-8f, 0f, 0f);
    }

    public Adam(Device device, List<Param> params, float lr, float beta1, float beta2, float eps, float decoupledWeightDecay,
            float l2) {
        super(device, params);
        if (!(lr > 0) || beta1 < 0 || beta1 >= 1 || beta2 < 0 || beta2 >= 1 || !(eps > 0)) {
            throw new IllegalArgumentException("Adam needs lr > 0, 0 <= beta1, beta2 < 1 and eps > 0; got lr " + lr + ", betas "
                    + beta1 + ", " + beta2 + ", eps " + eps);
        }
        this.lr = lr;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.decoupledWeightDecay = decoupledWeightDecay;
        this.l2 = l2;
        for (Param p : params) {
            m.add(Tensor.zeros(device, p.value().rows(), p.value().cols()));
            v.add(Tensor.zeros(device, p.value().rows(), p.value().cols()));
        }
    }

    public static Adam adamW(Device device, List<Param> params, float lr, float weightDecay) {
        return new Adam(device, params, lr, 0.9f, 0.999f, 1e-8f, weightDecay, 0f);
    }

    @Override
    protected void update(int i, Param p, Tensor gscale) {
        optim.adam(p.value(), m.get(i), v.get(i), p.grad(), gscale, lr * lrScale(), beta1, beta2, eps, step,
                decoupledWeightDecay, l2);
    }

    @Override
    public List<Tensor> state() {
        List<Tensor> s = new ArrayList<>(m);
        s.addAll(v);
        return s;
    }
}
