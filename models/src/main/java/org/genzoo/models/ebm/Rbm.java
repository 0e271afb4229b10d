package org.genzoo.models.ebm;

import java.util.List;
import org.genzoo.host.Device;
import org.genzoo.host.autograd.Param;
import org.genzoo.host.ops.Elementwise;
import org.genzoo.host.ops.Gemm;
import org.genzoo.host.ops.Gibbs;
import org.genzoo.host.ops.Reduce;
import org.genzoo.host.ops.Rng;
import org.genzoo.host.tensor.Tensor;

/**
 * A restricted Boltzmann machine: D visible units (Bernoulli, or unit-variance Gaussian for
 * standardized real data), H Bernoulli hidden units, weights W (D x H), visible bias b (1 x D),
 * hidden bias c (1 x H). Energy E(v, h) = −(vWh + b·v + c·h) (Gaussian: |v − b|²/2 − vWh − c·h).
 * Every sampling step is one fused {@link Gibbs#halfStep}; the gradient statistics of CD/PCD are
 * two products and two column sums written straight into the parameters' gradients.
 */
public final class Rbm implements AutoCloseable {
    private final Device device;
    private final Gibbs gibbs;
    private final boolean ownsGibbs;
    private final int d;
    private final int h;
    private final Gibbs.Units visible;
    private final Param w;
    private final Param b;
    private final Param c;
    // the doubled-input pretraining of a DBM's layers (Salakhutdinov & Hinton 2009): temperature
    // factors of the hidden and the visible half-step (1 for an ordinary RBM)
    private float upScale = 1f;
    private float downScale = 1f;

    /** A model with zero parameters; {@link #init} draws the weights. */
    public Rbm(Device device, Gibbs gibbs, String name, int d, int h, Gibbs.Units visible) {
        if (d < 1 || h < 1) {
            throw new IllegalArgumentException("an RBM needs at least one visible and one hidden unit, got " + d + " x " + h);
        }
        this.device = device;
        this.ownsGibbs = gibbs == null;
        this.gibbs = gibbs == null ? new Gibbs(device) : gibbs;
        this.d = d;
        this.h = h;
        this.visible = visible;
        this.w = new Param(name + ".W", device, d, h);
        this.b = new Param(name + ".b", device, 1, d);
        this.c = new Param(name + ".c", device, 1, h);
    }

    /**
     * Scales the half-steps' inputs for the DBM's greedy pretraining: the hidden step becomes
     * σ(up·(vW + c)), the visible step σ(down·(hWᵀ + b)) (up = 2 for the bottom RBM, whose hidden
     * units will also get input from above; down = 2 for the top RBM). Only the sampling steps are
     * scaled, not {@link #hiddenMean}/{@link #visibleMean} or the free energy (so such an RBM trains by CD:
     * PCD and PT take p(h | v0) from {@link #hiddenMean}).
     */
    void scales(float up, float down) {
        this.upScale = up;
        this.downScale = down;
    }

    /** W ~ N(0, sd²) (Hinton 2010 recommends sd = 0.01), biases zero. */
    public void init(Rng rng, int stream, float sd) {
        rng.normal(w.value(), stream);
        Elementwise.scale(w.value(), w.value(), sd);
        b.value().fill(0f);
        c.value().fill(0f);
    }

    public Device device() {
        return device;
    }

    public Gibbs gibbs() {
        return gibbs;
    }

    public Gemm gemm() {
        return gibbs.gemm();
    }

    public int visibleUnits() {
        return d;
    }

    public int hiddenUnits() {
        return h;
    }

    public Gibbs.Units visibleKind() {
        return visible;
    }

    public boolean gaussian() {
        return visible == Gibbs.Units.GAUSSIAN;
    }

    public Param weights() {
        return w;
    }

    public Param visibleBias() {
        return b;
    }

    public Param hiddenBias() {
        return c;
    }

    public List<Param> params() {
        return List.of(w, b, c);
    }

    // ---- sampling --------------------------------------------------------------------------------

    /** p = sigmoid(t·(vW + c)), s ~ Bernoulli(p); t = temp·rowTemps[r].  p, s: R x H; v: R x D. */
    public void hiddenStep(Tensor p, Tensor s, Tensor v, float temp, Tensor rowTemps, Rng rng, int stream) {
        gibbs.halfStep(p, s, v, w.value(), false, c.value(), temp * upScale, rowTemps, null, Gibbs.Units.BERNOULLI, rng, stream, rng.next(stream));
    }

    /**
     * Visible units from hidden states: p = sigmoid(t·(hWᵀ + b) + (1 − t)·base) and s ~ Bernoulli(p),
     * or, for Gaussian units, p = the mean and s = p + N(0, 1).  p, s: R x D; hs: R x H.
     */
    public void visibleStep(Tensor p, Tensor s, Tensor hs, float temp, Tensor rowTemps, Tensor base, Rng rng, int stream) {
        gibbs.halfStep(p, s, hs, w.value(), true, b.value(), temp * downScale, rowTemps, base, visible, rng, stream, rng.next(stream));
    }

    /** Hidden probabilities only (mean field): p = sigmoid(vW + c).  p: R x H. */
    public void hiddenMean(Tensor p, Tensor v) {
        gibbs.gemm().gemm(p, v, false, w.value(), false, 1f, 0f, c.value(), Gemm.Act.SIGMOID);
    }

    /** Visible means: sigmoid(hWᵀ + b), or hWᵀ + b for Gaussian units.  p: R x D. */
    public void visibleMean(Tensor p, Tensor hs) {
        gibbs.gemm().gemm(p, hs, false, w.value(), true, 1f, 0f, b.value(), gaussian() ? Gemm.Act.NONE : Gemm.Act.SIGMOID);
    }

    // ---- learning ---------------------------------------------------------------------------------

    /**
     * Adds the gradient of the negative log-likelihood estimated from a positive phase (data posV with
     * hidden probabilities posH) and a negative phase (chain states negV with hidden probabilities
     * negH): grad W += negVᵀnegH/Rn − posVᵀposH/Rp, grad b and grad c likewise with column means.
     */
    public void accumulateGradients(Tensor posV, Tensor posH, Tensor negV, Tensor negH) {
        float sp = -1f / posV.rows();
        float sn = 1f / negV.rows();
        Gemm g = gibbs.gemm();
        g.gemm(w.grad(), posV, true, posH, false, sp, 1f, null, Gemm.Act.NONE);
        g.gemm(w.grad(), negV, true, negH, false, sn, 1f, null, Gemm.Act.NONE);
        gibbs.biasStats(b.grad(), posV, sp, negV, sn);
        gibbs.biasStats(c.grad(), posH, sp, negH, sn);
    }

    // ---- evaluation ---------------------------------------------------------------------------------

    /** f[r] = F(v_r), the free energy (h summed out); x is R x H scratch.  f: R x 1; v: R x D. */
    public void freeEnergy(Tensor f, Tensor v, Tensor x) {
        gibbs.gemm().gemm(x, v, false, w.value(), false, 1f, 0f, c.value(), Gemm.Act.NONE);
        gibbs.freeEnergy(f, x, v, b.value(), visible);
    }

    /** Free energies of every row of data, in chunks, read back. */
    public double[] freeEnergies(Tensor data) {
        int n = data.rows();
        double[] out = new double[n];
        int chunk = 1000;
        try (Tensor x = Tensor.empty(device, Math.min(chunk, n), h); Tensor f = Tensor.empty(device, Math.min(chunk, n), 1)) {
            for (int r0 = 0; r0 < n; r0 += chunk) {
                int m = Math.min(chunk, n - r0);
                Tensor fv = f.rows(0, m);
                freeEnergy(fv, data.rows(r0, r0 + m), x.rows(0, m));
                float[] a = fv.toArray();
                for (int i = 0; i < m; i++) {
                    out[r0 + i] = a[i];
                }
            }
        }
        return out;
    }

    /**
     * Mean over rows of |v − E[v | h]|² with h ~ p(h | v) sampled once: the usual reconstruction
     * error (squared, summed over units).
     */
    public double reconstructionError(Tensor data, Rng rng, int stream) {
        int n = data.rows();
        int chunk = 1000;
        double sum = 0;
        try (Tensor ph = Tensor.empty(device, Math.min(chunk, n), h); Tensor sh = Tensor.empty(device, Math.min(chunk, n), h);
                Tensor pv = Tensor.empty(device, Math.min(chunk, n), d); Tensor out = Tensor.empty(device, 1, 1)) {
            for (int r0 = 0; r0 < n; r0 += chunk) {
                int m = Math.min(chunk, n - r0);
                Tensor v = data.rows(r0, r0 + m);
                hiddenStep(ph.rows(0, m), sh.rows(0, m), v, 1f, null, rng, stream);
                visibleMean(pv.rows(0, m), sh.rows(0, m));
                sum += squaredError(out, v, pv.rows(0, m));
            }
        }
        return sum / n;
    }

    /** Σ (a − b)² over all elements, on the device, read back (pv is overwritten). */
    static double squaredError(Tensor out, Tensor a, Tensor bInOut) {
        Elementwise.sub(bInOut, a, bInOut);
        Elementwise.square(bInOut, bInOut);
        Reduce.sumAll(out, bInOut);
        return out.get(0, 0);
    }

    /**
     * Stochastic pseudo-log-likelihood (Besag 1975) of binary data, as scikit-learn's
     * {@code score_samples}: for each row one unit i drawn uniformly, D·log sigmoid(F(ṽ) − F(v)) with
     * ṽ = v with unit i flipped; an unbiased estimate of Σ_i log p(v_i | v_−i). Mean over rows.
     */
    public double pseudoLogLikelihood(Tensor data, Rng rng, int stream) {
        if (gaussian()) {
            throw new IllegalStateException("pseudo-likelihood is defined here for binary visible units only");
        }
        double[] f = freeEnergies(data);
        double sum = 0;
        int n = data.rows();
        int chunk = 1000;
        try (Tensor vf = Tensor.empty(device, Math.min(chunk, n), d); Tensor idx = Tensor.empty(device, Math.min(chunk, n), 1)) {
            for (int r0 = 0; r0 < n; r0 += chunk) {
                int m = Math.min(chunk, n - r0);
                gibbs.flipOne(vf.rows(0, m), idx.rows(0, m), data.rows(r0, r0 + m), rng, stream, rng.next(stream));
                double[] ff = freeEnergies(vf.rows(0, m));
                for (int i = 0; i < m; i++) {
                    double z = ff[i] - f[r0 + i];
                    sum += d * -(Math.max(-z, 0) + Math.log1p(Math.exp(-Math.abs(z)))); // d * log sigmoid(z)
                }
            }
        }
        return sum / n;
    }

    @Override
    public void close() {
        w.close();
        b.close();
        c.close();
        if (ownsGibbs) {
            gibbs.close();
        }
    }
}
