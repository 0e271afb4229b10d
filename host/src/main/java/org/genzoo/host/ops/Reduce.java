package org.genzoo.host.ops;

import java.util.ArrayList;
import java.util.List;
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
 * <p>Variants (kernels/reduce.cl): rows reduce with the {@code group} kernel (one work-group per
 * row, GROUP_WG work-items of LANE_VW-wide vectors) or the {@code tiled} one; columns with the
 * {@code vec} kernel (one work-item per COLS_VW adjacent columns, one pass down the rows) or the
 * {@code tiled} one. The variant and every launch size come from {@code kernels/tuning/reduce.properties}
 * for the device, else from defaults derived from its type and limits ({@link Config#tuned}).
 *
 * <p>Forward methods with {@code beta} compute {@code y = beta * y + reduction}; beta = 0 does not
 * read y. Backward methods: {@code dx = beta * dx + contribution}, same rule.
 */
public final class Reduce {
    public static final String FAMILY = "reduce";
    private static final String FILE = "reduce.cl";

    private Reduce() {
    }

    /**
     * One device's configuration.
     *
     * @param rows         "group" or "tiled": the row-reduction kernel
     * @param groupWg      GROUP_WG: work-items per row in the group kernel (a power of two)
     * @param groupRows    rows per work-group of the group kernel when GROUP_WG is 1 (a power of two)
     * @param laneVw       LANE_VW: floats per work-item vector in the group kernel (1, 4, 8, 16)
     * @param rowsTarget   work-groups the group kernel should have in flight: rows are cut into
     *                     chunks (then a second pass) when there are fewer rows than this
     * @param rowsMinChunk shortest chunk worth a work-group of its own
     * @param cols         "vec" or "tiled": the column-reduction kernel
     * @param colsVw       LANE_VW of the vec kernel: adjacent columns per work-item
     * @param colsWg       work-items per work-group of the vec kernel
     * @param colsTarget   work-items the vec kernel should have in flight: rows are cut into chunks
     *                     when there are fewer column vectors than this
     * @param colsMinChunk fewest rows per chunk of the vec kernel
     * @param wg           WG of the tiled kernels and of every second pass (a power of two)
     * @param colsTx       tiled column kernel: widest work-group in the column direction
     * @param items        tiled kernels: elements each work-item folds before the tree
     */
    public record Config(String rows, int groupWg, int groupRows, int laneVw, int rowsTarget, int rowsMinChunk, String cols, int colsVw,
            int colsWg, int colsTarget, int colsMinChunk, int wg, int colsTx, int items) {
        public Config {
            if (!rows.equals("group") && !rows.equals("tiled")) {
                throw new IllegalArgumentException("reduce ROWS must be group or tiled, got " + rows);
            }
            if (!cols.equals("vec") && !cols.equals("tiled")) {
                throw new IllegalArgumentException("reduce COLS must be vec or tiled, got " + cols);
            }
            for (int v : new int[] {laneVw, colsVw}) {
                if (v != 1 && v != 4 && v != 8 && v != 16) {
                    throw new IllegalArgumentException("reduce LANE_VW and COLS_VW must be 1, 4, 8 or 16, got " + v);
                }
            }
            for (int v : new int[] {groupWg, groupRows, wg}) {
                if (v < 1 || Integer.bitCount(v) != 1) {
                    throw new IllegalArgumentException("reduce GROUP_WG, GROUP_ROWS and WG must be powers of two, got " + v);
                }
            }
            if (colsTx > wg || Integer.bitCount(colsTx) != 1 || colsWg < 1 || items < 1 || rowsTarget < 1 || rowsMinChunk < 1
                    || colsTarget < 1 || colsMinChunk < 1) {
                throw new IllegalArgumentException("reduce: COLS_TX must be a power of two <= WG and the other sizes positive, got "
                        + this);
            }
        }

        /** From the device's tuning file, else defaults from its type and limits. */
        public static Config tuned(Device d) {
            OpTuning t = OpTuning.of(d, FAMILY);
            boolean cpu = OpTuning.isCpu(d);
            int cus = Math.max(1, d.info().computeUnits());
            int lanes = OpTuning.defaultLanes(d);
            int wg = t.pow2("WG", OpTuning.pow2Cap(d, 256));
            return new Config(t.choice("ROWS", "group", "group", "tiled"), t.pow2("GROUP_WG", cpu ? 1 : OpTuning.pow2Cap(d, 256)),
                    t.pow2("GROUP_ROWS", OpTuning.pow2Cap(d, 16)), t.getInt("LANE_VW", lanes), t.getInt("ROWS_TARGET", cpu ? 2 * cus : 4 * cus),
                    t.getInt("ROWS_MIN_CHUNK", cpu ? 4096 : 1024), t.choice("COLS", "vec", "vec", "tiled"),
                    t.getInt("COLS_VW", lanes), t.getInt("COLS_WG", cpu ? 1 : OpTuning.pow2Cap(d, 64)),
                    t.getInt("COLS_TARGET", cpu ? 2 * cus : 256 * cus), t.getInt("COLS_MIN_CHUNK", cpu ? 256 : 64), wg,
                    t.pow2("COLS_TX", Math.min(32, wg)), t.getInt("ITEMS", 16));
        }

        /** This configuration with the other kernels ("tiled" rows and columns). */
        public Config tiled() {
            return new Config("tiled", groupWg, groupRows, laneVw, rowsTarget, rowsMinChunk, "tiled", colsVw, colsWg, colsTarget, colsMinChunk,
                    wg, colsTx, items);
        }

        /** This configuration with the group and vec kernels shaped as given. */
        public Config lanes(int groupWg, int laneVw, int colsWg, int colsVw) {
            return new Config("group", groupWg, groupRows, laneVw, rowsTarget, rowsMinChunk, "vec", colsVw, colsWg, colsTarget, colsMinChunk,
                    wg, colsTx, items);
        }

        /** Chunking thresholds as given (small values make tests reach the multi-pass paths at small shapes). */
        public Config chunking(int rowsTarget, int rowsMinChunk, int colsTarget, int colsMinChunk) {
            return new Config(rows, groupWg, groupRows, laneVw, rowsTarget, rowsMinChunk, cols, colsVw, colsWg, colsTarget, colsMinChunk, wg,
                    colsTx, items);
        }

        Map<String, String> defines(Op op, int lanes, int groupWg) {
            return Map.of("OP", op.define, "WG", Integer.toString(wg), "LANE_VW", Integer.toString(lanes), "GROUP_WG",
                    Integer.toString(groupWg));
        }
    }

    /**
     * The configurations worth checking on {@code d} (each once): its tuned one, the tiled kernels,
     * and the group/vec kernels in a CPU shape (one work-item of 16 lanes) and two GPU shapes
     * (64 x 1 and 32 x 4); two of them with chunking forced so second passes run at small shapes.
     */
    public static List<Config> variants(Device d) {
        Config t = Config.tuned(d);
        java.util.LinkedHashSet<Config> out = new java.util.LinkedHashSet<>();
        out.add(t);
        out.add(t.tiled());
        out.add(t.lanes(1, 16, 1, 16).chunking(64, 8, 64, 2));
        out.add(t.lanes(OpTuning.pow2Cap(d, 64), 1, OpTuning.pow2Cap(d, 64), 1));
        out.add(t.lanes(OpTuning.pow2Cap(d, 32), 4, OpTuning.pow2Cap(d, 8), 4).chunking(64, 8, 64, 2));
        return List.copyOf(out);
    }

    private static final class State extends OpConfigs<Config> {
        State(Device d) {
            super(Config.tuned(d));
        }
    }

    private static State state(Device d) {
        return d.shared(State.class, State::new);
    }

    /** The configuration in use on {@code d}. */
    public static Config config(Device d) {
        return state(d).current();
    }

    /** Uses {@code c} on {@code d} until the returned scope closes (tests, benchmarks, the tuner). */
    public static OpConfigs.Scope use(Device d, Config c) {
        return state(d).use(c);
    }

    /** The reduction; {@code define} is the {@code -DOP=} value of the kernel build. */
    public enum Op {
        SUM("RED_SUM", 1),
        MEAN("RED_MEAN", 1),
        MAX("RED_MAX", 1),
        /** log(sum(exp(x))), computed as max + log(sum(exp(x - max))). */
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
        Config cfg = config(d);
        DeviceBuffer part;
        int len;
        if (cfg.rows.equals("group")) {
            // G chunks per row when there are too few rows to keep the device busy and the rows are long.
            int g = (int) Math.max(1, Math.min((cfg.rowsTarget + R - 1L) / R, C / (long) cfg.rowsMinChunk));
            int chunk = (int) ((C + (long) g - 1) / g);
            chunk = (chunk + cfg.laneVw - 1) / cfg.laneVw * cfg.laneVw; // vectors line up with chunk starts
            g = (int) Math.max(1, (C + (long) chunk - 1) / chunk);
            part = g == 1 ? y.buffer() : d.pool().acquireFloats(2L * R * g);
            Kernel k = d.kernel(FILE, "reduce_rows_group", cfg.defines(op, cfg.laneVw, cfg.groupWg)).args(y, y.offset(), y.ld(),
                    part, x, x.offset(), x.ld(), R, C, chunk, g, (float) C, beta,
                    new Kernel.Local((long) cfg.groupWg * 2 * Float.BYTES));
            d.launch(k, new long[] {(long) g * cfg.groupWg, R}, new long[] {cfg.groupWg, groupRows(cfg.groupWg, cfg.groupRows, R)});
            len = g;
        } else {
            Plan p = Plan.of(C, cfg.wg, cfg.items);
            int along = Elementwise.pow2Cap(R, cfg.wg / p.across);
            part = p.groups == 1 ? y.buffer() : d.pool().acquireFloats(2L * R * p.groups);
            Kernel k = d.kernel(FILE, "reduce_rows", cfg.defines(op, 1, 1)).args(y, y.offset(), y.ld(), part, x, x.offset(),
                    x.ld(), R, C, p.chunk, p.groups, (float) C, beta, local(cfg));
            d.launch(k, new long[] {(long) p.groups * p.across, R}, new long[] {p.across, along});
            len = p.groups;
        }
        while (len > 1) {
            DeviceBuffer in = part;
            Plan q = Plan.of(len, cfg.wg, cfg.items);
            int along = Elementwise.pow2Cap(R, cfg.wg / q.across);
            part = q.groups == 1 ? y.buffer() : d.pool().acquireFloats(2L * R * q.groups);
            Kernel k = d.kernel(FILE, "reduce_rows_pairs", cfg.defines(op, 1, 1)).args(y, y.offset(), y.ld(), part, in, R, len,
                    q.chunk, q.groups, (float) C, beta, local(cfg));
            d.launch(k, new long[] {(long) q.groups * q.across, R}, new long[] {q.across, along});
            in.close();
            len = q.groups;
        }
    }

    /** Rows per work-group of a group kernel: one when GROUP_WG work-items share a row, else up to {@code max}. */
    static int groupRows(int groupWg, int max, int R) {
        return groupWg == 1 ? Elementwise.pow2Cap(R, max) : 1;
    }

    private static Kernel.Local local(Config cfg) {
        return new Kernel.Local((long) cfg.wg * 2 * Float.BYTES);
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
        Config cfg = config(d);
        int tx = Elementwise.pow2Cap(C, cfg.colsTx);
        DeviceBuffer part;
        int len;
        if (cfg.cols.equals("vec")) {
            // G chunks of rows when there are too few column vectors to keep the device busy and many rows.
            long vectors = (C + cfg.colsVw - 1L) / cfg.colsVw;
            int g = (int) Math.max(1, Math.min((cfg.colsTarget + vectors - 1) / vectors, R / (long) cfg.colsMinChunk));
            int chunk = (int) ((R + (long) g - 1) / g);
            g = (int) Math.max(1, (R + (long) chunk - 1) / chunk);
            part = g == 1 ? y.buffer() : d.pool().acquireFloats(2L * C * g);
            Kernel k = d.kernel(FILE, "reduce_cols_vec", cfg.defines(op, cfg.colsVw, 1)).args(y, y.offset(), part, x, x.offset(),
                    x.ld(), R, C, chunk, g, (float) R, beta, new Kernel.Local(2 * Float.BYTES));
            d.launch(k, new long[] {vectors, g}, new long[] {cfg.colsWg, 1});
            len = g;
        } else {
            Plan p = Plan.of(R, cfg.wg / tx, cfg.items);
            part = p.groups == 1 ? y.buffer() : d.pool().acquireFloats(2L * C * p.groups);
            Kernel k = d.kernel(FILE, "reduce_cols", cfg.defines(op, 1, 1)).args(y, y.offset(), part, x, x.offset(), x.ld(), R, C,
                    p.chunk, p.groups, (float) R, beta, local(cfg));
            d.launch(k, new long[] {C, (long) p.groups * p.across}, new long[] {tx, p.across});
            len = p.groups;
        }
        while (len > 1) {
            DeviceBuffer in = part;
            Plan q = Plan.of(len, cfg.wg / tx, cfg.items);
            part = q.groups == 1 ? y.buffer() : d.pool().acquireFloats(2L * C * q.groups);
            Kernel k = d.kernel(FILE, "reduce_cols_pairs", cfg.defines(op, 1, 1)).args(y, y.offset(), part, in, len, C, q.chunk,
                    q.groups, (float) R, beta, local(cfg));
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
     * How one tiled pass cuts lines of length {@code len}: {@code across} work-items share a line (a
     * power of two, the tree dimension), {@code groups} work-groups per line, each folding
     * {@code chunk} consecutive elements. A function of the shape alone, so the summation order is fixed.
     */
    private record Plan(int across, int groups, int chunk) {
        static Plan of(int len, int maxAcross, int items) {
            int across = Elementwise.pow2Cap(Math.max(1, (len + items - 1) / items), maxAcross);
            long perGroup = (long) across * items;
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
        Kernel k = d.kernel(FILE, "reduce_backward", config(d).defines(op, 1, 1)).args(dx, dx.offset(), dx.ld(), dy, dy.offset(), sr,
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
