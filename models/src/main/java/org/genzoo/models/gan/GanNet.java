package org.genzoo.models.gan;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.genzoo.host.Device;
import org.genzoo.host.autograd.F;
import org.genzoo.host.autograd.Linear;
import org.genzoo.host.autograd.Param;
import org.genzoo.host.autograd.SpectralNorm;
import org.genzoo.host.autograd.Tape;
import org.genzoo.host.autograd.Var;
import org.genzoo.host.ops.Spectral;
import org.genzoo.host.tensor.Tensor;
import org.genzoo.models.train.ModelState;

/**
 * A multilayer perceptron for GAN generators, discriminators, critics and encoders:
 * sizes[0] -> ... -> sizes[n], a hidden activation (ReLU and tanh fused into the layer's GEMM;
 * leaky ReLU as a separate op), an output activation, and optionally every weight spectrally
 * normalized (W / σ, SN-GAN, with the i-ResNet's {@link SpectralNorm}; its u vectors are model
 * state). Every op here has a double backward, so a critic made of it can carry a gradient penalty.
 */
public final class GanNet implements AutoCloseable {
    /** Hidden and output activations. */
    public enum Act {
        LINEAR, RELU, LEAKY_RELU, TANH, SIGMOID;

        public static Act parse(String s) {
            return switch (s) {
                case "linear" -> LINEAR;
                case "relu" -> RELU;
                case "leaky-relu" -> LEAKY_RELU;
                case "tanh" -> TANH;
                case "sigmoid" -> SIGMOID;
                default -> throw new IllegalArgumentException("unknown activation '" + s + "': use linear, relu, leaky-relu, tanh or sigmoid");
            };
        }

        F.LinearAct fused() {
            return switch (this) {
                case RELU -> F.LinearAct.RELU;
                case TANH -> F.LinearAct.TANH;
                case SIGMOID -> F.LinearAct.SIGMOID;
                default -> F.LinearAct.NONE;
            };
        }
    }

    /**
     * How the layers start. HE: {@link Linear}'s rule (He-uniform weights before (leaky) ReLU, Glorot
     * otherwise) with zero biases. UNIFORM: PyTorch's nn.Linear default, weights and biases uniform in
     * ±1/√in. On 2-D data the biases matter: with zero biases every first-layer ReLU boundary passes
     * through the origin (the net starts positively homogeneous) and Adam moves the boundaries out to
     * modes at distance 2 to 4 only about lr per step.
     */
    public enum Init {
        HE, UNIFORM;

        public static Init parse(String s) {
            return switch (s) {
                case "he" -> HE;
                case "uniform" -> UNIFORM;
                default -> throw new IllegalArgumentException("unknown init '" + s + "': use uniform or he");
            };
        }
    }

    /** The initializations a spec may name. */
    public static final List<String> INITS = List.of("uniform", "he");

    /** The hidden activations a spec may name. */
    public static final List<String> HIDDEN = List.of("relu", "leaky-relu", "tanh");

    private final String name;
    private final List<Linear> layers = new ArrayList<>();
    private final List<SpectralNorm> sn;
    private final Act hidden;
    private final Act output;
    private final float slope;
    /** True once the u, v of every layer hold an estimate (after a training forward, a warm-up or a restore). */
    private boolean snUsed;

    /** A net that starts with {@link Init#HE}. */
    public GanNet(Device device, String name, int[] sizes, Act hidden, Act output, float slope, boolean spectralNorm,
            SplittableRandom init) {
        this(device, name, sizes, hidden, output, slope, spectralNorm, Init.HE, init);
    }

    /**
     * @param sizes        in, hidden..., out
     * @param spectralNorm W / σ on every layer, one power iteration per training forward
     * @param start        how the weights and biases start
     */
    public GanNet(Device device, String name, int[] sizes, Act hidden, Act output, float slope, boolean spectralNorm,
            Init start, SplittableRandom init) {
        if (sizes.length < 2) {
            throw new IllegalArgumentException(name + ": a net needs an input and an output size");
        }
        this.name = name;
        this.hidden = hidden;
        this.output = output;
        this.slope = slope;
        for (int i = 0; i + 1 < sizes.length; i++) {
            boolean last = i + 2 == sizes.length;
            Act a = last ? output : hidden;
            // He initialization before (leaky) ReLU, Glorot otherwise (Linear's rule).
            F.LinearAct initAct = a == Act.RELU || a == Act.LEAKY_RELU ? F.LinearAct.RELU : F.LinearAct.NONE;
            Linear l = new Linear(device, name + "." + i, sizes[i], sizes[i + 1], initAct, init);
            layers.add(l);
            if (start == Init.UNIFORM) {
                double bound = 1 / Math.sqrt(sizes[i]);
                l.weight().value().write(uniform(sizes[i] * sizes[i + 1], bound, init));
                l.bias().value().write(uniform(sizes[i + 1], bound, init));
            }
        }
        if (spectralNorm) {
            sn = new ArrayList<>();
            for (int i = 0; i < layers.size(); i++) {
                sn.add(SpectralNorm.full(layers.get(i).weight(), 1, init.nextLong()));
            }
        } else {
            sn = null;
        }
    }

    private static float[] uniform(int n, double bound, SplittableRandom r) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) ((r.nextDouble() * 2 - 1) * bound);
        }
        return v;
    }

    public String name() {
        return name;
    }

    public int in() {
        return layers.get(0).in();
    }

    public int out() {
        return layers.get(layers.size() - 1).out();
    }

    public boolean spectralNorm() {
        return sn != null;
    }

    public List<Linear> layers() {
        return layers;
    }

    public List<Param> params() {
        List<Param> ps = new ArrayList<>();
        for (Linear l : layers) {
            ps.add(l.weight());
            ps.add(l.bias());
        }
        return ps;
    }

    /** The weights only (what WGAN clips; biases too are clipped by {@link #params}' users if they wish). */
    public List<Param> weights() {
        List<Param> ps = new ArrayList<>();
        for (Linear l : layers) {
            ps.add(l.weight());
        }
        return ps;
    }

    /** The power-iteration vectors u, named "&lt;layer&gt;.u" (empty without spectral normalization). */
    public ModelState state() {
        ModelState s = new ModelState();
        if (sn != null) {
            for (int i = 0; i < sn.size(); i++) {
                s.tensor(i + ".u", sn.get(i).u());
                s.tensor(i + ".v", sn.get(i).v());
            }
            s.onRestore(() -> {
                sn.forEach(SpectralNorm::restored);
                snUsed = true;
            });
        }
        return s;
    }

    /** The forward pass with gradients into the parameters (and x, if it needs one). */
    public Var forward(Var x) {
        return forward(x, false);
    }

    /**
     * The forward pass. {@code frozen}: the weights enter as constants (no parameter gradient, no
     * power iteration: a discriminator seen from the generator's update, or a generator whose
     * samples feed the discriminator's update); gradients still flow to x.
     */
    public Var forward(Var x, boolean frozen) {
        Tape t = Tape.current();
        Var h = x;
        for (int i = 0; i < layers.size(); i++) {
            Linear l = layers.get(i);
            Var w;
            if (sn == null) {
                w = frozen ? t.constant(l.weight().value()) : t.param(l.weight());
            } else if (!frozen) {
                w = sn.get(i).normalized();
            } else {
                SpectralNorm s = sn.get(i);
                if (!snUsed) {
                    s.reestimate(SpectralNorm.WARMUP);
                }
                Tensor sigma = t.alloc(1, 1);
                Spectral.sigma(sigma, s.u(), l.weight().value(), s.v());
                Tensor wsn = t.alloc(l.out(), l.in());
                Spectral.softNormalize(wsn, l.weight().value(), sigma, 1f, true);
                w = t.constant(wsn);
            }
            Var b = frozen ? t.constant(l.bias().value()) : t.param(l.bias());
            Act a = i + 1 == layers.size() ? output : hidden;
            h = F.linear(h, w, b, a.fused());
            if (sn != null && i + 1 == layers.size()) {
                snUsed = true;
            }
            if (a == Act.LEAKY_RELU) {
                h = F.leakyRelu(h, slope);
            }
        }
        return h;
    }

    @Override
    public void close() {
        if (sn != null) {
            sn.forEach(SpectralNorm::close);
        }
        for (Linear l : layers) {
            l.close();
        }
    }
}
