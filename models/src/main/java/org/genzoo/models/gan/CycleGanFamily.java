package org.genzoo.models.gan;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import org.genzoo.host.Device;
import org.genzoo.models.train.SpecError;
import org.genzoo.models.train.TrainableModel;

/** The spec family cyclegan ({@link CycleGanModel}): groups generator (G, F) and discriminator (D_A, D_B). */
public final class CycleGanFamily extends NetFamily<CycleGanModel.Config> {
    public CycleGanFamily() {
        super("cyclegan", "CycleGAN with MLPs between the spec's data set and model.domainB (Zhu et al. 2017)");
    }

    @Override
    CycleGanModel.Config read(JsonNode model, String pointer, List<SpecError> errors) {
        return CycleGanModel.read(model, pointer, errors);
    }

    @Override
    TrainableModel create(Device device, CycleGanModel.Config c, int dataDim, long seed) {
        return new CycleGanModel(device, c, dataDim, seed);
    }

    @Override
    long deviceBytes(CycleGanModel.Config c, int dataDim, int batchSize) {
        // Domain B lives on the device too (its training split).
        return 2 * netBytes(GanConfig.sizes(dataDim, c.generator(), dataDim), 3L * batchSize, 2)
                + 2 * netBytes(GanConfig.sizes(dataDim, c.discriminator(), 1), 2L * batchSize, 2) + 4L * 60_000 * dataDim;
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
