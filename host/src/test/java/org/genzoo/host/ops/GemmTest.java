package org.genzoo.host.ops;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.genzoo.host.tensor.Tensor;
import org.genzoo.host.testing.Check;
import org.genzoo.host.testing.SimGpu;
import org.genzoo.host.testing.OnDevice;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class GemmTest extends OnDevice {
    /** Inputs in [-1, 1): a float32 dot product of length K errs by at most about K·eps; 16x margin. */
    private static final double ATOL_PER_K = 1e-6;
    /** Epilogue functions in float (tanh, exp, log1p) are within a few ulp of double. */
    private static final double RTOL = 1e-5;

    private static Gemm gemm() {
        return dev.shared(Gemm.class, Gemm::new);
    }

    /** Sizes that break every tile: 1, 7, 93, 144, 1000 and one 4096-long dimension. */
    static Stream<Arguments> shapes() {
        List<Arguments> out = new ArrayList<>();
        int[][] mnk = {{1, 1, 1}, {7, 7, 7}, {93, 144, 7}, {144, 93, 1000}, {1000, 7, 93}, {7, 1000, 144}, {4096, 7, 93},
                {7, 93, 4096}, {65, 129, 257}, {128, 400, 784}};
        if (SimGpu.active()) {
            mnk = new int[][] {{1, 1, 1}, {7, 7, 7}, {33, 93, 7}, {93, 7, 33}, {7, 33, 93}};
        }
        for (int[] s : mnk) {
            for (int t = 0; t < 4; t++) {
                out.add(Arguments.of(s[0], s[1], s[2], (t & 1) != 0, (t & 2) != 0));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "M={0} N={1} K={2} transA={3} transB={4}")
    @MethodSource("shapes")
    void matchesReference(int m, int n, int k, boolean ta, boolean tb) {
        long seed = 1000L * m + 31L * n + k + (ta ? 7 : 0) + (tb ? 13 : 0);
        float[] a = Check.uniform(seed, m * k, -1, 1);
        float[] b = Check.uniform(seed + 1, k * n, -1, 1);
        try (Tensor ta_ = ta ? Tensor.of(dev, k, m, a) : Tensor.of(dev, m, k, a);
             Tensor tb_ = tb ? Tensor.of(dev, n, k, b) : Tensor.of(dev, k, n, b);
             Tensor c = Tensor.empty(dev, m, n)) {
            c.fill(Float.NaN); // beta = 0 must not read C
            gemm().mm(c, ta_, ta, tb_, tb);
            double[] want = GemmReference.gemm(a, ta, b, tb, null, null, m, n, k, 1, 0, Gemm.Act.NONE);
            Check.close(want, c.toArray(), ATOL_PER_K * k + 1e-6, 0, "gemm seed " + seed);
        }
    }

    @Test
    void epilogueBiasBetaAndActivations() {
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
                gemm().gemm(c, ta, false, tb, true, 1.5f, 0.5f, tbias, act);
                double[] want = GemmReference.gemm(a, false, b, true, c0, bias, m, n, k, 1.5, 0.5, act);
                Check.close(want, c.toArray(), ATOL_PER_K * k * 4 + 1e-6, RTOL, "gemm epilogue " + act + " seed " + seed);
            }
        }
    }

    @Test
    void extremeActivationInputsStayFinite() {
        // op(A)·op(B) = 400 and -400 through sigmoid and softplus.
        float[] a = {400f, -400f};
        float[] b = {1f};
        try (Tensor ta = Tensor.of(dev, 2, 1, a); Tensor tb = Tensor.of(dev, 1, 1, b); Tensor c = Tensor.empty(dev, 2, 1)) {
            gemm().gemm(c, ta, false, tb, false, 1f, 0f, null, Gemm.Act.SIGMOID);
            assertArrayEquals(new float[] {1f, 0f}, c.toArray(), 1e-30f);
            gemm().gemm(c, ta, false, tb, false, 1f, 0f, null, Gemm.Act.SOFTPLUS);
            assertArrayEquals(new float[] {400f, 0f}, c.toArray(), 1e-30f);
        }
    }

    @Test
    void viewsWithLeadingDimensionsAndTailGuard() {
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
            gemm().mm(cw.cols(2, 2 + n), aw.cols(3, 3 + k), false, tb, false);
            float[] a = aw.cols(3, 3 + k).toArray();
            double[] want = GemmReference.gemm(a, false, b, false, null, null, m, n, k, 1, 0, Gemm.Act.NONE);
            Check.close(want, cw.cols(2, 2 + n).toArray(), ATOL_PER_K * k + 1e-6, 0, "gemm views seed " + seed);
            float[] all = cw.toArray();
            for (int r = 0; r < m; r++) {
                for (int cc : new int[] {0, 1, n + 2, n + 3}) {
                    assertEquals(-7f, all[r * (n + 4) + cc], "column " + cc + " of row " + r + " outside the C view was written");
                }
            }
        }
    }

    @Test
    void bitwiseReproducible() {
        long seed = 5;
        float[] a = Check.uniform(seed, 300 * 200, -1, 1);
        float[] b = Check.uniform(seed + 1, 200 * 150, -1, 1);
        try (Tensor ta = Tensor.of(dev, 300, 200, a); Tensor tb = Tensor.of(dev, 200, 150, b); Tensor c1 = Tensor.empty(dev, 300, 150);
             Tensor c2 = Tensor.empty(dev, 300, 150)) {
            gemm().mm(c1, ta, false, tb, false);
            gemm().mm(c2, ta, false, tb, false);
            assertArrayEquals(c1.toArray(), c2.toArray());
        }
    }

    @Test
    void shapeMismatchIsRefused() {
        try (Tensor a = Tensor.empty(dev, 3, 4); Tensor b = Tensor.empty(dev, 5, 6); Tensor c = Tensor.empty(dev, 3, 6)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> gemm().mm(c, a, false, b, false));
            assertTrue(e.getMessage().contains("do not chain"), e.getMessage());
        }
    }
}
