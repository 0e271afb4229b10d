package org.genzoo.models.gan;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import org.genzoo.host.Device;
import org.genzoo.models.train.SpecError;
import org.genzoo.models.train.TrainableModel;

/** The spec family bigan ({@link BiGanModel}): groups generator (G and E) and discriminator. */
public final class BiGanFamily extends NetFamily<BiGanModel.Config> {
    public BiGanFamily() {
        super("bigan", "BiGAN: generator, encoder and a discriminator on (x, z) pairs (Donahue et al. 2017)");
    }

    @Override
    BiGanModel.Config read(JsonNode model, String pointer, List<SpecError> errors) {
        return BiGanModel.read(model, pointer, errors);
    }

    @Override
    TrainableModel create(Device device, BiGanModel.Config c, int dataDim, long seed) {
        return new BiGanModel(device, c, dataDim, seed);
    }

    @Override
    long deviceBytes(BiGanModel.Config c, int dataDim, int batchSize) {
        return netBytes(GanConfig.sizes(c.latent(), c.generator(), dataDim), batchSize, 2)
                + netBytes(GanConfig.sizes(dataDim, c.encoder(), c.latent()), batchSize, 2)
                + netBytes(GanConfig.sizes(dataDim + c.latent(), c.discriminator(), 1), 2L * batchSize, 2);
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
