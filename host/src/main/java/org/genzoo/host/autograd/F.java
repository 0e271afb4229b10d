package org.genzoo.host.autograd;

import org.genzoo.host.ops.Elementwise;
import org.genzoo.host.ops.Elementwise.Unary;
import org.genzoo.host.ops.Gemm;
import org.genzoo.host.ops.Losses;
import org.genzoo.host.ops.MaskedWeights;
import org.genzoo.host.ops.Rng;
import org.genzoo.host.ops.Reduce;
import org.genzoo.host.tensor.Tensor;

/**
 * Differentiable ops on {@link Var}s, recorded on the active {@link Tape}. Each op computes its
 * output with the device kernels and records the backward step that computes input gradients
 * (assigning the first contribution, accumulating the rest; parameters always accumulate).
 */
public final class F {
    private F() {
    }

    private static Tape tape() {
        return Tape.current();
    }

    private static Gemm gemm(Tape t) {
        return t.device().shared(Gemm.class, Gemm::new);
    }

    /** C = op(A)·op(B). */
    public static Var matmul(Var a, boolean transA, Var b, boolean transB) {
        Tape t = tape();
        int m = transA ? a.cols() : a.rows();
        int n = transB ? b.rows() : b.cols();
        Tensor c = t.alloc(m, n);
        gemm(t).mm(c, a.value(), transA, b.value(), transB);
        Var out = t.result(c, a.requiresGrad() || b.requiresGrad());
        t.node("matmul", out, (dc, need) -> new Var[] {
            !need[0] ? null : !transA ? matmul(dc, false, b, !transB) : matmul(b, transB, dc, true),
            !need[1] ? null : !transB ? matmul(a, !transA, dc, false) : matmul(dc, true, a, transA)}, a, b);
        t.onBackward(() -> {
            if (!out.hasGrad()) {
                return;
            }
            Tensor dc = out.grad();
            if (a.requiresGrad()) {
                float beta = a.prepareGrad(t);
                if (!transA) {
                    gemm(t).gemm(a.grad(), dc, false, b.value(), !transB, 1f, beta, null, Gemm.Act.NONE);
                } else {
                    gemm(t).gemm(a.grad(), b.value(), transB, dc, true, 1f, beta, null, Gemm.Act.NONE);
                }
            }
            if (b.requiresGrad()) {
                float beta = b.prepareGrad(t);
                if (!transB) {
                    gemm(t).gemm(b.grad(), a.value(), !transA, dc, false, 1f, beta, null, Gemm.Act.NONE);
                } else {
                    gemm(t).gemm(b.grad(), dc, true, a.value(), transA, 1f, beta, null, Gemm.Act.NONE);
                }
            }
        });
        return out;
    }

    /** Activations the GEMM epilogue can fuse into {@link #linear} (their backward reads y). */
    public enum LinearAct {
        NONE(Gemm.Act.NONE, null), RELU(Gemm.Act.RELU, Unary.RELU), TANH(Gemm.Act.TANH, Unary.TANH),
        SIGMOID(Gemm.Act.SIGMOID, Unary.SIGMOID);

        final Gemm.Act gemmAct;
        final Unary unary;

        LinearAct(Gemm.Act gemmAct, Unary unary) {
            this.gemmAct = gemmAct;
            this.unary = unary;
        }
    }

    /**
     * y = act(x·Wᵀ + b) in one GEMM with a fused epilogue. x: B x IN, W: OUT x IN, b: 1 x OUT (or
     * null), y: B x OUT. Backward: dz = dy ⊙ act'(from y); dW += dzᵀx; db += Σ_rows dz; dx = dz·W.
     */
    public static Var linear(Var x, Var w, Var b, LinearAct act) {
        return linear(x, w, b, act, null);
    }

    /**
     * MADE's masked layer y = act(x·(W ⊙ M)ᵀ + b) (M: 0/1, W's shape): W ⊙ M is formed once
     * (kernels/made.cl) and feeds the forward GEMM and dx; the weight gradient dW += (dzᵀx) ⊙ M
     * and db come from one GEMM with the mask in its epilogue, so masked weights keep a zero
     * gradient. No double backward.
     */
    public static Var maskedLinear(Var x, Var w, Tensor mask, Var b, LinearAct act) {
        if (mask.rows() != w.rows() || mask.cols() != w.cols()) {
            throw new IllegalArgumentException("maskedLinear: the mask must have W's shape " + w.value().shape() + ", got " + mask.shape());
        }
        return linear(x, w, b, act, mask);
    }

    private static Var linear(Var x, Var w, Var b, LinearAct act, Tensor mask) {
        Tape t = tape();
        if (x.cols() != w.cols()) {
            throw new IllegalArgumentException("linear: x has " + x.cols() + " features, W expects " + w.cols());
        }
        Tensor wv = w.value();
        if (mask != null) {
            wv = t.alloc(w.rows(), w.cols());
            t.device().shared(MaskedWeights.class, MaskedWeights::new).forward(wv, w.value(), mask);
        }
        Tensor we = wv;
        Tensor y = t.alloc(x.rows(), w.rows());
        gemm(t).gemm(y, x.value(), false, we, true, 1f, 0f, b == null ? null : b.value(), act.gemmAct);
        boolean req = x.requiresGrad() || w.requiresGrad() || (b != null && b.requiresGrad());
        Var out = t.result(y, req);
        out.reluOutput = act == LinearAct.RELU;
        t.node(mask != null ? "maskedLinear" : "linear", out, mask != null ? null : (dy, need) -> {
            // dz = dy ⊙ act'(from y); dx = dz·W; dW = dzᵀx; db = Σ_rows dz.
            Var dz = act.unary == null ? dy : unaryGrad(act.unary, out, dy, 0f);
            return new Var[] {need[0] ? matmul(dz, false, w, false) : null, need[1] ? matmul(dz, true, x, false) : null,
                need.length > 2 && need[2] ? reduceCols(Reduce.Op.SUM, dz) : null};
        }, b == null ? new Var[] {x, w} : new Var[] {x, w, b});
        t.onBackward(() -> {
            if (!out.hasGrad()) {
                return;
            }
            Tensor dz = out.grad();
            // A ReLU whose backward the consumer's dx GEMM already applied (see gemmReluMasked below) is skipped.
            if (act.unary != null && !(act == LinearAct.RELU && out.gradReluMasked)) {
                Tensor tmp = t.alloc(y.rows(), y.cols());
                // RELU's derivative from y equals its derivative from x (y > 0 iff x > 0).
                Elementwise.unaryBackward(act.unary, tmp, dz, y, 0f, 0f);
                dz = tmp;
            }
            // prepareGrad before grad(): it allocates the gradient of a non-parameter W or b.
            if (w.requiresGrad() && b != null && b.requiresGrad()) {
                // dW = dzᵀx (⊙ M) and db = Σ_rows dz (the row sums of dzᵀ) in one launch.
                float betaW = w.prepareGrad(t);
                float betaB = b.prepareGrad(t);
                gemm(t).gemmMasked(w.grad(), dz, true, x.value(), false, 1f, betaW, mask, b.grad(), betaB);
            } else if (w.requiresGrad()) {
                float beta = w.prepareGrad(t);
                gemm(t).gemmMasked(w.grad(), dz, true, x.value(), false, 1f, beta, mask, null, 0f);
            } else if (b != null && b.requiresGrad()) {
                float beta = b.prepareGrad(t);
                Reduce.cols(Reduce.Op.SUM, b.grad(), dz, beta);
            }
            if (x.requiresGrad()) {
                float beta = x.prepareGrad(t);
                Gemm g = gemm(t);
                if (beta == 0f && x.reluOutput && g.fusesReluMask(x.cols(), false, false)) {
                    // x = relu(z) of the layer below, first contribution: dz·W leaves through the ReLU's backward.
                    g.gemmReluMasked(x.grad(), dz, false, we, false, 1f, 0f, x.value());
                    x.gradReluMasked = true;
                } else {
                    g.gemm(x.grad(), dz, false, we, false, 1f, beta, null, Gemm.Act.NONE);
                }
            }
        });
        return out;
    }

    /** y = f(x; p) for an elementwise activation (p: leaky slope or ELU alpha). */
    public static Var unary(Unary f, Var x, float p) {
        Tape t = tape();
        Tensor y = t.alloc(x.rows(), x.cols());
        Elementwise.unary(f, y, x.value(), p);
        Var out = t.result(y, x.requiresGrad());
        t.node(f.name().toLowerCase(), out, HAS_SECOND_DERIVATIVE.contains(f)
                ? (dy, need) -> new Var[] {unaryGrad(f, f.backwardReadsOutput() ? out : x, dy, p)}
                : null, x);
        t.onBackward(() -> {
            if (out.hasGrad() && x.requiresGrad()) {
                float beta = x.prepareGrad(t);
                Elementwise.unaryBackward(f, x.grad(), out.grad(), f.backwardReadsOutput() ? y : x.value(), p, beta);
            }
        });
        return out;
    }

    public static Var relu(Var x) {
        return unary(Unary.RELU, x, 0f);
    }

    public static Var leakyRelu(Var x, float slope) {
        return unary(Unary.LEAKY_RELU, x, slope);
    }

    public static Var elu(Var x, float alpha) {
        return unary(Unary.ELU, x, alpha);
    }

    public static Var tanh(Var x) {
        return unary(Unary.TANH, x, 0f);
    }

    public static Var sigmoid(Var x) {
        return unary(Unary.SIGMOID, x, 0f);
    }

    public static Var softplus(Var x) {
        return unary(Unary.SOFTPLUS, x, 0f);
    }

    public static Var exp(Var x) {
        return unary(Unary.EXP, x, 0f);
    }

    public static Var log(Var x) {
        return unary(Unary.LOG, x, 0f);
    }

    public static Var square(Var x) {
        return unary(Unary.SQUARE, x, 0f);
    }

    public static Var logSigmoid(Var x) {
        return unary(Unary.LOG_SIGMOID, x, 0f);
    }

    /** a + b (same shape). */
    public static Var add(Var a, Var b) {
        Tape t = tape();
        Tensor y = t.alloc(a.rows(), a.cols());
        Elementwise.add(y, a.value(), b.value());
        Var out = t.result(y, a.requiresGrad() || b.requiresGrad());
        t.node("add", out, (d, need) -> new Var[] {d, d}, a, b);
        t.onBackward(() -> {
            if (!out.hasGrad()) {
                return;
            }
            passThrough(t, a, out.grad(), 1f);
            passThrough(t, b, out.grad(), 1f);
        });
        return out;
    }

    /** a - b (same shape). */
    public static Var sub(Var a, Var b) {
        Tape t = tape();
        Tensor y = t.alloc(a.rows(), a.cols());
        Elementwise.sub(y, a.value(), b.value());
        Var out = t.result(y, a.requiresGrad() || b.requiresGrad());
        t.node("sub", out, (d, need) -> new Var[] {d, need[1] ? scale(d, -1f) : null}, a, b);
        t.onBackward(() -> {
            if (!out.hasGrad()) {
                return;
            }
            passThrough(t, a, out.grad(), 1f);
            passThrough(t, b, out.grad(), -1f);
        });
        return out;
    }

    /** a ⊙ b (same shape). */
    public static Var mul(Var a, Var b) {
        Tape t = tape();
        Tensor y = t.alloc(a.rows(), a.cols());
        Elementwise.mul(y, a.value(), b.value());
        Var out = t.result(y, a.requiresGrad() || b.requiresGrad());
        t.node("mul", out, (d, need) -> new Var[] {need[0] ? mul(d, b) : null, need[1] ? mul(d, a) : null}, a, b);
        t.onBackward(() -> {
            if (!out.hasGrad()) {
                return;
            }
            if (a.requiresGrad()) {
                float beta = a.prepareGrad(t);
                Elementwise.mul(a.grad(), out.grad(), b.value(), beta);
            }
            if (b.requiresGrad()) {
                float beta = b.prepareGrad(t);
                Elementwise.mul(b.grad(), out.grad(), a.value(), beta);
            }
        });
        return out;
    }

    /** s·x (x itself when s is 1). */
    public static Var scale(Var x, float s) {
        if (s == 1f) {
            return x; // 1·x is x: no launch forward or backward
        }
        Tape t = tape();
        Tensor y = t.alloc(x.rows(), x.cols());
        Elementwise.scale(y, x.value(), s);
        Var out = t.result(y, x.requiresGrad());
        t.node("scale", out, (d, need) -> new Var[] {scale(d, s)}, x);
        t.onBackward(() -> {
            if (out.hasGrad()) {
                passThrough(t, x, out.grad(), s);
            }
        });
        return out;
    }

    /** y[r, c] = x[r, c] + b[c]. */
    public static Var addRow(Var x, Var b) {
        Tape t = tape();
        Tensor y = t.alloc(x.rows(), x.cols());
        Elementwise.addRow(y, x.value(), b.value());
        Var out = t.result(y, x.requiresGrad() || b.requiresGrad());
        t.node("addRow", out, (d, need) -> new Var[] {d, need[1] ? reduceCols(Reduce.Op.SUM, d) : null}, x, b);
        t.onBackward(() -> {
            if (!out.hasGrad()) {
                return;
            }
            passThrough(t, x, out.grad(), 1f);
            if (b.requiresGrad()) {
                float beta = b.prepareGrad(t);
                Reduce.cols(Reduce.Op.SUM, b.grad(), out.grad(), beta);
            }
        });
        return out;
    }

    /** Sum over columns of each row: R x C -> R x 1 (op: SUM, MEAN, LOGSUMEXP). */
    public static Var reduceRows(Reduce.Op op, Var x) {
        Tape t = tape();
        Tensor y = t.alloc(x.rows(), 1);
        Reduce.rows(op, y, x.value());
        Var out = t.result(y, x.requiresGrad());
        // SUM, MEAN: dx = dy·1ᵀ (R x 1 times 1 x C), scaled by 1/C for MEAN.
        t.node("reduceRows " + op, out, op == Reduce.Op.LOGSUMEXP ? null : (d, need) -> {
            Var dx = matmul(d, false, ones(t, 1, x.cols()), false);
            return new Var[] {op == Reduce.Op.MEAN ? scale(dx, 1f / x.cols()) : dx};
        }, x);
        t.onBackward(() -> {
            if (out.hasGrad() && x.requiresGrad()) {
                float beta = x.prepareGrad(t);
                Reduce.rowsBackward(op, x.grad(), out.grad(), x.value(), y, beta);
            }
        });
        return out;
    }

    /** Reduction over rows of each column: R x C -> 1 x C. */
    public static Var reduceCols(Reduce.Op op, Var x) {
        Tape t = tape();
        Tensor y = t.alloc(1, x.cols());
        Reduce.cols(op, y, x.value());
        Var out = t.result(y, x.requiresGrad());
        t.node("reduceCols " + op, out, op == Reduce.Op.LOGSUMEXP ? null : (d, need) -> {
            Var dx = matmul(ones(t, x.rows(), 1), false, d, false);
            return new Var[] {op == Reduce.Op.MEAN ? scale(dx, 1f / x.rows()) : dx};
        }, x);
        t.onBackward(() -> {
            if (out.hasGrad() && x.requiresGrad()) {
                float beta = x.prepareGrad(t);
                Reduce.colsBackward(op, x.grad(), out.grad(), x.value(), y, beta);
            }
        });
        return out;
    }

    /** Sum of every element: 1 x 1. */
    public static Var sum(Var x) {
        return reduceCols(Reduce.Op.SUM, x.cols() == 1 ? x : reduceRows(Reduce.Op.SUM, x));
    }

    /** Mean of every element: 1 x 1. */
    public static Var mean(Var x) {
        // The mean of the row means (rows are equally long): one reduction for a column or a row, two otherwise.
        if (x.cols() == 1) {
            return reduceCols(Reduce.Op.MEAN, x);
        }
        if (x.rows() == 1) {
            return reduceRows(Reduce.Op.MEAN, x);
        }
        return reduceCols(Reduce.Op.MEAN, reduceRows(Reduce.Op.MEAN, x));
    }

    /** Mean squared error over every element. */
    public static Var mse(Var prediction, Var target) {
        return mean(square(sub(prediction, target)));
    }

    // ---------------------------------------------------------------------------------------------
    // Likelihoods, densities and the reparameterized sample (per-row outputs are R x 1)

    /** log p(x | logits) = Σ_c x·l − softplus(l), per row. Gradient flows to the logits only. */
    public static Var bernoulliLogLik(Var x, Var logits) {
        Tape t = tape();
        Tensor y = t.alloc(x.rows(), 1);
        Losses.bernoulliLogLik(y, x.value(), logits.value());
        Var out = t.result(y, logits.requiresGrad());
        t.node("bernoulliLogLik", out, null, x, logits);
        t.onBackward(() -> {
            if (out.hasGrad() && logits.requiresGrad()) {
                float beta = logits.prepareGrad(t);
                Losses.bernoulliLogLikBackward(logits.grad(), out.grad(), x.value(), logits.value(), beta);
            }
        });
        return out;
    }

    /** log N(x; mu, diag exp(logvar)), per row. */
    public static Var gaussianLogDensity(Var x, Var mu, Var logvar) {
        Tape t = tape();
        Tensor y = t.alloc(x.rows(), 1);
        Losses.gaussianLogDensity(y, x.value(), mu.value(), logvar.value());
        Var out = t.result(y, x.requiresGrad() || mu.requiresGrad() || logvar.requiresGrad());
        t.node("gaussianLogDensity", out, null, x, mu, logvar);
        t.onBackward(() -> {
            if (!out.hasGrad()) {
                return;
            }
            // One kernel writes all three gradients with one beta, so give each Var its own
            // temporary when their accumulation rules differ, then fold it in.
            Tensor[] g = new Tensor[3];
            Var[] vs = {x, mu, logvar};
            for (int i = 0; i < 3; i++) {
                if (vs[i].requiresGrad()) {
                    g[i] = t.alloc(vs[i].rows(), vs[i].cols());
                }
            }
            Losses.gaussianLogDensityBackward(g[0], g[1], g[2], out.grad(), x.value(), mu.value(), logvar.value(), 0f);
            for (int i = 0; i < 3; i++) {
                if (g[i] != null) {
                    passThrough(t, vs[i], g[i], 1f);
                }
            }
        });
        return out;
    }

    /** log N(x; 0, I), per row. */
    public static Var standardNormalLogDensity(Var x) {
        Tape t = tape();
        Tensor y = t.alloc(x.rows(), 1);
        Losses.standardNormalLogDensity(y, x.value());
        Var out = t.result(y, x.requiresGrad());
        t.node("standardNormalLogDensity", out, null, x);
        t.onBackward(() -> {
            if (out.hasGrad() && x.requiresGrad()) {
                float beta = x.prepareGrad(t);
                Losses.standardNormalLogDensityBackward(x.grad(), out.grad(), x.value(), beta);
            }
        });
        return out;
    }

    /** KL(N(mu, exp(logvar)) ‖ N(0, I)) per row (R x 1), or per dimension (R x C) when {@code perDim}. */
    public static Var klStandardNormal(Var mu, Var logvar, boolean perDim) {
        Tape t = tape();
        Tensor y = t.alloc(mu.rows(), perDim ? mu.cols() : 1);
        if (perDim) {
            Losses.klStandardNormalPerDim(y, mu.value(), logvar.value());
        } else {
            Losses.klStandardNormal(y, mu.value(), logvar.value());
        }
        Var out = t.result(y, mu.requiresGrad() || logvar.requiresGrad());
        t.node("klStandardNormal", out, null, mu, logvar);
        t.onBackward(() -> {
            if (!out.hasGrad()) {
                return;
            }
            pairBackward(t, mu, logvar, (dmu, dlv, beta) -> {
                if (perDim) {
                    Losses.klStandardNormalPerDimBackward(dmu, dlv, out.grad(), mu.value(), logvar.value(), beta);
                } else {
                    Losses.klStandardNormalBackward(dmu, dlv, out.grad(), mu.value(), logvar.value(), beta);
                }
            });
        });
        return out;
    }

    /**
     * The ELBO loss β·mean(kl) − mean(rec) from per-example terms (rec = log p(x|z), kl: R x 1), in
     * one launch forward and one backward. {@code terms} (1 x 4, the caller's, e.g. a metrics
     * tensor) receives [loss, elbo = mean(rec) − mean(kl), mean(rec), mean(kl)]; the returned loss
     * is a 1 x 1 view of its first column, valid until terms is written again.
     */
    public static Var elbo(Var rec, Var kl, float beta, Tensor terms) {
        Tape t = tape();
        Losses.elboTerms(terms, rec.value(), kl.value(), beta);
        Var out = t.result(terms.cols(0, 1), rec.requiresGrad() || kl.requiresGrad());
        t.node("elbo", out, null, rec, kl);
        t.onBackward(() -> {
            if (!out.hasGrad()) {
                return;
            }
            float betaRec = rec.requiresGrad() ? rec.prepareGrad(t) : 0f;
            float betaKl = kl.requiresGrad() ? kl.prepareGrad(t) : 0f;
            Losses.elboTermsBackward(rec.requiresGrad() ? rec.grad() : null, betaRec, kl.requiresGrad() ? kl.grad() : null,
                    betaKl, out.grad(), beta);
        });
        return out;
    }

    /**
     * The VAE loss β·mean(KL(N(mu, exp(logvar)) ‖ N(0, I))) − mean(log p(x | logits)) of a Bernoulli
     * decoder and a standard normal prior: {@link #elbo} over {@link #bernoulliLogLik} and
     * {@link #klStandardNormal}, with the same values and gradients, in three launches forward
     * (both per-row terms in one) and one backward instead of four. {@code terms} as in
     * {@link #elbo}. x: R x C data (no gradient); logits: R x C; mu, logvar: R x Z.
     */
    public static Var bernoulliNormalElbo(Var x, Var logits, Var mu, Var logvar, float beta, Tensor terms) {
        Tape t = tape();
        Tensor rec = t.alloc(x.rows(), 1);
        Tensor kl = t.alloc(x.rows(), 1);
        Losses.bernoulliNormalRows(rec, kl, x.value(), logits.value(), mu.value(), logvar.value());
        Losses.elboTerms(terms, rec, kl, beta);
        Var out = t.result(terms.cols(0, 1), logits.requiresGrad() || mu.requiresGrad() || logvar.requiresGrad());
        t.node("bernoulliNormalElbo", out, null, x, logits, mu, logvar);
        t.onBackward(() -> {
            if (!out.hasGrad()) {
                return;
            }
            float betaL = logits.requiresGrad() ? logits.prepareGrad(t) : 0f;
            Tensor dl = logits.requiresGrad() ? logits.grad() : null;
            if (!mu.requiresGrad() && !logvar.requiresGrad()) {
                Losses.bernoulliNormalElboBackward(dl, betaL, null, null, 0f, out.grad(), x.value(), logits.value(), mu.value(),
                        logvar.value(), beta);
                return;
            }
            pairBackward(t, mu, logvar, (dmu, dlv, b) -> Losses.bernoulliNormalElboBackward(dl, betaL, dmu, dlv, b, out.grad(),
                    x.value(), logits.value(), mu.value(), logvar.value(), beta));
        });
        return out;
    }

    /** log (1/K) Σ_k exp(a[r, k]) per row: R x K -> R x 1 (the IWAE bound from log-weights). */
    public static Var logMeanExp(Var a) {
        Tape t = tape();
        Tensor y = t.alloc(a.rows(), 1);
        Losses.logMeanExp(y, a.value());
        Var out = t.result(y, a.requiresGrad());
        t.node("logMeanExp", out, null, a);
        t.onBackward(() -> {
            if (out.hasGrad() && a.requiresGrad()) {
                float beta = a.prepareGrad(t);
                Losses.logMeanExpBackward(a.grad(), out.grad(), a.value(), beta);
            }
        });
        return out;
    }

    /**
     * z = mu + exp(logvar / 2)·eps with eps ~ N(0, I) drawn on the device from {@code rng}'s
     * {@code stream}; the gradient flows to mu and logvar (Kingma & Welling 2014).
     */
    public static Var reparameterize(Var mu, Var logvar, Rng rng, int stream) {
        Tape t = tape();
        Tensor z = t.alloc(mu.rows(), mu.cols());
        Tensor eps = t.alloc(mu.rows(), mu.cols());
        rng.reparameterize(z, eps, mu.value(), logvar.value(), stream);
        Var out = t.result(z, mu.requiresGrad() || logvar.requiresGrad());
        t.node("reparameterize", out, null, mu, logvar);
        t.onBackward(() -> {
            if (!out.hasGrad()) {
                return;
            }
            pairBackward(t, mu, logvar, (dmu, dlv, beta) -> Rng.reparameterizeBackward(dmu, dlv, out.grad(), eps, logvar.value(), beta));
        });
        return out;
    }

    /**
     * Columns [from, to) of x as a view (no copy: every op reads views). Its gradient is a view too:
     * contributions land straight in the same columns of x's gradient (the first zeroes the rest of
     * it), so the op has no backward launch of its own.
     */
    public static Var cols(Var x, int from, int to) {
        Tape t = tape();
        Var out = t.result(x.value().cols(from, to), x.requiresGrad());
        out.viewOf(x, from, to);
        t.node("cols", out, null, x);
        return out;
    }

    /** The activations whose VJP {@link #unaryGrad} can differentiate again. */
    private static final java.util.Set<Unary> HAS_SECOND_DERIVATIVE = java.util.EnumSet.of(Unary.RELU, Unary.LEAKY_RELU,
            Unary.TANH, Unary.SIGMOID, Unary.EXP, Unary.SQUARE);

    /**
     * dx = dy ⊙ f'(saved), the VJP of an activation as a differentiable op (saved is y when
     * {@link Unary#backwardReadsOutput}, else x). Its backward: d dy = g ⊙ f'(saved) and
     * d saved = g ⊙ dy ⊙ ∂f'(saved)/∂saved, which is 0 for ReLU and leaky ReLU (piecewise
     * linear), −2y for tanh (f' = 1 − y²), 1 − 2y for the sigmoid (f' = y(1 − y)), 1 for exp
     * (f' = y) and 2 for the square (f' = 2x). Used by {@link Tape#gradients}; it has no third
     * derivative.
     */
    public static Var unaryGrad(Unary f, Var saved, Var dy, float p) {
        if (!HAS_SECOND_DERIVATIVE.contains(f)) {
            throw new IllegalArgumentException("unaryGrad: no second derivative for " + f + "; use one of " + HAS_SECOND_DERIVATIVE);
        }
        Tape t = tape();
        Tensor dx = t.alloc(dy.rows(), dy.cols());
        Elementwise.unaryBackward(f, dx, dy.value(), saved.value(), p, 0f);
        Var out = t.result(dx, dy.requiresGrad() || saved.requiresGrad());
        t.node("unaryGrad " + f, out, null, saved, dy);
        t.onBackward(() -> {
            if (!out.hasGrad()) {
                return;
            }
            Tensor g = out.grad();
            if (dy.requiresGrad()) {
                float beta = dy.prepareGrad(t);
                Elementwise.unaryBackward(f, dy.grad(), g, saved.value(), p, beta);
            }
            if (saved.requiresGrad() && f != Unary.RELU && f != Unary.LEAKY_RELU) {
                Tensor gdy = t.alloc(g.rows(), g.cols());
                Elementwise.mul(gdy, g, dy.value());
                float beta = saved.prepareGrad(t);
                switch (f) {
                    case TANH: {
                        Tensor tmp = t.alloc(g.rows(), g.cols());
                        Elementwise.mul(tmp, gdy, saved.value());
                        Elementwise.axpby(saved.grad(), -2f, tmp, beta);
                        break;
                    }
                    case SIGMOID: {
                        Tensor tmp = t.alloc(g.rows(), g.cols());
                        Elementwise.mul(tmp, gdy, saved.value());
                        Elementwise.axpby(saved.grad(), 1f, gdy, beta);
                        Elementwise.axpby(saved.grad(), -2f, tmp, 1f);
                        break;
                    }
                    case EXP:
                        Elementwise.axpby(saved.grad(), 1f, gdy, beta);
                        break;
                    case SQUARE:
                        Elementwise.axpby(saved.grad(), 2f, gdy, beta);
                        break;
                    default:
                        throw new IllegalStateException("unaryGrad: " + f);
                }
            }
        });
        return out;
    }

    /** A constant rows x cols tensor of ones on the tape. */
    private static Var ones(Tape t, int rows, int cols) {
        Tensor o = t.alloc(rows, cols);
        o.fill(1f);
        return t.constant(o);
    }

    /** [a | b] along columns (same rows); the gradient splits back into a's and b's columns. */
    public static Var concatCols(Var a, Var b) {
        Tape t = tape();
        Tensor y = t.alloc(a.rows(), a.cols() + b.cols());
        org.genzoo.host.ops.Gather.concatCols(y, a.value(), b.value());
        Var out = t.result(y, a.requiresGrad() || b.requiresGrad());
        int ca = a.cols();
        t.node("concatCols", out, null, a, b);
        t.onBackward(() -> {
            if (!out.hasGrad()) {
                return;
            }
            passThrough(t, a, out.grad().cols(0, ca), 1f);
            passThrough(t, b, out.grad().cols(ca, ca + b.cols()), 1f);
        });
        return out;
    }

    /** A backward kernel with two gradient outputs of a's shape and one beta for both (0 assigns, 1 accumulates). */
    @FunctionalInterface
    private interface PairBackward {
        void write(Tensor da, Tensor db, float beta);
    }

    /**
     * Runs {@code k} straight into a's and b's gradients when both need one and take the same beta
     * (the usual case: a reparameterized or KL term's mu and logvar); otherwise into temporaries
     * that are then added where needed.
     */
    private static void pairBackward(Tape t, Var a, Var b, PairBackward k) {
        if (!a.requiresGrad() && !b.requiresGrad()) {
            return;
        }
        if (a.requiresGrad() && b.requiresGrad()) {
            if (Var.claimCover(t, a, b)) { // mu and logvar, the two halves of one layer's output: assign, no fill
                k.write(a.grad(), b.grad(), 0f);
                return;
            }
            if (a.nextBeta() == b.nextBeta()) {
                float beta = a.prepareGrad(t);
                b.prepareGrad(t);
                k.write(a.grad(), b.grad(), beta);
                return;
            }
        }
        Tensor da = t.alloc(a.rows(), a.cols());
        Tensor db = t.alloc(a.rows(), a.cols());
        k.write(da, db, 0f);
        passThrough(t, a, da, 1f);
        passThrough(t, b, db, 1f);
    }

    /** dx = beta·dx + s·g, with the beta the accumulation rule gives. */
    private static void passThrough(Tape t, Var x, Tensor g, float s) {
        if (!x.requiresGrad()) {
            return;
        }
        float beta = x.prepareGrad(t);
        Elementwise.axpby(x.grad(), s, g, beta);
    }
}
