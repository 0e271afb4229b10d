package org.genzoo.host.autograd;

import java.util.List;
import java.util.SplittableRandom;
import org.genzoo.host.Device;

/**
 * y = act(x·Wᵀ + b), W: OUT x IN, b: 1 x OUT, in one fused GEMM. Weights start uniform in
 * ±sqrt(6 / (IN + OUT)) (Glorot & Bengio 2010), or ±sqrt(6 / IN) before a ReLU (He et al. 2015);
 * biases start at zero.
 */
public final class Linear implements Module {
    private final Param w;
    private final Param b;
    private final F.LinearAct act;

    public Linear(Device device, String name, int in, int out, F.LinearAct act, SplittableRandom init) {
        if (in <= 0 || out <= 0) {
            throw new IllegalArgumentException(name + ": sizes must be positive, got " + in + " -> " + out);
        }
        this.act = act;
        this.w = new Param(name + ".weight", device, out, in);
        this.b = new Param(name + ".bias", device, 1, out);
        double bound = act == F.LinearAct.RELU ? Math.sqrt(6.0 / in) : Math.sqrt(6.0 / (in + out));
        float[] v = new float[in * out];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) ((init.nextDouble() * 2 - 1) * bound);
        }
        w.value().write(v);
    }

    public Param weight() {
        return w;
    }

    public Param bias() {
        return b;
    }

    public int in() {
        return w.value().cols();
    }

    public int out() {
        return w.value().rows();
    }

    @Override
    public Var forward(Var x) {
        Tape t = Tape.current();
        return F.linear(x, t.param(w), t.param(b), act);
    }

    @Override
    public List<Param> params() {
        return List.of(w, b);
    }
}
