package org.genzoo.models.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxTest {
    private static final long SEED = 803;

    @TempDir
    Path dir;

    static Idx.Images randomImages(int n, int rows, int cols, long seed) {
        byte[] px = new byte[n * rows * cols];
        new SplittableRandom(seed).nextBytes(px);
        return new Idx.Images(n, rows, cols, px);
    }

    static int[] randomLabels(int n, long seed) {
        return new SplittableRandom(seed).ints(n, 0, 256).toArray();
    }

    @Test
    void roundTripRawAndGzip() throws IOException {
        for (boolean gzip : new boolean[] {false, true}) {
            Idx.Images img = randomImages(7, 5, 3, SEED);
            int[] lab = randomLabels(7, SEED);
            // names say the opposite of the content: gzip is detected from the bytes, not the name
            Path fi = dir.resolve(gzip ? "images-raw-name" : "images.gz");
            Path fl = dir.resolve(gzip ? "labels-raw-name" : "labels.gz");
            Idx.writeImages(fi, img, gzip);
            Idx.writeLabels(fl, lab, gzip);
            assertEquals(gzip, Idx.isGzip(fi));
            if (!gzip) {
                assertEquals(16 + 7 * 5 * 3, Files.size(fi));
                assertEquals(8 + 7, Files.size(fl));
            }
            Idx.Images back = Idx.readImages(fi);
            assertEquals(7, back.count());
            assertEquals(5, back.rows());
            assertEquals(3, back.cols());
            assertArrayEquals(img.pixels(), back.pixels(), "seed " + SEED + " gzip " + gzip);
            assertArrayEquals(lab, Idx.readLabels(fl), "seed " + SEED + " gzip " + gzip);
        }
    }

    @Test
    void emptyAndLargeValuesRoundTrip() throws IOException {
        Path f = dir.resolve("empty");
        Idx.writeImages(f, new Idx.Images(0, 28, 28, new byte[0]), false);
        assertEquals(0, Idx.readImages(f).count());
        Path l = dir.resolve("lab");
        Idx.writeLabels(l, new int[] {0, 255, 9}, true);
        assertArrayEquals(new int[] {0, 255, 9}, Idx.readLabels(l));
        assertThrows(IllegalArgumentException.class, () -> Idx.writeLabels(l, new int[] {256}, false));
    }

    @Test
    void headerMatchesTheMnistLayout() throws IOException {
        Path f = dir.resolve("one");
        byte[] px = new byte[6];
        px[5] = (byte) 200;
        Idx.writeImages(f, new Idx.Images(1, 2, 3, px), false);
        byte[] b = Files.readAllBytes(f);
        assertArrayEquals(new byte[] {0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3}, Arrays.copyOf(b, 16));
        assertEquals(200, Idx.readImages(f).pixel(0, 1, 2));
    }

    @Test
    void wrongMagicNamesTheFile() throws IOException {
        Path labels = dir.resolve("labels-not-images");
        Idx.writeLabels(labels, new int[] {1, 2, 3}, false);
        IdxFormatException e = assertThrows(IdxFormatException.class, () -> Idx.readImages(labels));
        assertTrue(e.getMessage().startsWith(labels.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("label file") && e.getMessage().contains("0x00000803"), e.getMessage());
        assertEquals(labels, e.file());

        Path junk = dir.resolve("junk.gz");
        Files.write(junk, gzip("hello, this is not IDX".getBytes()));
        e = assertThrows(IdxFormatException.class, () -> Idx.readLabels(junk));
        assertTrue(e.getMessage().startsWith(junk.toString()) && e.getMessage().contains("not an IDX file"), e.getMessage());

        Path floats = dir.resolve("floats");
        Files.write(floats, new byte[] {0, 0, 0x0d, 3, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1});
        e = assertThrows(IdxFormatException.class, () -> Idx.readImages(floats));
        assertTrue(e.getMessage().contains("element type 0x0d"), e.getMessage());
    }

    @Test
    void truncatedRawFileNamesTheFile() throws IOException {
        Path f = dir.resolve("trunc");
        Idx.writeImages(f, randomImages(4, 28, 28, SEED), false);
        byte[] b = Files.readAllBytes(f);
        Files.write(f, Arrays.copyOf(b, b.length - 100));
        IdxFormatException e = assertThrows(IdxFormatException.class, () -> Idx.readImages(f));
        assertTrue(e.getMessage().startsWith(f.toString()) && e.getMessage().contains("truncated"), e.getMessage());
        assertTrue(e.getMessage().contains("4 x 28 x 28"), e.getMessage());

        Files.write(f, Arrays.copyOf(b, 10)); // inside the header
        e = assertThrows(IdxFormatException.class, () -> Idx.readImages(f));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test
    void truncatedGzipPayloadAndStream() throws IOException {
        Path f = dir.resolve("trunc-payload");
        byte[] raw = rawImages(randomImages(4, 28, 28, SEED));
        Files.write(f, gzip(Arrays.copyOf(raw, raw.length - 100))); // a valid gzip of too few bytes
        IdxFormatException e = assertThrows(IdxFormatException.class, () -> Idx.readImages(f));
        assertTrue(e.getMessage().startsWith(f.toString()) && e.getMessage().contains("truncated"), e.getMessage());

        Path g = dir.resolve("trunc-stream");
        byte[] z = gzip(raw);
        Files.write(g, Arrays.copyOf(z, z.length / 2)); // a cut gzip stream
        e = assertThrows(IdxFormatException.class, () -> Idx.readImages(g));
        assertTrue(e.getMessage().startsWith(g.toString()) && e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test
    void dimensionsThatDoNotMatchTheFile() throws IOException {
        Idx.Images img = randomImages(4, 28, 28, SEED);
        byte[] raw = rawImages(img);
        raw[7] = 3; // header says 3 images, the file holds 4
        for (boolean gz : new boolean[] {false, true}) {
            Path f = dir.resolve("dims" + gz);
            Files.write(f, gz ? gzip(raw) : raw);
            IdxFormatException e = assertThrows(IdxFormatException.class, () -> Idx.readImages(f));
            assertTrue(e.getMessage().startsWith(f.toString()) && e.getMessage().contains("3 x 28 x 28")
                    && e.getMessage().contains("dimensions do not match"), e.getMessage());
        }
        byte[] zero = rawImages(img);
        zero[11] = 0; // rows = 0
        Path f = dir.resolve("zero-rows");
        Files.write(f, zero);
        IdxFormatException e = assertThrows(IdxFormatException.class, () -> Idx.readImages(f));
        assertTrue(e.getMessage().contains("must be positive"), e.getMessage());
    }

    @Test
    void imageAndLabelCountsMustAgree() throws IOException {
        Path fi = dir.resolve("i");
        Path fl = dir.resolve("l");
        Idx.writeImages(fi, randomImages(5, 2, 2, SEED), true);
        Idx.writeLabels(fl, new int[] {1, 2, 3}, true);
        IdxFormatException e = assertThrows(IdxFormatException.class, () -> IdxFolder.read("x", fi, fl));
        assertTrue(e.getMessage().contains(fl.toString()) && e.getMessage().contains(fi.toString())
                && e.getMessage().contains("3 labels") && e.getMessage().contains("5 images"), e.getMessage());
    }

    @Test
    void missingFile() {
        assertThrows(java.nio.file.NoSuchFileException.class, () -> Idx.readImages(dir.resolve("nope")));
        assertFalse(Files.exists(dir.resolve("nope")));
    }

    static byte[] rawImages(Idx.Images img) throws IOException {
        Path tmp = Files.createTempFile("idx", ".raw");
        try {
            Idx.writeImages(tmp, img, false);
            return Files.readAllBytes(tmp);
        } finally {
            Files.delete(tmp);
        }
    }

    static byte[] gzip(byte[] b) throws IOException {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (GZIPOutputStream z = new GZIPOutputStream(bos)) {
            z.write(b);
        }
        return bos.toByteArray();
    }
}
