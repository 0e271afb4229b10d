package org.genzoo.models.train;

import org.genzoo.host.tensor.Tensor;

/**
 * What a {@link Phase} sees of the step it runs in. Batches live on the device and are overwritten by
 * the next draw; nothing here reads back from the device.
 */
public interface StepContext {
    /** The 0-based step (step s of the trainer's numbering is {@code step() == s - 1}); drives schedules. */
    long step();

    /** Which of the phase's repeats this is, 0-based (critic update 0..k-1). */
    int repeat();

    /** The examples per batch (the spec's batchSize); for a data-free model, the draws per step. */
    int batchSize();

    /**
     * The step's minibatch (B x D), drawn once per step before its first phase; null for a data-free
     * model ({@link DataKind#NONE}).
     */
    Tensor batch();

    /**
     * Draws a further minibatch (a critic that wants fresh data for each of its k updates), which
     * then becomes {@link #batch()} for the rest of the step; the data position advances and is
     * checkpointed as usual. Null for a data-free model.
     */
    Tensor nextBatch();
}
