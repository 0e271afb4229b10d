package org.genzoo.models.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Fashion-MNIST (Xiao, Rasul and Vollgraf 2017, MIT licence): 70,000 28 x 28 grey images of
 * clothing in 10 classes, read from Debian's {@code dataset-fashion-mnist} package, which installs
 * {@code /usr/share/datasets/fashion-mnist/{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz}
 * (the {@code genzoo} launcher installs it when it can: {@code apt-get install dataset-fashion-mnist}).
 *
 * <p>Fixed split, files taken in their stored order:
 * <table>
 * <caption>Fashion-MNIST split</caption>
 * <tr><th>split</th><th>size</th><th>rows</th></tr>
 * <tr><td>train</td><td>50,000</td><td>train-images rows [0, 50000)</td></tr>
 * <tr><td>validation</td><td>10,000</td><td>train-images rows [50000, 60000)</td></tr>
 * <tr><td>test</td><td>10,000</td><td>t10k-images rows [0, 10000)</td></tr>
 * </table>
 * Pixels are v / 255 in [0, 1]; labels 0..9 name {@link #CLASSES}.
 */
public final class FashionMnist {
    public static final String NAME = "fashion-mnist";
    public static final Path DEBIAN_DIR = Path.of("/usr/share/datasets/fashion-mnist");
    public static final int TRAIN_FILE_SIZE = 60_000;
    public static final int TRAIN = 50_000;
    public static final int VALIDATION = 10_000;
    public static final int TEST = 10_000;
    public static final List<String> CLASSES = List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal",
            "Shirt", "Sneaker", "Bag", "Ankle boot");

    private FashionMnist() {
    }

    /** True when the Debian files are installed. */
    public static boolean installed() {
        return Files.isDirectory(DEBIAN_DIR);
    }

    /**
     * Loads the split from {@code folder} (the Debian folder when null), which must hold the four
     * Fashion-MNIST IDX files under their usual names.
     */
    public static DatasetSplits load(Path folder) throws IOException {
        Path dir = folder != null ? folder : DEBIAN_DIR;
        if (!Files.isDirectory(dir)) {
            throw new java.nio.file.NoSuchFileException(dir.toString(), null, "Fashion-MNIST not found; install it with "
                    + "'apt-get install dataset-fashion-mnist' (Debian/Ubuntu), or pass a folder holding "
                    + "train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz");
        }
        IdxFolder.Pair train = IdxFolder.readPair(NAME + "/train", dir, "train");
        IdxFolder.Pair test = IdxFolder.readPair(NAME + "/test", dir, "t10k");
        expect(train, TRAIN_FILE_SIZE);
        expect(test, TEST);
        String source = dir.toAbsolutePath() + (folder == null ? " (Debian dataset-fashion-mnist)" : "");
        return IdxFolder.split(NAME, source, train, TRAIN, test);
    }

    private static void expect(IdxFolder.Pair p, int n) throws IdxFormatException {
        Dataset d = p.data();
        if (d.size() != n || d.height() != 28 || d.width() != 28) {
            throw new IdxFormatException(p.images(), "holds " + d.size() + " images of " + d.height() + " x " + d.width()
                    + "; Fashion-MNIST has " + n + " of 28 x 28 in this file");
        }
    }
}
