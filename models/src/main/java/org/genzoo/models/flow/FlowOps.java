package org.genzoo.models.flow;

import org.genzoo.host.Device;
import org.genzoo.host.autograd.CustomOp;
import org.genzoo.host.autograd.F;
import org.genzoo.host.autograd.Tape;
import org.genzoo.host.autograd.Var;
import org.genzoo.host.ops.AffineCoupling;
import org.genzoo.host.ops.Elementwise;
import org.genzoo.host.ops.Gemm;
import org.genzoo.host.ops.MaskedWeights;
import org.genzoo.host.tensor.Tensor;

/**
 * Differentiable flow ops on the active tape, each backed by its own kernels: the affine coupling
 * (both directions), the MADE masked weights, and the inverse of a small square matrix.
 */
final class FlowOps {
    private FlowOps() {
    }

    /**
     * The affine coupling of {@code in} with network output {@code h} = [raw | t] (B x 2D) in the
     * given direction (+1: y = x·e^s + t; −1: x = (y − t)·e^{−s}), mask 1 x D (1 = pass through).
     * Returns the output and its log-det (B x 1).
     */
    static FlowLayer.Step affine(Var in, Var h, Tensor mask, float bound, int direction) {
        return affine(in, h, mask, bound, direction, null);
    }

    /**
     * As {@link #affine(Var, Var, Tensor, float, int)} with the returned log-det {@code before} + the
     * coupling's (before: B x 1, or null), summed by the coupling kernel; the backward passes the
     * log-det's gradient on to before in its own launch.
     */
    static FlowLayer.Step affine(Var in, Var h, Tensor mask, float bound, int direction, Var before) {
        Tape t = Tape.current();
        int b = in.rows();
        int d = in.cols();
        Tensor out = t.alloc(b, d);
        Tensor logdet = t.alloc(b, 1);
        if (direction > 0) {
            AffineCoupling.forward(out, logdet, in.value(), h.value(), mask, bound, before == null ? null : before.value());
        } else {
            AffineCoupling.inverse(out, logdet, in.value(), h.value(), mask, bound, before == null ? null : before.value());
        }
        boolean pass = before != null && before.requiresGrad();
        boolean req = in.requiresGrad() || h.requiresGrad() || pass;
        Var vo = CustomOp.result(out, req);
        Var vl = CustomOp.result(logdet, req);
        CustomOp.onBackward(() -> {
            boolean go = CustomOp.hasGrad(vo);
            boolean gl = CustomOp.hasGrad(vl);
            if (!go && !gl) {
                return;
            }
            Tensor dout = go ? vo.grad() : zeros(t, b, d);
            Tensor dl = gl ? vl.grad() : zeros(t, b, 1);
            float betaIn = in.requiresGrad() ? CustomOp.gradBeta(t, in) : 0f;
            Tensor din = in.requiresGrad() ? in.grad() : t.alloc(b, d);
            float betaH = h.requiresGrad() ? CustomOp.gradBeta(t, h) : 0f;
            Tensor dh = h.requiresGrad() && betaH == 0f ? h.grad() : t.alloc(b, 2 * d);
            // d before = d logdet (the sum's gradient), written by the same launch.
            float betaBefore = pass && gl ? CustomOp.gradBeta(t, before) : 0f;
            Tensor dBefore = pass && gl ? before.grad() : null;
            if (direction > 0) {
                AffineCoupling.backward(din, betaIn, dh, dout, dl, in.value(), h.value(), mask, bound, dBefore, betaBefore);
            } else {
                AffineCoupling.inverseBackward(din, betaIn, dh, dout, dl, in.value(), h.value(), mask, bound, dBefore, betaBefore);
            }
            if (h.requiresGrad() && betaH != 0f) {
                Elementwise.axpby(h.grad(), 1f, dh, betaH);
            }
        });
        return new FlowLayer.Step(vo, vl);
    }

    /** W ⊙ M for a masked linear layer; the gradient reaches W through the mask (kernels/made.cl). */
    static Var maskedWeights(Var w, Tensor mask) {
        Tape t = Tape.current();
        Device dev = t.device();
        MaskedWeights op = dev.shared(MaskedWeights.class, MaskedWeights::new);
        Tensor we = t.alloc(w.rows(), w.cols());
        op.forward(we, w.value(), mask);
        Var out = CustomOp.result(we, w.requiresGrad());
        CustomOp.onBackward(() -> {
            if (CustomOp.hasGrad(out) && w.requiresGrad()) {
                float beta = CustomOp.gradBeta(t, w);
                op.backward(w.grad(), out.grad(), mask, beta);
            }
        });
        return out;
    }

    /**
     * A⁻¹ of a small square matrix, computed on the host in double (Gauss-Jordan with partial
     * pivoting; reads A back, so it is for sampling and the generative direction, not the training
     * hot path). Backward: dA = −A⁻ᵀ·dY·A⁻ᵀ.
     */
    static Var inverse(Var a) {
        Tape t = Tape.current();
        int n = a.rows();
        if (a.cols() != n) {
            throw new IllegalArgumentException("matrix inverse needs a square matrix, got " + a.value().shape());
        }
        float[] v = a.value().toArray();
        double[] inv = invert(v, n);
        float[] f = new float[n * n];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) inv[i];
        }
        Tensor y = t.alloc(n, n);
        y.write(f);
        Var out = CustomOp.result(y, a.requiresGrad());
        CustomOp.onBackward(() -> {
            if (CustomOp.hasGrad(out) && a.requiresGrad()) {
                // dA = −Yᵀ·dY·Yᵀ in two GEMMs.
                Gemm gemm = t.device().shared(Gemm.class, Gemm::new);
                Tensor tmp = t.alloc(n, n);
                gemm.gemm(tmp, y, true, out.grad(), false, 1f, 0f, null, Gemm.Act.NONE);
                Tensor g = t.alloc(n, n);
                gemm.gemm(g, tmp, false, y, true, 1f, 0f, null, Gemm.Act.NONE);
                float beta = CustomOp.gradBeta(t, a);
                Elementwise.axpby(a.grad(), -1f, g, beta);
            }
        });
        return out;
    }

    /** A⁻¹ of a row-major n x n matrix in double; throws when A is singular to working precision. */
    static double[] invert(float[] a, int n) {
        double[] m = new double[n * 2 * n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                m[i * 2 * n + j] = a[i * n + j];
            }
            m[i * 2 * n + n + i] = 1;
        }
        for (int c = 0; c < n; c++) {
            int p = c;
            for (int r = c + 1; r < n; r++) {
                if (Math.abs(m[r * 2 * n + c]) > Math.abs(m[p * 2 * n + c])) {
                    p = r;
                }
            }
            if (Math.abs(m[p * 2 * n + c]) < 1e-300) {
                throw new IllegalStateException("matrix is singular: cannot invert the flow layer");
            }
            for (int j = 0; j < 2 * n; j++) {
                double tmp = m[c * 2 * n + j];
                m[c * 2 * n + j] = m[p * 2 * n + j];
                m[p * 2 * n + j] = tmp;
            }
            double piv = m[c * 2 * n + c];
            for (int j = 0; j < 2 * n; j++) {
                m[c * 2 * n + j] /= piv;
            }
            for (int r = 0; r < n; r++) {
                if (r != c) {
                    double f = m[r * 2 * n + c];
                    if (f != 0) {
                        for (int j = 0; j < 2 * n; j++) {
                            m[r * 2 * n + j] -= f * m[c * 2 * n + j];
                        }
                    }
                }
            }
        }
        double[] inv = new double[n * n];
        for (int i = 0; i < n; i++) {
            System.arraycopy(m, i * 2 * n + n, inv, i * n, n);
        }
        return inv;
    }

    /** Row v (1 x C) broadcast to R x C as ones(R x 1)·v, differentiable in v. */
    static Var broadcastRow(Var v, int rows) {
        Tape t = Tape.current();
        return F.matmul(t.constant(ones(t, rows, 1)), false, v, false);
    }

    static Tensor ones(Tape t, int rows, int cols) {
        Tensor o = t.alloc(rows, cols);
        o.fill(1f);
        return o;
    }

    static Tensor zeros(Tape t, int rows, int cols) {
        Tensor o = t.alloc(rows, cols);
        o.fill(0f);
        return o;
    }
}
