package org.genzoo.host.ops;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import org.genzoo.host.Device;
import org.genzoo.host.Kernel;
import org.genzoo.host.Tuning;
import org.genzoo.host.tensor.Tensor;

/**
 * Gibbs sampling for restricted Boltzmann machines (kernels/gibbs.cl): the fused half-step
 * (product, temperature, sigmoid and Philox draw in one kernel), gradient statistics, free
 * energies, joint energies and replica swaps for parallel tempering, AIS importance weights, and
 * the enumeration behind exact log Z. The math and the random-number convention are in the kernel
 * file's header.
 *
 * <p>One instance per device: it picks the half-step variant once, from
 * {@code kernels/tuning/gibbs.properties} ({@code VARIANT=gemm|rows}, {@code WG} for rows) or,
 * when the file names none, from the device's GEMM: {@code gemm} (the packed CPU product of gemm.cl
 * with the sampling in its epilogue, built with the gemm tuning's tiles) where the GEMM runs its CPU
 * variant, else {@code rows} (one work-group per output row, coalesced stores), whose work-group is
 * the device's maximum capped at 256.
 */
public final class Gibbs implements AutoCloseable {
    public static final String FILE = "gibbs.cl";

    /** The half-step's kernel variants. */
    public enum Variant {
        GEMM, ROWS
    }

    /** The kind of unit a half-step samples. */
    public enum Units {
        /** P = sigmoid(z), S = U &lt; P. */
        BERNOULLI,
        /** P = z, S = z + N(0, 1) (unit-variance Gaussian). */
        GAUSSIAN
    }

    private final Device device;
    private final Variant variant;
    private final Map<String, String> defines;
    private final int rowsWg;
    private final Gemm gemm;
    private final Tensor dummy;

    public Gibbs(Device device) {
        this(device, null);
    }

    /** With {@code force} non-null, that variant regardless of the tuning file (tests and benchmarks). */
    public Gibbs(Device device, Variant force) {
        this.device = device;
        Gemm tuned = new Gemm(device);
        Tuning t = device.tuning("gibbs");
        Variant byDevice = tuned.variant() == Gemm.Variant.CPU ? Variant.GEMM : Variant.ROWS;
        this.variant = force != null ? force : Variant.valueOf(t.get("VARIANT", byDevice.name()).toUpperCase(Locale.ROOT));
        if (variant == Variant.GEMM && tuned.variant() != Gemm.Variant.CPU) {
            // The gemm variant fuses into gemm.cl's CPU kernel: where the device's GEMM is another
            // variant (a GPU), that kernel builds with the defaults fitted to the device's local memory.
            tuned.close();
            tuned = new Gemm(device, Gemm.Variant.CPU, Map.of());
        }
        this.gemm = tuned;
        // the CPU variant is gemm.cl's kernel: it builds with exactly the gemm tuning's tile defines
        this.defines = variant == Variant.GEMM ? gemm.defines() : Map.of();
        this.rowsWg = t.getInt("WG", (int) Math.min(256, Math.max(1, device.info().maxWorkGroupSize())));
        this.dummy = Tensor.zeros(device, 1, 1);
    }

    public Variant variant() {
        return variant;
    }

    public Device device() {
        return device;
    }

    /** The plain product, for the statistics that need one (X = VW + c, gradient outer products). */
    public Gemm gemm() {
        return gemm;
    }

    /**
     * One Gibbs half-step: x = a·op(w) + bias, z = t·x + (1 − t)·base with t = temp·rowTemps[r]
     * (rowTemps optional), then P = sigmoid(z) and S ~ Bernoulli(P), or P = z and S = z + N(0, 1)
     * for Gaussian units. The draw is Rng's at (rng seed, stream, counter).
     * p, s: R x N; a: R x K; w: K x N, or N x K with transW; bias: 1 x N; rowTemps: R x 1 or null;
     * base: 1 x N or null.
     */
    public void halfStep(Tensor p, Tensor s, Tensor a, Tensor w, boolean transW, Tensor bias, float temp, Tensor rowTemps,
            Tensor base, Units units, Rng rng, int stream, long counter) {
        int r = a.rows();
        int k = a.cols();
        int kw = transW ? w.cols() : w.rows();
        int n = transW ? w.rows() : w.cols();
        if (k != kw || p.rows() != r || p.cols() != n) {
            throw new IllegalArgumentException("gibbs half-step: states " + a.shape() + ", weights " + w.shape()
                    + (transW ? " (transposed)" : "") + ", output " + p.shape() + " do not chain (need R x K, K x N, R x N)");
        }
        s.requireShape(p, "gibbs half-step samples vs probabilities");
        if (bias.rows() != 1 || bias.cols() != n) {
            throw new IllegalArgumentException("gibbs half-step: bias must be 1 x " + n + ", got " + bias.shape());
        }
        if (rowTemps != null && (rowTemps.rows() != r || rowTemps.cols() != 1)) {
            throw new IllegalArgumentException("gibbs half-step: row temperatures must be " + r + " x 1, got " + rowTemps.shape());
        }
        if (base != null && (base.rows() != 1 || base.cols() != n)) {
            throw new IllegalArgumentException("gibbs half-step: base biases must be 1 x " + n + ", got " + base.shape());
        }
        for (Tensor t : new Tensor[] {s, a, w, bias, rowTemps, base}) {
            if (t != null) {
                Elementwise.sameDevice(p, t);
            }
        }
        if (rowTemps != null && !rowTemps.contiguous()) {
            throw new IllegalArgumentException("gibbs half-step: row temperatures must be contiguous");
        }
        if (r == 0 || n == 0) {
            return;
        }
        Map<String, String> d = new HashMap<>(defines);
        d.put("TRANS_B", transW ? "1" : "0");
        d.put("GAUSS", units == Units.GAUSSIAN ? "1" : "0");
        Tensor rt = rowTemps == null ? dummy : rowTemps;
        Tensor bs = base == null ? dummy : base;
        long seed = rng.seed();
        Object[] args = {p, p.offset(), p.ld(), a, a.offset(), a.ld(), w, w.offset(), w.ld(), bias, bias.offset(), r, n, k, 1f, 0f,
            s, s.offset(), s.ld(), rt, rt.offset(), rowTemps == null ? 0 : 1, bs, bs.offset(), base == null ? 0 : 1, temp, (int) counter, (int) (counter >>> 32), stream, (int) seed,
            (int) (seed >>> 32)};
        if (variant == Variant.GEMM) {
            d.put("GIBBS_GEMM", "1");
            Kernel kern = device.kernel(FILE, "gibbs_gemm", d).args(args);
            device.launch(kern, gemm.global(r, n), new long[] {1, 1});
        } else {
            long bytes = 4L * Math.max(1, k);
            if (bytes > device.info().localMemBytes()) {
                throw new IllegalArgumentException("gibbs half-step (rows variant): a row of " + k + " inputs needs " + bytes
                        + " bytes of local memory, the device has " + device.info().localMemBytes());
            }
            d.put("WG", Integer.toString(rowsWg));
            Kernel kern = device.kernel(FILE, "gibbs_rows", d).args(args);
            kern.set(args.length, new Kernel.Local(bytes));
            device.launch(kern, new long[] {rowsWg, r}, new long[] {rowsWg, 1});
        }
    }

    /** P = sigmoid(temp·x), S ~ Bernoulli(P) at (rng seed, stream, counter).  p, s, x: R x C. */
    public void sampleLogits(Tensor p, Tensor s, Tensor x, float temp, Rng rng, int stream, long counter) {
        p.requireShape(s, "sampleLogits P vs S");
        p.requireShape(x, "sampleLogits P vs X");
        if (p.size() == 0) {
            return;
        }
        long seed = rng.seed();
        Kernel k = device.kernel(FILE, "gibbs_sample_logits", small(Units.BERNOULLI)).args(p, p.offset(), p.ld(), s, s.offset(), s.ld(), x, x.offset(), x.ld(),
                temp, (int) counter, (int) (counter >>> 32), stream, (int) seed, (int) (seed >>> 32), p.rows(), p.cols());
        device.launch(k, new long[] {p.cols(), p.rows()}, null);
    }

    /**
     * db += sp·Σ_r pos[r] + sn·Σ_r neg[r], rows in order (sp = −1/Rp, sn = 1/Rn give the CD gradient of
     * a bias).  db: 1 x C; pos: Rp x C; neg: Rn x C.
     */
    public void biasStats(Tensor db, Tensor pos, float sp, Tensor neg, float sn) {
        if (db.rows() != 1 || db.cols() != pos.cols() || neg.cols() != pos.cols()) {
            throw new IllegalArgumentException("biasStats: db " + db.shape() + ", pos " + pos.shape() + ", neg " + neg.shape()
                    + " (need 1 x C, Rp x C, Rn x C)");
        }
        if (db.cols() == 0) {
            return;
        }
        Kernel k = device.kernel(FILE, "gibbs_bias_stats", small(Units.BERNOULLI)).args(db, db.offset(), pos, pos.offset(), pos.ld(), pos.rows(), sp, neg,
                neg.offset(), neg.ld(), neg.rows(), sn, pos.cols());
        device.launch(k, new long[] {db.cols()}, null);
    }

    /**
     * Free energy per row from the hidden pre-activations x = vW + c: F = −b·v − Σ softplus(x)
     * (Bernoulli) or |v − b|²/2 − Σ softplus(x) (Gaussian).  f: R x 1; x: R x H; v: R x D; b: 1 x D.
     */
    public void freeEnergy(Tensor f, Tensor x, Tensor v, Tensor b, Units units) {
        int r = v.rows();
        if (f.rows() != r || f.cols() != 1 || x.rows() != r || b.rows() != 1 || b.cols() != v.cols()) {
            throw new IllegalArgumentException("freeEnergy: f " + f.shape() + ", x " + x.shape() + ", v " + v.shape() + ", b " + b.shape()
                    + " (need R x 1, R x H, R x D, 1 x D)");
        }
        if (r == 0) {
            return;
        }
        Kernel k = device.kernel(FILE, "rbm_free_energy", small(units)).args(f, f.offset(),
                f.ld(), x, x.offset(), x.ld(), v, v.offset(), v.ld(), b, b.offset(), r, v.cols(), x.cols());
        device.launch(k, new long[] {r}, null);
    }

    /** Joint energy per row from x = vW (no bias): E = −(Σ x·h + b·v + c·h).  e: R x 1; x, h: R x H; v: R x D. */
    public void energy(Tensor e, Tensor x, Tensor v, Tensor h, Tensor b, Tensor c) {
        int r = v.rows();
        x.requireShape(h, "energy x vs h");
        if (e.rows() != r || e.cols() != 1 || x.rows() != r || b.cols() != v.cols() || c.cols() != h.cols()) {
            throw new IllegalArgumentException("energy: e " + e.shape() + ", x " + x.shape() + ", v " + v.shape() + ", b " + b.shape()
                    + ", c " + c.shape());
        }
        if (r == 0) {
            return;
        }
        Kernel k = device.kernel(FILE, "rbm_energy", small(Units.BERNOULLI)).args(e, e.offset(), e.ld(), x, x.offset(), x.ld(), v, v.offset(), v.ld(), h,
                h.offset(), h.ld(), b, b.offset(), c, c.offset(), r, v.cols(), h.cols());
        device.launch(k, new long[] {r}, null);
    }

    /**
     * Replica-exchange proposals between temperature t and t + 1 for every t ≡ parity (mod 2), for
     * each of the C replicas; rows are t·C + q. Accepted swaps exchange the rows of v, h and e.
     * accepted/attempted: counters per lower row, R x 1. v: R x D; h: R x H; e, temps: R x 1.
     */
    public void swap(Tensor v, Tensor h, Tensor e, Tensor temps, Tensor accepted, Tensor attempted, int parity, int temperatures,
            Rng rng, int stream, long counter) {
        int rows = v.rows();
        if (temperatures < 1 || rows % temperatures != 0) {
            throw new IllegalArgumentException("swap: " + rows + " chains do not split into " + temperatures + " temperatures");
        }
        int c = rows / temperatures;
        for (Tensor t : new Tensor[] {e, temps, accepted, attempted}) {
            if (t.rows() != rows || t.cols() != 1) {
                throw new IllegalArgumentException("swap: per-chain vectors must be " + rows + " x 1, got " + t.shape());
            }
        }
        if (!temps.contiguous() || !accepted.contiguous() || !attempted.contiguous() || accepted.offset() != attempted.offset()) {
            throw new IllegalArgumentException("swap: temperatures and counters must be contiguous, the counters at the same offset");
        }
        if (h.rows() != rows) {
            throw new IllegalArgumentException("swap: h has " + h.rows() + " rows, v has " + rows);
        }
        if (temperatures < 2 || c == 0) {
            return;
        }
        long seed = rng.seed();
        Kernel k = device.kernel(FILE, "pt_swap", small(Units.BERNOULLI)).args(v, v.offset(), v.ld(), h, h.offset(), h.ld(), e, e.offset(), e.ld(), temps,
                temps.offset(), accepted, attempted, accepted.offset(), parity, (int) counter, (int) (counter >>> 32), stream, (int) seed,
                (int) (seed >>> 32), temperatures, c, v.cols(), h.cols());
        device.launch(k, new long[] {c, (temperatures + 1) / 2}, null);
    }

    /**
     * AIS weight update from inverse temperature t0 to t1: logw += (t1 − t0)·s + Σ_j [softplus(t1·x_j)
     * − softplus(t0·x_j)], Kahan-compensated in column 1.  logw: R x 2; x: R x H; s: R x 1.
     */
    public void aisLogWeights(Tensor logw, Tensor x, Tensor s, float t0, float t1) {
        int r = x.rows();
        if (logw.rows() != r || logw.cols() != 2 || s.rows() != r || s.cols() != 1) {
            throw new IllegalArgumentException("aisLogWeights: logw " + logw.shape() + ", x " + x.shape() + ", s " + s.shape()
                    + " (need R x 2, R x H, R x 1)");
        }
        if (r == 0) {
            return;
        }
        Kernel k = device.kernel(FILE, "ais_log_weights", small(Units.BERNOULLI)).args(logw, logw.offset(), logw.ld(), x, x.offset(), x.ld(), s, s.offset(),
                s.ld(), t0, t1, r, x.cols());
        device.launch(k, new long[] {r}, null);
    }

    /** h[r] = the bits of start + r (bit j in column j).  h: R x H, H &lt;= 31. */
    public void enumerateHidden(Tensor h, long start) {
        if (h.cols() > 31) {
            throw new IllegalArgumentException("enumerateHidden: at most 31 hidden units, got " + h.cols());
        }
        if (h.size() == 0) {
            return;
        }
        Kernel k = device.kernel(FILE, "rbm_enumerate_hidden", small(Units.BERNOULLI)).args(h, h.offset(), h.ld(), (int) start, h.rows(), h.cols());
        device.launch(k, new long[] {h.cols(), h.rows()}, null);
    }

    /** f = c·h + Σ_i softplus(y_i) per row, y = hWᵀ + b: log p*(h).  f: R x 1; y: R x D; h: R x H; c: 1 x H. */
    public void hiddenLogMarginal(Tensor f, Tensor y, Tensor h, Tensor c) {
        hiddenLogMarginal(f, y, h, c, Units.BERNOULLI);
    }

    /** As above; for Gaussian visible units f = c·h + |y|²/2 (add −|b|²/2 + (D/2)·log 2π to the log-sum-exp). */
    public void hiddenLogMarginal(Tensor f, Tensor y, Tensor h, Tensor c, Units units) {
        int r = h.rows();
        if (f.rows() != r || f.cols() != 1 || y.rows() != r || c.cols() != h.cols()) {
            throw new IllegalArgumentException("hiddenLogMarginal: f " + f.shape() + ", y " + y.shape() + ", h " + h.shape() + ", c "
                    + c.shape());
        }
        if (r == 0) {
            return;
        }
        Kernel k = device.kernel(FILE, "rbm_hidden_log_marginal", small(units)).args(f, f.offset(), f.ld(), y, y.offset(), y.ld(), h, h.offset(),
                h.ld(), c, c.offset(), r, y.cols(), h.cols());
        device.launch(k, new long[] {r}, null);
    }

    /** vf = v with unit idx[r] = floor(U·D) of each row flipped.  vf, v: R x D; idx: R x 1. */
    public void flipOne(Tensor vf, Tensor idx, Tensor v, Rng rng, int stream, long counter) {
        vf.requireShape(v, "flipOne vf vs v");
        if (idx.rows() != v.rows() || idx.cols() != 1) {
            throw new IllegalArgumentException("flipOne: idx must be " + v.rows() + " x 1, got " + idx.shape());
        }
        if (v.rows() == 0) {
            return;
        }
        long seed = rng.seed();
        Kernel k = device.kernel(FILE, "rbm_flip_one", small(Units.BERNOULLI)).args(vf, vf.offset(), vf.ld(), idx, idx.offset(), idx.ld(), v, v.offset(), v.ld(),
                (int) counter, (int) (counter >>> 32), stream, (int) seed, (int) (seed >>> 32), v.rows(), v.cols());
        device.launch(k, new long[] {v.rows()}, null);
    }

    /** Defines of the kernels other than the half-step (one build per unit kind). */
    private static Map<String, String> small(Units units) {
        return Map.of("GAUSS", units == Units.GAUSSIAN ? "1" : "0");
    }

    // ---- costs -------------------------------------------------------------------------------

    /** Half-step: the product plus, per output, a sigmoid (~4 ops) and a Philox block; reads A, W, bias, writes P and S. */
    public static OpCost halfStepCost(int r, int n, int k) {
        double out = (double) r * n;
        return OpCost.of(2.0 * r * n * k + out * (Rng.PHILOX_OPS + 6), 4.0 * ((double) r * k + (double) k * n + n + 2 * out));
    }

    /** Free energy: a softplus (~5 ops) per hidden unit and 2 ops per visible unit per row. */
    public static OpCost freeEnergyCost(int r, int d, int h) {
        return OpCost.of((double) r * (5.0 * h + 2.0 * d), 4.0 * ((double) r * (h + d) + d + r));
    }

    @Override
    public void close() {
        gemm.close();
        dummy.close();
    }
}
