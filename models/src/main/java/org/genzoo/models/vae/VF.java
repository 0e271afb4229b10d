package org.genzoo.models.vae;

import java.util.HashMap;
import java.util.Map;
import org.genzoo.host.Device;
import org.genzoo.host.DeviceBuffer;
import org.genzoo.host.autograd.F;
import org.genzoo.host.autograd.Tape;
import org.genzoo.host.autograd.Var;
import org.genzoo.host.ops.Gather;
import org.genzoo.host.ops.Reduce;
import org.genzoo.host.tensor.Tensor;

/**
 * Differentiable helpers the latent-variable models need and {@link F} lacks, composed from F's
 * ops (no new kernels): repeating rows K times, folding a (B·K) x 1 column into a B x K matrix,
 * max(a, λ), |a|, and a mixture-of-diagonal-Gaussians log-density. Row layout for K samples is
 * example-major: row b·K + k is sample k of example b.
 *
 * <p>The repeat and fold are products with constant 0/1 matrices (exact in float32: one nonzero
 * term per output), cached here per (B, K) and freed by {@link #close()}. Values that need no
 * gradient take a cheaper path (a row gather, a strided copy).
 */
public final class VF implements AutoCloseable {
    private final Device device;
    private final Map<String, Tensor> tensors = new HashMap<>();
    private final Map<String, DeviceBuffer> indices = new HashMap<>();

    public VF(Device device) {
        this.device = device;
    }

    /**
     * Row b of x repeated K times: y[b·K + k] = x[b]. Backward sums the K copies' gradients.
     * x: B x C -> BK x C.
     */
    public Var repeatRows(Var x, int k) {
        if (k == 1) {
            return x;
        }
        Tape t = Tape.current();
        if (!x.requiresGrad()) {
            return t.constant(repeatRows(t, x.value(), k));
        }
        return F.matmul(t.constant(expander(x.rows(), k)), false, x, false);
    }

    /** A tape-owned copy of x with every row repeated K times (no gradient).  x: B x C -> BK x C. */
    public Tensor repeatRows(Tape t, Tensor x, int k) {
        int b = x.rows();
        Tensor y = t.alloc(b * k, x.cols());
        device.shared(Gather.class, Gather::new).rows(y, x, repeatIndex(b, k), 0);
        return y;
    }

    /**
     * The column v (BK x 1, example-major) as a B x K matrix: m[b, k] = v[b·K + k]. With a gradient
     * it is Eᵀ·((v·1ᵀ) ⊙ M) for the expander E (BK x B) and the mask M[b·K + k, j] = [j = k].
     */
    public Var rowsToMatrix(Var v, int k) {
        if (v.cols() != 1 || v.rows() % k != 0) {
            throw new IllegalArgumentException("rowsToMatrix: need a (B·" + k + ") x 1 column, got " + v.value().shape());
        }
        if (k == 1) {
            return v;
        }
        Tape t = Tape.current();
        int b = v.rows() / k;
        if (!v.requiresGrad()) {
            Tensor src = v.value();
            if (!src.contiguous()) {
                Tensor c = t.alloc(src.rows(), 1);
                c.copyFrom(src);
                src = c;
            }
            Tensor m = t.alloc(b, k);
            m.copyFrom(Tensor.wrap(src.buffer(), src.offset(), b, k, k));
            return t.constant(m);
        }
        Var spread = F.mul(F.matmul(v, false, t.constant(ones(1, k)), false), t.constant(mask(b, k)));
        return F.matmul(t.constant(expander(b, k)), true, spread, false);
    }

    /** max(a, λ) elementwise = λ + relu(a − λ): the gradient is zero where a &lt; λ. */
    public static Var maxWith(Var a, float lambda) {
        Var shift = filled(a.rows(), a.cols(), lambda);
        return F.add(F.relu(F.sub(a, shift)), shift);
    }

    /** |a| = relu(a) + relu(−a) (gradient 0 at 0). */
    public static Var abs(Var a) {
        return F.add(F.relu(a), F.relu(F.scale(a, -1f)));
    }

    /** a + c for a scalar constant c (any shape). */
    public static Var addScalar(Var a, float c) {
        return F.add(a, filled(a.rows(), a.cols(), c));
    }

    /** A tape-owned constant filled with {@code value} (a fill kernel; no host write). */
    public static Var filled(int rows, int cols, float value) {
        Tape t = Tape.current();
        Tensor c = t.alloc(rows, cols);
        c.fill(value);
        return t.constant(c);
    }

    /**
     * log Σ_k π_k N(z; m_k, diag exp(v_k)) per row, via log N_k(z) = −½(L log 2π + Σ_l v_kl
     * + Σ_l (z_l − m_kl)² e^{−v_kl}) expanded into two GEMMs, then a row log-sum-exp.
     * {@code logits} (1 x K) give π = softmax(logits); null means equal weights 1/K.
     * z: R x L; means, logvars: K x L -> R x 1.
     */
    public static Var mixtureLogDensity(Var z, Var means, Var logvars, Var logits) {
        int l = z.cols();
        int k = means.rows();
        if (means.cols() != l || logvars.rows() != k || logvars.cols() != l) {
            throw new IllegalArgumentException("mixture: z " + z.value().shape() + ", means " + means.value().shape() + ", logvars "
                    + logvars.value().shape());
        }
        Var prec = F.exp(F.scale(logvars, -1f)); // K x L
        Var quad = F.matmul(F.square(z), false, prec, true); // R x K: Σ_l z² / v
        Var cross = F.matmul(z, false, F.mul(means, prec), true); // R x K: Σ_l z m / v
        Var perComp = F.add(F.mul(F.square(means), prec), logvars); // K x L
        Var c = F.matmul(filled(1, l, 1f), false, perComp, true); // 1 x K: Σ_l (m² / v + log v)
        Var inner = F.addRow(F.sub(quad, F.scale(cross, 2f)), c);
        Var logN = F.scale(inner, -0.5f); // R x K, without −½ L log 2π
        if (logits != null) {
            logN = F.addRow(logN, logits);
        }
        Var lse = F.reduceRows(Reduce.Op.LOGSUMEXP, logN); // R x 1
        double constant = -0.5 * l * Math.log(2 * Math.PI);
        if (logits == null) {
            return addScalar(lse, (float) (constant - Math.log(k)));
        }
        Var norm = F.reduceRows(Reduce.Op.LOGSUMEXP, logits); // 1 x 1
        return addScalar(F.addRow(lse, F.scale(norm, -1f)), (float) constant);
    }

    /** E (BK x B), E[b·K + k, b] = 1. */
    private Tensor expander(int b, int k) {
        return tensors.computeIfAbsent("expand " + b + " " + k, key -> {
            float[] e = new float[b * k * b];
            for (int r = 0; r < b * k; r++) {
                e[r * b + r / k] = 1f;
            }
            return Tensor.of(device, b * k, b, e);
        });
    }

    /** M (BK x K), M[b·K + k, j] = [j = k]. */
    private Tensor mask(int b, int k) {
        return tensors.computeIfAbsent("mask " + b + " " + k, key -> {
            float[] m = new float[b * k * k];
            for (int r = 0; r < b * k; r++) {
                m[r * k + r % k] = 1f;
            }
            return Tensor.of(device, b * k, k, m);
        });
    }

    private Tensor ones(int rows, int cols) {
        return tensors.computeIfAbsent("ones " + rows + " " + cols, key -> {
            Tensor o = Tensor.empty(device, rows, cols);
            o.fill(1f);
            return o;
        });
    }

    /** idx[b·K + k] = b, for the gather. */
    private DeviceBuffer repeatIndex(int b, int k) {
        return indices.computeIfAbsent(b + " " + k, key -> {
            int[] idx = new int[b * k];
            for (int r = 0; r < idx.length; r++) {
                idx[r] = r / k;
            }
            DeviceBuffer buf = device.pool().acquire(4L * idx.length);
            buf.write(idx);
            return buf;
        });
    }

    @Override
    public void close() {
        tensors.values().forEach(Tensor::close);
        tensors.clear();
        indices.values().forEach(DeviceBuffer::close);
        indices.clear();
    }
}
