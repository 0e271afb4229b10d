package org.genzoo.host.ops;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.genzoo.host.Device;
import org.genzoo.host.Kernel;
import org.genzoo.host.Tuning;
import org.genzoo.host.WorkGroups;
import org.genzoo.host.tensor.Tensor;

/**
 * C = act(alpha·op(A)·op(B) + beta·C + bias) on row-major tensors (kernels/gemm.cl). op(X) is X or
 * Xᵀ. Each (transA, transB, act, bias) combination is its own specialized build. With beta = 0, C
 * is not read.
 *
 * <p>One instance per device picks its {@link Variant}, its tile defines and its launch shape once:
 * from {@code $GENZOO_TUNING_DIR/gemm.properties} (written by {@code genzoo bench tune gemm}), else
 * the packaged {@code kernels/tuning/gemm.properties}, else {@link #defaults} derived from the
 * device's type, local memory and work-group limits. Keys: VARIANT (cpu or gpu) and the kernel's
 * defines of that variant.
 */
public final class Gemm implements AutoCloseable {
    /** Fused epilogue activations; the code is the kernel's ACT define. */
    public enum Act {
        NONE(0), RELU(1), TANH(2), SIGMOID(3), LEAKY_RELU(4), SOFTPLUS(5);

        final int code;

        Act(int code) {
            this.code = code;
        }
    }

    /** The kernels of gemm.cl, same arguments and results, selected by the GEMM_GPU define. */
    public enum Variant {
        /**
         * One work-item per work-group runs a BLIS-style packed float16 micro-kernel (PoCL's CPU
         * device); outputs with at most THIN_N columns run gemm_thin (16 rows per work-item).
         */
        CPU("gemm", "0", List.of("MC", "NC", "KC", "MR", "NV", "THIN_N", "PF_MIN")),
        /** 2-D work-groups, local-memory tiles, register blocks, vector loads (GPUs). */
        GPU("gemm_tiled", "1", List.of("TSM", "TSN", "TSK", "WPTM", "WPTN", "VW", "PAD"));

        private final String kernel;
        private final String define;
        private final List<String> keys;

        Variant(String kernel, String define, List<String> keys) {
            this.kernel = kernel;
            this.define = define;
            this.keys = keys;
        }

        /** The kernel's name in gemm.cl. */
        public String kernel() {
            return kernel;
        }

        /** The tunable defines of this variant. */
        public List<String> keys() {
            return keys;
        }

        public static Variant of(String name) {
            for (Variant v : values()) {
                if (v.name().equalsIgnoreCase(name.strip())) {
                    return v;
                }
            }
            throw new IllegalArgumentException("unknown gemm variant '" + name + "': choose cpu or gpu");
        }
    }

    private final Device device;
    private final Variant variant;
    /** The variant's tile defines (every key of {@link Variant#keys()}), plus GEMM_GPU. */
    private final Map<String, String> tuning;
    private final int[] tile;
    /** CPU variant: outputs with at most this many columns run gemm_thin (0: never). */
    private final int thinN;
    private final Tensor noBias;

    /** The GEMM for this device, tuned from its tuning files or its limits. */
    public Gemm(Device device) {
        this(device, device.tuning("gemm"));
    }

    /** The GEMM for this device with the given tuning (files already read). */
    public Gemm(Device device, Tuning t) {
        this(device, Variant.of(t.get("VARIANT", defaultVariant(device).name())), withoutVariant(t.values()));
    }

    /**
     * The GEMM with an explicit variant and defines (the tuner's candidates); keys of the variant
     * missing from {@code defines} take the device defaults. Unknown keys are refused.
     */
    public Gemm(Device device, Variant variant, Map<String, String> defines) {
        this.device = device;
        this.variant = variant;
        Map<String, String> t = new LinkedHashMap<>(defaults(variant, device));
        for (Map.Entry<String, String> e : defines.entrySet()) {
            if (!variant.keys.contains(e.getKey())) {
                throw new IllegalArgumentException("gemm tuning: " + e.getKey() + " is not a define of the " + variant
                        + " variant (its defines: " + variant.keys + ")");
            }
            try {
                Integer.parseInt(e.getValue());
            } catch (NumberFormatException ex) {
                throw new IllegalArgumentException("gemm tuning: " + e.getKey() + "=" + e.getValue() + " is not an integer");
            }
            t.put(e.getKey(), e.getValue());
        }
        t.put("GEMM_GPU", variant.define);
        this.tuning = Map.copyOf(t);
        this.tile = variant == Variant.CPU ? new int[] {num("MC"), num("NC")}
                : new int[] {num("TSM"), num("TSN"), num("WPTM"), num("WPTN")};
        this.thinN = variant == Variant.CPU ? num("THIN_N") : 0;
        if (thinN < 0 || thinN > 16) {
            throw new IllegalArgumentException("gemm tuning " + tuning + ": THIN_N must lie in [0, 16] (gemm_thin keeps one float16 "
                    + "accumulator per column), got " + thinN);
        }
        if (variant == Variant.GPU && (tile[0] % tile[2] != 0 || tile[1] % tile[3] != 0)) {
            throw new IllegalArgumentException("gemm tuning " + tuning + ": TSM must be a multiple of WPTM and TSN of WPTN");
        }
        this.noBias = Tensor.zeros(device, 1, 1);
    }

    private int num(String key) {
        return Integer.parseInt(tuning.get(key));
    }

    private static Map<String, String> withoutVariant(Map<String, String> values) {
        Map<String, String> m = new HashMap<>(values);
        m.remove("VARIANT");
        return m;
    }

    /** CPU devices run the CPU variant; GPUs and accelerators the tiled one. */
    public static Variant defaultVariant(Device d) {
        return d.info().type().toLowerCase(Locale.ROOT).contains("cpu") ? Variant.CPU : Variant.GPU;
    }

    /**
     * Defines derived from the device's limits when no tuning file names them. CPU: 256-blocks (the
     * PoCL measurements), halved until the three local blocks fit the device's local memory. GPU: a
     * work-group of up to 256 work-items (a square of two powers of two within the device's
     * work-group and work-item limits), each computing 4 x 4 values of C, TSK = 16 with VW = 4
     * loads, TSK halved until both tiles fit local memory.
     */
    public static Map<String, String> defaults(Variant v, Device d) {
        long localMem = d.info().localMemBytes();
        Map<String, String> m = new LinkedHashMap<>();
        if (v == Variant.CPU) {
            int mc = 256;
            int nc = 256;
            int kc = 256;
            while (cpuLocalBytes(mc, nc, kc) > localMem && (kc > 16 || mc > 16 || nc > 32)) {
                if (kc >= Math.max(mc, nc) && kc > 16) {
                    kc /= 2;
                } else if (mc >= nc && mc > 16) {
                    mc /= 2;
                } else if (nc > 32) {
                    nc /= 2;
                } else {
                    kc /= 2;
                }
            }
            m.put("MC", Integer.toString(mc));
            m.put("NC", Integer.toString(nc));
            m.put("KC", Integer.toString(kc));
            m.put("MR", "8");
            m.put("NV", "2");
            m.put("THIN_N", "8");
            // x86 builds prefetch the next K slice from operands of 4M floats (16 MB) up (gemm.cl)
            m.put("PF_MIN", "4194304");
        } else {
            int rtsn = WorkGroups.pow2(d, 16, 0);
            int rtsm = WorkGroups.pow2(d, Math.min(16, (int) Math.min(Integer.MAX_VALUE, d.info().maxWorkGroupSize() / rtsn)), 1);
            int wpt = 4;
            int tsk = 16;
            int vw = 4;
            int pad = 1;
            while (tsk > vw && 4L * tsk * (rtsm * wpt + rtsn * wpt + 2L * pad) > localMem) {
                tsk /= 2;
            }
            m.put("TSM", Integer.toString(rtsm * wpt));
            m.put("TSN", Integer.toString(rtsn * wpt));
            m.put("TSK", Integer.toString(tsk));
            m.put("WPTM", Integer.toString(wpt));
            m.put("WPTN", Integer.toString(wpt));
            m.put("VW", Integer.toString(vw));
            m.put("PAD", Integer.toString(pad));
        }
        return m;
    }

    /**
     * The CPU kernel's __local bytes for the largest of its builds: the packed op(B) and op(A) slices,
     * the accumulator, and the row sums of the ROWSUM_A build (4·MC more), so that every build of a
     * configuration fits where one does.
     */
    static long cpuLocalBytes(int mc, int nc, int kc) {
        return 4L * ((long) kc * nc + (long) mc * kc + (long) mc * nc + mc);
    }

    public Variant variant() {
        return variant;
    }

    /** The tile defines every build of this instance uses (GEMM_GPU and the variant's keys). */
    public Map<String, String> defines() {
        return tuning;
    }

    /** C = op(A)·op(B). */
    public void mm(Tensor c, Tensor a, boolean transA, Tensor b, boolean transB) {
        gemm(c, a, transA, b, transB, 1f, 0f, null, Act.NONE);
    }

    /**
     * The full product. Shapes: op(A) is M x K, op(B) is K x N, C is M x N, bias (optional) is
     * 1 x N. A, B and C may be views (ld > cols).
     */
    public void gemm(Tensor c, Tensor a, boolean transA, Tensor b, boolean transB, float alpha, float beta, Tensor bias,
            Act act) {
        Kernel kern = prepare(c, a, transA, b, transB, alpha, beta, bias, act);
        if (kern != null) {
            long[][] shape = launchShape(c.rows(), c.cols(), transA, transB);
            device.launch(kern, shape[0], shape[1]);
        }
    }

    /**
     * C = alpha·op(A)·op(B) + beta·C and, in the same pass over A, s = betaS·s + Σ_k op(A)[m, k]
     * (s: 1 x M; alpha does not scale it; betaS = 0 does not read s). A linear layer's backward
     * gets dW = dZᵀ·X and its bias gradient db = Σ_rows dZ from one launch (A = dZ, transA). The
     * CPU variant fuses the sum into gemm and gemm_thin (ROWSUM_A); the GPU variant runs the
     * column or row reduction of {@link Reduce} after the product.
     */
    public void gemmRowSums(Tensor c, Tensor a, boolean transA, Tensor b, boolean transB, float alpha, float beta, Tensor s,
            float betaS) {
        gemmMasked(c, a, transA, b, transB, alpha, beta, null, s, betaS);
    }

    /**
     * C = alpha·(op(A)·op(B)) ⊙ mask + beta·C (mask: M x N, null for none), with the row sums of
     * {@link #gemmRowSums} when {@code s} is not null. MADE's masked weight gradient
     * dW += (dZᵀ·X) ⊙ M and its bias gradient come from one launch. The CPU variant fuses the mask
     * into gemm's epilogue (MASK_C); gemm_thin and the GPU variant write the product to a temporary
     * and mask it with {@link MaskedWeights#backward}.
     */
    public void gemmMasked(Tensor c, Tensor a, boolean transA, Tensor b, boolean transB, float alpha, float beta, Tensor mask,
            Tensor s, float betaS) {
        int m = transA ? a.cols() : a.rows();
        if (s != null && (s.rows() != 1 || s.cols() != m)) {
            throw new IllegalArgumentException("gemmRowSums: s must be 1 x " + m + " (one sum per row of op(A)), got " + s.shape());
        }
        if (mask != null && (mask.rows() != c.rows() || mask.cols() != c.cols())) {
            throw new IllegalArgumentException("gemmMasked: the mask must have C's shape " + c.shape() + ", got " + mask.shape());
        }
        if (mask != null && (variant != Variant.CPU || thin(c.cols(), transA, transB))) {
            try (Tensor prod = Tensor.empty(device, c.rows(), c.cols())) {
                gemm(prod, a, transA, b, transB, alpha, 0f, null, Act.NONE);
                device.shared(MaskedWeights.class, MaskedWeights::new).backward(c, prod, mask, beta);
            }
            if (s != null) {
                rowSumsByReduce(a, transA, s, betaS);
            }
            return;
        }
        if (s == null && mask == null) {
            gemm(c, a, transA, b, transB, alpha, beta, null, Act.NONE);
            return;
        }
        if (s == null) {
            Kernel kern = prepare(c, a, transA, b, transB, alpha, beta, null, Act.NONE, false, mask != null, false);
            if (kern != null) {
                kern.args(c, c.offset(), c.ld(), a, a.offset(), a.ld(), b, b.offset(), b.ld(), noBias, noBias.offset(), m, c.cols(),
                        transA ? a.rows() : a.cols(), alpha, beta, mask, mask.offset(), mask.ld());
                long[][] shape = launchShape(c.rows(), c.cols(), transA, transB);
                device.launch(kern, shape[0], shape[1]);
            }
            return;
        }
        if (variant != Variant.CPU) {
            gemm(c, a, transA, b, transB, alpha, beta, null, Act.NONE);
            rowSumsByReduce(a, transA, s, betaS);
            return;
        }
        Kernel kern = prepare(c, a, transA, b, transB, alpha, beta, null, Act.NONE, true, mask != null, false);
        if (kern != null) {
            if (mask == null) {
                kern.args(c, c.offset(), c.ld(), a, a.offset(), a.ld(), b, b.offset(), b.ld(), noBias, noBias.offset(), m, c.cols(),
                        transA ? a.rows() : a.cols(), alpha, beta, s, s.offset(), betaS);
            } else {
                kern.args(c, c.offset(), c.ld(), a, a.offset(), a.ld(), b, b.offset(), b.ld(), noBias, noBias.offset(), m, c.cols(),
                        transA ? a.rows() : a.cols(), alpha, beta, s, s.offset(), betaS, mask, mask.offset(), mask.ld());
            }
            long[][] shape = launchShape(c.rows(), c.cols(), transA, transB);
            device.launch(kern, shape[0], shape[1]);
        } else if (m > 0) {
            rowSumsByReduce(a, transA, s, betaS); // N == 0: the product is empty, the sums are not
        }
    }

    /**
     * Whether {@link #gemmReluMasked} runs as one launch for an N-column output: the CPU variant's
     * gemm (not gemm_thin). Elsewhere the caller keeps the product and the ReLU backward apart.
     */
    public boolean fusesReluMask(int n, boolean transA, boolean transB) {
        return variant == Variant.CPU && !thin(n, transA, transB);
    }

    /**
     * C = (alpha·op(A)·op(B)) ⊙ [Y > 0] + beta·C in one launch (Y: C's shape; RELU_MASK_C): the
     * input gradient of a linear layer whose input Y is a ReLU output, already through the ReLU's
     * backward. Only where {@link #fusesReluMask} says so.
     */
    public void gemmReluMasked(Tensor c, Tensor a, boolean transA, Tensor b, boolean transB, float alpha, float beta, Tensor y) {
        if (!fusesReluMask(c.cols(), transA, transB)) {
            throw new IllegalStateException("gemmReluMasked: this " + variant + " GEMM does not fuse the ReLU mask for " + c.shape()
                    + " outputs; check fusesReluMask first");
        }
        if (y.rows() != c.rows() || y.cols() != c.cols()) {
            throw new IllegalArgumentException("gemmReluMasked: Y must have C's shape " + c.shape() + ", got " + y.shape());
        }
        Kernel kern = prepare(c, a, transA, b, transB, alpha, beta, null, Act.NONE, false, false, true);
        if (kern == null) {
            return;
        }
        int m = c.rows();
        Kernel k = kern.args(c, c.offset(), c.ld(), a, a.offset(), a.ld(), b, b.offset(),
                b.ld(), noBias, noBias.offset(), m, c.cols(), transA ? a.rows() : a.cols(), alpha, beta, y, y.offset(), y.ld());
        long[][] shape = launchShape(m, c.cols(), transA, transB);
        device.launch(k, shape[0], shape[1]);
    }

    /** s = betaS·s + Σ_k op(A)[m, k] with the reduction kernels (s: 1 x M). */
    private static void rowSumsByReduce(Tensor a, boolean transA, Tensor s, float betaS) {
        if (transA) {
            Reduce.cols(Reduce.Op.SUM, s, a, betaS);
        } else {
            Reduce.rows(Reduce.Op.SUM, Tensor.wrap(s.buffer(), s.offset(), s.cols(), 1, 1), a, betaS);
        }
    }

    /** {@link #gemm}, waited for; returns the kernel's device time in nanoseconds (0 when M or N is 0). */
    public long gemmTimed(Tensor c, Tensor a, boolean transA, Tensor b, boolean transB, float alpha, float beta, Tensor bias,
            Act act) {
        Kernel kern = prepare(c, a, transA, b, transB, alpha, beta, bias, act);
        if (kern == null) {
            return 0;
        }
        long[][] shape = launchShape(c.rows(), c.cols(), transA, transB);
        return device.launchTimed(kern, shape[0], shape[1]);
    }

    private Kernel prepare(Tensor c, Tensor a, boolean transA, Tensor b, boolean transB, float alpha, float beta, Tensor bias,
            Act act) {
        return prepare(c, a, transA, b, transB, alpha, beta, bias, act, false, false, false);
    }

    /** The built kernel with its arguments set (rowSums: ROWSUM_A build, arguments left to the caller); null when M or N is 0. */
    private Kernel prepare(Tensor c, Tensor a, boolean transA, Tensor b, boolean transB, float alpha, float beta, Tensor bias,
            Act act, boolean rowSums, boolean masked, boolean reluMasked) {
        int m = transA ? a.cols() : a.rows();
        int k = transA ? a.rows() : a.cols();
        int kb = transB ? b.cols() : b.rows();
        int n = transB ? b.rows() : b.cols();
        if (k != kb || c.rows() != m || c.cols() != n) {
            throw new IllegalArgumentException("gemm: op(A) " + m + " x " + k + ", op(B) " + kb + " x " + n + ", C " + c.shape()
                    + " do not chain (need op(A) M x K, op(B) K x N, C M x N)");
        }
        if (bias != null && (bias.rows() != 1 || bias.cols() != n)) {
            throw new IllegalArgumentException("gemm: bias must be 1 x " + n + ", got " + bias.shape());
        }
        if (m == 0 || n == 0) {
            return null;
        }
        Map<String, String> defs = new HashMap<>(tuning);
        defs.put("TRANS_A", transA ? "1" : "0");
        defs.put("TRANS_B", transB ? "1" : "0");
        defs.put("ACT", Integer.toString(act.code));
        defs.put("HAS_BIAS", bias == null ? "0" : "1");
        if (rowSums) {
            defs.put("ROWSUM_A", "1");
        }
        if (masked) {
            defs.put("MASK_C", "1");
        }
        if (reluMasked) {
            defs.put("RELU_MASK_C", "1");
        }
        Kernel kern = device.kernel("gemm.cl", thin(n, transA, transB) ? "gemm_thin" : variant.kernel, defs);
        if (rowSums || masked || reluMasked) {
            return kern;
        }
        Tensor bv = bias == null ? noBias : bias;
        return kern.args(c, c.offset(), c.ld(), a, a.offset(), a.ld(), b, b.offset(), b.ld(), bv, bv.offset(), m, n, k, alpha, beta);
    }

    /**
     * Whether a product runs gemm_thin: CPU variant, n <= THIN_N columns, and a transposed operand
     * (NN has no contiguous direction for its vectors; gemm's packing handles it better).
     */
    boolean thin(int n, boolean transA, boolean transB) {
        return variant == Variant.CPU && n <= thinN && (transA || transB);
    }

    /** {global, local} of one launch for an M x N output (local null: the runtime picks it). */
    long[][] launchShape(int m, int n, boolean transA, boolean transB) {
        if (thin(n, transA, transB)) {
            return new long[][] {{ceil(m, 16)}, null};
        }
        if (variant == Variant.CPU) {
            return new long[][] {global(m, n), {1, 1}};
        }
        long rtsm = tile[0] / tile[2];
        long rtsn = tile[1] / tile[3];
        return new long[][] {{ceil(n, tile[1]) * rtsn, ceil(m, tile[0]) * rtsm}, {rtsn, rtsm}};
    }

    /**
     * CPU launch geometry: one work-group (of one work-item) per MC x NC block of C. The kernel
     * splits M and N evenly over whatever grid it gets (in steps of 8 rows and 32 columns), so the
     * grid only affects speed: an odd number of work-groups is made even when the shape allows, so
     * two compute units share the work instead of one idling.
     */
    long[] global(int m, int n) {
        long gn = ceil(n, tile[1]);
        long gm = ceil(m, tile[0]);
        if (device.info().computeUnits() > 1 && (gn * gm) % 2 == 1) {
            if (m > gm * 8) {
                gm++;
            } else if (n > gn * 32) {
                gn++;
            }
        }
        return new long[] {gn, gm};
    }

    private static long ceil(long a, long b) {
        return (a + b - 1) / b;
    }

    /**
     * The configurations {@code genzoo bench tune gemm} tries for a variant on a device: every
     * combination of the variant's declared ranges that fits the device's local memory and
     * work-group limits. {@code quick} keeps a handful (for a simulator).
     */
    public static List<Map<String, String>> searchSpace(Variant v, Device d, boolean quick) {
        List<Map<String, String>> out = new ArrayList<>();
        long localMem = d.info().localMemBytes();
        long maxWg = d.info().maxWorkGroupSize();
        long[] items = d.maxWorkItemSizes();
        if (v == Variant.CPU) {
            int[] blocks = quick ? new int[] {64, 256} : new int[] {64, 128, 256, 512};
            int[] kcs = quick ? new int[] {128, 256} : new int[] {64, 128, 256, 512};
            int[] mrs = quick ? new int[] {8} : new int[] {4, 8};
            int[] nvs = quick ? new int[] {2} : new int[] {1, 2};
            for (int mc : blocks) {
                for (int nc : blocks) {
                    for (int kc : kcs) {
                        for (int mr : mrs) {
                            for (int nv : nvs) {
                                if (mc % 16 != 0 || mc % mr != 0 || nc % (16 * nv) != 0
                                        || cpuLocalBytes(mc, nc, kc) > localMem) {
                                    continue;
                                }
                                out.add(Map.of("MC", "" + mc, "NC", "" + nc, "KC", "" + kc, "MR", "" + mr, "NV", "" + nv));
                            }
                        }
                    }
                }
            }
            return out;
        }
        int[] ts = quick ? new int[] {16, 32} : new int[] {32, 64, 128};
        int[] tsks = quick ? new int[] {8, 16} : new int[] {8, 16, 32};
        int[] wpts = quick ? new int[] {2, 4} : new int[] {2, 4, 8};
        int[] vws = quick ? new int[] {1, 4} : new int[] {1, 2, 4};
        for (int tsm : ts) {
            for (int tsn : ts) {
                for (int tsk : tsks) {
                    for (int wptm : wpts) {
                        for (int wptn : wpts) {
                            for (int vw : vws) {
                                long rtsm = tsm / wptm;
                                long rtsn = tsn / wptn;
                                if (tsm % wptm != 0 || tsn % wptn != 0 || tsk % vw != 0 || tsm % vw != 0 || tsn % vw != 0
                                        || rtsm * rtsn > maxWg || rtsn > items[0] || rtsm > items[1] || rtsm * rtsn < 16
                                        || 4L * tsk * (tsm + tsn + 2) > localMem) {
                                    continue;
                                }
                                out.add(Map.of("TSM", "" + tsm, "TSN", "" + tsn, "TSK", "" + tsk, "WPTM", "" + wptm, "WPTN",
                                        "" + wptn, "VW", "" + vw, "PAD", "1"));
                            }
                        }
                    }
                }
            }
        }
        return out;
    }

    public static OpCost cost(int m, int n, int k, boolean readC) {
        return OpCost.of(2.0 * m * n * k, 4.0 * ((double) m * k + (double) k * n + (readC ? 2.0 : 1.0) * m * n));
    }

    @Override
    public void close() {
        noBias.close();
    }
}
