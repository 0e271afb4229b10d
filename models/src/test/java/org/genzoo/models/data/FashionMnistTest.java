package org.genzoo.models.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Needs Debian's dataset-fashion-mnist (skipped without it, a failure under CI=true). */
class FashionMnistTest {
    private static DatasetSplits splits;
    private static long loadMillis;

    @BeforeAll
    static void load() throws IOException {
        if (!FashionMnist.installed()) {
            String why = FashionMnist.DEBIAN_DIR + " missing: apt-get install dataset-fashion-mnist";
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                fail("CI=true and " + why);
            }
            assumeTrue(false, why);
        }
        long t0 = System.nanoTime();
        splits = Datasets.load("fashion-mnist", null);
        loadMillis = (System.nanoTime() - t0) / 1_000_000;
    }

    @Test
    void documentedSizes() {
        assertEquals(50_000, splits.train().size());
        assertEquals(10_000, splits.validation().size());
        assertEquals(10_000, splits.test().size());
        for (Split s : Split.values()) {
            assertEquals(28, splits.get(s).height());
            assertEquals(28, splits.get(s).width());
        }
        String table = splits.describe();
        assertTrue(table.contains("rows [50000, 60000)") && table.contains("t10k-images-idx3-ubyte.gz rows [0, 10000)"), table);
        assertTrue(loadMillis < 10_000, "loading took " + loadMillis + " ms");
    }

    @Test
    void pixelsInUnitRangeAndNotBlank() {
        for (Split s : Split.values()) {
            float min = Float.MAX_VALUE;
            float max = -Float.MAX_VALUE;
            for (float v : splits.get(s).x()) {
                min = Math.min(min, v);
                max = Math.max(max, v);
            }
            assertEquals(0f, min, s.label());
            assertEquals(1f, max, s.label());
            double mean = splits.get(s).mean();
            assertTrue(mean > 0.2 && mean < 0.4, s.label() + " grey mean " + mean); // Fashion-MNIST's is about 0.286
        }
    }

    @Test
    void classBalance() {
        int[] train60k = new int[10];
        for (int l : splits.train().labels()) {
            train60k[l]++;
        }
        for (int l : splits.validation().labels()) {
            train60k[l]++;
        }
        int[] six = new int[10];
        Arrays.fill(six, 6_000);
        assertArrayEquals(six, train60k);
        int[] thousand = new int[10];
        Arrays.fill(thousand, 1_000);
        assertArrayEquals(thousand, splits.test().classCounts());
        assertEquals(10, splits.train().classCounts().length);
        assertEquals(10, FashionMnist.CLASSES.size());
    }
}
