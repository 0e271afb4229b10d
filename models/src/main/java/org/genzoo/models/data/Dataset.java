package org.genzoo.models.data;

import java.util.Arrays;

/**
 * N examples of D floats on the host, row-major (example i is {@code x[i*D, (i+1)*D)}), with an
 * optional int label per example. Images are height x width grey pixels scaled to [0, 1]
 * (D = height * width); other data (2-D toys, say) uses height 1 and width D.
 *
 * <p>The arrays are shared, not copied: {@link #x()} and {@link #labels()} return the storage
 * itself, so a 60,000-image set is not duplicated by every view of it. Do not modify them.
 */
public final class Dataset {
    private final String name;
    private final int height;
    private final int width;
    private final int size;
    private final float[] x;
    private final int[] labels;

    /**
     * @param x      N x D values, D = height * width, row-major
     * @param labels N labels, or null for unlabeled data
     */
    public Dataset(String name, int height, int width, float[] x, int[] labels) {
        if (height <= 0 || width <= 0) {
            throw new IllegalArgumentException(name + ": example shape " + height + " x " + width + " must be positive");
        }
        int d = height * width;
        if (x.length % d != 0) {
            throw new IllegalArgumentException(name + ": " + x.length + " values is not a whole number of " + d + "-value examples");
        }
        int n = x.length / d;
        if (labels != null && labels.length != n) {
            throw new IllegalArgumentException(name + ": " + n + " examples but " + labels.length + " labels");
        }
        this.name = name;
        this.height = height;
        this.width = width;
        this.size = n;
        this.x = x;
        this.labels = labels;
    }

    /** Grey images from unsigned bytes, pixel v mapped to v / 255. */
    public static Dataset fromIdx(String name, Idx.Images images, int[] labels) {
        float[] scale = new float[256];
        for (int v = 0; v < 256; v++) {
            scale[v] = v / 255f;
        }
        byte[] p = images.pixels();
        float[] x = new float[p.length];
        for (int i = 0; i < p.length; i++) {
            x[i] = scale[p[i] & 0xff];
        }
        return new Dataset(name, images.rows(), images.cols(), x, labels);
    }

    public String name() {
        return name;
    }

    /** N, the number of examples. */
    public int size() {
        return size;
    }

    /** D = height * width, values per example. */
    public int dim() {
        return height * width;
    }

    public int height() {
        return height;
    }

    public int width() {
        return width;
    }

    /** N x D values, row-major; shared storage, do not modify. */
    public float[] x() {
        return x;
    }

    public boolean hasLabels() {
        return labels != null;
    }

    /** N labels, shared storage (do not modify); null for unlabeled data. */
    public int[] labels() {
        return labels;
    }

    public int label(int i) {
        if (labels == null) {
            throw new IllegalStateException(name + " has no labels");
        }
        return labels[i];
    }

    /** A copy of example i (D values). */
    public float[] row(int i) {
        int d = dim();
        return Arrays.copyOfRange(x, i * d, (i + 1) * d);
    }

    /** The first min(n, N) examples (for small tests). */
    public Dataset subset(int n) {
        if (n < 0) {
            throw new IllegalArgumentException("subset size " + n + " is negative");
        }
        return n >= size ? this : slice(0, n, name);
    }

    /** Examples [from, to), copied, under {@code newName}. */
    public Dataset slice(int from, int to, String newName) {
        if (from < 0 || to > size || from > to) {
            throw new IndexOutOfBoundsException("examples [" + from + ", " + to + ") of " + name + " with " + size);
        }
        int d = dim();
        return new Dataset(newName, height, width, Arrays.copyOfRange(x, from * d, to * d),
                labels == null ? null : Arrays.copyOfRange(labels, from, to));
    }

    /** Examples idx[0], idx[1], ... in that order, copied, under {@code newName}. */
    public Dataset select(int[] idx, String newName) {
        int d = dim();
        float[] out = new float[idx.length * d];
        int[] lab = labels == null ? null : new int[idx.length];
        for (int k = 0; k < idx.length; k++) {
            int i = idx[k];
            if (i < 0 || i >= size) {
                throw new IndexOutOfBoundsException("example " + i + " of " + name + " with " + size);
            }
            System.arraycopy(x, i * d, out, k * d, d);
            if (lab != null) {
                lab[k] = labels[i];
            }
        }
        return new Dataset(newName, height, width, out, lab);
    }

    /** Mean of all values (for images: the grey level, which dynamic binarization preserves). */
    public double mean() {
        double s = 0;
        for (float v : x) {
            s += v;
        }
        return x.length == 0 ? 0 : s / x.length;
    }

    /** Examples per label value 0..max label (empty when unlabeled). */
    public int[] classCounts() {
        if (labels == null) {
            return new int[0];
        }
        int max = -1;
        for (int l : labels) {
            max = Math.max(max, l);
        }
        int[] counts = new int[max + 1];
        for (int l : labels) {
            counts[l]++;
        }
        return counts;
    }

    @Override
    public String toString() {
        return "Dataset(" + name + ", " + size + " x " + height + " x " + width + (labels == null ? ", unlabeled" : "") + ")";
    }
}
