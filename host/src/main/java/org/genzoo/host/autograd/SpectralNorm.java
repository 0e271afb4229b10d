package org.genzoo.host.autograd;

import java.util.SplittableRandom;
import org.genzoo.host.ops.Spectral;
import org.genzoo.host.tensor.Tensor;

/**
 * Soft spectral normalization of one weight matrix (Behrmann et al. 2019): W_sn = W / max(1, σ / c)
 * with σ = uᵀWv the power-iteration estimate of W's largest singular value and c &lt; 1 the
 * Lipschitz coefficient, so the layer's spectral norm is (up to the estimate's error) at most c.
 *
 * <p>Owns the power-iteration vectors: u (OUT values, persisted across steps: each call of
 * {@link #normalized} in a recording tape runs {@code iterations} more power iterations from the
 * last u) and v (IN values, derived from u). A fresh instance starts from a seeded random u; its
 * first use runs {@link #WARMUP} iterations on the weights as they are then (after a checkpoint
 * restored them, for instance), so σ is accurate from the first step. Evaluation tapes
 * ({@link Tape#noGrad}) reuse u and v without iterating: the same W gives the same W_sn.
 *
 * <p>The backward treats u and v as constants (dσ/dW = u vᵀ), as in the papers.
 *
 * <p>{@link #full} makes the SN-GAN variant (Miyato et al. 2018) from the same kernels:
 * W_sn = W / σ, every discriminator weight scaled to spectral norm 1, one power iteration per
 * training step, u persisted as model state.
 */
public final class SpectralNorm implements AutoCloseable {
    /** Power iterations a fresh estimate runs before its first use. */
    public static final int WARMUP = 50;

    private final Param w;
    private final float c;
    private final int iterations;
    private final boolean full;
    private final Tensor u;
    private final Tensor v;
    private final Tensor sigma;
    private boolean warm;

    /**
     * @param w          the weight, OUT x IN
     * @param c          Lipschitz coefficient, 0 &lt; c (c &lt; 1 for an invertible residual block)
     * @param iterations power iterations per training step (&gt;= 1)
     * @param seed       seeds the initial u
     */
    public SpectralNorm(Param w, float c, int iterations, long seed) {
        this(w, c, iterations, seed, false);
    }

    /** W_sn = W / σ (SN-GAN), {@code iterations} power iterations per training step. */
    public static SpectralNorm full(Param w, int iterations, long seed) {
        return new SpectralNorm(w, 1f, iterations, seed, true);
    }

    private SpectralNorm(Param w, float c, int iterations, long seed, boolean full) {
        this.full = full;
        if (!(c > 0) || !Float.isFinite(c)) {
            throw new IllegalArgumentException(w.name() + ": the Lipschitz coefficient must be positive, got " + c);
        }
        if (iterations < 1) {
            throw new IllegalArgumentException(w.name() + ": power iterations per step must be >= 1, got " + iterations);
        }
        this.w = w;
        this.c = c;
        this.iterations = iterations;
        int m = w.value().rows();
        int n = w.value().cols();
        SplittableRandom r = new SplittableRandom(seed);
        float[] u0 = new float[m];
        for (int i = 0; i < m; i++) {
            u0[i] = (float) (r.nextDouble() * 2 - 1);
        }
        this.u = Tensor.of(w.value().device(), 1, m, u0);
        this.v = Tensor.zeros(w.value().device(), 1, n);
        this.sigma = Tensor.zeros(w.value().device(), 1, 1);
        Spectral.normalize(u);
    }

    public Param weight() {
        return w;
    }

    public float coefficient() {
        return c;
    }

    /** True for W / σ (SN-GAN), false for the soft W / max(1, σ / c) (i-ResNet). */
    public boolean isFull() {
        return full;
    }

    /** The persisted left singular vector estimate (1 x OUT): save it with the model's state. */
    public Tensor u() {
        return u;
    }

    /** The right singular vector estimate (1 x IN) of the last iteration. */
    public Tensor v() {
        return v;
    }

    /** σ of the last {@link #normalized} or {@link #reestimate} call (1 x 1, on the device; 0 before the first). */
    public Tensor sigma() {
        return sigma;
    }

    /**
     * Declares u and v restored from a checkpoint of an estimate that was in use: the next
     * {@link #normalized} skips the {@link #WARMUP} iterations, so a resumed run continues bitwise.
     */
    public void restored() {
        warm = true;
    }

    /** Runs {@code n} power iterations now and updates σ (no tape needed): after u was restored or W was changed by hand. */
    public void reestimate(int n) {
        warm = true;
        Spectral.powerIteration(u, v, w.value(), n);
        Spectral.sigma(sigma, u, w.value(), v);
    }

    /**
     * W_sn on the current tape. In a recording tape this first runs the per-step power iterations
     * (updating u, v and σ); in an evaluation tape it reuses them.
     */
    public Var normalized() {
        Tape t = Tape.current();
        if (!warm) {
            reestimate(WARMUP);
        }
        if (t.recording()) {
            if (iterations == 1 && Spectral.fusesPowerStep(w.value())) {
                // The iteration, σ and the snapshots the backward reads in one launch (bitwise the same).
                Tensor us = t.alloc(u.rows(), u.cols());
                Tensor vs = t.alloc(v.rows(), v.cols());
                Tensor s = t.alloc(1, 1);
                Spectral.powerStep(u, v, w.value(), sigma, us, vs, s);
                return normalizeWith(t.param(w), us, vs, s, c, full);
            }
            Spectral.powerIteration(u, v, w.value(), iterations);
            Spectral.sigma(sigma, u, w.value(), v);
        }
        return softNormalize(t.param(w), u, v, c, full);
    }

    /**
     * σ = uᵀWv as a 1 x 1 Var; the gradient in W is u vᵀ (u, v held fixed). u: OUT values, v: IN
     * values, read when the backward runs too: do not change them before it has.
     */
    public static Var sigma(Var w, Tensor u, Tensor v) {
        Tape t = Tape.current();
        Tensor s = t.alloc(1, 1);
        Spectral.sigma(s, u, w.value(), v);
        Var out = t.result(s, w.requiresGrad());
        t.node("spectral sigma", out, null, w);
        t.onBackward(() -> {
            if (out.hasGrad() && w.requiresGrad()) {
                Spectral.sigmaBackward(w.grad(), out.grad(), u, v, w.prepareGrad(t));
            }
        });
        return out;
    }

    /**
     * W / max(1, σ / c) with σ = uᵀWv computed now from the given u, v (copied: later power
     * iterations do not disturb the backward). W: OUT x IN, contiguous.
     */
    public static Var softNormalize(Var w, Tensor u, Tensor v, float c) {
        return softNormalize(w, u, v, c, false);
    }

    /** As {@link #softNormalize(Var, Tensor, Tensor, float)}, or W·c / σ when {@code full}. */
    public static Var softNormalize(Var w, Tensor u, Tensor v, float c, boolean full) {
        Tape t = Tape.current();
        Tensor us = t.alloc(u.rows(), u.cols());
        Tensor vs = t.alloc(v.rows(), v.cols());
        us.copyFrom(u);
        vs.copyFrom(v);
        Tensor s = t.alloc(1, 1);
        Spectral.sigma(s, us, w.value(), vs);
        return normalizeWith(w, us, vs, s, c, full);
    }

    /** W_sn from σ = s computed from the snapshots us, vs (tape tensors the backward reads). */
    private static Var normalizeWith(Var w, Tensor us, Tensor vs, Tensor s, float c, boolean full) {
        Tape t = Tape.current();
        Tensor wsn = t.alloc(w.rows(), w.cols());
        Spectral.softNormalize(wsn, w.value(), s, c, full);
        Var out = t.result(wsn, w.requiresGrad());
        t.node("spectral normalize", out, null, w);
        t.onBackward(() -> {
            if (out.hasGrad() && w.requiresGrad()) {
                float beta = w.prepareGrad(t);
                Spectral.softNormalizeBackward(w.grad(), out.grad(), w.value(), s, us, vs, c, full, beta, t.alloc(1, 1));
            }
        });
        return out;
    }

    @Override
    public void close() {
        u.close();
        v.close();
        sigma.close();
    }
}
