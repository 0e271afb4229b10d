package org.genzoo.host.ops;

import static org.junit.jupiter.api.Assertions.*;

import java.util.SplittableRandom;
import org.genzoo.host.DeviceBuffer;
import org.genzoo.host.tensor.Tensor;
import org.genzoo.host.testing.Check;
import org.genzoo.host.testing.OnDevice;
import org.junit.jupiter.api.Test;

/** Row gather, column concat/split, and MADE's masked weights against plain Java. */
class GatherMaskTest extends OnDevice {

    @Test
    void gatherRowsByDeviceIndex() {
        long seed = 3;
        int n = 1000;
        int c = 93;
        float[] x = Check.uniform(seed, n * c, -1, 1);
        int[] idx = new int[144];
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < idx.length; i++) {
            idx[i] = r.nextInt(n);
        }
        try (Tensor tx = Tensor.of(dev, n, c, x); Tensor y = Tensor.empty(dev, 7, c); DeviceBuffer bi = dev.upload(idx)) {
            new Gather(dev).rows(y, tx, bi, 137);
            float[] got = y.toArray();
            for (int i = 0; i < 7; i++) {
                for (int j = 0; j < c; j++) {
                    assertEquals(x[idx[137 + i] * c + j], got[i * c + j], "row " + i + " col " + j + " seed " + seed);
                }
            }
            assertThrows(IndexOutOfBoundsException.class, () -> new Gather(dev).rows(y, tx, bi, (int) bi.floats() - 6));
        }
    }

    @Test
    void concatThenSplitIsIdentity() {
        float[] a = Check.uniform(1, 7 * 3, -1, 1);
        float[] b = Check.uniform(2, 7 * 5, -1, 1);
        try (Tensor ta = Tensor.of(dev, 7, 3, a); Tensor tb = Tensor.of(dev, 7, 5, b); Tensor out = Tensor.empty(dev, 7, 8)) {
            Gather.concatCols(out, ta, tb);
            assertArrayEquals(a, out.cols(0, 3).toArray());
            assertArrayEquals(b, out.cols(3, 8).toArray());
            assertThrows(IllegalArgumentException.class, () -> Gather.concatCols(out, ta, ta));
        }
    }

    @Test
    void maskedWeightsAndGradientRespectTheMask() {
        long seed = 4;
        int o = 13;
        int i = 9;
        float[] w = Check.uniform(seed, o * i, -1, 1);
        float[] dwe = Check.uniform(seed + 1, o * i, -1, 1);
        float[] dw0 = Check.uniform(seed + 2, o * i, -1, 1);
        float[] m = new float[o * i];
        for (int k = 0; k < m.length; k++) {
            m[k] = (k * 7) % 3 == 0 ? 0f : 1f;
        }
        try (Tensor tw = Tensor.of(dev, o, i, w); Tensor tm = Tensor.of(dev, o, i, m); Tensor we = Tensor.empty(dev, o, i);
             Tensor tdwe = Tensor.of(dev, o, i, dwe); Tensor tdw = Tensor.of(dev, o, i, dw0)) {
            MaskedWeights mw = new MaskedWeights(dev);
            mw.forward(we, tw, tm);
            mw.backward(tdw, tdwe, tm, 1f);
            float[] gotWe = we.toArray();
            float[] gotDw = tdw.toArray();
            for (int k = 0; k < m.length; k++) {
                assertEquals(w[k] * m[k], gotWe[k]);
                assertEquals(dw0[k] + dwe[k] * m[k], gotDw[k], 1e-7f);
            }
            tdw.fill(Float.NaN);
            mw.backward(tdw, tdwe, tm, 0f);
            float[] assigned = tdw.toArray();
            for (int k = 0; k < m.length; k++) {
                assertEquals(dwe[k] * m[k], assigned[k], "beta 0 assigns without reading dW");
            }
            // Finite differences in double of L(W) = Σ dWe ⊙ (W ⊙ M): the backward is dL/dW.
            double[] fd = Check.finiteDiff(wd -> {
                double l = 0;
                for (int k = 0; k < wd.length; k++) {
                    l += dwe[k] * (wd[k] * m[k]);
                }
                return l;
            }, Check.toDouble(w), 1e-5);
            Check.close(fd, assigned, 1e-6, 1e-5, "masked weights backward vs finite differences, seed " + seed);
        }
    }
}
