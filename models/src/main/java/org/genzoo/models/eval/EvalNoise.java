package org.genzoo.models.eval;

import java.util.Map;
import java.util.TreeMap;
import org.genzoo.host.ops.Rng;

/**
 * Puts a model's {@link Rng} counters at a position derived from an evaluation seed for the length
 * of one evaluation, then restores the training counters: an evaluation is a function of (weights,
 * seed, settings) whatever the model's training history, and it neither consumes nor repeats the
 * training noise. Use in try-with-resources.
 *
 * <p>Every stream below {@link #STREAMS} starts at the same base counter; streams not named restart
 * at 0 ({@link Rng#restoreCounters}), so every stream is pinned either way. The base has its top bit
 * set (training counters count up from 0 and never get there) and leaves the low 24 bits for the
 * calls of one evaluation (16.7 million).
 */
final class EvalNoise implements AutoCloseable {
    /** Streams pinned explicitly (the model families use 0 to 3). */
    static final int STREAMS = 16;

    private final Rng rng;
    private final Map<Integer, Long> saved;

    EvalNoise(Rng rng, long seed) {
        this.rng = rng;
        this.saved = rng.counters();
        long base = base(seed);
        Map<Integer, Long> pinned = new TreeMap<>();
        for (int s = 0; s < STREAMS; s++) {
            pinned.put(s, base);
        }
        rng.restoreCounters(pinned);
    }

    static long base(long seed) {
        return Long.MIN_VALUE | ((mix64(seed) >>> 25) << 24);
    }

    /** SplitMix64's finalizer: nearby seeds give unrelated bases. */
    static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    @Override
    public void close() {
        rng.restoreCounters(saved);
    }
}
