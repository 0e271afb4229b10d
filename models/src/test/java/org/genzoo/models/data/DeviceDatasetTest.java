package org.genzoo.models.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.genzoo.host.Device;
import org.genzoo.host.TestDevices;
import org.genzoo.host.tensor.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class DeviceDatasetTest {
    private static final long SEED = 4242;
    /**
     * |binarized batch mean - grey mean of its rows|: a batch of 128 x 784 Bernoulli draws has a
     * standard deviation of at most sqrt(0.25 / 100352) = 0.0016, so 0.01 is over 6 sigma.
     */
    private static final double BINARY_MEAN_TOL = 0.01;

    private static Device device;

    @BeforeAll
    static void open() {
        device = TestDevices.openDefault();
    }

    @AfterAll
    static void close() {
        if (device != null) {
            device.close();
        }
    }

    /** N x D with x[i, c] = i + c / (2D): row i is recognizable from any of its values. */
    static Dataset indexed(int n, int d) {
        float[] x = new float[n * d];
        for (int i = 0; i < n; i++) {
            for (int c = 0; c < d; c++) {
                x[i * d + c] = i + c / (2f * d);
            }
        }
        return new Dataset("indexed", 1, d, x, null);
    }

    static Dataset grey(int n, int d, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n * d];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextDouble();
        }
        x[0] = 0f;
        x[1] = 1f;
        return new Dataset("grey", 1, d, x, null);
    }

    /** The rows the order of (seed, epoch) puts in batch k, from the host copy of the data. */
    static float[] expectedBatch(Dataset ds, long seed, int epoch, int k, int b) {
        int[] p = DeviceDataset.permutation(seed, epoch, ds.size());
        return ds.select(Arrays.copyOfRange(p, k * b, (k + 1) * b), "expected").x();
    }

    @Test
    void batchesAreRowsOfTheSplitThroughThePermutation() {
        Dataset ds = indexed(93, 7);
        int b = 10;
        try (DeviceDataset dd = new DeviceDataset(device, ds, b, SEED, false)) {
            assertEquals(9, dd.batchesPerEpoch()); // 3 examples dropped per epoch
            for (int step = 0; step < 2 * 9 + 2; step++) {
                Tensor t = dd.nextBatch();
                int epoch = step / 9;
                int k = step % 9;
                assertEquals(epoch, dd.epoch(), "step " + step);
                assertEquals((k + 1) * b, dd.position(), "step " + step);
                assertEquals(step + 1, dd.batchesDrawn());
                assertEquals(b, t.rows());
                assertEquals(7, t.cols());
                assertArrayEquals(expectedBatch(ds, SEED, epoch, k, b), t.toArray(), "seed " + SEED + " step " + step);
                assertArrayEquals(ds.select(dd.lastBatchIndices(), "i").x(), t.toArray(), "seed " + SEED + " step " + step);
            }
        }
    }

    @Test
    void everyExampleExactlyOncePerEpoch() {
        int n = 1000;
        int b = 125;
        Dataset ds = indexed(n, 3);
        try (DeviceDataset dd = new DeviceDataset(device, ds, b, SEED, false)) {
            int[] previous = null;
            for (int epoch = 0; epoch < 3; epoch++) {
                int[] seen = new int[n];
                int[] order = new int[n];
                for (int k = 0; k < n / b; k++) {
                    float[] batch = dd.nextBatch().toArray();
                    for (int r = 0; r < b; r++) {
                        int row = (int) batch[r * 3]; // column 0 holds the row index exactly
                        seen[row]++;
                        order[k * b + r] = row;
                    }
                }
                int[] ones = new int[n];
                Arrays.fill(ones, 1);
                assertArrayEquals(ones, seen, "seed " + SEED + " epoch " + epoch);
                assertFalse(Arrays.equals(previous, order), "epoch " + epoch + " repeats the previous order");
                previous = order;
            }
            assertEquals(2, dd.epoch());
        }
    }

    @Test
    void sameSeedSameBatchesOtherSeedOtherBatches() {
        Dataset ds = grey(64, 20, SEED);
        List<float[]> a = draw(ds, 16, SEED, true, 10);
        List<float[]> b = draw(ds, 16, SEED, true, 10);
        List<float[]> c = draw(ds, 16, SEED + 1, true, 10);
        for (int i = 0; i < a.size(); i++) {
            assertArrayEquals(a.get(i), b.get(i), "seed " + SEED + " batch " + i);
        }
        assertFalse(Arrays.equals(a.get(0), c.get(0)), "seeds " + SEED + " and " + (SEED + 1) + " agree");
    }

    @Test
    void resumeFromSavedStateDrawsTheSameBatches() {
        Dataset ds = grey(93, 11, SEED);
        int b = 10;
        for (boolean binarize : new boolean[] {false, true}) {
            for (int saveAt : new int[] {0, 7, 9, 12}) { // 9 = exactly at the end of epoch 0
                List<float[]> expected = new ArrayList<>();
                DeviceDataset.State saved = null;
                try (DeviceDataset dd = new DeviceDataset(device, ds, b, SEED, binarize)) {
                    for (int i = 0; i < saveAt + 12; i++) {
                        if (i == saveAt) {
                            saved = dd.state();
                        }
                        float[] x = dd.nextBatch().toArray();
                        if (i >= saveAt) {
                            expected.add(x);
                        }
                    }
                }
                DeviceDataset.State back = DeviceDataset.State.fromMap(saved.toMap());
                assertEquals(saved, back);
                try (DeviceDataset dd = new DeviceDataset(device, ds, b, SEED, binarize)) {
                    dd.restore(back);
                    assertEquals(saveAt, dd.batchesDrawn());
                    for (int i = 0; i < expected.size(); i++) {
                        assertArrayEquals(expected.get(i), dd.nextBatch().toArray(),
                                "seed " + SEED + " binarize " + binarize + " saved at " + saveAt + " batch +" + i);
                    }
                }
            }
        }
        try (DeviceDataset dd = new DeviceDataset(device, ds, b, SEED, false)) {
            DeviceDataset.State other = new DeviceDataset.State(SEED + 1, 93, b, 0, 0, 0, 0);
            assertThrows(IllegalArgumentException.class, () -> dd.restore(other));
            DeviceDataset.State badPos = new DeviceDataset.State(SEED, 93, b, 0, 5, 0, 0);
            assertThrows(IllegalArgumentException.class, () -> dd.restore(badPos));
        }
    }

    @Test
    void binarizedBatchesAreZeroOneWithTheGreyMeanAndFreshEachUse() {
        int n = 128;
        int d = 784;
        Dataset ds = grey(n, d, SEED);
        try (DeviceDataset dd = new DeviceDataset(device, ds, n, SEED, true)) { // B = N: every batch holds every row
            float[][] byRow = new float[2][];
            for (int use = 0; use < 2; use++) {
                float[] x = dd.nextBatch().toArray();
                int[] rows = dd.lastBatchIndices();
                double sum = 0;
                for (float v : x) {
                    assertTrue(v == 0f || v == 1f, "value " + v);
                    sum += v;
                }
                double grey = ds.select(rows, "g").mean();
                assertEquals(grey, sum / x.length, BINARY_MEAN_TOL, "seed " + SEED + " use " + use);
                byRow[use] = new float[n * d]; // back in row order
                for (int r = 0; r < n; r++) {
                    System.arraycopy(x, r * d, byRow[use], rows[r] * d, d);
                }
                assertEquals(0f, byRow[use][0]); // grey 0 is always 0
                assertEquals(1f, byRow[use][1]); // grey 1 is always 1
            }
            int differ = 0;
            for (int i = 0; i < n * d; i++) {
                differ += byRow[0][i] != byRow[1][i] ? 1 : 0;
            }
            // uniform greys: P(two samples differ) = E[2p(1-p)] = 1/3
            double frac = differ / (double) (n * d);
            assertEquals(1 / 3.0, frac, 0.02, "seed " + SEED + ": second use of each image is not a fresh sample");
            assertEquals(2, dd.binarizeCounter());
        }
    }

    @Test
    void rejectsBadBatchSizes() {
        Dataset ds = indexed(5, 2);
        assertThrows(IllegalArgumentException.class, () -> new DeviceDataset(device, ds, 6, SEED, false));
        assertThrows(IllegalArgumentException.class, () -> new DeviceDataset(device, ds, 0, SEED, false));
    }

    private static List<float[]> draw(Dataset ds, int b, long seed, boolean binarize, int count) {
        List<float[]> out = new ArrayList<>();
        try (DeviceDataset dd = new DeviceDataset(device, ds, b, seed, binarize)) {
            for (int i = 0; i < count; i++) {
                out.add(dd.nextBatch().toArray());
            }
        }
        return out;
    }
}
