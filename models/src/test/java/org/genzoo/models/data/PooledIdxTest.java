package org.genzoo.models.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PooledIdxTest {
    private static final long SEED = 4407;

    @TempDir
    Path dir;

    @Test
    void poolsEachBlockToItsRoundedMean() {
        // one 4 x 6 picture, pooled by 2: block means 127.5, 25, 101.75 / 4.75, 6.75, 9
        int[] v = {
            0, 255, 10, 20, 100, 101,
            255, 0, 30, 40, 102, 104,
            1, 2, 3, 4, 5, 6,
            7, 9, 9, 11, 11, 14};
        byte[] b = new byte[v.length];
        for (int i = 0; i < v.length; i++) {
            b[i] = (byte) v[i];
        }
        Dataset d = Dataset.fromIdx("hand", new Idx.Images(1, 4, 6, b), new int[] {3});
        Idx.Images p = PooledIdx.pool(d, 1, 2);
        assertEquals(2, p.rows());
        assertEquals(3, p.cols());
        int[] got = new int[6];
        for (int i = 0; i < 6; i++) {
            got[i] = p.pixels()[i] & 0xff;
        }
        assertArrayEquals(new int[] {128, 25, 102, 5, 7, 9}, got);
    }

    @Test
    void writesAFolderTheIdxLoaderSplits() throws IOException {
        Dataset src = Dataset.fromIdx("random", IdxTest.randomImages(14, 4, 6, SEED), IdxTest.randomLabels(14, SEED));
        PooledIdx.write(src, 12, src, 2, 2, dir);
        DatasetSplits s = Datasets.load("idx:" + dir, null);
        assertEquals(10, s.train().size(), "seed " + SEED);
        assertEquals(2, s.validation().size());
        assertEquals(2, s.test().size());
        assertEquals(6, s.train().dim());
        Idx.Images pooled = PooledIdx.pool(src, 12, 2);
        assertEquals(pooled.pixel(11, 1, 2) / 255f, s.validation().row(1)[5], "seed " + SEED);
        assertEquals(src.label(11), s.validation().label(1));
        assertEquals(src.label(1), s.test().label(1));
    }

    @Test
    void refusesAFactorThatDoesNotDivideTheSides() {
        Dataset src = Dataset.fromIdx("random", IdxTest.randomImages(2, 4, 6, SEED), IdxTest.randomLabels(2, SEED));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PooledIdx.pool(src, 2, 4));
        assertTrue(e.getMessage().contains("4 x 6 examples cannot be pooled by 4"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> PooledIdx.pool(src, 3, 2));
        assertTrue(e.getMessage().contains("3 examples asked, it holds 2"), e.getMessage());
    }
}
