package org.genzoo.models.vae;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import org.genzoo.host.Device;
import org.genzoo.models.eval.ImportanceSampling;
import org.genzoo.models.train.ModelFamily;
import org.genzoo.models.train.SpecError;
import org.genzoo.models.train.SpecReader;
import org.genzoo.models.train.TrainableModel;

/**
 * What the latent-variable families ({@link VaeFamily}, {@link HvaeFamily}) share: validation reads the
 * model object into a config with errors collected; creation builds the model from that config and
 * runs it as a {@link LatentTrainable}; the device estimate reads the same config; the evaluation
 * options ({@code iwaeK}, and {@code surgeryLimit}, {@code pictureRows} of {@code genzoo eval}) are
 * the same for every family. A family supplies the reading, the building and its own estimate.
 *
 * @param <C> the family's validated config
 */
abstract class LatentFamily<C> implements ModelFamily {
    /** The data size validation builds a config with: no rule of a model object depends on it. */
    static final int ANY_DATA_DIM = 1;

    /** Reads and checks the model object; the config, or null with errors recorded. */
    abstract C readConfig(JsonNode model, String pointer, int dataDim, long seed, List<SpecError> errors);

    /** The model for a config {@link #readConfig} accepted. */
    abstract LatentModel build(Device device, C config, JsonNode model);

    /** True when the model's likelihood is Bernoulli (evaluation binarizes the held-out split once). */
    abstract boolean bernoulli(C config);

    /** Device bytes to train the config with this batch size. */
    abstract long estimate(C config, int dataDim, int batchSize);

    @Override
    public List<SpecError> validate(JsonNode model, String pointer) {
        List<SpecError> errors = new ArrayList<>();
        // The data size is not known here (create() gets it from the data set).
        readConfig(model, pointer, ANY_DATA_DIM, 0, errors);
        return errors;
    }

    @Override
    public List<SpecError> validateEvalMetrics(JsonNode metrics, String pointer) {
        List<SpecError> errors = new ArrayList<>();
        SpecReader r = new SpecReader(metrics, pointer, errors);
        r.integer("iwaeK", 0L, 0, 100_000);
        r.integer("surgeryLimit", 10_000L, 0, 1_000_000); // genzoo eval only
        r.integer("pictureRows", 8L, 0, 64); // genzoo eval only
        r.finish();
        return errors;
    }

    @Override
    public TrainableModel create(Device device, JsonNode model, int dataDim, long seed) {
        List<SpecError> errors = new ArrayList<>();
        C cfg = readConfig(model, "/model", dataDim, seed, errors);
        if (cfg == null) {
            throw new IllegalArgumentException("invalid " + name() + " model: " + errors);
        }
        return new LatentTrainable(name(), build(device, cfg, model), bernoulli(cfg), 0);
    }

    @Override
    public long estimateDeviceBytes(JsonNode model, int dataDim, int batchSize) {
        C cfg = readConfig(model, "/model", dataDim, 0, new ArrayList<>());
        return cfg == null ? 0 : estimate(cfg, dataDim, batchSize);
    }

    /**
     * The evaluation's peak: the held-out examples on the device (grey and binarized), and the largest
     * logWeights call of {@link ImportanceSampling} on its no-grad tape: {@code min(16, examples)}
     * examples times kc = min(K, 8,192 / 16) samples, one row each, at {@link #evalRowFloats} a row.
     */
    @Override
    public long estimateExtraBytes(JsonNode model, JsonNode evalMetrics, String dataset, int dataDim, long datasetValues,
            int evalExamples) {
        C cfg = readConfig(model, "/model", dataDim, 0, new ArrayList<>());
        if (cfg == null || evalExamples < 1) {
            return 0;
        }
        int k = evalMetrics == null ? 0 : evalMetrics.path("iwaeK").asInt(0);
        ImportanceSampling.Options o = ImportanceSampling.Options.of(Math.max(1, k));
        long rows = (long) Math.min(o.batchSize(), evalExamples) * (k > 1 ? o.samplesPerCall() : 1);
        return 4L * rows * evalRowFloats(cfg, dataDim) + 2 * 4L * evalExamples * dataDim;
    }

    /**
     * Floats one row of a no-grad log-weight pass holds until its tape closes: the row's data and the
     * decoder's logits with the likelihood's elementwise terms (6 per value), each hidden layer's
     * product and activation in encoder and decoder (4 per unit), the latent's mean, log-variance,
     * noise, sample and log-densities, and a mixture prior's per-component terms.
     */
    abstract long evalRowFloats(C config, int dataDim);
}
