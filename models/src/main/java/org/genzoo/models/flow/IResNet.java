package org.genzoo.models.flow;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.genzoo.host.Device;
import org.genzoo.host.autograd.F;
import org.genzoo.host.autograd.Param;
import org.genzoo.host.autograd.SpectralNorm;
import org.genzoo.host.autograd.Tape;
import org.genzoo.host.autograd.Var;
import org.genzoo.host.ops.Reduce;
import org.genzoo.host.ops.Rng;
import org.genzoo.host.tensor.Tensor;

/**
 * Invertible residual block z = x + g(x) (Behrmann et al. 2019). g is an MLP D -&gt; H_1 -&gt; ... -&gt; D
 * with ELU activations (1-Lipschitz) whose weight matrices are softly spectrally normalized,
 * W_sn = W / max(1, σ/c) with σ from power iteration ({@link SpectralNorm}), so Lip(g) ≤ c^L &lt; 1
 * and the block is invertible.
 *
 * <p><b>Log-determinant.</b> log det(I + J_g) = Σ_{k≥1} (−1)^{k+1}/k tr(J_g^k). In a recording tape
 * it is the series truncated after {@code seriesTerms} terms with one Hutchinson probe per example,
 * tr(J^k) ≈ εᵀJ^kε, ε ~ N(0, I) (unbiased for the truncated series). J^k ε is computed in forward
 * mode with plain tape ops, J ε = W_L D_{L−1} W_{L−1} ... D_1 W_1 ε with D_l = diag(ELU'(a_l)) and
 * ELU'(a) = ELU(a) + 1 − ReLU(a), so the estimate is differentiable in x and in every weight.
 * In an evaluation tape with D = 2 the exact log-det is used instead: the 2 x 2 Jacobian
 * (columns J e_1, J e_2 by the same forward mode) and log((1 + J11)(1 + J22) − J12 J21). For D ≠ 2
 * evaluation uses the series as well (a stochastic estimate; note that in reports).
 *
 * <p><b>Inverse.</b> x from z by the fixed-point iteration x_{k+1} = z − g(x_k), x_0 = z, until
 * max |x + g(x) − z| ≤ {@code fixedPointTol}; more than {@code fixedPointMaxIter} iterations is an
 * {@link IllegalStateException} with the residual. It carries no gradients (throws in a recording
 * tape) and reads the residual back every iteration: for sampling and evaluation.
 *
 * <p>The Hutchinson noise comes from the block's own {@link Rng} (stream 0), seeded at construction.
 */
public final class IResNet implements FlowLayer {
    private final Device device;
    private final int dim;
    private final int[] sizes;
    private final List<Param> weights = new ArrayList<>();
    private final List<Param> biases = new ArrayList<>();
    private final List<SpectralNorm> norms = new ArrayList<>();
    private final int seriesTerms;
    private final double fixedPointTol;
    private final int fixedPointMaxIter;
    private final Rng rng;
    private final String name;

    /** Settings of one block; {@link #defaults()} gives the spec's defaults. */
    public record Config(int[] hidden, float lipschitz, int powerIterations, int seriesTerms, double fixedPointTol,
            int fixedPointMaxIter) {
        public static Config defaults() {
            return new Config(new int[] {128, 128}, 0.9f, 1, 8, 1e-5, 100);
        }
    }

    public IResNet(Device device, String name, int dim, Config cfg, long seed) {
        if (dim <= 0) {
            throw new IllegalArgumentException(name + ": an i-ResNet block needs a positive dimension, got " + dim);
        }
        if (!(cfg.lipschitz() > 0 && cfg.lipschitz() < 1)) {
            throw new IllegalArgumentException(name + ": lipschitz must be in (0, 1) for the block to be invertible, got "
                    + cfg.lipschitz());
        }
        if (cfg.seriesTerms() < 1) {
            throw new IllegalArgumentException(name + ": seriesTerms must be >= 1, got " + cfg.seriesTerms());
        }
        if (!(cfg.fixedPointTol() > 0) || cfg.fixedPointMaxIter() < 1) {
            throw new IllegalArgumentException(name + ": fixedPointTol must be > 0 and fixedPointMaxIter >= 1, got "
                    + cfg.fixedPointTol() + " and " + cfg.fixedPointMaxIter());
        }
        this.device = device;
        this.name = name;
        this.dim = dim;
        this.sizes = new int[cfg.hidden().length + 2];
        sizes[0] = dim;
        for (int i = 0; i < cfg.hidden().length; i++) {
            if (cfg.hidden()[i] <= 0) {
                throw new IllegalArgumentException(name + ": hidden sizes must be positive, got " + cfg.hidden()[i]);
            }
            sizes[i + 1] = cfg.hidden()[i];
        }
        sizes[sizes.length - 1] = dim;
        this.seriesTerms = cfg.seriesTerms();
        this.fixedPointTol = cfg.fixedPointTol();
        this.fixedPointMaxIter = cfg.fixedPointMaxIter();
        this.rng = new Rng(seed);
        SplittableRandom init = new SplittableRandom(seed);
        try {
            for (int l = 0; l + 1 < sizes.length; l++) {
                int in = sizes[l];
                int out = sizes[l + 1];
                Param w = new Param(name + "." + l + ".weight", device, out, in);
                weights.add(w);
                biases.add(new Param(name + "." + l + ".bias", device, 1, out));
                double bound = Math.sqrt(6.0 / (in + out));
                float[] v = new float[in * out];
                for (int i = 0; i < v.length; i++) {
                    v[i] = (float) ((init.nextDouble() * 2 - 1) * bound);
                }
                w.value().write(v);
                norms.add(new SpectralNorm(w, cfg.lipschitz(), cfg.powerIterations(), init.nextLong()));
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    @Override
    public int dim() {
        return dim;
    }

    /** Weights and biases layer by layer (w0, b0, w1, b1, ...). */
    @Override
    public List<Param> params() {
        List<Param> ps = new ArrayList<>();
        for (int l = 0; l < weights.size(); l++) {
            ps.add(weights.get(l));
            ps.add(biases.get(l));
        }
        return ps;
    }

    /** The spectral normalizers, one per weight (their u vectors are the block's non-trainable state). */
    public List<SpectralNorm> spectralNorms() {
        return norms;
    }

    /**
     * The block's non-trainable state, named after the block ("flow.3.iresnet.sn.0.u"): each spectral
     * normalizer's u and v, and the Hutchinson generator's counters. After a restore the estimates are
     * used as they are (no warm-up iterations), so a resumed run continues bitwise.
     */
    public org.genzoo.models.train.ModelState state() {
        org.genzoo.models.train.ModelState s = new org.genzoo.models.train.ModelState();
        for (int l = 0; l < norms.size(); l++) {
            s.tensor(name + ".sn." + l + ".u", norms.get(l).u());
            s.tensor(name + ".sn." + l + ".v", norms.get(l).v());
        }
        s.rng(name + ".hutchinson", rng);
        s.onRestore(() -> norms.forEach(SpectralNorm::restored));
        return s;
    }

    /** The Hutchinson noise generator (stream 0). */
    public Rng rng() {
        return rng;
    }

    /** g's normalized weights and, for a given x, its pre-activations: what the Jacobian products need. */
    private record Net(List<Var> w, List<Var> pre, Var out) {
    }

    private List<Var> normalizedWeights() {
        List<Var> ws = new ArrayList<>(norms.size());
        for (SpectralNorm sn : norms) {
            ws.add(sn.normalized());
        }
        return ws;
    }

    private Net g(Tape t, List<Var> ws, Var x) {
        List<Var> pre = new ArrayList<>();
        Var h = x;
        for (int l = 0; l < ws.size(); l++) {
            Var a = F.linear(h, ws.get(l), t.param(biases.get(l)), F.LinearAct.NONE);
            if (l + 1 < ws.size()) {
                pre.add(a);
                h = F.elu(a, 1f);
            } else {
                h = a;
            }
        }
        return new Net(ws, pre, h);
    }

    /** ELU'(a) = ELU(a) + 1 − ReLU(a) per hidden layer (differentiable: its derivative is exp(a) for a ≤ 0, else 0). */
    private static List<Var> derivatives(Tape t, Net net) {
        List<Var> ds = new ArrayList<>(net.pre().size());
        for (Var a : net.pre()) {
            ds.add(F.sub(F.addRow(F.elu(a, 1f), Planar.constant(t, 1, a.cols(), 1f)), F.relu(a)));
        }
        return ds;
    }

    /** J_g v for each row (B x D), forward mode. */
    private static Var jvp(Net net, List<Var> ds, Var v) {
        Var h = v;
        for (int l = 0; l < net.w().size(); l++) {
            h = F.matmul(h, false, net.w().get(l), true);
            if (l < ds.size()) {
                h = F.mul(h, ds.get(l));
            }
        }
        return h;
    }

    /** z = x + g(x) and log det(I + J_g): exact at D = 2 in an evaluation tape, the Hutchinson series otherwise. */
    @Override
    public Step forward(Var x) {
        requireWidth(x);
        Tape t = Tape.current();
        if (dim == 2 && !t.recording()) {
            return forwardExact2d(x);
        }
        Tensor eps = t.alloc(x.rows(), dim);
        rng.normal(eps, 0);
        return forwardSeries(x, eps);
    }

    /** z and the truncated-series Hutchinson log-det with the given probe ε (B x D). */
    public Step forwardSeries(Var x, Tensor eps) {
        requireWidth(x);
        if (eps.rows() != x.rows() || eps.cols() != dim) {
            throw new IllegalArgumentException("i-ResNet: the probe must be " + x.rows() + " x " + dim + ", got " + eps.shape());
        }
        Tape t = Tape.current();
        Net net = g(t, normalizedWeights(), x);
        List<Var> ds = derivatives(t, net);
        Var e = t.constant(eps);
        Var w = e;
        Var logdet = null;
        for (int k = 1; k <= seriesTerms; k++) {
            w = jvp(net, ds, w);
            Var term = F.scale(F.reduceRows(Reduce.Op.SUM, F.mul(e, w)), (k % 2 == 1 ? 1f : -1f) / k);
            logdet = logdet == null ? term : F.add(logdet, term);
        }
        return new Step(F.add(x, net.out()), logdet);
    }

    /** z and the exact log det(I + J_g) of a 2-D block (differentiable as well). */
    public Step forwardExact2d(Var x) {
        requireWidth(x);
        if (dim != 2) {
            throw new IllegalStateException("i-ResNet: the exact log-det is implemented for D = 2 only, this block has D = " + dim);
        }
        Tape t = Tape.current();
        Net net = g(t, normalizedWeights(), x);
        List<Var> ds = derivatives(t, net);
        Var c1 = jvp(net, ds, unitColumns(t, x.rows(), 0));
        Var c2 = jvp(net, ds, unitColumns(t, x.rows(), 1));
        Var one = Planar.constant(t, 1, 1, 1f);
        Var det = F.sub(F.mul(F.addRow(F.cols(c1, 0, 1), one), F.addRow(F.cols(c2, 1, 2), one)),
                F.mul(F.cols(c2, 0, 1), F.cols(c1, 1, 2)));
        return new Step(F.add(x, net.out()), F.log(det));
    }

    private Var unitColumns(Tape t, int rows, int j) {
        float[] e = new float[rows * dim];
        for (int r = 0; r < rows; r++) {
            e[r * dim + j] = 1f;
        }
        Tensor c = t.alloc(rows, dim);
        c.write(e);
        return t.constant(c);
    }

    /**
     * x = z − g(x) by fixed-point iteration (no gradients), and log|det ∂x/∂z| = −(the forward's
     * log-det at that x).
     */
    @Override
    public Step inverse(Var z) {
        requireWidth(z);
        Tape t = Tape.current();
        if (t.recording()) {
            throw new IllegalStateException("i-ResNet: the inverse z -> x is a fixed-point iteration without gradients; only"
                    + " the data direction x -> z (forward) is differentiable, so train i-ResNet flows with the forward-kl"
                    + " objective, or sample under Tape.noGrad");
        }
        Tensor x = t.alloc(z.rows(), dim);
        x.copyFrom(z.value());
        float[] hz = z.value().toArray();
        double residual = Double.NaN;
        int it = 0;
        while (true) {
            try (Tape inner = Tape.noGrad(device)) {
                Var gx = g(inner, normalizedWeights(), inner.constant(x)).out();
                float[] hx = x.toArray();
                float[] hg = gx.value().toArray();
                residual = 0;
                for (int i = 0; i < hz.length; i++) {
                    double r = Math.abs((double) hx[i] + hg[i] - hz[i]);
                    residual = Double.isNaN(r) ? r : Math.max(residual, r);
                }
                if (residual <= fixedPointTol) {
                    break;
                }
                if (it == fixedPointMaxIter || Double.isNaN(residual)) {
                    throw new IllegalStateException(String.format(Locale.ROOT,
                            "i-ResNet inverse did not converge: max |x + g(x) - z| = %.3g after %d fixed-point iterations"
                                    + " (tolerance %.3g); raise fixedPointMaxIter, loosen fixedPointTol, or lower lipschitz"
                                    + " (the contraction rate)", residual, it, fixedPointTol));
                }
                float[] next = new float[hz.length];
                for (int i = 0; i < next.length; i++) {
                    next[i] = hz[i] - hg[i];
                }
                x.write(next);
                it++;
            }
        }
        lastInverseIterations = it;
        lastInverseResidual = residual;
        Step f = forward(t.constant(x));
        return new Step(t.constant(x), F.scale(f.logdet(), -1f));
    }

    private int lastInverseIterations;
    private double lastInverseResidual = Double.NaN;

    /** Fixed-point iterations the last {@link #inverse} took. */
    public int lastInverseIterations() {
        return lastInverseIterations;
    }

    /** max |x + g(x) − z| the last {@link #inverse} reached. */
    public double lastInverseResidual() {
        return lastInverseResidual;
    }

    private void requireWidth(Var v) {
        if (v.cols() != dim) {
            throw new IllegalArgumentException("i-ResNet block of width " + dim + " got an input with " + v.cols() + " columns");
        }
    }

    @Override
    public void close() {
        for (SpectralNorm sn : norms) {
            sn.close();
        }
        for (Param p : weights) {
            p.close();
        }
        for (Param p : biases) {
            p.close();
        }
    }
}
