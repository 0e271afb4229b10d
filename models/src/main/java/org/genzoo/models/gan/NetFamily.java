package org.genzoo.models.gan;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import org.genzoo.host.Device;
import org.genzoo.models.train.DataKind;
import org.genzoo.models.train.ModelFamily;
import org.genzoo.models.train.SpecError;
import org.genzoo.models.train.TrainableModel;

/**
 * What the GAN-like spec families share: a model object read into a config {@code C} (null with
 * errors when invalid), the parameter groups {@code generator} and {@code discriminator}, real-valued
 * data, and a device-memory estimate from the config.
 */
abstract class NetFamily<C> implements ModelFamily {
    private final String name;
    private final String description;

    NetFamily(String name, String description) {
        this.name = name;
        this.description = description;
    }

    /** Reads and checks the model object; null (with errors) when invalid. */
    abstract C read(JsonNode model, String pointer, List<SpecError> errors);

    abstract TrainableModel create(Device device, C config, int dataDim, long seed);

    abstract long deviceBytes(C config, int dataDim, int batchSize);

    @Override
    public String name() {
        return name;
    }

    @Override
    public String description() {
        return description;
    }

    @Override
    public List<SpecError> validate(JsonNode model, String pointer) {
        List<SpecError> errors = new ArrayList<>();
        read(model, pointer, errors);
        return errors;
    }

    @Override
    public TrainableModel create(Device device, JsonNode model, int dataDim, long seed) {
        List<SpecError> errors = new ArrayList<>();
        C c = read(model, "/model", errors);
        if (c == null) {
            throw new IllegalArgumentException("invalid " + name + " model: " + errors);
        }
        return create(device, c, dataDim, seed);
    }

    @Override
    public List<String> paramGroups(JsonNode model) {
        return List.of(GanConfig.GENERATOR, GanConfig.DISCRIMINATOR);
    }

    @Override
    public DataKind dataKind(JsonNode model) {
        return DataKind.REAL;
    }

    @Override
    public long estimateDeviceBytes(JsonNode model, int dataDim, int batchSize) {
        C c = read(model, "/model", new ArrayList<>());
        return c == null ? 0 : deviceBytes(c, dataDim, batchSize);
    }

    /**
     * Parameters, gradients and Adam moments (4 copies) plus activations and their gradients for
     * {@code rows} rows, times {@code tapes} for the double backward and the pool's slack.
     */
    static long netBytes(int[] sizes, long rows, int tapes) {
        long params = 0;
        long acts = 0;
        for (int i = 0; i + 1 < sizes.length; i++) {
            params += (long) sizes[i] * sizes[i + 1] + sizes[i + 1];
            acts += rows * sizes[i + 1];
        }
        return 4L * (4 * params + 2L * tapes * acts);
    }
}
