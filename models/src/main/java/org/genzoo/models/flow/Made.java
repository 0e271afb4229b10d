package org.genzoo.models.flow;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.genzoo.host.Device;
import org.genzoo.host.DeviceBuffer;
import org.genzoo.host.autograd.F;
import org.genzoo.host.autograd.Param;
import org.genzoo.host.autograd.Tape;
import org.genzoo.host.autograd.Var;
import org.genzoo.host.tensor.Tensor;

/**
 * MADE: a masked autoencoder for distribution estimation (Germain, Gregor, Murray & Larochelle
 * 2015). An MLP D -> H_1 -> ... -> H_n -> 2D whose weight masks make output columns i and D + i
 * depend only on the inputs before i in the autoregressive order.
 *
 * <p>Degrees: input j has degree d(j) in 1..D (its position in the order: natural d(j) = j + 1,
 * reverse d(j) = D − j, or a seeded random permutation). Hidden unit k of layer l gets degree
 * m_l(k) = lo + (k mod (D − lo)), lo = the smallest degree of the layer below (cycling through
 * [lo, D − 1], so every degree that can carry information is used). A hidden weight (k <- j) is kept
 * when m_l(k) ≥ m_{l−1}(j); an output weight (i <- k) when d(i) > m_n(k) (strict, so output i never
 * sees input i). Hidden layers use ReLU; the output layer starts at zero.
 */
public final class Made implements AutoCloseable {
    private final int dim;
    private final int[] degrees;
    private final List<Layer> layers = new ArrayList<>();
    private final DeviceBuffer degreeBuffer;

    /** One masked linear layer: y = act(x·(W ⊙ M)ᵀ + b). */
    private record Layer(Param w, Param b, Tensor mask, F.LinearAct act) {
    }

    public Made(Device device, String name, int dim, int[] hidden, int[] degrees, SplittableRandom init) {
        if (dim < 2) {
            throw new IllegalArgumentException(name + ": MADE needs at least 2 dimensions, got " + dim);
        }
        if (degrees.length != dim) {
            throw new IllegalArgumentException(name + ": need one degree per input, got " + degrees.length + " for D = " + dim);
        }
        int[] sorted = degrees.clone();
        Arrays.sort(sorted);
        for (int i = 0; i < dim; i++) {
            if (sorted[i] != i + 1) {
                throw new IllegalArgumentException(name + ": input degrees must be a permutation of 1.." + dim + ", got "
                        + Arrays.toString(degrees));
            }
        }
        this.dim = dim;
        this.degrees = degrees.clone();
        int[] prev = degrees;
        int in = dim;
        for (int l = 0; l <= hidden.length; l++) {
            boolean last = l == hidden.length;
            int out = last ? 2 * dim : hidden[l];
            int[] deg = new int[out];
            float[] m = new float[out * in];
            if (last) {
                for (int i = 0; i < out; i++) {
                    deg[i] = degrees[i % dim];
                }
            } else {
                int lo = Arrays.stream(prev).min().getAsInt();
                int span = Math.max(1, dim - lo);
                for (int k = 0; k < out; k++) {
                    deg[k] = lo + k % span;
                }
            }
            for (int k = 0; k < out; k++) {
                for (int j = 0; j < in; j++) {
                    boolean keep = last ? deg[k] > prev[j] : deg[k] >= prev[j];
                    m[k * in + j] = keep ? 1f : 0f;
                }
            }
            String ln = name + "." + l;
            Param w = new Param(ln + ".weight", device, out, in);
            Param b = new Param(ln + ".bias", device, 1, out);
            if (!last) {
                double bound = Math.sqrt(6.0 / in);
                float[] v = new float[out * in];
                for (int i = 0; i < v.length; i++) {
                    v[i] = (float) ((init.nextDouble() * 2 - 1) * bound);
                }
                w.value().write(v);
            }
            layers.add(new Layer(w, b, Tensor.of(device, out, in, m), last ? F.LinearAct.NONE : F.LinearAct.RELU));
            prev = deg;
            in = out;
        }
        this.degreeBuffer = device.upload(this.degrees);
    }

    /** Input degrees for an order: "natural", "reverse" or "random" (seeded). */
    public static int[] order(String kind, int dim, SplittableRandom rng) {
        int[] d = new int[dim];
        for (int j = 0; j < dim; j++) {
            d[j] = "reverse".equals(kind) ? dim - j : j + 1;
        }
        if ("random".equals(kind)) {
            for (int j = dim - 1; j > 0; j--) {
                int k = rng.nextInt(j + 1);
                int tmp = d[j];
                d[j] = d[k];
                d[k] = tmp;
            }
        } else if (!"natural".equals(kind) && !"reverse".equals(kind)) {
            throw new IllegalArgumentException("unknown MADE order \"" + kind + "\": use natural, reverse or random");
        }
        return d;
    }

    public int dim() {
        return dim;
    }

    public int[] degrees() {
        return degrees.clone();
    }

    DeviceBuffer degreeBuffer() {
        return degreeBuffer;
    }

    /** The 0/1 mask of layer l (out x in), for tests. */
    public float[] mask(int l) {
        return layers.get(l).mask().toArray();
    }

    /** h = [raw | t] (B x 2D) on the active tape. */
    public Var forward(Var x) {
        return forward(x, null);
    }

    /**
     * The masked weights W ⊙ M of every layer as they are now, as constants on the active tape: the
     * D sequential passes of sampling reuse them instead of masking again each pass.
     */
    List<Var> frozenWeights() {
        Tape t = Tape.current();
        List<Var> out = new ArrayList<>();
        for (Layer l : layers) {
            out.add(t.constant(FlowOps.maskedWeights(t.constant(l.w().value()), l.mask()).value()));
        }
        return out;
    }

    /** h with the given masked weights (from {@link #frozenWeights}), or masking now when null. */
    Var forward(Var x, List<Var> frozen) {
        if (x.cols() != dim) {
            throw new IllegalArgumentException("MADE of width " + dim + " got " + x.cols() + " columns");
        }
        Tape t = Tape.current();
        Var h = x;
        for (int i = 0; i < layers.size(); i++) {
            Layer l = layers.get(i);
            h = frozen != null ? F.linear(h, frozen.get(i), t.constant(l.b().value()), l.act())
                    : F.maskedLinear(h, t.param(l.w()), l.mask(), t.param(l.b()), l.act());
        }
        return h;
    }

    public List<Param> params() {
        List<Param> ps = new ArrayList<>();
        for (Layer l : layers) {
            ps.add(l.w());
            ps.add(l.b());
        }
        return ps;
    }

    @Override
    public void close() {
        for (Layer l : layers) {
            l.w().close();
            l.b().close();
            l.mask().close();
        }
        degreeBuffer.close();
    }
}
