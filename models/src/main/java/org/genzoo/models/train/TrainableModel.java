package org.genzoo.models.train;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.genzoo.host.autograd.Param;
import org.genzoo.host.autograd.Tape;
import org.genzoo.host.autograd.Var;
import org.genzoo.host.ops.Rng;
import org.genzoo.host.tensor.Tensor;
import org.genzoo.models.data.Dataset;

/**
 * What the trainer needs from any model family. A model owns its parameters and its random
 * streams (an {@link org.genzoo.host.ops.Rng} seeded from the job seed; stream 1 is reserved for
 * the data's binarization).
 *
 * <p>The training seam (docs/training-seam.md): a model declares its parameter {@link #groups()}
 * (each gets its own optimizer, schedule and clipping from the spec), the {@link #phases()} of one
 * step, and its non-trainable {@link #state()}. A one-group, one-loss model implements only
 * {@link #loss}; the defaults turn it into one group {@link ParamGroup#DEFAULT} and one backward phase.
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
    default Var loss(Tape tape, Tensor batch, long step) {
        throw new UnsupportedOperationException(family() + " declares its own phases(); it has no single loss(tape, batch, step)");
    }

    /**
     * The parameter groups, each updated by its own optimizer; together they hold every parameter of
     * {@link #params()} exactly once. Their names must be those {@link ModelFamily#paramGroups} gives for
     * the spec. Default: one group {@link ParamGroup#DEFAULT} with all parameters.
     */
    default List<ParamGroup> groups() {
        return List.of(ParamGroup.of(params()));
    }

    /**
     * The phases of one training step, in order (the trainer asks once, before the first step).
     * Default: one backward phase "loss" on the default group that records {@link #loss} of the step's batch.
     */
    default List<Phase> phases() {
        return List.of(Phase.backward("loss", ParamGroup.DEFAULT, (tape, ctx) -> loss(tape, ctx.batch(), ctx.step())));
    }

    /**
     * Non-trainable state saved in every checkpoint and restored on resume (see {@link ModelState});
     * the trainer asks once, after creating the model. Default: none.
     */
    default ModelState state() {
        return ModelState.none();
    }

    /**
     * Extra scalars of the last {@link #loss} call, as 1 x 1 tensors still on the device (for
     * example "recon" and "kl"); the trainer reads them only when it logs.
     */
    default Map<String, Tensor> lastTerms() {
        return Map.of();
    }

    /**
     * Evaluation metrics on a held-out split (e.g. "elbo", "nll_k5000", "active_units"). A data-free
     * model ({@link DataKind#NONE}) gets {@code split == null}.
     */
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

    /**
     * The generator of the model's training noise, whose counters {@link #rngCounters} saves with a
     * checkpoint (null for a model that draws none).
     */
    Rng rng();

    /** Random-number counters to save with a checkpoint, so a resumed job draws the same noise. */
    default Map<Integer, Long> rngCounters() {
        Rng r = rng();
        return r == null ? Map.of() : r.counters();
    }

    default void restoreRngCounters(Map<Integer, Long> counters) {
        Rng r = rng();
        if (r != null) {
            r.restoreCounters(counters);
        }
    }

    @Override
    void close();
}
