package org.genzoo.models.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes a small IDX folder (readable as {@code idx:<folder>}) from the first images of a real
 * image data set, each shrunk by averaging {@code factor} x {@code factor} blocks of pixels: 28 x 28
 * digits pooled by 4 become 7 x 7 digits of 49 values. For the simulated-GPU pass, where Oclgrind
 * interprets every work-item and a 784-wide data dimension made one training step of a model
 * family cost over a minute of CPU; the pooled pictures are still the data set's own examples.
 */
public final class PooledIdx {
    private PooledIdx() {
    }

    /**
     * {@code folder}/train-*: the first {@code nTrain} examples of {@code train} pooled, and
     * {@code folder}/t10k-*: the first {@code nTest} of {@code test}; labels kept. Read back with
     * {@link IdxFolder}'s split (validation = the last nTrain / 6 of the train file).
     */
    public static Path write(Dataset train, int nTrain, Dataset test, int nTest, int factor, Path folder) throws IOException {
        Files.createDirectories(folder);
        writePair(train, nTrain, factor, folder.resolve("train-images-idx3-ubyte"), folder.resolve("train-labels-idx1-ubyte"));
        writePair(test, nTest, factor, folder.resolve("t10k-images-idx3-ubyte"), folder.resolve("t10k-labels-idx1-ubyte"));
        return folder;
    }

    /**
     * Pixel (i, r, c) of the result: round(255 * mean of the source's values in rows
     * [r*factor, (r+1)*factor) and columns [c*factor, (c+1)*factor) of example i).
     */
    public static Idx.Images pool(Dataset d, int n, int factor) {
        if (factor < 1 || d.height() % factor != 0 || d.width() % factor != 0) {
            throw new IllegalArgumentException(d.name() + ": its " + d.height() + " x " + d.width()
                    + " examples cannot be pooled by " + factor + " (a factor dividing both sides)");
        }
        if (n < 1 || n > d.size()) {
            throw new IllegalArgumentException(d.name() + ": " + n + " examples asked, it holds " + d.size());
        }
        int h = d.height() / factor;
        int w = d.width() / factor;
        float[] x = d.x();
        byte[] pixels = new byte[n * h * w];
        for (int i = 0; i < n; i++) {
            for (int r = 0; r < h; r++) {
                for (int c = 0; c < w; c++) {
                    double sum = 0;
                    for (int u = 0; u < factor; u++) {
                        for (int v = 0; v < factor; v++) {
                            sum += x[(i * d.height() + r * factor + u) * d.width() + c * factor + v];
                        }
                    }
                    long p = Math.round(255 * sum / (factor * factor));
                    if (p < 0 || p > 255) {
                        throw new IllegalArgumentException(d.name() + ": example " + i + " has values outside [0, 1] (block mean "
                                + sum / (factor * factor) + "), not a grey image");
                    }
                    pixels[(i * h + r) * w + c] = (byte) p;
                }
            }
        }
        return new Idx.Images(n, h, w, pixels);
    }

    private static void writePair(Dataset d, int n, int factor, Path images, Path labels) throws IOException {
        if (!d.hasLabels()) {
            throw new IllegalArgumentException(d.name() + " has no labels; an IDX folder needs them");
        }
        Idx.writeImages(images, pool(d, n, factor), false);
        int[] lab = new int[n];
        for (int i = 0; i < n; i++) {
            lab[i] = d.label(i);
        }
        Idx.writeLabels(labels, lab, false);
    }
}
