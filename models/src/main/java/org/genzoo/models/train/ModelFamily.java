package org.genzoo.models.train;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.genzoo.host.Device;

/**
 * A kind of model the trainer can build from the {@code "model"} object of a job spec. Families are
 * found with {@link java.util.ServiceLoader}: list the implementing class in
 * {@code META-INF/services/org.genzoo.models.train.ModelFamily}; it needs a public no-argument
 * constructor. Neither the trainer nor the service names a family in code.
 */
public interface ModelFamily {
    /** The value of {@code /model/family} that selects this family ("vae", "iwae", ...). */
    String name();

    /** One line for listings ("Gaussian VAE with a Bernoulli decoder, Kingma & Welling 2014"). */
    String description();

    /**
     * Every problem with the {@code "model"} object, each with its JSON pointer under {@code pointer}
     * (for example {@code /model/latent}); empty when valid. The object also holds {@code "family"},
     * which must be accepted. Unknown fields are errors ({@link SpecReader#finish()} reports them).
     */
    List<SpecError> validate(JsonNode model, String pointer);

    /**
     * A model with freshly initialized parameters for data of {@code dataDim} values per example.
     * Called only with a {@code model} that {@link #validate} accepted. {@code seed} drives the
     * initialization and the model's random streams.
     */
    TrainableModel create(Device device, JsonNode model, int dataDim, long seed);

    /** Device memory the model needs to train with this batch size (parameters, gradients, activations), in bytes. */
    long estimateDeviceBytes(JsonNode model, int dataDim, int batchSize);

    /**
     * Memory the job holds at its peak beyond {@link #estimateDeviceBytes} and the training set: the
     * evaluation's working set (its chunk buffers, samples and the held-out examples on the device;
     * the training buffers stay pooled meanwhile, so the two add up) and data the model loads on its
     * own (a second domain, a data set reloaded for a feature classifier), in bytes. The dry run adds
     * it to its host estimate. Default: 0 (an evaluation within a training batch's buffers).
     *
     * @param evalMetrics   the spec's {@code /eval/metrics} object (null when absent)
     * @param dataset       the data set's canonical name (null for a family that draws its own samples)
     * @param datasetValues values in every split of the data set as loaded (0 without data)
     * @param evalExamples  examples the evaluation reads (the split after {@code eval.limit})
     */
    default long estimateExtraBytes(JsonNode model, JsonNode evalMetrics, String dataset, int dataDim, long datasetValues,
            int evalExamples) {
        return 0;
    }

    /**
     * The names of the parameter groups the model object gives (the keys the spec's {@code optimizer}
     * may use); must match {@link TrainableModel#groups()} of the created model. Called with objects
     * {@link #validate} may not have accepted. Default: the one group {@link ParamGroup#DEFAULT}.
     */
    default List<String> paramGroups(JsonNode model) {
        return List.of(ParamGroup.DEFAULT);
    }

    /**
     * The kind of data the model object trains on; the spec refuses a data set of another kind and
     * takes the default of {@code /data/binarize} from it ({@link DataKind}). {@link DataKind#NONE}: the
     * spec needs no data set and none is loaded; the model is created with {@link #dataFreeDim}.
     * Called with objects {@link #validate} may not have accepted. Default: {@link DataKind#BINARY}.
     */
    default DataKind dataKind(JsonNode model) {
        return DataKind.BINARY;
    }

    /** The dimension {@link #create} gets for a data-free model object ({@link DataKind#NONE}). */
    default int dataFreeDim(JsonNode model) {
        throw new UnsupportedOperationException(name() + " trains on data; it has no data-free dimension");
    }

    /**
     * Problems with the family-specific {@code /eval/metrics} object ({@code pointer} is its pointer);
     * the default accepts any object.
     */
    default List<SpecError> validateEvalMetrics(JsonNode metrics, String pointer) {
        return List.of();
    }
}
