package org.genzoo.host.ops;

import java.util.Map;
import org.genzoo.host.Device;
import org.genzoo.host.Kernel;
import org.genzoo.host.Tuning;
import org.genzoo.host.WorkGroups;
import org.genzoo.host.tensor.Tensor;

/**
 * Elementwise ops ({@code kernels/elementwise.cl}): add, sub, mul, scale, axpy, a broadcast row
 * add, and the unary activations with their backward passes.
 *
 * <p>Every operand is a {@link Tensor} view (column views with ld &gt; cols work). Outputs come
 * first. An output may be the very same view as an input (in-place); partly overlapping views are
 * not supported. Methods that take {@code beta} compute {@code out = beta * out + value}:
 * {@code beta = 0} assigns without reading {@code out} (activation gradients), {@code beta = 1}
 * accumulates (parameter gradients, a tensor used twice).
 *
 * <p>Backward of a unary activation reads what {@link Unary#backwardReadsOutput()} says: the
 * forward output y for tanh, sigmoid and exp (their derivative is a cheap function of y, and the
 * forward may then run in place), the forward input x for all others.
 */
public final class Elementwise {
    private static final String FILE = "elementwise.cl";

    /**
     * This device's launch shape (kernels/tuning/elementwise.properties): WG work-items per 2-D
     * work-group (a power of two), shaped to each tensor by {@link #local}. Default: 256 or the
     * device's largest power-of-two work-group below it.
     */
    private record Shape(int wg) {
        static Shape of(Device d) {
            Tuning t = Tuning.load("elementwise", d.info());
            return new Shape(WorkGroups.requirePow2(t, "WG", t.getInt("WG", WorkGroups.pow2(d, 256, 0))));
        }
    }

    private Elementwise() {
    }

    /**
     * The unary activations. {@code define} is the {@code -DOP=} value of the kernel build; the
     * flop count per element is a rough one (a transcendental function counts as one).
     */
    public enum Unary {
        RELU("OP_RELU", false, 1),
        /** Parameter: the negative slope. */
        LEAKY_RELU("OP_LEAKY_RELU", false, 2),
        /** Parameter: alpha, y = alpha * (exp(x) - 1) for x &lt;= 0. */
        ELU("OP_ELU", false, 3),
        TANH("OP_TANH", true, 1),
        SIGMOID("OP_SIGMOID", true, 4),
        SOFTPLUS("OP_SOFTPLUS", false, 5),
        EXP("OP_EXP", true, 1),
        LOG("OP_LOG", false, 1),
        SQUARE("OP_SQUARE", false, 1),
        /** log(sigmoid(x)) = -softplus(-x), for Bernoulli log-likelihoods from logits. */
        LOG_SIGMOID("OP_LOG_SIGMOID", false, 5);

        private final String define;
        private final boolean readsOutput;
        private final int flops;

        Unary(String define, boolean readsOutput, int flops) {
            this.define = define;
            this.readsOutput = readsOutput;
            this.flops = flops;
        }

        /** True when the backward pass takes the forward output y, false when it takes the input x. */
        public boolean backwardReadsOutput() {
            return readsOutput;
        }

        /** The {@code OP} define that selects this activation in {@code elementwise.cl}. */
        public String define() {
            return define;
        }

        /** Approximate flops per element of the forward pass. */
        public int flopsPerElement() {
            return flops;
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Binary ops

    /** y = a + b.  y, a, b: R x C. */
    public static void add(Tensor y, Tensor a, Tensor b) {
        binary("add", y, a, b, 0f);
    }

    /** y = beta * y + a + b.  y, a, b: R x C. */
    public static void add(Tensor y, Tensor a, Tensor b, float beta) {
        binary("add", y, a, b, beta);
    }

    /** y = a - b.  y, a, b: R x C. */
    public static void sub(Tensor y, Tensor a, Tensor b) {
        binary("sub", y, a, b, 0f);
    }

    /** y = beta * y + a - b.  y, a, b: R x C. */
    public static void sub(Tensor y, Tensor a, Tensor b, float beta) {
        binary("sub", y, a, b, beta);
    }

    /** y = a ⊙ b.  y, a, b: R x C. */
    public static void mul(Tensor y, Tensor a, Tensor b) {
        binary("mul", y, a, b, 0f);
    }

    /** y = beta * y + a ⊙ b (e.g. the backward of mul: da += dy ⊙ b).  y, a, b: R x C. */
    public static void mul(Tensor y, Tensor a, Tensor b, float beta) {
        binary("mul", y, a, b, beta);
    }

    private static void binary(String kernel, Tensor y, Tensor a, Tensor b, float beta) {
        y.requireShape(a, kernel + "(y, a, b): y vs a");
        y.requireShape(b, kernel + "(y, a, b): y vs b");
        sameDevice(y, a, b);
        if (y.size() == 0) {
            return;
        }
        Device d = y.device();
        Kernel k = d.kernel(FILE, kernel).args(y, y.offset(), y.ld(), a, a.offset(), a.ld(), b, b.offset(), b.ld(),
                beta, y.rows(), y.cols());
        d.launch(k, global(y), local(d, y.rows(), y.cols()));
    }

    /** y = s * x.  y, x: R x C. */
    public static void scale(Tensor y, Tensor x, float s) {
        axpby(y, s, x, 0f);
    }

    /** y = alpha * x + y.  y, x: R x C. */
    public static void axpy(Tensor y, float alpha, Tensor x) {
        axpby(y, alpha, x, 1f);
    }

    /** y = alpha * x + beta * y; beta = 0 does not read y.  y, x: R x C. */
    public static void axpby(Tensor y, float alpha, Tensor x, float beta) {
        y.requireShape(x, "axpby(y, x): y vs x");
        sameDevice(y, x);
        if (y.size() == 0) {
            return;
        }
        Device d = y.device();
        Kernel k = d.kernel(FILE, "axpby").args(y, y.offset(), y.ld(), x, x.offset(), x.ld(), alpha, beta, y.rows(),
                y.cols());
        d.launch(k, global(y), local(d, y.rows(), y.cols()));
    }

    /** y[r, c] = x[r, c] + b[c] (bias add).  y, x: R x C; b: 1 x C. */
    public static void addRow(Tensor y, Tensor x, Tensor b) {
        y.requireShape(x, "addRow(y, x, b): y vs x");
        if (b.rows() != 1 || b.cols() != y.cols()) {
            throw new IllegalArgumentException("addRow(y, x, b): b must be 1 x " + y.cols() + ", got " + b.shape());
        }
        sameDevice(y, x, b);
        if (y.size() == 0) {
            return;
        }
        Device d = y.device();
        Kernel k = d.kernel(FILE, "add_row").args(y, y.offset(), y.ld(), x, x.offset(), x.ld(), b, b.offset(),
                y.rows(), y.cols());
        d.launch(k, global(y), local(d, y.rows(), y.cols()));
    }

    /**
     * Backward of {@link #addRow} for the bias: db = beta * db + sum over rows of dy (deterministic
     * column sum, see {@link Reduce}). The gradient for x is dy itself.  db: 1 x C; dy: R x C.
     */
    public static void addRowBackward(Tensor db, Tensor dy, float beta) {
        Reduce.cols(Reduce.Op.SUM, db, dy, beta);
    }

    // ---------------------------------------------------------------------------------------------
    // Unary activations

    /** y = f(x) for an activation without a parameter.  y, x: R x C. */
    public static void unary(Unary f, Tensor y, Tensor x) {
        unary(f, y, x, 0f);
    }

    /** y = f(x; p), p the slope (LEAKY_RELU) or alpha (ELU), ignored otherwise.  y, x: R x C. */
    public static void unary(Unary f, Tensor y, Tensor x, float p) {
        y.requireShape(x, f + "(y, x): y vs x");
        sameDevice(y, x);
        if (y.size() == 0) {
            return;
        }
        Device d = y.device();
        Kernel k = d.kernel(FILE, "unary_forward", Map.of("OP", f.define)).args(y, y.offset(), y.ld(), x, x.offset(),
                x.ld(), p, y.rows(), y.cols());
        d.launch(k, global(y), local(d, y.rows(), y.cols()));
    }

    /**
     * dx = beta * dx + dy ⊙ f'(.) where {@code saved} is the forward output y when
     * {@link Unary#backwardReadsOutput()} and the forward input x otherwise; p as in the forward.
     * dx, dy, saved: R x C.
     */
    public static void unaryBackward(Unary f, Tensor dx, Tensor dy, Tensor saved, float p, float beta) {
        String what = f + " backward(dx, dy, " + (f.readsOutput ? "y" : "x") + ")";
        dx.requireShape(dy, what + ": dx vs dy");
        dx.requireShape(saved, what + ": dx vs saved");
        sameDevice(dx, dy, saved);
        if (dx.size() == 0) {
            return;
        }
        Device d = dx.device();
        Kernel k = d.kernel(FILE, "unary_backward", Map.of("OP", f.define)).args(dx, dx.offset(), dx.ld(), dy,
                dy.offset(), dy.ld(), saved, saved.offset(), saved.ld(), p, beta, dx.rows(), dx.cols());
        d.launch(k, global(dx), local(d, dx.rows(), dx.cols()));
    }

    public static void relu(Tensor y, Tensor x) {
        unary(Unary.RELU, y, x);
    }

    /** dx = beta * dx + dy ⊙ [x &gt; 0]. */
    public static void reluBackward(Tensor dx, Tensor dy, Tensor x, float beta) {
        unaryBackward(Unary.RELU, dx, dy, x, 0f, beta);
    }

    public static void leakyRelu(Tensor y, Tensor x, float slope) {
        unary(Unary.LEAKY_RELU, y, x, slope);
    }

    /** dx = beta * dx + dy ⊙ (x &gt; 0 ? 1 : slope). */
    public static void leakyReluBackward(Tensor dx, Tensor dy, Tensor x, float slope, float beta) {
        unaryBackward(Unary.LEAKY_RELU, dx, dy, x, slope, beta);
    }

    public static void elu(Tensor y, Tensor x, float alpha) {
        unary(Unary.ELU, y, x, alpha);
    }

    /** dx = beta * dx + dy ⊙ (x &gt; 0 ? 1 : alpha * exp(x)). */
    public static void eluBackward(Tensor dx, Tensor dy, Tensor x, float alpha, float beta) {
        unaryBackward(Unary.ELU, dx, dy, x, alpha, beta);
    }

    public static void tanh(Tensor y, Tensor x) {
        unary(Unary.TANH, y, x);
    }

    /** dx = beta * dx + dy ⊙ (1 - y²), from the forward output y. */
    public static void tanhBackward(Tensor dx, Tensor dy, Tensor y, float beta) {
        unaryBackward(Unary.TANH, dx, dy, y, 0f, beta);
    }

    public static void sigmoid(Tensor y, Tensor x) {
        unary(Unary.SIGMOID, y, x);
    }

    /** dx = beta * dx + dy ⊙ y(1 - y), from the forward output y. */
    public static void sigmoidBackward(Tensor dx, Tensor dy, Tensor y, float beta) {
        unaryBackward(Unary.SIGMOID, dx, dy, y, 0f, beta);
    }

    public static void softplus(Tensor y, Tensor x) {
        unary(Unary.SOFTPLUS, y, x);
    }

    /** dx = beta * dx + dy ⊙ sigmoid(x). */
    public static void softplusBackward(Tensor dx, Tensor dy, Tensor x, float beta) {
        unaryBackward(Unary.SOFTPLUS, dx, dy, x, 0f, beta);
    }

    public static void exp(Tensor y, Tensor x) {
        unary(Unary.EXP, y, x);
    }

    /** dx = beta * dx + dy ⊙ y, from the forward output y = exp(x). */
    public static void expBackward(Tensor dx, Tensor dy, Tensor y, float beta) {
        unaryBackward(Unary.EXP, dx, dy, y, 0f, beta);
    }

    public static void log(Tensor y, Tensor x) {
        unary(Unary.LOG, y, x);
    }

    /** dx = beta * dx + dy / x. */
    public static void logBackward(Tensor dx, Tensor dy, Tensor x, float beta) {
        unaryBackward(Unary.LOG, dx, dy, x, 0f, beta);
    }

    public static void square(Tensor y, Tensor x) {
        unary(Unary.SQUARE, y, x);
    }

    /** dx = beta * dx + dy ⊙ 2x. */
    public static void squareBackward(Tensor dx, Tensor dy, Tensor x, float beta) {
        unaryBackward(Unary.SQUARE, dx, dy, x, 0f, beta);
    }

    public static void logSigmoid(Tensor y, Tensor x) {
        unary(Unary.LOG_SIGMOID, y, x);
    }

    /** dx = beta * dx + dy ⊙ sigmoid(-x). */
    public static void logSigmoidBackward(Tensor dx, Tensor dy, Tensor x, float beta) {
        unaryBackward(Unary.LOG_SIGMOID, dx, dy, x, 0f, beta);
    }

    // ---------------------------------------------------------------------------------------------
    // Costs (each operand read or written once; an accumulating output is read as well)

    /** add, sub, mul: one flop per element; reads a, b (and y when beta != 0), writes y. */
    public static OpCost binaryCost(int R, int C, boolean accumulate) {
        double n = (double) R * C;
        return OpCost.of(accumulate ? 3 * n : n, (accumulate ? 4 : 3) * n * Float.BYTES);
    }

    /** scale (beta = 0) and axpy / axpby (beta != 0). */
    public static OpCost axpbyCost(int R, int C, boolean readsY) {
        double n = (double) R * C;
        return OpCost.of(readsY ? 3 * n : n, (readsY ? 3 : 2) * n * Float.BYTES);
    }

    /** addRow: one add per element; reads x and b, writes y. */
    public static OpCost addRowCost(int R, int C) {
        double n = (double) R * C;
        return OpCost.of(n, (2 * n + C) * Float.BYTES);
    }

    /** Forward of an activation: reads x, writes y. */
    public static OpCost unaryCost(Unary f, int R, int C) {
        double n = (double) R * C;
        return OpCost.of(f.flops * n, 2 * n * Float.BYTES);
    }

    /** Backward of an activation: reads dy and x or y (and dx when accumulating), writes dx. */
    public static OpCost unaryBackwardCost(Unary f, int R, int C, boolean accumulate) {
        double n = (double) R * C;
        return OpCost.of((f.flops + (accumulate ? 3 : 1)) * n, (accumulate ? 4 : 3) * n * Float.BYTES);
    }

    // ---------------------------------------------------------------------------------------------

    static long[] global(Tensor t) {
        return new long[] {t.cols(), t.rows()};
    }

    /** A 2-D work-group of at most this device's WG items, powers of two, no wider or taller than the tensor needs. */
    static long[] local(Device d, int R, int C) {
        return WorkGroups.local2d(d.shared(Shape.class, Shape::of).wg(), R, C);
    }

    /** The smallest power of two >= n, but at most {@code cap} (a power of two). */
    static int pow2Cap(int n, int cap) {
        return WorkGroups.pow2Cap(n, cap);
    }

    static void sameDevice(Tensor first, Tensor... others) {
        for (Tensor o : others) {
            if (o.device() != first.device()) {
                throw new IllegalArgumentException("operands live on different devices");
            }
        }
    }
}
