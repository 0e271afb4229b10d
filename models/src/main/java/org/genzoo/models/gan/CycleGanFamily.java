package org.genzoo.models.gan;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import org.genzoo.host.Device;
import org.genzoo.models.train.DataKind;
import org.genzoo.models.train.ModelFamily;
import org.genzoo.models.train.SpecError;
import org.genzoo.models.train.TrainableModel;

/** The spec family cyclegan ({@link CycleGanModel}): groups generator (G, F) and discriminator (D_A, D_B). */
public final class CycleGanFamily implements ModelFamily {
    @Override
    public String name() {
        return "cyclegan";
    }

    @Override
    public String description() {
        return "CycleGAN with MLPs between the spec's data set and model.domainB (Zhu et al. 2017)";
    }

    @Override
    public List<SpecError> validate(JsonNode model, String pointer) {
        List<SpecError> errors = new ArrayList<>();
        CycleGanModel.read(model, pointer, errors);
        return errors;
    }

    @Override
    public TrainableModel create(Device device, JsonNode model, int dataDim, long seed) {
        List<SpecError> errors = new ArrayList<>();
        CycleGanModel.Config c = CycleGanModel.read(model, "/model", errors);
        if (c == null) {
            throw new IllegalArgumentException("invalid cyclegan model: " + errors);
        }
        return new CycleGanModel(device, c, dataDim, seed);
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
        CycleGanModel.Config c = CycleGanModel.read(model, "/model", new ArrayList<>());
        if (c == null) {
            return 0;
        }
        // Domain B lives on the device too (its training split).
        return 2 * GanFamily.netBytes(GanConfig.sizes(dataDim, c.generator(), dataDim), 3L * batchSize, 2)
                + 2 * GanFamily.netBytes(GanConfig.sizes(dataDim, c.discriminator(), 1), 2L * batchSize, 2) + 4L * 60_000 * dataDim;
    }

    /**
     * Domain B as the model loads it into the Java heap: every split, 4 bytes a value, twice (the set as
     * read and its splits' copies; a built-in set, a toy's is small).
     */
    @Override
    public long estimateExtraBytes(JsonNode model, JsonNode evalMetrics, String dataset, int dataDim, long datasetValues,
            int evalExamples) {
        CycleGanModel.Config c = CycleGanModel.read(model, "/model", new ArrayList<>());
        int[] sizes = c == null ? null : org.genzoo.models.data.Datasets.knownSplitSizes(c.domainB());
        return sizes == null ? 0 : 2 * 4L * dataDim * ((long) sizes[0] + sizes[1] + sizes[2]);
    }
}
