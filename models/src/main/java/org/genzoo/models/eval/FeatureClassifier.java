package org.genzoo.models.eval;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.genzoo.host.Device;
import org.genzoo.host.autograd.Adam;
import org.genzoo.host.autograd.F;
import org.genzoo.host.autograd.Linear;
import org.genzoo.host.autograd.Param;
import org.genzoo.host.autograd.Tape;
import org.genzoo.host.autograd.Var;
import org.genzoo.host.ops.Reduce;
import org.genzoo.host.tensor.Tensor;
import org.genzoo.models.data.Dataset;
import org.genzoo.models.data.DeviceDataset;
import org.genzoo.models.train.Safetensors;

/**
 * A small image classifier whose penultimate layer is the feature space of GenZoo's Fréchet
 * distance and precision/recall for generated images: an MLP D-{@link #H1}-{@link #FEATURES}-C with
 * ReLU, trained with softmax cross-entropy and Adam for {@link #STEPS} steps of batch
 * {@link #BATCH} from a fixed seed on the training split of a labelled data set. It is the
 * project's own network (not Inception), so its distances are comparable only with each other.
 * Trained weights are cached as safetensors ({@link #cached}) keyed by the data set and this
 * recipe's version.
 */
public final class FeatureClassifier implements AutoCloseable {
    public static final int H1 = 256;
    public static final int FEATURES = 128;
    public static final int STEPS = 3000;
    public static final int BATCH = 128;
    public static final float LR = 1e-3f;
    public static final long SEED = 20_170_626L;
    /** Bump when the recipe changes, so old cached weights are not reused. */
    public static final int VERSION = 1;

    private final Device device;
    private final Linear l1;
    private final Linear l2;
    private final Linear l3;
    private final int classes;

    public FeatureClassifier(Device device, int dim, int classes, long seed) {
        this.device = device;
        this.classes = classes;
        SplittableRandom init = new SplittableRandom(seed);
        this.l1 = new Linear(device, "fc.0", dim, H1, F.LinearAct.RELU, init);
        this.l2 = new Linear(device, "fc.1", H1, FEATURES, F.LinearAct.RELU, init);
        this.l3 = new Linear(device, "fc.2", FEATURES, classes, F.LinearAct.NONE, init);
    }

    public List<Param> params() {
        List<Param> ps = new ArrayList<>();
        for (Linear l : List.of(l1, l2, l3)) {
            ps.addAll(l.params());
        }
        return ps;
    }

    /**
     * Trains on {@code train} (labelled) for {@code steps} steps; returns the mean cross-entropy of
     * the last 100 steps.
     */
    public double train(Dataset train, int steps) {
        if (!train.hasLabels()) {
            throw new IllegalArgumentException(train.name() + " has no labels: the feature classifier needs a labelled split");
        }
        double tail = 0;
        int tailN = 0;
        try (DeviceDataset data = new DeviceDataset(device, train, BATCH, SEED, false);
                Adam opt = new Adam(device, params(), LR); Tensor onehot = Tensor.zeros(device, BATCH, classes)) {
            float[] oh = new float[BATCH * classes];
            for (int s = 0; s < steps; s++) {
                Tensor x = data.nextBatch();
                int[] idx = data.lastBatchIndices();
                java.util.Arrays.fill(oh, 0f);
                for (int i = 0; i < BATCH; i++) {
                    oh[i * classes + train.label(idx[i])] = 1f;
                }
                onehot.write(oh);
                try (Tape t = Tape.record(device)) {
                    Var z = logits(t.constant(x));
                    Var loss = F.scale(F.sub(F.sum(F.reduceRows(Reduce.Op.LOGSUMEXP, z)), F.sum(F.mul(z, t.constant(onehot)))),
                            1f / BATCH);
                    t.backward(loss);
                    if (s >= steps - 100) {
                        tail += loss.value().get(0, 0);
                        tailN++;
                    }
                }
                opt.step();
            }
        }
        return tail / Math.max(1, tailN);
    }

    private Var features(Var x) {
        Tape t = Tape.current();
        Var h = F.linear(x, t.param(l1.weight()), t.param(l1.bias()), F.LinearAct.RELU);
        return F.linear(h, t.param(l2.weight()), t.param(l2.bias()), F.LinearAct.RELU);
    }

    private Var logits(Var x) {
        Tape t = Tape.current();
        return F.linear(features(x), t.param(l3.weight()), t.param(l3.bias()), F.LinearAct.NONE);
    }

    /** Penultimate-layer features of n rows of x (host, row-major), as doubles n x {@link #FEATURES}. */
    public double[] features(float[] x, int n, int dim) {
        double[] out = new double[n * FEATURES];
        int chunk = 1000;
        for (int from = 0; from < n; from += chunk) {
            int m = Math.min(chunk, n - from);
            float[] part = java.util.Arrays.copyOfRange(x, from * dim, (from + m) * dim);
            try (Tape t = Tape.noGrad(device); Tensor tx = Tensor.of(device, m, dim, part)) {
                float[] f = features(t.constant(tx)).value().toArray();
                for (int i = 0; i < f.length; i++) {
                    out[from * FEATURES + i] = f[i];
                }
            }
        }
        return out;
    }

    /** Accuracy on a labelled split. */
    public double accuracy(Dataset split) {
        int n = split.size();
        int dim = split.dim();
        int correct = 0;
        int chunk = 1000;
        for (int from = 0; from < n; from += chunk) {
            int m = Math.min(chunk, n - from);
            float[] part = java.util.Arrays.copyOfRange(split.x(), from * dim, (from + m) * dim);
            try (Tape t = Tape.noGrad(device); Tensor tx = Tensor.of(device, m, dim, part)) {
                float[] z = logits(t.constant(tx)).value().toArray();
                for (int i = 0; i < m; i++) {
                    int best = 0;
                    for (int c = 1; c < classes; c++) {
                        if (z[i * classes + c] > z[i * classes + best]) {
                            best = c;
                        }
                    }
                    if (best == split.label(from + i)) {
                        correct++;
                    }
                }
            }
        }
        return correct / (double) n;
    }

    /**
     * The classifier for {@code dataset} (its name, e.g. "fashion-mnist"), loaded from
     * {@code cacheDir} when a file of this recipe exists, else trained on {@code train} and saved
     * there (atomically).
     */
    public static FeatureClassifier cached(Device device, String dataset, Dataset train, int classes, Path cacheDir)
            throws IOException {
        String safe = dataset.replaceAll("[^A-Za-z0-9._-]", "_");
        Path file = cacheDir.resolve("feature-classifier-" + safe + "-v" + VERSION + ".safetensors");
        FeatureClassifier fc = new FeatureClassifier(device, train.dim(), classes, SEED);
        try {
            if (Files.isRegularFile(file)) {
                Safetensors.Contents c = Safetensors.read(file);
                for (Param p : fc.params()) {
                    p.value().write(c.get(p.name()).data());
                }
                return fc;
            }
            fc.train(train, STEPS);
            List<Safetensors.Entry> es = new ArrayList<>();
            for (Param p : fc.params()) {
                es.add(new Safetensors.Entry(p.name(), new int[] {p.value().rows(), p.value().cols()}, p.value().toArray()));
            }
            Files.createDirectories(cacheDir);
            Safetensors.write(file, es, Map.of("dataset", dataset, "recipe", "mlp " + train.dim() + "-" + H1 + "-" + FEATURES + "-"
                    + classes + ", adam " + LR + ", " + STEPS + " steps of " + BATCH + ", seed " + SEED));
            return fc;
        } catch (IOException | RuntimeException e) {
            fc.close();
            throw e;
        }
    }

    @Override
    public void close() {
        l1.close();
        l2.close();
        l3.close();
    }
}
