package org.genzoo.models.gan;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import org.genzoo.host.Device;
import org.genzoo.models.train.DataKind;
import org.genzoo.models.train.ModelFamily;
import org.genzoo.models.train.SpecError;
import org.genzoo.models.train.TrainableModel;

/** The spec family bigan ({@link BiGanModel}): groups generator (G and E) and discriminator. */
public final class BiGanFamily implements ModelFamily {
    @Override
    public String name() {
        return "bigan";
    }

    @Override
    public String description() {
        return "BiGAN: generator, encoder and a discriminator on (x, z) pairs (Donahue et al. 2017)";
    }

    @Override
    public List<SpecError> validate(JsonNode model, String pointer) {
        List<SpecError> errors = new ArrayList<>();
        BiGanModel.read(model, pointer, errors);
        return errors;
    }

    @Override
    public TrainableModel create(Device device, JsonNode model, int dataDim, long seed) {
        List<SpecError> errors = new ArrayList<>();
        BiGanModel.Config c = BiGanModel.read(model, "/model", errors);
        if (c == null) {
            throw new IllegalArgumentException("invalid bigan model: " + errors);
        }
        return new BiGanModel(device, c, dataDim, seed);
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
        BiGanModel.Config c = BiGanModel.read(model, "/model", new ArrayList<>());
        if (c == null) {
            return 0;
        }
        return GanFamily.netBytes(GanConfig.sizes(c.latent(), c.generator(), dataDim), batchSize, 2)
                + GanFamily.netBytes(GanConfig.sizes(dataDim, c.encoder(), c.latent()), batchSize, 2)
                + GanFamily.netBytes(GanConfig.sizes(dataDim + c.latent(), c.discriminator(), 1), 2L * batchSize, 2);
    }

    /** The evaluation's training split loaded again for the nearest-neighbour accuracy (labelled image sets), and samples for pictures. */
    @Override
    public long estimateExtraBytes(JsonNode model, JsonNode evalMetrics, String dataset, int dataDim, long datasetValues,
            int evalExamples) {
        BiGanModel.Config c = BiGanModel.read(model, "/model", new ArrayList<>());
        if (c == null) {
            return 0;
        }
        return GanFamily.sampleBytes(GanConfig.sizes(c.latent(), c.generator(), dataDim), GanModel.EVAL_SAMPLES)
                + GanFamily.reloadBytes(dataset, datasetValues);
    }
}
