package org.genzoo.models.gan;

import com.fasterxml.jackson.databind.JsonNode;
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
