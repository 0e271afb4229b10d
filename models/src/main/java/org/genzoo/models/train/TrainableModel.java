package org.genzoo.models.train;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.genzoo.host.autograd.Param;
import org.genzoo.host.autograd.Tape;
import org.genzoo.host.autograd.Var;
import org.genzoo.host.tensor.Tensor;
import org.genzoo.models.data.Dataset;

/**
 * What the trainer needs from any model family. A model owns its parameters and its random
 * streams (an {@link org.genzoo.host.ops.Rng} seeded from the job seed; stream 1 is reserved for
 * the data's binarization).
 */
public interface TrainableModel extends AutoCloseable {
    /** The family name as in the spec ("vae", "iwae", "realnvp", ...). */
    String family();

    /** Every trainable parameter in a fixed order (checkpoints depend on it). */
    List<Param> params();

    /**
     * Records the training objective for one minibatch on {@code tape} and returns the 1 x 1 loss
     * to minimize (the negative objective averaged over the batch). {@code step} is 0-based and
     * drives schedules (KL annealing, capacity). Must not read anything back from the device.
     */
    Var loss(Tape tape, Tensor batch, long step);

    /**
     * Extra scalars of the last {@link #loss} call, as 1 x 1 tensors still on the device (for
     * example "recon" and "kl"); the trainer reads them only when it logs.
     */
    default Map<String, Tensor> lastTerms() {
        return Map.of();
    }

    /** Evaluation metrics on a held-out split (e.g. "elbo", "nll_k5000", "active_units"). */
    Map<String, Double> evaluate(Dataset split, long seed);

    /**
     * Evaluation with the family-specific options of the spec's {@code /eval/metrics} object (for
     * example {@code {"iwaeK": 5000}}, validated by {@link ModelFamily#validateEvalMetrics}); the
     * trainer calls this one. The default ignores the options. Must not move the training random
     * streams (use {@code seed}), or a resumed run would differ from an uninterrupted one.
     */
    default Map<String, Double> evaluate(Dataset split, long seed, com.fasterxml.jackson.databind.JsonNode options) {
        return evaluate(split, seed);
    }

    /**
     * The thorough evaluation of a trained model that {@code genzoo eval} runs: the held-out metrics
     * on {@code test} with {@code options} (as {@link #evaluate(Dataset, long, com.fasterxml.jackson.databind.JsonNode)}),
     * plus analyses that need the training data (for latent-variable models, ELBO surgery over
     * {@code train}), with its pictures (samples, reconstructions, interpolations) written into
     * {@code pictures}. The default is the held-out evaluation and {@link #writePictures}.
     */
    default Map<String, Double> evaluateRun(Dataset train, Dataset test, long seed, com.fasterxml.jackson.databind.JsonNode options,
            Path pictures) {
        Map<String, Double> m = evaluate(test, seed, options);
        writePictures(pictures, "eval");
        return m;
    }

    /** Writes sample grids and similar pictures for the current parameters into {@code dir}. */
    default void writePictures(Path dir, String tag) {
    }

    /** Random-number counters to save with a checkpoint, so a resumed job draws the same noise. */
    Map<Integer, Long> rngCounters();

    void restoreRngCounters(Map<Integer, Long> counters);

    @Override
    void close();
}
