package org.genzoo.host;

import static org.junit.jupiter.api.Assertions.*;

import org.genzoo.host.tensor.Tensor;
import org.genzoo.host.testing.Check;
import org.genzoo.host.testing.OnDevice;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

class TensorTest extends OnDevice {

    @Test
    void roundTripViewsFillAndCopy() {
        long seed = 7;
        float[] x = Check.uniform(seed, 7 * 93, -1, 1);
        try (Tensor t = Tensor.of(dev, 7, 93, x); Tensor z = Tensor.zeros(dev, 7, 10)) {
            assertArrayEquals(x, t.toArray());
            Tensor v = t.cols(5, 15);
            assertFalse(v.contiguous());
            float[] want = new float[70];
            for (int r = 0; r < 7; r++) {
                System.arraycopy(x, r * 93 + 5, want, r * 10, 10);
            }
            assertArrayEquals(want, v.toArray());
            assertArrayEquals(new float[70], z.toArray());
            z.copyFrom(v);
            assertArrayEquals(want, z.toArray());
            v.fill(3f);
            assertEquals(3f, t.get(6, 14));
            assertEquals(x[6 * 93 + 15], t.get(6, 15), "fill stays inside the view");
            assertEquals(x[6 * 93 + 4], t.get(6, 4));
            Tensor rows = t.rows(2, 4);
            assertEquals(x[2 * 93], rows.get(0, 0));
            assertThrows(IndexOutOfBoundsException.class, () -> t.cols(90, 94));
            assertThrows(IllegalArgumentException.class, () -> z.copyFrom(t));
        }
    }

    /** Transfers longer than one staging chunk go in pieces: every value lands where it belongs, at an odd offset too. */
    @Test
    @Tag("large") // two 16 MiB staging chunks: transfers, not kernel coverage (roundTripViewsFillAndCopy runs the kernels on the simulated GPU)
    void transfersLargerThanTheStagingChunkRoundTrip() {
        long seed = 11;
        int n = 2 * DeviceBuffer.STAGING_CHUNK + 7;
        float[] x = Check.uniform(seed, n, -1, 1);
        int[] ix = new int[n];
        for (int i = 0; i < n; i++) {
            ix[i] = i * 31 + 5;
        }
        try (DeviceBuffer b = dev.allocate(4L * (n + 3))) {
            b.write(x, 0, n, 3);
            float[] back = new float[n];
            b.read(back, 0, n, 3);
            assertArrayEquals(x, back, "seed " + seed);
            b.write(ix, 0, n, 3);
            assertArrayEquals(ix, b.readInts(3, n));
        }
    }
}
