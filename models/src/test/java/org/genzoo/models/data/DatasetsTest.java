package org.genzoo.models.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetsTest {
    private static final long SEED = 1801;

    @TempDir
    Path dir;

    @Test
    void dataCacheDirFollowsTheEnvironment() {
        assertEquals(Path.of("/d"), Datasets.dataCacheDir(Map.of("GENZOO_DATA_DIR", "/d", "XDG_CACHE_HOME", "/x"), "/h"));
        assertEquals(Path.of("/x/genzoo/data"), Datasets.dataCacheDir(Map.of("XDG_CACHE_HOME", "/x"), "/h"));
        assertEquals(Path.of("/h/.cache/genzoo/data"), Datasets.dataCacheDir(Map.of(), "/h"));
    }

    @Test
    void idxFolderSplitAndNames() throws IOException {
        // 60 training images (LeCun's dotted names, raw) and 7 test images (dashed, gzipped)
        Idx.writeImages(dir.resolve("train-images.idx3-ubyte"), IdxTest.randomImages(60, 4, 3, SEED), false);
        Idx.writeLabels(dir.resolve("train-labels.idx1-ubyte"), IdxTest.randomLabels(60, SEED), false);
        Idx.Images test = IdxTest.randomImages(7, 4, 3, SEED + 1);
        Idx.writeImages(dir.resolve("t10k-images-idx3-ubyte.gz"), test, true);
        Idx.writeLabels(dir.resolve("t10k-labels-idx1-ubyte.gz"), IdxTest.randomLabels(7, SEED + 1), true);

        DatasetSplits s = Datasets.load("idx:" + dir, null);
        assertEquals(50, s.train().size());
        assertEquals(10, s.validation().size());
        assertEquals(7, s.test().size());
        assertEquals(4, s.train().height());
        assertEquals(3, s.train().width());
        assertEquals(test.pixel(6, 3, 2) / 255f, s.test().x()[6 * 12 + 11]);
        Dataset all = IdxFolder.read("all", dir.resolve("train-images.idx3-ubyte"), dir.resolve("train-labels.idx1-ubyte"));
        assertArrayEquals(all.row(50), s.validation().row(0));
        assertEquals(all.label(59), s.validation().label(9));

        DatasetSplits viaDir = Datasets.load("idx", dir);
        assertArrayEquals(s.train().x(), viaDir.train().x());

        String table = s.describe();
        assertTrue(table.contains("train") && table.contains("rows [0, 50)") && table.contains("rows [50, 60)"), table);

        DatasetSplits small = s.subset(5);
        assertEquals(5, small.train().size());
        assertEquals(5, small.test().size());
        assertArrayEquals(s.train().row(4), small.train().row(4));
    }

    @Test
    void missingFilesAndUnknownNames() {
        NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> Datasets.load("idx:" + dir, null));
        assertTrue(e.getMessage().contains("train-images-idx3-ubyte.gz"), e.getMessage());
        IllegalArgumentException u = assertThrows(IllegalArgumentException.class, () -> Datasets.load("cifar", null));
        assertTrue(u.getMessage().contains("fashion-mnist"), u.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Datasets.load("idx", null));
        NoSuchFileException f = assertThrows(NoSuchFileException.class, () -> FashionMnist.load(dir.resolve("none")));
        assertTrue(f.getMessage().contains("apt-get install dataset-fashion-mnist"), f.getMessage());
    }

    @Test
    void datasetViews() {
        float[] x = new float[5 * 6];
        for (int i = 0; i < x.length; i++) {
            x[i] = i / 30f;
        }
        Dataset d = new Dataset("t", 2, 3, x, new int[] {0, 1, 2, 1, 1});
        assertEquals(5, d.size());
        assertEquals(6, d.dim());
        assertSame(d, d.subset(10));
        assertEquals(2, d.subset(2).size());
        assertArrayEquals(d.row(3), d.select(new int[] {3, 0}, "s").row(0));
        assertArrayEquals(new int[] {1, 3, 1}, d.classCounts());
        assertEquals(29 / 60.0, d.mean(), 1e-6);
        assertThrows(IllegalArgumentException.class, () -> new Dataset("bad", 2, 3, new float[7], null));
        assertThrows(IllegalArgumentException.class, () -> new Dataset("bad", 2, 3, new float[12], new int[3]));
    }

    @Test
    void splitParse() {
        assertEquals(Split.VALIDATION, Split.parse("Val"));
        assertEquals(Split.TEST, Split.parse("test"));
        assertThrows(IllegalArgumentException.class, () -> Split.parse("dev"));
        assertTrue(Files.exists(dir));
    }
}
