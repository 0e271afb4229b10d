package org.genzoo.models.data;

import java.util.EnumMap;
import java.util.Map;

/**
 * A data set's fixed train / validation / test split, with where each part came from. The split
 * rules live with each source ({@link FashionMnist}, {@link NpmMnist}, {@link IdxFolder});
 * {@link #describe()} prints them as a table for logs and job reports.
 */
public final class DatasetSplits {
    /** One part and the rows of the source files it holds (e.g. "train-images rows [0, 50000)"). */
    public record Part(Split split, Dataset data, String rows) {
    }

    private final String name;
    private final String source;
    private final Map<Split, Part> parts;

    /**
     * @param name   the data set's name as {@link Datasets#load} knows it
     * @param source where the files came from, one line
     */
    public DatasetSplits(String name, String source, Part train, Part validation, Part test) {
        this.name = name;
        this.source = source;
        this.parts = new EnumMap<>(Split.class);
        for (Part p : new Part[] {train, validation, test}) {
            if (parts.put(p.split(), p) != null) {
                throw new IllegalArgumentException(name + ": split " + p.split().label() + " given twice");
            }
        }
    }

    public String name() {
        return name;
    }

    public String source() {
        return source;
    }

    public Dataset get(Split s) {
        return parts.get(s).data();
    }

    public Part part(Split s) {
        return parts.get(s);
    }

    public Dataset train() {
        return get(Split.TRAIN);
    }

    public Dataset validation() {
        return get(Split.VALIDATION);
    }

    public Dataset test() {
        return get(Split.TEST);
    }

    /** Each split cut to its first min(n, size) examples (for small tests and smoke runs). */
    public DatasetSplits subset(int n) {
        Part[] p = new Part[3];
        for (Split s : Split.values()) {
            Part old = parts.get(s);
            Dataset d = old.data().subset(n);
            p[s.ordinal()] = new Part(s, d, d == old.data() ? old.rows() : "first " + d.size() + " of: " + old.rows());
        }
        return new DatasetSplits(name, source, p[0], p[1], p[2]);
    }

    /**
     * A short table of the split:
     * <pre>
     * fashion-mnist: 28 x 28, 10 classes; /usr/share/datasets/fashion-mnist (Debian dataset-fashion-mnist)
     * split        size  rows
     * train       50000  train-images-idx3-ubyte.gz rows [0, 50000)
     * ...
     * </pre>
     */
    public String describe() {
        Dataset t = train();
        int classes = 0;
        for (Part p : parts.values()) {
            classes = Math.max(classes, p.data().classCounts().length);
        }
        StringBuilder sb = new StringBuilder();
        sb.append(name).append(": ").append(t.height()).append(" x ").append(t.width());
        sb.append(classes > 0 ? ", " + classes + " classes" : ", unlabeled").append("; ").append(source).append('\n');
        sb.append(String.format("%-10s %6s  %s%n", "split", "size", "rows"));
        for (Split s : Split.values()) {
            Part p = parts.get(s);
            sb.append(String.format("%-10s %6d  %s%n", s.label(), p.data().size(), p.rows()));
        }
        return sb.toString();
    }

    /** One line: "mnist-10k: train 8,000, validation 1,000, test 1,000 examples of 784 values". */
    public String sizes() {
        return String.format(java.util.Locale.ROOT, "%s: train %,d, validation %,d, test %,d examples of %,d values", name,
                train().size(), validation().size(), test().size(), train().dim());
    }

    @Override
    public String toString() {
        return "DatasetSplits(" + name + ", train " + train().size() + ", validation " + validation().size() + ", test "
                + test().size() + ")";
    }
}
