package org.genzoo.host.ops;

import org.genzoo.host.Device;
import org.genzoo.host.Tuning;
import org.genzoo.host.WorkGroups;
import org.genzoo.host.tensor.Tensor;

/**
 * MADE's masked matrix product, as mask then GEMM: We = W ⊙ M feeds {@link Gemm}; the backward
 * dW += dWe ⊙ M keeps masked weights at zero gradient (kernels/made.cl).
 */
public final class MaskedWeights {
    private final Device device;

    public MaskedWeights(Device device) {
        this.device = device;
    }

    /** 1-D work-group of the mask kernels: MASK_WG in kernels/tuning/made.properties, else up to 64 by the device's limit. */
    private long[] local() {
        Tuning t = device.tuning("made");
        return new long[] {t.getInt("MASK_WG", WorkGroups.pow2(device, 64, 0))};
    }

    public void forward(Tensor we, Tensor w, Tensor mask) {
        check(we, w, mask);
        int n = w.size();
        device.launch(device.kernel("made.cl", "mask_weights").args(we, w, mask, n), new long[] {n}, local());
    }

    /** dW = beta*dW + dWe ⊙ M; beta 0 assigns without reading dW. */
    public void backward(Tensor dw, Tensor dwe, Tensor mask, float beta) {
        check(dwe, dw, mask);
        int n = dw.size();
        device.launch(device.kernel("made.cl", "mask_weights_backward").args(dw, dwe, mask, beta, n), new long[] {n}, local());
    }

    private static void check(Tensor a, Tensor b, Tensor m) {
        a.requireShape(b, "masked weights");
        a.requireShape(m, "masked weights vs mask");
        if (!a.contiguous() || !b.contiguous() || !m.contiguous()) {
            throw new IllegalArgumentException("masked weights need contiguous tensors");
        }
    }

    public static OpCost cost(int out, int in) {
        return OpCost.of((double) out * in, 12.0 * out * in);
    }
}
