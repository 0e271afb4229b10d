package org.genzoo.host.ops;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.genzoo.host.Device;
import org.genzoo.host.DeviceBuffer;
import org.genzoo.host.Kernel;
import org.genzoo.host.WorkGroups;
import org.genzoo.host.tensor.Tensor;

/**
 * Device random numbers from Philox-4x32-10 (kernels/rng.cl), keyed by a 64-bit seed.
 *
 * <p>A draw is named by (seed, stream, counter): the kernel computes every element's noise from
 * the counter (element index, counter, stream) and the key (seed), so nothing but a few integers
 * crosses to the device and a job is reproducible from its seed. Streams separate independent
 * noise sources (say 0 for the encoder's reparameterization, 1 for dynamic binarization); each
 * stream has its own counter, which every call that does not name a counter uses and then advances
 * by one, so repeated calls give fresh numbers. Calls that name (stream, counter) explicitly leave
 * the counters alone. {@link #counters()} and {@link #restoreCounters(Map)} save and restore the
 * state for checkpoints.
 *
 * <p>Streams and counters are unsigned on the device (stream as 32 bits, counter as 64 bits).
 * Two calls with the same (stream, counter) give the same numbers; uniform and bernoulli at one
 * position even share their underlying uniforms (binarize's come from other words), so do not
 * reuse a position for two purposes. Not thread-safe (one Rng per job/worker).
 *
 * <p>Binarize (data binarization, and its fused form with the minibatch gather) uses all four words
 * of a Philox block: column c of row r takes word (c mod 64) / 16 of block
 * r * BR + 16 * (c / 64) + c mod 16, BR = 16 * ceil(C / 64) (rng.cl's header), and one work-item
 * computes one block (global (BR, R), in either layout; on CPUs, BLOCKS16, the 16 blocks of 64
 * columns of ROWS16 rows); its numbers depend on the width C too, so
 * a binarized tensor is never launched reshaped. Uniform and bernoulli take word 0 of block
 * i = r * C + c (gibbs.cl draws the
 * same numbers inside its GEMM), normal draws words 0 and 1 of block i. Launch layouts of those (kernels/rng.cl), chosen per device
 * from {@code kernels/tuning/rng.properties} or its type: {@code grid} (2-D, work-item (c, r)) or
 * {@code flat} (1-D over the logical index r * C + c, for coalesced stores on GPUs); a contiguous
 * tensor is launched as one row in either. The numbers depend on (seed, stream, counter, r, c)
 * only, never on the layout.
 */
public final class Rng {
    public static final String FILE = "rng.cl";
    /** The stream the stream-less overloads use. */
    public static final int DEFAULT_STREAM = 0;

    public static final String FAMILY = "rng";

    /**
     * One device's launch configuration.
     *
     * @param layout   "grid" or "flat"
     * @param wg       work-items per work-group (a power of two; a grid work-group is shaped to the tensor)
     * @param blocks16 binarize: 16 Philox blocks per work-item in uint16 vectors (CPU), else one block each
     * @param rows16   with blocks16: rows per work-item (their loads are issued together)
     * @param wg16     with blocks16: work-items per work-group (a power of two; shaped to the tensor)
     */
    public record Config(String layout, int wg, boolean blocks16, int rows16, int wg16) {
        public Config(String layout, int wg) {
            this(layout, wg, false);
        }

        /** One row per work-item and work-groups of {@code wg} in the blocks16 form. */
        public Config(String layout, int wg, boolean blocks16) {
            this(layout, wg, blocks16, 1, wg);
        }

        public Config {
            if (!layout.equals("grid") && !layout.equals("flat")) {
                throw new IllegalArgumentException("rng LAYOUT must be grid or flat, got " + layout);
            }
            if (wg < 1 || Integer.bitCount(wg) != 1) {
                throw new IllegalArgumentException("rng WG must be a power of two, got " + wg);
            }
            if (rows16 < 1) {
                throw new IllegalArgumentException("rng ROWS16 must be at least 1, got " + rows16);
            }
            if (wg16 < 1 || Integer.bitCount(wg16) != 1) {
                throw new IllegalArgumentException("rng WG16 must be a power of two, got " + wg16);
            }
        }

        public static Config tuned(Device d) {
            OpTuning t = OpTuning.of(d, FAMILY);
            return new Config(t.choice("LAYOUT", OpTuning.isCpu(d) ? "grid" : "flat", "grid", "flat"),
                    t.pow2("WG", OpTuning.pow2Cap(d, 256)), t.choice("BLOCKS16", OpTuning.isCpu(d) ? "1" : "0", "0", "1").equals("1"),
                    t.getInt("ROWS16", 4), t.pow2("WG16", OpTuning.pow2Cap(d, 16)));
        }

        Map<String, String> defines() {
            return blocks16
                    ? Map.of("RNG_FLAT", layout.equals("flat") ? "1" : "0", "RNG_BLOCKS16", "1", "RNG_ROWS", Integer.toString(rows16))
                    : Map.of("RNG_FLAT", layout.equals("flat") ? "1" : "0", "RNG_BLOCKS16", "0");
        }
    }

    /**
     * The configurations worth checking on {@code d}: tuned, grid and flat, each binarize form (the
     * blocks16 form with one row per work-item, with the tuned rows and work-group, and with 3 rows in
     * work-groups of one, for row tails; the layout does not reach the binarize kernels).
     */
    public static List<Config> variants(Device d) {
        Config t = Config.tuned(d);
        return List.copyOf(new java.util.LinkedHashSet<>(List.of(t, new Config("grid", t.wg()), new Config("flat", t.wg()),
                new Config("grid", 1), new Config("grid", t.wg(), true), new Config("grid", t.wg(), true, t.rows16(), t.wg16()),
                new Config("grid", t.wg(), true, 3, 1))));
    }

    private static final class State extends OpConfigs<Config> {
        State(Device d) {
            super(Config.tuned(d));
        }
    }

    private static State state(Device d) {
        return d.shared(State.class, State::new);
    }

    public static Config config(Device d) {
        return state(d).current();
    }

    /** Uses {@code c} on {@code d} until the returned scope closes (tests, benchmarks, the tuner). */
    public static OpConfigs.Scope use(Device d, Config c) {
        return state(d).use(c);
    }
    /**
     * Integer operations of one Philox-4x32-10 block (10 rounds of 2 wide multiplies, 4 xors, and
     * 2 key adds), counted as operations in {@link OpCost#flops()} because they are the work.
     */
    public static final double PHILOX_OPS = 10 * 10;

    private final long seed;
    private final TreeMap<Integer, Long> counters = new TreeMap<>();

    public Rng(long seed) {
        this.seed = seed;
    }

    public long seed() {
        return seed;
    }

    /** The counter the next call on {@code stream} will use (0 for a stream never used). */
    public long counter(int stream) {
        return counters.getOrDefault(stream, 0L);
    }

    public void setCounter(int stream, long counter) {
        counters.put(stream, counter);
    }

    /** Returns the counter for the next draw on {@code stream} and advances it by one. */
    public long next(int stream) {
        long c = counter(stream);
        counters.put(stream, c + 1);
        return c;
    }

    /** Snapshot of every used stream's next counter, sorted by stream, for checkpoints. */
    public Map<Integer, Long> counters() {
        return Collections.unmodifiableMap(new TreeMap<>(counters));
    }

    /** Replaces all counters with {@code saved} (streams not in it restart at 0). */
    public void restoreCounters(Map<Integer, Long> saved) {
        counters.clear();
        counters.putAll(saved);
    }

    // ---- uniform -----------------------------------------------------------------------------

    /** out = U ~ Uniform[0, 1) with 24-bit resolution (never 1).  out: R x C. */
    public void uniform(Tensor out) {
        uniform(out, DEFAULT_STREAM);
    }

    public void uniform(Tensor out, int stream) {
        uniform(out, stream, next(stream));
    }

    public void uniform(Tensor out, int stream, long counter) {
        if (out.size() == 0) {
            return;
        }
        Device d = out.device();
        int[] rc = shape(out);
        Kernel k = kernel(d, "rng_uniform").args(out, out.offset(), out.ld(),
                (int) counter, (int) (counter >>> 32), stream, (int) seed, (int) (seed >>> 32), rc[0], rc[1]);
        launch(d, k, rc);
    }

    // ---- normal ------------------------------------------------------------------------------

    /** out = Z ~ N(0, 1) by Box-Muller.  out: R x C. */
    public void normal(Tensor out) {
        normal(out, DEFAULT_STREAM);
    }

    public void normal(Tensor out, int stream) {
        normal(out, stream, next(stream));
    }

    public void normal(Tensor out, int stream, long counter) {
        if (out.size() == 0) {
            return;
        }
        Device d = out.device();
        int[] rc = shape(out);
        Kernel k = kernel(d, "rng_normal").args(out, out.offset(), out.ld(),
                (int) counter, (int) (counter >>> 32), stream, (int) seed, (int) (seed >>> 32), rc[0], rc[1]);
        launch(d, k, rc);
    }

    // ---- bernoulli / binarize ----------------------------------------------------------------

    /** out = 1 with probability p, else 0, element by element: out = U < p.  out, p: R x C. */
    public void bernoulli(Tensor out, Tensor p) {
        bernoulli(out, p, DEFAULT_STREAM);
    }

    public void bernoulli(Tensor out, Tensor p, int stream) {
        bernoulli(out, p, stream, next(stream));
    }

    public void bernoulli(Tensor out, Tensor p, int stream, long counter) {
        out.requireShape(p, "bernoulli out vs p");
        sameDevice(out, p);
        if (out.size() == 0) {
            return;
        }
        Device d = out.device();
        int[] rc = shape(out, p);
        Kernel k = kernel(d, "rng_bernoulli").args(out, out.offset(), out.ld(), p, p.offset(), p.ld(),
                (int) counter, (int) (counter >>> 32), stream, (int) seed, (int) (seed >>> 32), rc[0], rc[1]);
        launch(d, k, rc);
    }

    /**
     * Gathers rows and binarizes them in one pass: out[r, :] = Bernoulli(x[idx[idxOff + r], :]),
     * exactly what {@link Gather#rows} into {@code out} followed by {@code binarize(out, out, stream,
     * counter)} gives (the same uniforms at the same positions of out). Indices must lie in
     * [0, x.rows()): the caller guarantees it (a permutation of the data set's rows).
     * out: B x D; x: N x D; idx: at least idxOff + B ints.
     */
    public void gatherBinarize(Tensor out, Tensor x, DeviceBuffer idx, int idxOff, int stream, long counter) {
        if (out.cols() != x.cols()) {
            throw new IllegalArgumentException("gatherBinarize: out has " + out.cols() + " columns, x has " + x.cols());
        }
        if (idxOff < 0 || idxOff + out.rows() > idx.floats()) {
            throw new IndexOutOfBoundsException("gatherBinarize: indices [" + idxOff + ", " + (idxOff + out.rows()) + ") outside "
                    + idx.floats());
        }
        sameDevice(out, x);
        if (out.size() == 0) {
            return;
        }
        Device d = out.device();
        int[] rc = {out.rows(), out.cols()};
        Kernel k = kernel(d, "rng_gather_binarize").args(out, out.offset(), out.ld(), x, x.offset(), x.ld(), idx, idxOff,
                (int) counter, (int) (counter >>> 32), stream, (int) seed, (int) (seed >>> 32), rc[0], rc[1]);
        launchBlocks(d, k, rc);
    }

    /** gatherBinarize: one Philox block per 4 elements and a compare each; reads B rows of x and B indices, writes out. */
    public static OpCost gatherBinarizeCost(int rows, int cols) {
        double n = (double) rows * cols;
        return OpCost.of(n * (PHILOX_OPS / 4 + 3), n * 8 + rows * 4.0);
    }

    /**
     * Dynamic binarization of grey images: out = U < x, so a pixel of intensity x in [0, 1] is 1 with
     * probability x, resampled at every call. Like bernoulli, but U comes from all four words of a block (see the class comment)
     * (a quarter of the Philox work). out, x: R x C (out may be x).
     */
    public void binarize(Tensor out, Tensor x) {
        binarize(out, x, DEFAULT_STREAM);
    }

    public void binarize(Tensor out, Tensor x, int stream) {
        binarize(out, x, stream, next(stream));
    }

    public void binarize(Tensor out, Tensor x, int stream, long counter) {
        out.requireShape(x, "binarize out vs x");
        sameDevice(out, x);
        if (out.size() == 0) {
            return;
        }
        Device d = out.device();
        int[] rc = {out.rows(), out.cols()}; // never flattened: the numbers depend on the width
        Kernel k = kernel(d, "rng_binarize").args(out, out.offset(), out.ld(), x, x.offset(), x.ld(),
                (int) counter, (int) (counter >>> 32), stream, (int) seed, (int) (seed >>> 32), rc[0], rc[1]);
        launchBlocks(d, k, rc);
    }

    // ---- reparameterization ------------------------------------------------------------------

    /**
     * z = mu + exp(logvar / 2) * eps with eps ~ N(0, 1) drawn in the same kernel (the numbers
     * {@link #normal} gives at the same position). When {@code eps} is not null it receives the
     * noise for {@link #reparameterizeBackward}. z, eps, mu, logvar: R x C.
     */
    public void reparameterize(Tensor z, Tensor eps, Tensor mu, Tensor logvar) {
        reparameterize(z, eps, mu, logvar, DEFAULT_STREAM);
    }

    public void reparameterize(Tensor z, Tensor eps, Tensor mu, Tensor logvar, int stream) {
        reparameterize(z, eps, mu, logvar, stream, next(stream));
    }

    public void reparameterize(Tensor z, Tensor eps, Tensor mu, Tensor logvar, int stream, long counter) {
        z.requireShape(mu, "reparameterize z vs mu");
        z.requireShape(logvar, "reparameterize z vs logvar");
        sameDevice(z, mu);
        sameDevice(z, logvar);
        if (eps != null) {
            z.requireShape(eps, "reparameterize z vs eps");
            sameDevice(z, eps);
        }
        if (z.size() == 0) {
            return;
        }
        Tensor e = eps != null ? eps : z;
        Device d = z.device();
        int[] rc = shape(z, e, mu, logvar);
        Kernel k = kernel(d, "rng_reparameterize").args(z, z.offset(), z.ld(), e, e.offset(), e.ld(), eps != null ? 1 : 0,
                mu, mu.offset(), mu.ld(), logvar, logvar.offset(), logvar.ld(),
                (int) counter, (int) (counter >>> 32), stream, (int) seed, (int) (seed >>> 32), rc[0], rc[1]);
        launch(d, k, rc);
    }

    /**
     * Backward of {@link #reparameterize}: dmu = beta*dmu + dz, dlogvar = beta*dlogvar +
     * dz*eps*exp(logvar/2)/2. beta = 0 assigns without reading dmu/dlogvar; 1 accumulates.
     * dmu, dlogvar, dz, eps, logvar: R x C.
     */
    public static void reparameterizeBackward(Tensor dmu, Tensor dlogvar, Tensor dz, Tensor eps, Tensor logvar, float beta) {
        dz.requireShape(dmu, "reparameterizeBackward dz vs dmu");
        dz.requireShape(dlogvar, "reparameterizeBackward dz vs dlogvar");
        dz.requireShape(eps, "reparameterizeBackward dz vs eps");
        dz.requireShape(logvar, "reparameterizeBackward dz vs logvar");
        sameDevice(dz, dmu);
        sameDevice(dz, dlogvar);
        sameDevice(dz, eps);
        sameDevice(dz, logvar);
        if (dz.size() == 0) {
            return;
        }
        Device d = dz.device();
        int[] rc = shape(dz, dmu, dlogvar, eps, logvar);
        Kernel k = kernel(d, "rng_reparameterize_backward").args(dmu, dmu.offset(), dmu.ld(),
                dlogvar, dlogvar.offset(), dlogvar.ld(), dz, dz.offset(), dz.ld(), eps, eps.offset(), eps.ld(),
                logvar, logvar.offset(), logvar.ld(), beta, rc[0], rc[1]);
        launch(d, k, rc);
    }

    // ---- raw generator (known-answer tests) --------------------------------------------------

    /**
     * Raw Philox words: element i = r*C + c of out (R x C, flattened row-major) receives word i % 4 of
     * philox((c0 + i/4, c1, c2, c3), (k0, k1)) as uint32 bits; read them back with readInts.
     */
    static void philoxRaw(Tensor out, int c0, int c1, int c2, int c3, int k0, int k1) {
        if (out.size() == 0) {
            return;
        }
        Device d = out.device();
        int[] rc = shape(out);
        Kernel k = kernel(d, "philox_raw").args(out, out.offset(), out.ld(), c0, c1, c2, c3, k0, k1, rc[0], rc[1]);
        launch(d, k, rc);
    }

    // ---- costs -------------------------------------------------------------------------------

    /** uniform: one Philox block and 2 float ops per element; writes n floats. */
    public static OpCost uniformCost(int rows, int cols) {
        double n = (double) rows * cols;
        return OpCost.of(n * (PHILOX_OPS + 2), n * 4);
    }

    /** normal: one Philox block, Box-Muller (log, sqrt, cos counted as one op each) per element. */
    public static OpCost normalCost(int rows, int cols) {
        double n = (double) rows * cols;
        return OpCost.of(n * (PHILOX_OPS + 10), n * 4);
    }

    /** bernoulli: one Philox block and a compare per element; reads p, writes out. */
    public static OpCost bernoulliCost(int rows, int cols) {
        double n = (double) rows * cols;
        return OpCost.of(n * (PHILOX_OPS + 3), n * 8);
    }

    /** binarize: one Philox block per 4 elements and a compare per element; reads x, writes out. */
    public static OpCost binarizeCost(int rows, int cols) {
        double n = (double) rows * cols;
        return OpCost.of(n * (PHILOX_OPS / 4 + 3), n * 8);
    }

    /** reparameterize: normal plus exp and a multiply-add; reads mu, logvar, writes z (and eps). */
    public static OpCost reparameterizeCost(int rows, int cols, boolean storeEps) {
        double n = (double) rows * cols;
        return OpCost.of(n * (PHILOX_OPS + 14), n * 4 * (storeEps ? 4 : 3));
    }

    /** reparameterizeBackward: exp and 5 ops per element; reads dz, eps, logvar (and dmu, dlogvar when beta != 0), writes 2. */
    public static OpCost reparameterizeBackwardCost(int rows, int cols, float beta) {
        double n = (double) rows * cols;
        return OpCost.of(n * (beta == 0f ? 6 : 10), n * 4 * (beta == 0f ? 5 : 7));
    }


    private static Kernel kernel(Device d, String name) {
        return d.kernel(FILE, name, config(d).defines());
    }

    /**
     * The logical shape {R, C} to launch: one row of R * C when every operand is contiguous (the
     * same logical indices r * C + c, so the same numbers, and no short rows), else the tensors' own.
     */
    private static int[] shape(Tensor first, Tensor... rest) {
        boolean flat = first.contiguous();
        for (Tensor t : rest) {
            flat &= t.contiguous();
        }
        return flat ? new int[] {1, first.size()} : new int[] {first.rows(), first.cols()};
    }

    /**
     * Launches a binarize kernel over R x C {@code rc}: global (BR, R), BR = 16 * ceil(C / 64) blocks
     * per row; work-groups of up to 16 blocks of a row (one run of 64 columns) times as many rows as
     * the configured WG allows. With BLOCKS16, global (ceil(C / 64), ceil(R / ROWS16)): 64 columns of
     * ROWS16 rows per work-item, WG16 work-items per work-group (a row's groups first).
     */
    private static void launchBlocks(Device d, Kernel k, int[] rc) {
        Config c = config(d);
        if (c.blocks16) {
            int groups = (rc[1] + 63) / 64;
            int rowBlocks = (rc[0] + c.rows16 - 1) / c.rows16;
            d.launch(k, new long[] {groups, rowBlocks}, WorkGroups.local2d(c.wg16, rowBlocks, groups));
            return;
        }
        long br = 16L * ((rc[1] + 63) / 64);
        int wg = c.wg;
        int lx = Elementwise.pow2Cap(16, wg);
        int ly = Elementwise.pow2Cap(rc[0], wg / lx);
        d.launch(k, new long[] {br, rc[0]}, new long[] {lx, ly});
    }

    /** Launches over the logical R x C shape {@code rc} in the configured layout. */
    private static void launch(Device d, Kernel k, int[] rc) {
        Config c = config(d);
        if (c.layout.equals("flat")) {
            d.launch(k, new long[] {(long) rc[0] * rc[1]}, new long[] {c.wg});
        } else {
            int lx = Elementwise.pow2Cap(rc[1], c.wg);
            int ly = Elementwise.pow2Cap(rc[0], c.wg / lx);
            d.launch(k, new long[] {rc[1], rc[0]}, new long[] {lx, ly});
        }
    }

    private static void sameDevice(Tensor a, Tensor b) {
        if (a.device() != b.device()) {
            throw new IllegalArgumentException("tensors live on different devices");
        }
    }
}
