package org.genzoo.models.data;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.genzoo.host.Device;
import org.genzoo.host.DeviceBuffer;
import org.genzoo.host.ops.Gather;
import org.genzoo.host.ops.Rng;
import org.genzoo.host.tensor.Tensor;

/**
 * One split of a data set held on the device (a N x D tensor, uploaded once), and minibatches
 * drawn there.
 *
 * <p>Each epoch visits the N examples in a fresh random order: a permutation made on the host by
 * Fisher-Yates from {@code new SplittableRandom(epochSeed(seed, epoch))}, uploaded once per epoch as
 * N ints; a batch is the next B positions of it, gathered row by row ({@link Gather#rows}) into a
 * B x D tensor. With B not dividing N, the last N mod B positions of each epoch's order are dropped,
 * so every batch has exactly B rows and an epoch has floor(N / B) batches.
 *
 * <p>With dynamic binarization each batch is a Bernoulli sample of the gathered rows,
 * pixel = 1 with probability its grey level, gathered and drawn in one kernel
 * ({@link Rng#gatherBinarize}: the numbers {@link Rng#binarize} of the gathered batch gives), on stream
 * {@link #BINARIZE_STREAM} of an Rng keyed by the seed, at counter {@link #binarizeCounter()}, which
 * advances by one per batch: every use of an image is a fresh sample.
 *
 * <p>Everything that decides the next batch is in {@link State}: save it with a checkpoint and
 * {@link #restore} it, and a resumed job draws exactly the batches (and binary samples) the
 * original would have. Not thread-safe; one owner (a job's worker).
 */
public final class DeviceDataset implements AutoCloseable {
    /** The Rng stream used for dynamic binarization. */
    public static final int BINARIZE_STREAM = 1;

    /**
     * Where the next batch starts. {@code epoch}: the epoch the last batch came from (0 before any);
     * {@code position}: how many of that epoch's positions are used (a multiple of the batch size);
     * the draw that finds fewer than batchSize positions left starts the next epoch.
     * {@code seed}, {@code size}, {@code batchSize} are there to refuse a state from another setup.
     */
    public record State(long seed, int size, int batchSize, int epoch, int position, long batchesDrawn, long binarizeCounter) {
        /** As strings, for checkpoint metadata. */
        public Map<String, String> toMap() {
            Map<String, String> m = new LinkedHashMap<>();
            m.put("data.seed", Long.toString(seed));
            m.put("data.size", Integer.toString(size));
            m.put("data.batch_size", Integer.toString(batchSize));
            m.put("data.epoch", Integer.toString(epoch));
            m.put("data.position", Integer.toString(position));
            m.put("data.batches_drawn", Long.toString(batchesDrawn));
            m.put("data.binarize_counter", Long.toString(binarizeCounter));
            return m;
        }

        public static State fromMap(Map<String, String> m) {
            try {
                return new State(Long.parseLong(req(m, "data.seed")), Integer.parseInt(req(m, "data.size")),
                        Integer.parseInt(req(m, "data.batch_size")), Integer.parseInt(req(m, "data.epoch")),
                        Integer.parseInt(req(m, "data.position")), Long.parseLong(req(m, "data.batches_drawn")),
                        Long.parseLong(req(m, "data.binarize_counter")));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("bad data state " + m + ": " + e.getMessage(), e);
            }
        }

        private static String req(Map<String, String> m, String k) {
            String v = m.get(k);
            if (v == null) {
                throw new IllegalArgumentException("data state lacks " + k);
            }
            return v;
        }
    }

    private final Dataset split;
    private final int batchSize;
    private final long seed;
    private final boolean binarize;
    private final Gather gather;
    private final Rng rng;
    private final Tensor data;       // N x D
    private final Tensor batch;      // B x D
    private final DeviceBuffer perm; // N ints
    private int[] order;             // the current epoch's permutation (host copy)
    private int epoch;
    private int position;
    private long batchesDrawn;
    private long binarizeCounter;
    private int lastBatchStart = -1;

    /**
     * Uploads {@code split} (blocking) and prepares epoch 0.
     *
     * @param batchSize B, at most the split's size
     * @param seed      drives the epoch orders and the binarization noise
     * @param binarize  dynamic binarization of each batch (values must be in [0, 1])
     */
    public DeviceDataset(Device device, Dataset split, int batchSize, long seed, boolean binarize) {
        if (batchSize <= 0 || batchSize > split.size()) {
            throw new IllegalArgumentException(split.name() + ": batch size " + batchSize + " must be in [1, " + split.size()
                    + "] (the split's size)");
        }
        this.split = split;
        this.batchSize = batchSize;
        this.seed = seed;
        this.binarize = binarize;
        this.gather = new Gather(device);
        this.rng = new Rng(seed);
        Tensor d = null;
        Tensor b = null;
        DeviceBuffer p = null;
        try {
            d = Tensor.of(device, split.size(), split.dim(), split.x());
            b = Tensor.empty(device, batchSize, split.dim());
            this.order = permutation(seed, 0, split.size());
            p = device.upload(order);
        } catch (RuntimeException e) {
            for (AutoCloseable c : new AutoCloseable[] {p, b, d}) {
                closeQuietly(c, e);
            }
            throw e;
        }
        this.data = d;
        this.batch = b;
        this.perm = p;
    }

    /**
     * Enqueues the next batch and returns it: B x D, owned by this object, overwritten by the next
     * call (the device queue is in order, so work already enqueued on it still sees this batch).
     */
    public Tensor nextBatch() {
        if (position + batchSize > split.size()) {
            startEpoch(epoch + 1);
            position = 0;
        }
        if (binarize) {
            rng.gatherBinarize(batch, data, perm, position, BINARIZE_STREAM, binarizeCounter++);
        } else {
            gather.rows(batch, data, perm, position);
        }
        lastBatchStart = position;
        position += batchSize;
        batchesDrawn++;
        return batch;
    }

    /** Rows of the split in the last batch, in batch order (a copy; empty before the first batch). */
    public int[] lastBatchIndices() {
        return lastBatchStart < 0 ? new int[0] : Arrays.copyOfRange(order, lastBatchStart, lastBatchStart + batchSize);
    }

    /** The whole split on the device, N x D (for evaluation passes); owned by this object. */
    public Tensor data() {
        return data;
    }

    public Dataset split() {
        return split;
    }

    public int batchSize() {
        return batchSize;
    }

    public boolean binarizes() {
        return binarize;
    }

    /** floor(N / B): the last partial batch of each epoch is dropped. */
    public int batchesPerEpoch() {
        return split.size() / batchSize;
    }

    /** The epoch the last batch came from (0 before the first batch). */
    public int epoch() {
        return epoch;
    }

    /** Positions of the current epoch's order already used. */
    public int position() {
        return position;
    }

    public long batchesDrawn() {
        return batchesDrawn;
    }

    /** The Rng counter the next binarized batch uses on {@link #BINARIZE_STREAM}. */
    public long binarizeCounter() {
        return binarizeCounter;
    }

    public State state() {
        return new State(seed, split.size(), batchSize, epoch, position, batchesDrawn, binarizeCounter);
    }

    /** Continues from a saved state: the next batch is the one the saver would have drawn next. */
    public void restore(State s) {
        if (s.seed() != seed || s.size() != split.size() || s.batchSize() != batchSize) {
            throw new IllegalArgumentException("data state for seed " + s.seed() + ", " + s.size() + " examples, batch "
                    + s.batchSize() + " does not fit this dataset (seed " + seed + ", " + split.size() + " examples, batch "
                    + batchSize + ")");
        }
        if (s.epoch() < 0 || s.position() < 0 || s.position() > split.size() || s.position() % batchSize != 0
                || s.batchesDrawn() < 0 || s.binarizeCounter() < 0) {
            throw new IllegalArgumentException("data state " + s + " is out of range");
        }
        if (s.epoch() != epoch) {
            startEpoch(s.epoch());
        }
        position = s.position();
        batchesDrawn = s.batchesDrawn();
        binarizeCounter = s.binarizeCounter();
        lastBatchStart = -1;
    }

    /**
     * The order of epoch {@code epoch}: Fisher-Yates over 0..n-1 driven by
     * {@code new SplittableRandom(epochSeed(seed, epoch))}. A function of (seed, epoch) only, so a
     * resume needs no generator state.
     */
    public static int[] permutation(long seed, int epoch, int n) {
        SplittableRandom r = new SplittableRandom(epochSeed(seed, epoch));
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    /** Mixes (seed, epoch) through the SplitMix64 finalizer twice so nearby seeds and epochs give unrelated streams. */
    static long epochSeed(long seed, int epoch) {
        return mix64(mix64(seed) + 0x9E3779B97F4A7C15L * (epoch + 1L));
    }

    private static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    private void startEpoch(int e) {
        order = permutation(seed, e, split.size());
        perm.write(order); // blocking, behind every gather already enqueued (in-order queue)
        epoch = e;
    }

    private static void closeQuietly(AutoCloseable c, RuntimeException primary) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (Exception e) {
            primary.addSuppressed(e);
        }
    }

    @Override
    public void close() {
        try {
            batch.close();
            data.close();
        } finally {
            perm.close();
        }
    }
}
