package org.genzoo.host.ops;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.genzoo.host.tensor.Tensor;
import org.genzoo.host.testing.Check;
import org.genzoo.host.testing.SimGpu;
import org.genzoo.host.testing.OnDevice;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class GemmTest extends OnDevice {
    /** Inputs in [-1, 1): a float32 dot product of length K errs by at most about K·eps; 16x margin. */
    private static final double ATOL_PER_K = 1e-6;
    /** Epilogue functions in float (tanh, exp, log1p) are within a few ulp of double. */
    private static final double RTOL = 1e-5;

    /**
     * Every variant runs every test: the CPU kernel with this device's tuning, the GPU kernel with
     * its defaults and with a second configuration (non-square register blocks, VW = 2, TSK = 8)
     * that moves every tile boundary.
     */
    static final List<String> CONFIGS = List.of("cpu", "gpu", "gpu-alt");
    private static final Map<String, Gemm> INSTANCES = new HashMap<>();

    static Gemm gemm(String config) {
        return INSTANCES.computeIfAbsent(config, c -> switch (c) {
            case "cpu" -> new Gemm(dev, Gemm.Variant.CPU, cpuTuning());
            case "cpu-prefetch" -> {
                Map<String, String> t = cpuTuning();
                t.put("PF_MIN", "0"); // every product with more than one K slice prefetches the next
                yield new Gemm(dev, Gemm.Variant.CPU, t);
            }
            case "gpu" -> new Gemm(dev, Gemm.Variant.GPU, Map.of());
            case "gpu-alt" -> new Gemm(dev, Gemm.Variant.GPU, Map.of("TSM", "32", "TSN", "16", "TSK", "8", "WPTM", "2",
                    "WPTN", "4", "VW", "2"));
            default -> throw new IllegalArgumentException(c);
        });
    }

    /** This device's CPU tuning when it runs the CPU variant (PoCL), else the CPU defaults. */
    private static Map<String, String> cpuTuning() {
        return Gemm.defaultVariant(dev) == Gemm.Variant.CPU ? withoutVariant(dev.tuning("gemm").values()) : new HashMap<>();
    }

    private static Map<String, String> withoutVariant(Map<String, String> m) {
        Map<String, String> out = new HashMap<>(m);
        out.remove("VARIANT");
        return out;
    }

    @AfterAll
    static void closeInstances() {
        INSTANCES.values().forEach(Gemm::close);
        INSTANCES.clear();
    }

    static Stream<String> configs() {
        return CONFIGS.stream();
    }

    /** Sizes that break every tile: 1, 7, 93, 144, 1000 and one 4096-long dimension; K = 1, M = 1, N = 1. */
    static Stream<Arguments> shapes() {
        List<Arguments> out = new ArrayList<>();
        int[][] mnk = {{1, 1, 1}, {7, 7, 7}, {93, 144, 7}, {144, 93, 1000}, {1000, 7, 93}, {7, 1000, 144}, {4096, 7, 93},
                {7, 93, 4096}, {65, 129, 257}, {128, 400, 784}, {33, 93, 1}, {1, 93, 33}, {93, 1, 33}};
        if (SimGpu.active()) {
            // oddShapes runs 1, 7, 33 and 93 in every role there; one shape keeps this method in the pass.
            mnk = new int[][] {{7, 7, 7}};
        }
        for (String config : CONFIGS) {
            for (int[] s : mnk) {
                for (int t = 0; t < 4; t++) {
                    out.add(Arguments.of(config, s[0], s[1], s[2], (t & 1) != 0, (t & 2) != 0));
                }
            }
        }
        return out.stream();
    }

    /**
     * The odd sizes 1, 7, 33, 93 in every role, small enough for a simulator (Oclgrind runs this
     * method with its race, uninitialized-read and bounds checks: {@code -Dtest='GemmTest#oddShapes'}).
     */
    static Stream<Arguments> oddShapes() {
        List<Arguments> out = new ArrayList<>();
        int[][] mnk = {{1, 1, 1}, {7, 33, 93}, {93, 7, 33}, {33, 93, 7}, {33, 33, 1}, {1, 93, 33}, {93, 1, 7}};
        for (String config : CONFIGS) {
            for (int[] s : mnk) {
                for (int t = 0; t < 4; t++) {
                    out.add(Arguments.of(config, s[0], s[1], s[2], (t & 1) != 0, (t & 2) != 0));
                }
            }
        }
        return out.stream();
    }

    /**
     * Products of two to sixteen K slices with odd edges, for the CPU variant's next-slice prefetch
     * (x86 builds; PF_MIN = 0 turns it on at every size): results must not change. Oclgrind's SPIR
     * build compiles the prefetch out; one small shape keeps this method in its pass.
     */
    static Stream<Arguments> prefetchShapes() {
        List<Arguments> out = new ArrayList<>();
        int[][] mnk = {{93, 144, 1000}, {65, 129, 257}, {7, 300, 530}, {300, 7, 4096}, {257, 33, 513}};
        if (SimGpu.active()) {
            mnk = new int[][] {{7, 33, 93}};
        }
        for (int[] s : mnk) {
            for (int t = 0; t < 4; t++) {
                out.add(Arguments.of("cpu-prefetch", s[0], s[1], s[2], (t & 1) != 0, (t & 2) != 0));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} M={1} N={2} K={3} transA={4} transB={5}")
    @MethodSource("prefetchShapes")
    void prefetchKeepsResults(String config, int m, int n, int k, boolean ta, boolean tb) {
        matchesReference(config, m, n, k, ta, tb);
    }

    @ParameterizedTest(name = "{0} M={1} N={2} K={3} transA={4} transB={5}")
    @MethodSource("oddShapes")
    void oddShapes(String config, int m, int n, int k, boolean ta, boolean tb) {
        matchesReference(config, m, n, k, ta, tb);
    }

    @ParameterizedTest(name = "{0} M={1} N={2} K={3} transA={4} transB={5}")
    @MethodSource("shapes")
    void matchesReference(String config, int m, int n, int k, boolean ta, boolean tb) {
        long seed = 1000L * m + 31L * n + k + (ta ? 7 : 0) + (tb ? 13 : 0);
        float[] a = Check.uniform(seed, m * k, -1, 1);
        float[] b = Check.uniform(seed + 1, k * n, -1, 1);
        try (Tensor ta_ = ta ? Tensor.of(dev, k, m, a) : Tensor.of(dev, m, k, a);
             Tensor tb_ = tb ? Tensor.of(dev, n, k, b) : Tensor.of(dev, k, n, b);
             Tensor c = Tensor.empty(dev, m, n)) {
            c.fill(Float.NaN); // beta = 0 must not read C
            gemm(config).mm(c, ta_, ta, tb_, tb);
            double[] want = GemmReference.gemm(a, ta, b, tb, null, null, m, n, k, 1, 0, Gemm.Act.NONE);
            Check.close(want, c.toArray(), ATOL_PER_K * k + 1e-6, 0, "gemm " + config + " seed " + seed);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("configs")
    void epilogueBiasBetaAndActivations(String config) {
        int m = 37;
        int n = 45;
        int k = 29;
        long seed = 42;
        float[] a = Check.uniform(seed, m * k, -1, 1);
        float[] b = Check.uniform(seed + 1, k * n, -1, 1);
        float[] c0 = Check.uniform(seed + 2, m * n, -1, 1);
        float[] bias = Check.uniform(seed + 3, n, -2, 2);
        for (Gemm.Act act : Gemm.Act.values()) {
            try (Tensor ta = Tensor.of(dev, m, k, a); Tensor tb = Tensor.of(dev, n, k, b); Tensor c = Tensor.of(dev, m, n, c0);
                 Tensor tbias = Tensor.of(dev, 1, n, bias)) {
                gemm(config).gemm(c, ta, false, tb, true, 1.5f, 0.5f, tbias, act);
                double[] want = GemmReference.gemm(a, false, b, true, c0, bias, m, n, k, 1.5, 0.5, act);
                Check.close(want, c.toArray(), ATOL_PER_K * k * 4 + 1e-6, RTOL, "gemm " + config + " epilogue " + act + " seed " + seed);
            }
        }
    }

    /**
     * Thin outputs (N <= THIN_N: the CPU variant's gemm_thin) through the epilogue, in every
     * transpose that runs it, at M = 37 (two full 16-row blocks and a 5-row tail) and M = 16, with
     * K = 29 (a 16-chunk and a 13 tail), as views with leading dimensions wider than the data and
     * sentinel columns beside C that must stay untouched.
     */
    @org.junit.jupiter.api.Test
    void thinOutputsEpilogueViewsAndTails() {
        String config = "cpu"; // the variant with gemm_thin
        int k = 29;
        for (int m : new int[] {37, 16}) {
            for (int n : new int[] {1, 2, 7, 8}) {
                for (int t = 1; t < 4; t++) {
                    boolean ta = (t & 1) != 0;
                    boolean tb = (t & 2) != 0;
                    long seed = 100L * m + 10L * n + t;
                    float[] a = Check.uniform(seed, m * k, -1, 1);
                    float[] b = Check.uniform(seed + 1, k * n, -1, 1);
                    float[] c0 = Check.uniform(seed + 2, m * n, -1, 1);
                    float[] bias = Check.uniform(seed + 3, n, -2, 2);
                    // Every activation through one transpose (the epilogue is shared); the others with bias and beta only:
                    // each (transposes, activation) pair is its own program build.
                    for (Gemm.Act act : t == 1 ? List.of(Gemm.Act.NONE, Gemm.Act.TANH, Gemm.Act.SIGMOID) : List.of(Gemm.Act.NONE)) {
                        // A and B are views 3 columns into wider matrices; C is columns [2, 2+N) of an N+4-wide output.
                        try (Tensor aw = ta ? Tensor.zeros(dev, k, m + 5) : Tensor.zeros(dev, m, k + 5);
                             Tensor bw = tb ? Tensor.zeros(dev, n, k + 5) : Tensor.zeros(dev, k, n + 5);
                             Tensor cw = Tensor.empty(dev, m, n + 4); Tensor tbias = Tensor.of(dev, 1, n, bias);
                             Tensor av = Tensor.of(dev, ta ? k : m, ta ? m : k, a); Tensor bv = Tensor.of(dev, tb ? n : k, tb ? k : n, b);
                             Tensor cv = Tensor.of(dev, m, n, c0)) {
                            Tensor aView = aw.cols(3, 3 + (ta ? m : k));
                            Tensor bView = bw.cols(3, 3 + (tb ? k : n));
                            aView.copyFrom(av);
                            bView.copyFrom(bv);
                            cw.fill(-7f);
                            Tensor cView = cw.cols(2, 2 + n);
                            cView.copyFrom(cv);
                            gemm(config).gemm(cView, aView, ta, bView, tb, 1.5f, 0.5f, tbias, act);
                            double[] want = GemmReference.gemm(a, ta, b, tb, c0, bias, m, n, k, 1.5, 0.5, act);
                            String what = "gemm " + config + " thin M=" + m + " N=" + n + " transA=" + ta + " transB=" + tb + " " + act
                                    + " seed " + seed;
                            Check.close(want, cView.toArray(), ATOL_PER_K * k * 4 + 1e-6, RTOL, what);
                            float[] all = cw.toArray();
                            for (int r = 0; r < m; r++) {
                                for (int cc : new int[] {0, 1, n + 2, n + 3}) {
                                    assertEquals(-7f, all[r * (n + 4) + cc], what + ": column " + cc + " of row " + r + " outside C was written");
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /**
     * gemmRowSums: the product and s = betaS·s + Σ_k op(A)[m, k] from one launch, against the
     * reference in double. Shapes cover gemm_thin (N <= 8, both transposes of A), several K slices
     * and M tiles of the CPU kernel (K = 600, M = 300 and 1000 against 256-blocks), K = 1, M = 1, and a
     * column grid where the work-group holding column 0 is not the only one; betaS = 0 with NaN in s
     * (s must not be read), betaS = 1 accumulating into s.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("configs")
    void rowSumsBesideTheProduct(String config) {
        int[][] mnk = {{37, 2, 29}, {16, 7, 93}, {93, 144, 7}, {300, 45, 600}, {1000, 400, 33}, {1, 93, 33}, {33, 93, 1}, {128, 2, 512}};
        if (SimGpu.active()) {
            mnk = new int[][] {{7, 2, 33}, {33, 7, 93}, {93, 33, 7}};
        }
        for (int[] sh : mnk) {
            int m = sh[0];
            int n = sh[1];
            int k = sh[2];
            for (boolean ta : new boolean[] {true, false}) {
                for (float betaS : new float[] {0f, 1f}) {
                    long seed = 7L * m + 11L * n + k + (ta ? 3 : 0) + (betaS > 0 ? 5 : 0);
                    float[] a = Check.uniform(seed, m * k, -1, 1);
                    float[] b = Check.uniform(seed + 1, k * n, -1, 1);
                    float[] c0 = Check.uniform(seed + 2, m * n, -1, 1);
                    float[] s0 = Check.uniform(seed + 3, m, -1, 1);
                    try (Tensor tA = ta ? Tensor.of(dev, k, m, a) : Tensor.of(dev, m, k, a); Tensor tB = Tensor.of(dev, k, n, b);
                         Tensor c = Tensor.of(dev, m, n, c0); Tensor sw = Tensor.empty(dev, 1, m + 3)) {
                        sw.fill(-7f);
                        Tensor s = sw.cols(1, 1 + m);
                        if (betaS == 0f) {
                            s.fill(Float.NaN);
                        } else {
                            try (Tensor sv = Tensor.of(dev, 1, m, s0)) {
                                s.copyFrom(sv);
                            }
                        }
                        gemm(config).gemmRowSums(c, tA, ta, tB, false, 1.5f, 1f, s, betaS);
                        String what = "gemmRowSums " + config + " M=" + m + " N=" + n + " K=" + k + " transA=" + ta + " betaS=" + betaS
                                + " seed " + seed;
                        double[] want = GemmReference.gemm(a, ta, b, false, c0, null, m, n, k, 1.5, 1, Gemm.Act.NONE);
                        Check.close(want, c.toArray(), ATOL_PER_K * k * 2 + 1e-6, 0, what + " (product)");
                        double[] wantS = new double[m];
                        for (int i = 0; i < m; i++) {
                            double acc = betaS * s0[i];
                            for (int p = 0; p < k; p++) {
                                acc += ta ? a[p * m + i] : a[i * k + p];
                            }
                            wantS[i] = acc;
                        }
                        Check.close(wantS, s.toArray(), ATOL_PER_K * k + 1e-6, 0, what + " (row sums)");
                        float[] all = sw.toArray();
                        assertEquals(-7f, all[0], what + ": element before s written");
                        assertEquals(-7f, all[m + 1], what + ": element after s written");
                    }
                }
            }
        }
    }

    /**
     * gemmMasked: C = alpha·(op(A)·op(B)) ⊙ mask + beta·C (MADE's masked weight gradient), with and
     * without the row sums, beta 0 (C holds NaN: not read) and 1, against the reference in double.
     * N = 2 runs gemm_thin's fallback (product, then the mask kernel) on the CPU variant; M = 300,
     * K = 600 crosses the 256-blocks of the CPU kernel.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("configs")
    void maskedProductWithAndWithoutRowSums(String config) {
        int[][] mnk = {{37, 45, 29}, {300, 93, 600}, {16, 2, 33}, {1, 33, 7}};
        if (SimGpu.active()) {
            mnk = new int[][] {{7, 33, 9}, {16, 2, 7}};
        }
        for (int[] sh : mnk) {
            int m = sh[0];
            int n = sh[1];
            int k = sh[2];
            for (float beta : new float[] {0f, 1f}) {
                for (boolean sums : new boolean[] {false, true}) {
                    long seed = 13L * m + 17L * n + k + (beta > 0 ? 1 : 0) + (sums ? 2 : 0);
                    float[] a = Check.uniform(seed, m * k, -1, 1);
                    float[] b = Check.uniform(seed + 1, k * n, -1, 1);
                    float[] c0 = Check.uniform(seed + 2, m * n, -1, 1);
                    float[] mask = Check.uniform(seed + 3, m * n, 0, 1);
                    for (int i = 0; i < mask.length; i++) {
                        mask[i] = mask[i] < 0.5f ? 0f : 1f;
                    }
                    try (Tensor tA = Tensor.of(dev, k, m, a); Tensor tB = Tensor.of(dev, k, n, b); Tensor c = Tensor.of(dev, m, n, c0);
                         Tensor tm = Tensor.of(dev, m, n, mask); Tensor s = Tensor.empty(dev, 1, m)) {
                        if (beta == 0f) {
                            c.fill(Float.NaN);
                        }
                        gemm(config).gemmMasked(c, tA, true, tB, false, 1.5f, beta, tm, sums ? s : null, 0f);
                        String what = "gemmMasked " + config + " M=" + m + " N=" + n + " K=" + k + " beta=" + beta + " sums=" + sums
                                + " seed " + seed;
                        double[] prod = GemmReference.gemm(a, true, b, false, null, null, m, n, k, 1.5, 0, Gemm.Act.NONE);
                        double[] want = new double[m * n];
                        for (int i = 0; i < want.length; i++) {
                            want[i] = prod[i] * mask[i] + (beta == 0f ? 0 : beta * c0[i]);
                        }
                        Check.close(want, c.toArray(), ATOL_PER_K * k * 2 + 1e-6, 0, what);
                        if (sums) {
                            double[] wantS = GemmReference.rowSums(a, true, m, k);
                            Check.close(wantS, s.toArray(), ATOL_PER_K * k + 1e-6, 0, what + " (row sums)");
                        }
                    }
                }
            }
        }
    }

    /**
     * gemmReluMasked (where the variant fuses it): C = (alpha·op(A)·op(B)) ⊙ [Y > 0] + beta·C
     * against the reference in double, Y with zeros, negatives and positives; NN and NT, shapes
     * across the CPU kernel's 256-blocks; beta = 0 with NaN in C (not read).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("configs")
    void reluMaskedProduct(String config) {
        int[][] mnk = {{37, 45, 29}, {300, 93, 600}, {1, 33, 7}, {512, 128, 1}};
        if (SimGpu.active()) {
            mnk = new int[][] {{7, 33, 9}};
        }
        for (int[] sh : mnk) {
            int m = sh[0];
            int n = sh[1];
            int k = sh[2];
            for (boolean tb : new boolean[] {false, true}) {
                if (!gemm(config).fusesReluMask(n, false, tb)) {
                    continue;
                }
                long seed = 19L * m + 23L * n + k + (tb ? 1 : 0);
                float[] a = Check.uniform(seed, m * k, -1, 1);
                float[] b = Check.uniform(seed + 1, k * n, -1, 1);
                float[] y = Check.uniform(seed + 2, m * n, -1, 1);
                for (int i = 0; i < y.length; i += 7) {
                    y[i] = 0f; // ReLU outputs are often exactly 0: [0 > 0] = 0
                }
                try (Tensor tA = Tensor.of(dev, m, k, a); Tensor tB = tb ? Tensor.of(dev, n, k, b) : Tensor.of(dev, k, n, b);
                     Tensor ty = Tensor.of(dev, m, n, y); Tensor c = Tensor.empty(dev, m, n)) {
                    c.fill(Float.NaN);
                    gemm(config).gemmReluMasked(c, tA, false, tB, tb, 1f, 0f, ty);
                    double[] prod = GemmReference.gemm(a, false, b, tb, null, null, m, n, k, 1, 0, Gemm.Act.NONE);
                    for (int i = 0; i < prod.length; i++) {
                        prod[i] *= y[i] > 0 ? 1 : 0;
                    }
                    Check.close(prod, c.toArray(), ATOL_PER_K * k + 1e-6, 0, "gemmReluMasked " + config + " M=" + m + " N=" + n + " K="
                            + k + " transB=" + tb + " seed " + seed);
                }
            }
        }
    }

    /**
     * The CPU kernel with tiles small enough to cross many of their edges at small sizes (MC = 32,
     * NC = 64, KC = 48, MR = 8, NV = 2; 27 KiB of __local, so it also runs on the simulated GPU):
     * work-group splits that fall on 16-column boundaries, last panels 16 columns wide or narrower
     * (the one-vector loop), full inner tiles, K in equal slices with a short remainder (K = 100:
     * 48, 48, 4) and the row-major packing of A with row sums, in all four transposes, with beta,
     * bias and the ReLU epilogue.
     */
    @org.junit.jupiter.api.Test
    void cpuSmallTilesCrossEveryEdge() {
        int[][] mnk = {{33, 144, 100}, {93, 400, 61}, {8, 16, 7}, {17, 48, 130}, {40, 80, 1}};
        if (SimGpu.active()) {
            mnk = new int[][] {{33, 80, 61}, {8, 16, 7}};
        }
        try (Gemm g = new Gemm(dev, Gemm.Variant.CPU, Map.of("MC", "32", "NC", "64", "KC", "48", "MR", "8", "NV", "2"))) {
            for (int[] sh : mnk) {
                int m = sh[0];
                int n = sh[1];
                int k = sh[2];
                for (int t = 0; t < 4; t++) {
                    boolean ta = (t & 1) != 0;
                    boolean tb = (t & 2) != 0;
                    long seed = 41L * m + 43L * n + k + t;
                    float[] a = Check.uniform(seed, m * k, -1, 1);
                    float[] b = Check.uniform(seed + 1, k * n, -1, 1);
                    float[] c0 = Check.uniform(seed + 2, m * n, -1, 1);
                    float[] bias = Check.uniform(seed + 3, n, -1, 1);
                    String what = "gemm cpu-small M=" + m + " N=" + n + " K=" + k + " transA=" + ta + " transB=" + tb + " seed " + seed;
                    try (Tensor tA = ta ? Tensor.of(dev, k, m, a) : Tensor.of(dev, m, k, a);
                         Tensor tB = tb ? Tensor.of(dev, n, k, b) : Tensor.of(dev, k, n, b);
                         Tensor c = Tensor.of(dev, m, n, c0); Tensor tbias = Tensor.of(dev, 1, n, bias); Tensor s = Tensor.empty(dev, 1, m)) {
                        g.gemm(c, tA, ta, tB, tb, 1.5f, 0.5f, tbias, Gemm.Act.RELU);
                        double[] want = GemmReference.gemm(a, ta, b, tb, c0, bias, m, n, k, 1.5, 0.5, Gemm.Act.RELU);
                        Check.close(want, c.toArray(), ATOL_PER_K * k * 2 + 1e-6, RTOL, what);
                        s.fill(Float.NaN);
                        g.gemmRowSums(c, tA, ta, tB, tb, 1f, 0f, s, 0f);
                        double[] wantS = GemmReference.rowSums(a, ta, m, k);
                        Check.close(GemmReference.gemm(a, ta, b, tb, null, null, m, n, k, 1, 0, Gemm.Act.NONE), c.toArray(),
                                ATOL_PER_K * k + 1e-6, 0, what + " (product beside the row sums)");
                        Check.close(wantS, s.toArray(), ATOL_PER_K * k + 1e-6, 0, what + " (row sums)");
                    }
                }
            }
        }
    }

    /**
     * The CPU kernel's narrow last panels: a tile whose last 16·NV-column panel holds 8 columns or
     * fewer (N = 7, 40 = 32 + 8, 72 = 64 + 8 with NC = 64) or NV - 1 full vectors and 8 columns or
     * fewer (N = 20 = 16 + 4, 24), beside a full panel (N = 93), with the device's tuning and with
     * small tiles (MC = 32, NC = 64, KC = 48: K = 93 and 300 run in K slices). Every transpose, odd M,
     * K = 1, 93 and 300; the epilogue (alpha, beta, bias, ReLU) and the row sums of op(A) in every
     * transpose, MASK_C (TN) and RELU_MASK_C (NN, NT), each against the reference in double.
     * Transposed partial 16-column blocks of B pack through the zero-filled 16 x 16 transpose.
     */
    @org.junit.jupiter.api.Test
    void cpuNarrowLastPanels() {
        int[] ms = {7, 33};
        int[] ns = {7, 20, 24, 40, 72, 93};
        int[] ks = {1, 93, 300};
        if (SimGpu.active()) {
            ms = new int[] {7};
            ns = new int[] {7, 20, 40};
            ks = new int[] {9, 61};
        }
        List<Gemm> gs = List.of(gemm("cpu"), new Gemm(dev, Gemm.Variant.CPU, Map.of("MC", "32", "NC", "64", "KC", "48", "MR", "8",
                "NV", "2")));
        try {
            for (int gi = 0; gi < gs.size(); gi++) {
                Gemm g = gs.get(gi);
                for (int m : ms) {
                    for (int n : ns) {
                        for (int k : ks) {
                            for (int t = 0; t < 4; t++) {
                                // the masked epilogues (more builds) with the device's tuning only
                                narrowPanelCase(g, gi == 0 ? "cpu" : "cpu-small", m, n, k, (t & 1) != 0, (t & 2) != 0, gi == 0);
                            }
                        }
                    }
                }
            }
        } finally {
            gs.get(1).close();
        }
    }

    private static void narrowPanelCase(Gemm g, String name, int m, int n, int k, boolean ta, boolean tb, boolean fusedBuilds) {
        long seed = 53L * m + 59L * n + 61L * k + (ta ? 1 : 0) + (tb ? 2 : 0);
        float[] a = Check.uniform(seed, m * k, -1, 1);
        float[] b = Check.uniform(seed + 1, k * n, -1, 1);
        float[] c0 = Check.uniform(seed + 2, m * n, -1, 1);
        float[] bias = Check.uniform(seed + 3, n, -1, 1);
        float[] y = Check.uniform(seed + 4, m * n, -1, 1);
        float[] mask = new float[m * n];
        for (int i = 0; i < mask.length; i++) {
            mask[i] = y[i] > 0 ? 1f : 0f;
            if (i % 7 == 0) {
                y[i] = 0f; // [0 > 0] = 0
            }
        }
        String what = "gemm " + name + " M=" + m + " N=" + n + " K=" + k + " transA=" + ta + " transB=" + tb + " seed " + seed;
        double tol = ATOL_PER_K * k * 2 + 1e-6;
        double[] prod = GemmReference.gemm(a, ta, b, tb, null, null, m, n, k, 1, 0, Gemm.Act.NONE);
        try (Tensor tA = ta ? Tensor.of(dev, k, m, a) : Tensor.of(dev, m, k, a);
             Tensor tB = tb ? Tensor.of(dev, n, k, b) : Tensor.of(dev, k, n, b);
             Tensor c = Tensor.of(dev, m, n, c0); Tensor tbias = Tensor.of(dev, 1, n, bias); Tensor s = Tensor.empty(dev, 1, m);
             Tensor tm = Tensor.of(dev, m, n, mask); Tensor ty = Tensor.of(dev, m, n, y)) {
            g.gemm(c, tA, ta, tB, tb, 1.5f, 0.5f, tbias, Gemm.Act.RELU);
            Check.close(GemmReference.gemm(a, ta, b, tb, c0, bias, m, n, k, 1.5, 0.5, Gemm.Act.RELU), c.toArray(), tol, RTOL,
                    what + " (bias, beta, ReLU)");

            c.fill(Float.NaN);
            s.fill(Float.NaN);
            g.gemmRowSums(c, tA, ta, tB, tb, 1f, 0f, s, 0f);
            double[] wantS = GemmReference.rowSums(a, ta, m, k);
            Check.close(prod, c.toArray(), tol, 0, what + " (product beside the row sums)");
            Check.close(wantS, s.toArray(), tol, 0, what + " (row sums)");

            if (fusedBuilds && ta && !tb) { // MADE's masked dW = (dZ^T X) . M
                c.fill(Float.NaN);
                g.gemmMasked(c, tA, ta, tB, tb, 1f, 0f, tm, null, 0f);
                double[] wantM = new double[m * n];
                for (int i = 0; i < wantM.length; i++) {
                    wantM[i] = prod[i] * mask[i];
                }
                Check.close(wantM, c.toArray(), tol, 0, what + " (masked)");
            }
            if (fusedBuilds && !ta && g.fusesReluMask(n, ta, tb)) { // dX = (dZ W or dZ W^T) . [Y > 0]
                c.fill(Float.NaN);
                g.gemmReluMasked(c, tA, ta, tB, tb, 1f, 0f, ty);
                double[] wantR = new double[m * n];
                for (int i = 0; i < wantR.length; i++) {
                    wantR[i] = prod[i] * (y[i] > 0 ? 1 : 0);
                }
                Check.close(wantR, c.toArray(), tol, 0, what + " (ReLU-masked)");
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("configs")
    void extremeActivationInputsStayFinite(String config) {
        // op(A)·op(B) = 400 and -400 through sigmoid and softplus.
        float[] a = {400f, -400f};
        float[] b = {1f};
        try (Tensor ta = Tensor.of(dev, 2, 1, a); Tensor tb = Tensor.of(dev, 1, 1, b); Tensor c = Tensor.empty(dev, 2, 1)) {
            gemm(config).gemm(c, ta, false, tb, false, 1f, 0f, null, Gemm.Act.SIGMOID);
            assertArrayEquals(new float[] {1f, 0f}, c.toArray(), 1e-30f);
            gemm(config).gemm(c, ta, false, tb, false, 1f, 0f, null, Gemm.Act.SOFTPLUS);
            assertArrayEquals(new float[] {400f, 0f}, c.toArray(), 1e-30f);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("configs")
    void viewsWithLeadingDimensionsAndTailGuard(String config) {
        // A is columns [3, 3+K) of a wider matrix, C is columns [2, 2+N) of a wider output: the
        // surrounding columns must keep their sentinel values.
        int m = 93;
        int n = 17;
        int k = 33;
        long seed = 9;
        float[] wideA = Check.uniform(seed, m * (k + 5), -1, 1);
        float[] b = Check.uniform(seed + 1, k * n, -1, 1);
        try (Tensor aw = Tensor.of(dev, m, k + 5, wideA); Tensor tb = Tensor.of(dev, k, n, b); Tensor cw = Tensor.empty(dev, m, n + 4)) {
            cw.fill(-7f);
            gemm(config).mm(cw.cols(2, 2 + n), aw.cols(3, 3 + k), false, tb, false);
            float[] a = aw.cols(3, 3 + k).toArray();
            double[] want = GemmReference.gemm(a, false, b, false, null, null, m, n, k, 1, 0, Gemm.Act.NONE);
            Check.close(want, cw.cols(2, 2 + n).toArray(), ATOL_PER_K * k + 1e-6, 0, "gemm " + config + " views seed " + seed);
            float[] all = cw.toArray();
            for (int r = 0; r < m; r++) {
                for (int cc : new int[] {0, 1, n + 2, n + 3}) {
                    assertEquals(-7f, all[r * (n + 4) + cc], "column " + cc + " of row " + r + " outside the C view was written");
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("configs")
    @Tag("large") // 300 x 200 x 150 twice: determinism, not kernel coverage (oddShapes runs every variant on the simulated GPU)
    void bitwiseReproducible(String config) {
        long seed = 5;
        float[] a = Check.uniform(seed, 300 * 200, -1, 1);
        float[] b = Check.uniform(seed + 1, 200 * 150, -1, 1);
        try (Tensor ta = Tensor.of(dev, 300, 200, a); Tensor tb = Tensor.of(dev, 200, 150, b); Tensor c1 = Tensor.empty(dev, 300, 150);
             Tensor c2 = Tensor.empty(dev, 300, 150)) {
            gemm(config).mm(c1, ta, false, tb, false);
            gemm(config).mm(c2, ta, false, tb, false);
            assertArrayEquals(c1.toArray(), c2.toArray());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("configs")
    void shapeMismatchIsRefused(String config) {
        try (Tensor a = Tensor.empty(dev, 3, 4); Tensor b = Tensor.empty(dev, 5, 6); Tensor c = Tensor.empty(dev, 3, 6)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> gemm(config).mm(c, a, false, b, false));
            assertTrue(e.getMessage().contains("do not chain"), e.getMessage());
        }
    }
}
