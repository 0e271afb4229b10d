package org.genzoo.host.ops;

import java.util.Map;
import org.genzoo.host.Device;
import org.genzoo.host.DeviceBuffer;
import org.genzoo.host.Kernel;
import org.genzoo.host.tensor.Tensor;

/**
 * Reductions ({@code kernels/reduce.cl}): along rows ({@code x R x C -> y R x 1}), along columns
 * ({@code x R x C -> y 1 x C}) and over everything ({@code -> 1 x 1}); sum, mean, max and
 * logsumexp, with backward passes for sum, mean and logsumexp.
 *
 * <p>Deterministic: no atomics; fixed per-work-item folds, then trees in local memory, then (for
 * long lines) further passes over scratch partials. Every launch shape is a function of the
 * tensor shape alone, so one input on one device gives bitwise the same result on every run.
 *
 * <p>Forward methods with {@code beta} compute {@code y = beta * y + reduction}; beta = 0 does not
 * read y. Backward methods: {@code dx = beta * dx + contribution}, same rule.
 */
public final class Reduce {
    private static final String FILE = "reduce.cl";
    /** Work-items per work-group (a power of two). */
    private static final int WG = 256;
    /** Widest work-group in the column direction for column reductions (coalesced reads). */
    private static final int COLS_TX = 32;
    /** Elements each work-item folds per pass before the tree; longer lines get more passes. */
    private static final int ITEMS = 16;

    private Reduce() {
    }

    /** The reduction; {@code define} is the {@code -DOP=} value of the kernel build. */
    public enum Op {
        SUM("RED_SUM", 1),
        MEAN("RED_MEAN", 1),
        MAX("RED_MAX", 1),
        /** log(sum(exp(x))), computed as max + log(sum(exp(x - max))) in one streaming pass. */
        LOGSUMEXP("RED_LSE", 4);

        private final String define;
        private final int flops;

        Op(String define, int flops) {
            this.define = define;
            this.flops = flops;
        }

        public String define() {
            return define;
        }

        private Map<String, String> defines() {
            return Map.of("OP", define, "WG", Integer.toString(WG));
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Forward

    /** y[r] = op over c of x[r, c].  y: R x 1; x: R x C. */
    public static void rows(Op op, Tensor y, Tensor x) {
        rows(op, y, x, 0f);
    }

    /** y[r] = beta * y[r] + op over c of x[r, c].  y: R x 1; x: R x C. */
    public static void rows(Op op, Tensor y, Tensor x, float beta) {
        int R = x.rows();
        int C = x.cols();
        if (y.rows() != R || y.cols() != 1) {
            throw new IllegalArgumentException("rows " + op + "(y, x): y must be " + R + " x 1 for x " + x.shape()
                    + ", got " + y.shape());
        }
        Elementwise.sameDevice(y, x);
        if (R == 0) {
            return;
        }
        Device d = y.device();
        Kernel.Local lm = new Kernel.Local((long) WG * 2 * Float.BYTES);
        Plan p = Plan.of(C, WG);
        int along = Elementwise.pow2Cap(R, WG / p.across);
        DeviceBuffer part = p.groups == 1 ? y.buffer() : d.pool().acquireFloats(2L * R * p.groups);
        Kernel k = d.kernel(FILE, "reduce_rows", op.defines()).args(y, y.offset(), y.ld(), part, x, x.offset(), x.ld(),
                R, C, p.chunk, p.groups, (float) C, beta, lm);
        d.launch(k, new long[] {(long) p.groups * p.across, R}, new long[] {p.across, along});
        int len = p.groups;
        while (len > 1) {
            DeviceBuffer in = part;
            Plan q = Plan.of(len, WG);
            along = Elementwise.pow2Cap(R, WG / q.across);
            part = q.groups == 1 ? y.buffer() : d.pool().acquireFloats(2L * R * q.groups);
            k = d.kernel(FILE, "reduce_rows_pairs", op.defines()).args(y, y.offset(), y.ld(), part, in, R, len, q.chunk,
                    q.groups, (float) C, beta, lm);
            d.launch(k, new long[] {(long) q.groups * q.across, R}, new long[] {q.across, along});
            in.close();
            len = q.groups;
        }
    }

    /** y[c] = op over r of x[r, c].  y: 1 x C; x: R x C. */
    public static void cols(Op op, Tensor y, Tensor x) {
        cols(op, y, x, 0f);
    }

    /** y[c] = beta * y[c] + op over r of x[r, c].  y: 1 x C; x: R x C. */
    public static void cols(Op op, Tensor y, Tensor x, float beta) {
        int R = x.rows();
        int C = x.cols();
        if (y.rows() != 1 || y.cols() != C) {
            throw new IllegalArgumentException("cols " + op + "(y, x): y must be 1 x " + C + " for x " + x.shape()
                    + ", got " + y.shape());
        }
        Elementwise.sameDevice(y, x);
        if (C == 0) {
            return;
        }
        Device d = y.device();
        Kernel.Local lm = new Kernel.Local((long) WG * 2 * Float.BYTES);
        int tx = Elementwise.pow2Cap(C, COLS_TX);
        Plan p = Plan.of(R, WG / tx);
        DeviceBuffer part = p.groups == 1 ? y.buffer() : d.pool().acquireFloats(2L * C * p.groups);
        Kernel k = d.kernel(FILE, "reduce_cols", op.defines()).args(y, y.offset(), part, x, x.offset(), x.ld(), R, C,
                p.chunk, p.groups, (float) R, beta, lm);
        d.launch(k, new long[] {C, (long) p.groups * p.across}, new long[] {tx, p.across});
        int len = p.groups;
        while (len > 1) {
            DeviceBuffer in = part;
            Plan q = Plan.of(len, WG / tx);
            part = q.groups == 1 ? y.buffer() : d.pool().acquireFloats(2L * C * q.groups);
            k = d.kernel(FILE, "reduce_cols_pairs", op.defines()).args(y, y.offset(), part, in, len, C, q.chunk,
                    q.groups, (float) R, beta, lm);
            d.launch(k, new long[] {C, (long) q.groups * q.across}, new long[] {tx, q.across});
            in.close();
            len = q.groups;
        }
    }

    /** y = sum of every element of x.  y: 1 x 1; x: R x C (any view). */
    public static void sumAll(Tensor y, Tensor x) {
        if (y.rows() != 1 || y.cols() != 1) {
            throw new IllegalArgumentException("sumAll(y, x): y must be 1 x 1, got " + y.shape());
        }
        if (x.contiguous()) {
            int n = x.size();
            rows(Op.SUM, y, Tensor.wrap(x.buffer(), x.offset(), 1, n, n));
        } else {
            try (Tensor perRow = Tensor.empty(x.device(), x.rows(), 1)) {
                rows(Op.SUM, perRow, x);
                cols(Op.SUM, y, perRow);
            }
        }
    }

    /**
     * How one pass cuts lines of length {@code len}: {@code across} work-items share a line (a power
     * of two, the tree dimension), {@code groups} work-groups per line, each folding {@code chunk}
     * consecutive elements. A function of the shape alone, so the summation order is fixed.
     */
    private record Plan(int across, int groups, int chunk) {
        static Plan of(int len, int maxAcross) {
            int across = Elementwise.pow2Cap(Math.max(1, (len + ITEMS - 1) / ITEMS), maxAcross);
            long perGroup = (long) across * ITEMS;
            int groups = (int) Math.max(1, (len + perGroup - 1) / perGroup);
            int chunk = (int) ((len + (long) groups - 1) / groups);
            return new Plan(across, groups, chunk);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Backward

    /**
     * Backward of {@link #rows}: dx[r, c] = beta * dx[r, c] + w with w = dy[r] (SUM), dy[r] / C
     * (MEAN), dy[r] * exp(x[r, c] - y[r]) (LOGSUMEXP, y the forward output). x and y are only read
     * by LOGSUMEXP and may be null otherwise.  dx, x: R x C; dy, y: R x 1.
     */
    public static void rowsBackward(Op op, Tensor dx, Tensor dy, Tensor x, Tensor y, float beta) {
        int R = dx.rows();
        if (dy.rows() != R || dy.cols() != 1) {
            throw new IllegalArgumentException("rows " + op + " backward: dy must be " + R + " x 1, got " + dy.shape());
        }
        backward(op, dx, dy, dy.ld(), 0, x, y, R, 1, dx.cols(), beta);
    }

    /**
     * Backward of {@link #cols}: dx[r, c] = beta * dx[r, c] + w with w = dy[c] (SUM), dy[c] / R
     * (MEAN), dy[c] * exp(x[r, c] - y[c]) (LOGSUMEXP). x and y may be null unless LOGSUMEXP.
     * dx, x: R x C; dy, y: 1 x C.
     */
    public static void colsBackward(Op op, Tensor dx, Tensor dy, Tensor x, Tensor y, float beta) {
        int C = dx.cols();
        if (dy.rows() != 1 || dy.cols() != C) {
            throw new IllegalArgumentException("cols " + op + " backward: dy must be 1 x " + C + ", got " + dy.shape());
        }
        backward(op, dx, dy, 0, 1, x, y, 1, C, dx.rows(), beta);
    }

    private static void backward(Op op, Tensor dx, Tensor dy, int sr, int sc, Tensor x, Tensor y, int yRows, int yCols,
            int n, float beta) {
        if (op == Op.MAX) {
            throw new UnsupportedOperationException("max reduction has no backward kernel");
        }
        Tensor xs = dy;
        Tensor ys = dy;
        if (op == Op.LOGSUMEXP) {
            if (x == null || y == null) {
                throw new IllegalArgumentException("logsumexp backward needs x and the forward output y");
            }
            dx.requireShape(x, "logsumexp backward: dx vs x");
            if (y.rows() != yRows || y.cols() != yCols) {
                throw new IllegalArgumentException("logsumexp backward: y must be " + yRows + " x " + yCols + ", got "
                        + y.shape());
            }
            xs = x;
            ys = y;
        }
        Elementwise.sameDevice(dx, dy, xs, ys);
        if (dx.size() == 0) {
            return;
        }
        Device d = dx.device();
        int ysr = sr == 0 ? 0 : ys.ld();
        Kernel k = d.kernel(FILE, "reduce_backward", op.defines()).args(dx, dx.offset(), dx.ld(), dy, dy.offset(), sr,
                sc, xs, xs.offset(), xs.ld(), ys, ys.offset(), ysr, sc, (float) n, beta, dx.rows(), dx.cols());
        d.launch(k, Elementwise.global(dx), Elementwise.local(d, dx.rows(), dx.cols()));
    }

    // ---------------------------------------------------------------------------------------------
    // Costs (each operand read or written once; scratch partials are negligible)

    /** {@link #rows}: reads R x C, writes R. */
    public static OpCost rowsCost(Op op, int R, int C) {
        double n = (double) R * C;
        return OpCost.of(op.flops * n, (n + R) * Float.BYTES);
    }

    /** {@link #cols}: reads R x C, writes C. */
    public static OpCost colsCost(Op op, int R, int C) {
        double n = (double) R * C;
        return OpCost.of(op.flops * n, (n + C) * Float.BYTES);
    }

    /** {@link #sumAll}: reads R x C, writes one value. */
    public static OpCost sumAllCost(int R, int C) {
        double n = (double) R * C;
        return OpCost.of(n, (n + 1) * Float.BYTES);
    }

    /**
     * {@link #rowsBackward} / {@link #colsBackward}: writes dx (reads it too when accumulating);
     * logsumexp also reads x (and the small dy, y vectors, counted as lines).
     */
    public static OpCost backwardCost(Op op, int R, int C, int lines, boolean accumulate) {
        double n = (double) R * C;
        double elems = n * (1 + (accumulate ? 1 : 0) + (op == Op.LOGSUMEXP ? 1 : 0));
        double flops = n * ((op == Op.LOGSUMEXP ? 3 : op == Op.MEAN ? 1 : 0) + (accumulate ? 2 : 0));
        return OpCost.of(flops, (elems + lines * (op == Op.LOGSUMEXP ? 2 : 1)) * Float.BYTES);
    }
}
