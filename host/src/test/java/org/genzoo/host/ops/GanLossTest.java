package org.genzoo.host.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.genzoo.host.tensor.Tensor;
import org.genzoo.host.testing.Check;
import org.genzoo.host.testing.OnDevice;
import org.genzoo.host.testing.SimGpu;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** kernels/ganloss.cl against a plain-Java reference in double and central finite differences. */
class GanLossTest extends OnDevice {
    /** Forward: a float sum of at most 512 terms of size ≤ 4·|k| (and log1p's polynomial), against double. */
    private static final double ATOL_FWD = 2e-6;
    private static final double RTOL_FWD = 2e-5;
    /** Backward: φ' and two products in float against central differences (step 1e-6) of the double reference. */
    private static final double ATOL_BWD = 1e-6;
    private static final double RTOL_BWD = 1e-4;
    /** Hinge inputs kept this far from the kink at s·l = 1, so the central difference never straddles it. */
    private static final double KINK_MARGIN = 0.05;

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (int n : SimGpu.sizes(new int[] {1, 7, 33, 93, 512})) {
            for (GanLoss.Kind kind : GanLoss.Kind.values()) {
                for (int nA : new int[] {0, n / 2, n}) {
                    out.add(Arguments.of(kind, n, nA));
                }
            }
        }
        return out.stream();
    }

    static double phi(GanLoss.Kind kind, double x) {
        return switch (kind) {
            case LINEAR -> x;
            case LOGSIG -> -Math.log1p(Math.exp(-x));
            case HINGE -> Math.max(0, 1 - x);
        };
    }

    static double loss(GanLoss.Kind kind, double[] l, int nA, double sA, double sB, double k, double extra) {
        double s = 0;
        for (int i = 0; i < l.length; i++) {
            s += phi(kind, (i < nA ? sA : sB) * l[i]);
        }
        return k * s + extra;
    }

    @ParameterizedTest
    @MethodSource("cases")
    void lossMeansAndGradientMatchTheReference(GanLoss.Kind kind, int n, int nA) {
        long seed = 7L * n + nA + 1000L * kind.ordinal();
        SplittableRandom r = new SplittableRandom(seed);
        float sA = -1f;
        float sB = 1f;
        float k = -1f / Math.max(1, n / 2);
        float[] l = new float[n];
        for (int i = 0; i < n; i++) {
            double s = i < nA ? sA : sB;
            do {
                l[i] = (float) r.nextDouble(-4, 4);
            } while (kind == GanLoss.Kind.HINGE && Math.abs(1 - s * l[i]) < KINK_MARGIN);
        }
        double[] ld = Check.toDouble(l);
        float extra = 0.375f;
        float dloss = 1.5f;
        float[] prev = Check.uniform(seed + 1, n, -1, 1);
        String tag = kind + " n " + n + " nA " + nA + " (seed " + seed + ")";
        try (Tensor tl = Tensor.of(dev, n, 1, l); Tensor loss = Tensor.zeros(dev, 1, 1); Tensor means = Tensor.zeros(dev, 2, 1);
                Tensor te = Tensor.of(dev, 1, 1, new float[] {extra}); Tensor tdl = Tensor.of(dev, 1, 1, new float[] {dloss});
                Tensor dl = Tensor.of(dev, n, 1, prev); Tensor dl0 = Tensor.empty(dev, n, 1); Tensor de = Tensor.of(dev, 1, 1, new float[] {2f})) {
            GanLoss.forward(kind, loss, means, tl, nA, sA, sB, k, te);
            double ref = loss(kind, ld, nA, sA, sB, k, extra);
            Check.close(new double[] {ref}, loss.toArray(), ATOL_FWD, RTOL_FWD, "loss " + tag);
            double ma = 0;
            double mb = 0;
            for (int i = 0; i < n; i++) {
                if (i < nA) {
                    ma += ld[i];
                } else {
                    mb += ld[i];
                }
            }
            Check.close(new double[] {nA > 0 ? ma / nA : Double.NaN, n > nA ? mb / (n - nA) : Double.NaN}, means.toArray(), ATOL_FWD,
                    RTOL_FWD, "means " + tag);
            double[] fd = Check.finiteDiff(x -> loss(kind, x, nA, sA, sB, k, 0), ld, 1e-6);
            double[] assign = new double[n];
            double[] acc = new double[n];
            for (int i = 0; i < n; i++) {
                assign[i] = dloss * fd[i];
                acc[i] = prev[i] + dloss * fd[i];
            }
            GanLoss.backward(kind, dl0, tdl, tl, nA, sA, sB, k, 0f, null, 0f);
            Check.close(assign, dl0.toArray(), ATOL_BWD, RTOL_BWD, "backward, assigned " + tag);
            GanLoss.backward(kind, dl, tdl, tl, nA, sA, sB, k, 1f, de, 1f);
            Check.close(acc, dl.toArray(), ATOL_BWD, RTOL_BWD, "backward, accumulated " + tag);
            assertEquals(2f + dloss, de.toArray()[0], "d extra accumulates d loss (" + tag + ")");
        }
    }

    @Test
    void withoutMeansOrExtraOnlyTheLossIsWritten() {
        float[] l = {0.5f, -2f, 3f};
        try (Tensor tl = Tensor.of(dev, 3, 1, l); Tensor loss = Tensor.zeros(dev, 1, 1); Tensor dl = Tensor.empty(dev, 3, 1);
                Tensor one = Tensor.of(dev, 1, 1, new float[] {1f})) {
            GanLoss.forward(GanLoss.Kind.LOGSIG, loss, null, tl, 3, 1f, 1f, -1f / 3, null);
            double ref = loss(GanLoss.Kind.LOGSIG, Check.toDouble(l), 3, 1, 1, -1.0 / 3, 0);
            Check.close(new double[] {ref}, loss.toArray(), ATOL_FWD, RTOL_FWD, "non-saturating generator loss");
            GanLoss.backward(GanLoss.Kind.LOGSIG, dl, one, tl, 3, 1f, 1f, -1f / 3, 0f, null, 0f);
            for (float g : dl.toArray()) {
                assertTrue(g < 0, "−log σ(l) falls as l grows: " + g);
            }
        }
    }

    @Test
    void badArgumentsAreRefused() {
        try (Tensor l = Tensor.zeros(dev, 4, 2); Tensor loss = Tensor.zeros(dev, 1, 1); Tensor l1 = Tensor.zeros(dev, 4, 1)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> GanLoss.forward(GanLoss.Kind.LINEAR, loss, null, l, 2, 1f, 1f, 1f, null));
            assertTrue(e.getMessage().contains("4 x 1"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> GanLoss.forward(GanLoss.Kind.LINEAR, loss, null, l1, 5, 1f, 1f, 1f, null));
            assertTrue(e.getMessage().contains("nA = 5"), e.getMessage());
        }
    }
}
