package org.genzoo.models.gan;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import org.genzoo.host.Device;
import org.genzoo.models.train.SpecError;
import org.genzoo.models.train.TrainableModel;

/**
 * The spec families gan, wgan, wgan-gp and sngan ({@link GanConfig} has the model object, docs/gan.md
 * the details). Parameter groups {@code generator} and {@code discriminator}: the spec's
 * {@code optimizer} may be one object for both or {@code {"generator": {...}, "discriminator": {...}}}.
 */
public abstract class GanFamily extends NetFamily<GanConfig> {
    protected GanFamily(String name, String description) {
        super(name, description);
    }

    @Override
    GanConfig read(JsonNode model, String pointer, List<SpecError> errors) {
        return GanConfig.read(model, pointer, errors);
    }

    @Override
    TrainableModel create(Device device, GanConfig c, int dataDim, long seed) {
        return new GanModel(device, c, dataDim, seed);
    }

    @Override
    long deviceBytes(GanConfig c, int dataDim, int batchSize) {
        return netBytes(c.generatorSizes(dataDim), batchSize, 3) + netBytes(c.discriminatorSizes(dataDim), 3L * batchSize, 3);
    }

    /**
     * The evaluation's peak: {@link GanModel#EVAL_SAMPLES} samples (x4 for a 2-D scatter picture) through
     * the generator on a no-grad tape, their host copies, and for the labelled image sets the feature
     * classifier's data set loaded again ({@link ImageFeatures}: every split, as read and as split).
     */
    @Override
    public long estimateExtraBytes(JsonNode model, JsonNode evalMetrics, String dataset, int dataDim, long datasetValues,
            int evalExamples) {
        GanConfig c = GanConfig.read(model, "/model", new ArrayList<>());
        if (c == null) {
            return 0;
        }
        long rows = dataDim == 2 ? 4L * GanModel.EVAL_SAMPLES : GanModel.EVAL_SAMPLES;
        return sampleBytes(c.generatorSizes(dataDim), rows) + reloadBytes(dataset, datasetValues);
    }

    /** Activations of {@code rows} rows through a net of these sizes on a no-grad tape (product and activation per unit), and the host copy of the output. */
    static long sampleBytes(int[] sizes, long rows) {
        long units = 0;
        for (int i = 1; i < sizes.length; i++) {
            units += sizes[i];
        }
        return 4L * rows * (2 * units + sizes[0] + sizes[sizes.length - 1]);
    }

    /** The data set loaded again for the feature classifier (labelled image sets only): every split as read and as split. */
    static long reloadBytes(String dataset, long datasetValues) {
        return dataset != null && ImageFeatures.supportsDataset(dataset) ? 2 * 4L * datasetValues : 0;
    }

    /** Non-saturating or minimax GAN (Goodfellow et al. 2014). */
    public static final class Gan extends GanFamily {
        public Gan() {
            super("gan", "GAN with MLP generator and discriminator, non-saturating or minimax loss (Goodfellow et al. 2014)");
        }
    }

    /** WGAN with weight clipping (Arjovsky et al. 2017). */
    public static final class Wgan extends GanFamily {
        public Wgan() {
            super("wgan", "Wasserstein GAN with weight clipping and n critic steps per generator step (Arjovsky et al. 2017)");
        }
    }

    /** WGAN-GP (Gulrajani et al. 2017). */
    public static final class WganGp extends GanFamily {
        public WganGp() {
            super("wgan-gp", "Wasserstein GAN with the gradient penalty through a double backward (Gulrajani et al. 2017)");
        }
    }

    /** SN-GAN (Miyato et al. 2018). */
    public static final class SnGan extends GanFamily {
        public SnGan() {
            super("sngan", "GAN with a spectrally normalized discriminator (Miyato et al. 2018)");
        }
    }
}
