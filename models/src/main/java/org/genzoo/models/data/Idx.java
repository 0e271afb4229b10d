package org.genzoo.models.data;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import java.util.zip.ZipException;

/**
 * Reads and writes IDX files, the MNIST file format (LeCun et al., "THE MNIST DATABASE of
 * handwritten digits"), for unsigned-byte images and labels.
 *
 * <pre>
 *   images: magic 0x00000803, int32 N, int32 rows, int32 cols, then N*rows*cols unsigned bytes
 *   labels: magic 0x00000801, int32 N,                          then N unsigned bytes
 * </pre>
 * All integers are big-endian. The magic is two zero bytes, a type byte (0x08 = unsigned byte)
 * and the number of dimensions. A file may be raw or gzip-compressed: gzip is recognized by its
 * first two bytes (1f 8b), never by the file name. The reader checks the magic, the dimensions,
 * and that the data is exactly as long as the header says (a raw file's size before reading, a
 * gzip file's decompressed length while reading); every failure is an {@link IdxFormatException}
 * that names the file and what is wrong.
 */
public final class Idx {
    public static final int IMAGES_MAGIC = 0x00000803;
    public static final int LABELS_MAGIC = 0x00000801;
    /** The IDX type byte for unsigned bytes. */
    private static final int TYPE_UBYTE = 0x08;
    private static final int IO_BUFFER = 1 << 16;

    private Idx() {
    }

    /**
     * N grey images of rows x cols unsigned-byte pixels, image-major then row-major:
     * pixel (i, r, c) is {@code pixels[(i*rows + r)*cols + c] & 0xff}.
     */
    public record Images(int count, int rows, int cols, byte[] pixels) {
        public Images {
            if (count < 0 || rows <= 0 || cols <= 0) {
                throw new IllegalArgumentException("images " + count + " x " + rows + " x " + cols + ": dimensions must be positive");
            }
            if (pixels.length != (long) count * rows * cols) {
                throw new IllegalArgumentException("images " + count + " x " + rows + " x " + cols + " need "
                        + (long) count * rows * cols + " pixels, got " + pixels.length);
            }
        }

        /** Pixel (i, r, c) as 0..255. */
        public int pixel(int i, int r, int c) {
            return pixels[(i * rows + r) * cols + c] & 0xff;
        }
    }

    /** True when the file starts with the gzip magic bytes 1f 8b. */
    public static boolean isGzip(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return in.read() == 0x1f && in.read() == 0x8b;
        }
    }

    public static Images readImages(Path file) throws IOException {
        try (InputStream in = open(file)) {
            int[] dims = readHeader(in, file, IMAGES_MAGIC, 3);
            int n = dims[0];
            int rows = dims[1];
            int cols = dims[2];
            if (rows <= 0 || cols <= 0) {
                throw new IdxFormatException(file, "image size " + rows + " x " + cols + " in the header must be positive");
            }
            long bytes = (long) n * rows * cols;
            if (bytes > Integer.MAX_VALUE - 8) {
                throw new IdxFormatException(file, "header declares " + n + " x " + rows + " x " + cols + " = " + bytes
                        + " pixels, more than one Java array holds");
            }
            byte[] pixels = readPayload(in, file, 16, bytes, n + " x " + rows + " x " + cols + " images");
            return new Images(n, rows, cols, pixels);
        }
    }

    /** Labels as ints 0..255. */
    public static int[] readLabels(Path file) throws IOException {
        try (InputStream in = open(file)) {
            int n = readHeader(in, file, LABELS_MAGIC, 1)[0];
            byte[] raw = readPayload(in, file, 8, n, n + " labels");
            int[] labels = new int[n];
            for (int i = 0; i < n; i++) {
                labels[i] = raw[i] & 0xff;
            }
            return labels;
        }
    }

    /** Writes images (gzip-compressed when {@code gzip}), replacing the file. */
    public static void writeImages(Path file, Images images, boolean gzip) throws IOException {
        try (DataOutputStream out = create(file, gzip)) {
            out.writeInt(IMAGES_MAGIC);
            out.writeInt(images.count());
            out.writeInt(images.rows());
            out.writeInt(images.cols());
            out.write(images.pixels());
        }
    }

    /** Writes labels (each in 0..255), replacing the file. */
    public static void writeLabels(Path file, int[] labels, boolean gzip) throws IOException {
        byte[] raw = new byte[labels.length];
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] > 255) {
                throw new IllegalArgumentException("label " + labels[i] + " at " + i + " does not fit an unsigned byte");
            }
            raw[i] = (byte) labels[i];
        }
        try (DataOutputStream out = create(file, gzip)) {
            out.writeInt(LABELS_MAGIC);
            out.writeInt(labels.length);
            out.write(raw);
        }
    }

    // ---- internals ---------------------------------------------------------------------------

    private static DataOutputStream create(Path file, boolean gzip) throws IOException {
        OutputStream os = Files.newOutputStream(file);
        try {
            if (gzip) {
                os = new GZIPOutputStream(os, IO_BUFFER);
            }
            return new DataOutputStream(new BufferedOutputStream(os, IO_BUFFER));
        } catch (IOException | RuntimeException e) {
            os.close();
            throw e;
        }
    }

    /** The file's bytes, decompressed when it starts with the gzip magic. */
    private static InputStream open(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new java.nio.file.NoSuchFileException(file.toString(), null, "no such IDX file");
        }
        BufferedInputStream in = new BufferedInputStream(Files.newInputStream(file), IO_BUFFER);
        try {
            in.mark(2);
            boolean gz = in.read() == 0x1f && in.read() == 0x8b;
            in.reset();
            if (!gz) {
                return in;
            }
            try {
                return new BufferedInputStream(new GZIPInputStream(in, IO_BUFFER), IO_BUFFER);
            } catch (ZipException | EOFException e) {
                throw new IdxFormatException(file, "starts like gzip (1f 8b) but its gzip header is broken: " + e.getMessage(), e);
            }
        } catch (IOException | RuntimeException e) {
            in.close();
            throw e;
        }
    }

    /** Reads and checks the magic, returns the dimensions. */
    private static int[] readHeader(InputStream in, Path file, int magic, int ndims) throws IOException {
        String kind = magic == IMAGES_MAGIC ? "images" : "labels";
        byte[] head = readFully(in, file, 4 + 4 * ndims, "a header");
        if (head.length < 4) {
            throw new IdxFormatException(file, "too short for an IDX header (" + head.length + " bytes)");
        }
        ByteBuffer bb = ByteBuffer.wrap(head);
        int found = bb.getInt();
        if (found != magic) {
            String what;
            if (found == IMAGES_MAGIC) {
                what = "an IDX image file (magic 0x00000803)";
            } else if (found == LABELS_MAGIC) {
                what = "an IDX label file (magic 0x00000801)";
            } else if ((found >>> 16) == 0 && ((found >>> 8) & 0xff) != TYPE_UBYTE) {
                what = String.format("an IDX file of element type 0x%02x, not unsigned bytes (magic 0x%08x)", (found >>> 8) & 0xff, found);
            } else if ((found >>> 16) == 0) {
                what = String.format("an IDX file with %d dimensions (magic 0x%08x)", found & 0xff, found);
            } else {
                what = String.format("not an IDX file (magic 0x%08x)", found);
            }
            throw new IdxFormatException(file, "is " + what + ", expected " + kind + String.format(" (magic 0x%08x)", magic));
        }
        if (head.length < 4 + 4 * ndims) {
            throw new IdxFormatException(file, "truncated: the header needs " + (4 + 4 * ndims) + " bytes, the file has "
                    + head.length);
        }
        int[] dims = new int[ndims];
        for (int d = 0; d < ndims; d++) {
            dims[d] = bb.getInt();
        }
        if (dims[0] < 0) {
            throw new IdxFormatException(file, "negative item count " + dims[0] + " in the header");
        }
        return dims;
    }

    /**
     * Reads exactly {@code bytes} of data and checks that nothing follows. For a raw file the size
     * is checked first, so a truncated file fails before the read.
     */
    private static byte[] readPayload(InputStream in, Path file, int header, long bytes, String what) throws IOException {
        long expected = header + bytes;
        boolean gzip = isGzip(file);
        if (!gzip) {
            long size = Files.size(file);
            if (size != expected) {
                throw new IdxFormatException(file, lengthProblem(what, header, bytes, size));
            }
        }
        byte[] data = readFully(in, file, (int) bytes, "the data");
        if (data.length < bytes) {
            throw new IdxFormatException(file, "truncated: the header declares " + what + " (" + bytes
                    + " data bytes) but the " + (gzip ? "decompressed " : "") + "data ends after " + data.length);
        }
        int extra = 0;
        try {
            while (in.read() != -1) {
                extra++;
            }
        } catch (EOFException | ZipException e) {
            throw new IdxFormatException(file, "the gzip stream after the data is broken: " + e.getMessage(), e);
        }
        if (extra > 0) {
            throw new IdxFormatException(file, "the header declares " + what + " (" + bytes + " data bytes) but "
                    + extra + " more bytes follow (dimensions do not match the file)");
        }
        return data;
    }

    private static String lengthProblem(String what, int header, long bytes, long size) {
        long expected = header + bytes;
        String base = "the header declares " + what + ", so the file should have " + header + " + " + bytes + " = " + expected
                + " bytes, but it has " + size;
        return size < expected ? "truncated: " + base : base + " (" + (size - expected) + " extra; dimensions do not match the file)";
    }

    /** Up to n bytes; fewer only at the end of the stream. Gzip errors become IdxFormatException. */
    private static byte[] readFully(InputStream in, Path file, int n, String what) throws IOException {
        try {
            return in.readNBytes(n);
        } catch (EOFException e) {
            throw new IdxFormatException(file, "truncated: the gzip stream ends inside " + what, e);
        } catch (ZipException e) {
            throw new IdxFormatException(file, "corrupt gzip data inside " + what + ": " + e.getMessage(), e);
        }
    }
}
