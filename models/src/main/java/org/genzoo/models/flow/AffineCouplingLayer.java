package org.genzoo.models.flow;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.genzoo.host.Device;
import org.genzoo.host.autograd.F;
import org.genzoo.host.autograd.Linear;
import org.genzoo.host.autograd.Mlp;
import org.genzoo.host.autograd.Param;
import org.genzoo.host.autograd.Sequential;
import org.genzoo.host.autograd.Tape;
import org.genzoo.host.autograd.Var;
import org.genzoo.host.tensor.Tensor;

/**
 * RealNVP affine coupling (Dinh et al. 2017). A 0/1 mask m splits the coordinates; the network
 * reads m ⊙ x and outputs [raw | t] (2D columns), and
 * z = m ⊙ x + (1 − m) ⊙ (x ⊙ exp(s) + t), s = S·tanh(raw / S), log|det| = Σ_{m=0} s.
 * The log-scale bound S keeps early training stable (S = 0: unbounded). The network's last layer
 * starts at zero, so a fresh coupling is the identity. Both directions are one network pass and
 * are differentiable.
 *
 * <p>Masks: "half" (the first ⌈D/2⌉ coordinates pass through), "alternate" (even coordinates
 * pass), "checkerboard" (for square images: pixel (i, j) passes when i + j is even). Parity 1
 * swaps the roles, so consecutive couplings transform complementary parts.
 */
public final class AffineCouplingLayer implements FlowLayer {
    private final int dim;
    private final float bound;
    private final Tensor mask;
    private final float[] maskValues;
    private final Sequential net;
    private final Map<Integer, Tensor> rowMasks = new HashMap<>();
    private final Device device;

    public AffineCouplingLayer(Device device, String name, int dim, String maskKind, int parity, int[] hidden,
            float bound, SplittableRandom init) {
        if (dim < 2) {
            throw new IllegalArgumentException(name + ": a coupling needs at least 2 dimensions (one to pass through, one to transform), got "
                    + dim);
        }
        this.device = device;
        this.dim = dim;
        this.bound = bound;
        this.maskValues = mask(maskKind, parity, dim);
        this.mask = Tensor.of(device, 1, dim, maskValues);
        int[] sizes = new int[hidden.length + 2];
        sizes[0] = dim;
        System.arraycopy(hidden, 0, sizes, 1, hidden.length);
        sizes[sizes.length - 1] = 2 * dim;
        this.net = Mlp.of(device, name + ".net", sizes, F.LinearAct.RELU, F.LinearAct.NONE, init);
        Linear last = (Linear) net.modules().get(net.modules().size() - 1);
        last.weight().value().fill(0f);
        last.bias().value().fill(0f);
    }

    /** The 0/1 mask (1 = passes through unchanged). */
    static float[] mask(String kind, int parity, int dim) {
        float[] m = new float[dim];
        int side = (int) Math.round(Math.sqrt(dim));
        for (int j = 0; j < dim; j++) {
            boolean pass;
            switch (kind) {
                case "half":
                    pass = j < (dim + 1) / 2;
                    break;
                case "alternate":
                    pass = j % 2 == 0;
                    break;
                case "checkerboard":
                    if (side * side != dim) {
                        throw new IllegalArgumentException("a checkerboard mask needs square images (D = n²), got D = " + dim
                                + "; use \"alternate\"");
                    }
                    pass = (j / side + j % side) % 2 == 0;
                    break;
                default:
                    throw new IllegalArgumentException("unknown coupling mask \"" + kind + "\": use half, alternate or checkerboard");
            }
            m[j] = pass ^ (parity % 2 == 1) ? 1f : 0f;
        }
        return m;
    }

    public float[] maskValues() {
        return maskValues.clone();
    }

    @Override
    public int dim() {
        return dim;
    }

    private Var netInput(Var x) {
        Tensor m = rowMasks.get(x.rows());
        if (m == null) {
            float[] v = new float[x.rows() * dim];
            for (int r = 0; r < x.rows(); r++) {
                System.arraycopy(maskValues, 0, v, r * dim, dim);
            }
            m = Tensor.of(device, x.rows(), dim, v);
            rowMasks.put(x.rows(), m);
        }
        return F.mul(x, Tape.current().constant(m));
    }

    @Override
    public Step forward(Var x) {
        return forward(x, null);
    }

    @Override
    public Step inverse(Var z) {
        return inverse(z, null);
    }

    /** The coupling kernel adds the log-dets so far into its own in the same launch. */
    @Override
    public Step forward(Var x, Var before) {
        return FlowOps.affine(x, net.forward(netInput(x)), mask, bound, 1, before);
    }

    @Override
    public Step inverse(Var z, Var before) {
        // The passed-through coordinates of z equal those of x, so the network sees the same input.
        return FlowOps.affine(z, net.forward(netInput(z)), mask, bound, -1, before);
    }

    @Override
    public List<Param> params() {
        return net.params();
    }

    @Override
    public void close() {
        net.close();
        mask.close();
        for (Tensor t : rowMasks.values()) {
            t.close();
        }
        rowMasks.clear();
    }
}
