package org.genzoo.models.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * MNIST-format files in a folder the user points to ({@code idx:<folder>} or {@code --data-dir}):
 * {@code train-images-idx3-ubyte}, {@code train-labels-idx1-ubyte}, {@code t10k-images-idx3-ubyte},
 * {@code t10k-labels-idx1-ubyte}, each raw or gzipped, with or without a {@code .gz} suffix (the
 * reader looks at the bytes), and with "-" or "." before "idx" (LeCun's site used both).
 *
 * <p>Split: with N training images, train = the first N - N/6 of them, validation = the last N/6
 * (integer division; for the usual N = 60,000 that is 50,000 / 10,000, the same rule as
 * {@link FashionMnist}), test = all t10k images. Files are taken in their stored order.
 */
public final class IdxFolder {
    /** Validation is the last 1/VALIDATION_FRACTION of the training file. */
    public static final int VALIDATION_FRACTION = 6;

    private IdxFolder() {
    }

    /** The images and labels of one IDX file pair, read and checked against each other. */
    public record Pair(Path images, Path labels, Dataset data) {
    }

    public static DatasetSplits load(String name, Path folder) throws IOException {
        Pair train = readPair(name + "/train", folder, "train");
        Pair test = readPair(name + "/test", folder, "t10k");
        int n = train.data().size();
        int nVal = n / VALIDATION_FRACTION;
        return split(name, folder.toAbsolutePath().toString(), train, n - nVal, test);
    }

    /** Train = first nTrain of the train pair, validation = the rest, test = the whole test pair. */
    static DatasetSplits split(String name, String source, Pair train, int nTrain, Pair test) {
        Dataset all = train.data();
        String f = train.images().getFileName().toString();
        String tf = test.images().getFileName().toString();
        return new DatasetSplits(name, source,
                new DatasetSplits.Part(Split.TRAIN, all.slice(0, nTrain, name + "/train"), f + " rows [0, " + nTrain + ")"),
                new DatasetSplits.Part(Split.VALIDATION, all.slice(nTrain, all.size(), name + "/validation"),
                        f + " rows [" + nTrain + ", " + all.size() + ")"),
                new DatasetSplits.Part(Split.TEST, new Dataset(name + "/test", test.data().height(), test.data().width(),
                        test.data().x(), test.data().labels()), tf + " rows [0, " + test.data().size() + ")"));
    }

    /** Finds and reads {@code <prefix>-images-idx3-ubyte[.gz]} and {@code <prefix>-labels-idx1-ubyte[.gz]}. */
    public static Pair readPair(String name, Path folder, String prefix) throws IOException {
        Path images = find(folder, prefix + "-images", "idx3-ubyte");
        Path labels = find(folder, prefix + "-labels", "idx1-ubyte");
        return new Pair(images, labels, read(name, images, labels));
    }

    /** Reads an image file and a label file and checks that they hold the same number of items. */
    public static Dataset read(String name, Path images, Path labels) throws IOException {
        Idx.Images img = Idx.readImages(images);
        int[] lab = Idx.readLabels(labels);
        if (lab.length != img.count()) {
            throw new IdxFormatException(labels, "holds " + lab.length + " labels but " + images + " holds " + img.count()
                    + " images");
        }
        return Dataset.fromIdx(name, img, lab);
    }

    /** The first existing file among stem{-,.}kind{,.gz}; a NoSuchFileException listing what was tried otherwise. */
    static Path find(Path folder, String stem, String kind) throws IOException {
        List<String> tried = new ArrayList<>();
        for (String sep : new String[] {"-", "."}) {
            for (String suffix : new String[] {"", ".gz"}) {
                String file = stem + sep + kind + suffix;
                Path p = folder.resolve(file);
                if (Files.isRegularFile(p)) {
                    return p;
                }
                tried.add(file);
            }
        }
        throw new NoSuchFileException(folder.toString(), null, "no " + stem + " IDX file in this folder (looked for "
                + String.join(", ", tried) + ")");
    }
}
