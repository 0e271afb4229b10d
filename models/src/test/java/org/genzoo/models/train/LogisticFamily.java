package org.genzoo.models.train;

import com.fasterxml.jackson.databind.JsonNode;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.genzoo.host.Device;
import org.genzoo.host.autograd.F;
import org.genzoo.host.autograd.Param;
import org.genzoo.host.autograd.Tape;
import org.genzoo.host.autograd.Var;
import org.genzoo.host.ops.Rng;
import org.genzoo.host.tensor.Tensor;
import org.genzoo.models.data.Dataset;

/**
 * A test-only family, "logistic": the factorized Bernoulli density p(x) = Π_d σ(l_d)^x_d (1 - σ(l_d))^(1 - x_d)
 * with learnable logits l (1 x D). The loss is the batch mean of -log p(x) in nats; its minimum over
 * l, in expectation over dynamically binarized data with grey levels g_d, is Σ_d H(g_d), reached at
 * l_d = logit(g_d).
 *
 * <p>Hyperparameters: {@code init} (starting logit, default 0); {@code noise} (std of Gaussian noise
 * added to the logits at each step, drawn on the model's Rng stream 2, so the RNG counters matter
 * for resume; default 0); {@code nanAtStep} / {@code infAtStep} (fault injection: from that 1-based
 * step on, NaN or +Inf is added to the loss). Eval option: {@code bits} (also report bits per dim).
 */
public final class LogisticFamily implements ModelFamily {
    static final int NOISE_STREAM = 2;

    @Override
    public String name() {
        return "logistic";
    }

    @Override
    public String description() {
        return "factorized Bernoulli density with learnable logits (test family)";
    }

    @Override
    public List<SpecError> validate(JsonNode model, String pointer) {
        List<SpecError> errors = new ArrayList<>();
        SpecReader r = new SpecReader(model, pointer, errors);
        r.string("family", null, true);
        r.number("init", 0.0, -20, false, 20, false);
        r.number("noise", 0.0, 0, false, 10, false);
        r.integer("nanAtStep", null, 1, Long.MAX_VALUE);
        r.integer("infAtStep", null, 1, Long.MAX_VALUE);
        r.finish();
        return errors;
    }

    @Override
    public List<SpecError> validateEvalMetrics(JsonNode metrics, String pointer) {
        List<SpecError> errors = new ArrayList<>();
        SpecReader r = new SpecReader(metrics, pointer, errors);
        r.bool("bits", false);
        r.finish();
        return errors;
    }

    @Override
    public TrainableModel create(Device device, JsonNode model, int dataDim, long seed) {
        return new Model(device, dataDim, seed, model.path("init").asDouble(0), model.path("noise").asDouble(0),
                model.path("nanAtStep").asLong(Long.MAX_VALUE), model.path("infAtStep").asLong(Long.MAX_VALUE));
    }

    @Override
    public long estimateDeviceBytes(JsonNode model, int dataDim, int batchSize) {
        return 4L * (4L * dataDim + 6L * batchSize * dataDim);
    }

    static final class Model implements TrainableModel {
        private final Device device;
        private final int dim;
        private final Param logits;
        private final Rng rng;
        private final double noise;
        private final long nanAt;
        private final long infAt;
        private final Map<String, Tensor> terms = new LinkedHashMap<>();

        Model(Device device, int dim, long seed, double init, double noise, long nanAt, long infAt) {
            this.device = device;
            this.dim = dim;
            this.logits = new Param("logits", device, 1, dim);
            this.logits.value().fill((float) init);
            this.rng = new Rng(seed);
            this.noise = noise;
            this.nanAt = nanAt;
            this.infAt = infAt;
        }

        @Override
        public String family() {
            return "logistic";
        }

        @Override
        public List<Param> params() {
            return List.of(logits);
        }

        @Override
        public Var loss(Tape tape, Tensor batch, long step) {
            int b = batch.rows();
            Tensor base = tape.alloc(b, dim);                    // B x D: noise (or zeros) under the logits
            Var offset;
            if (noise > 0) {
                rng.normal(base, NOISE_STREAM);
                offset = F.scale(tape.constant(base), (float) noise);
            } else {
                base.fill(0f);
                offset = tape.constant(base);
            }
            Var l = F.addRow(offset, tape.param(logits));                // B x D
            Var ll = F.bernoulliLogLik(tape.constant(batch), l);         // B x 1
            Var loss = F.scale(F.sum(ll), -1f / b);                      // 1 x 1, nats per example
            long s = step + 1;
            if (s >= nanAt || s >= infAt) {
                Tensor bad = tape.alloc(1, 1);
                bad.fill(s >= nanAt ? Float.NaN : Float.POSITIVE_INFINITY);
                loss = F.add(loss, tape.constant(bad));
            }
            terms.clear();
            terms.put("bits_per_dim", F.scale(loss, (float) (1 / (dim * Math.log(2)))).value());
            return loss;
        }

        @Override
        public Map<String, Tensor> lastTerms() {
            return terms;
        }

        /** Probabilities σ(l) on the host. */
        double[] probs() {
            float[] l = logits.value().toArray();
            double[] p = new double[l.length];
            for (int i = 0; i < l.length; i++) {
                p[i] = 1 / (1 + Math.exp(-l[i]));
            }
            return p;
        }

        @Override
        public Map<String, Double> evaluate(Dataset split, long seed) {
            return evaluate(split, seed, null);
        }

        /** Expected -log p(x) over binarizations of the grey split: Σ_d -(g log p + (1-g) log(1-p)), averaged over examples, in double. */
        @Override
        public Map<String, Double> evaluate(Dataset split, long seed, JsonNode options) {
            float[] l = logits.value().toArray();
            float[] x = split.x();
            double total = 0;
            for (int i = 0; i < split.size(); i++) {
                for (int d = 0; d < dim; d++) {
                    double g = x[i * dim + d];
                    double lp = -softplus(-l[d]);   // log σ(l)
                    double lq = -softplus(l[d]);    // log (1 - σ(l))
                    total -= g * lp + (1 - g) * lq;
                }
            }
            Map<String, Double> m = new LinkedHashMap<>();
            m.put("nll", total / split.size());
            if (options != null && options.path("bits").asBoolean(false)) {
                m.put("bits_per_dim", total / split.size() / (dim * Math.log(2)));
            }
            return m;
        }

        private static double softplus(double v) {
            return v > 0 ? v + Math.log1p(Math.exp(-v)) : Math.log1p(Math.exp(v));
        }

        @Override
        public void writePictures(Path dir, String tag) {
            int side = (int) Math.round(Math.sqrt(dim));
            if (side * side != dim) {
                return;
            }
            double[] p = probs();
            BufferedImage img = new BufferedImage(side, side, BufferedImage.TYPE_BYTE_GRAY);
            for (int i = 0; i < dim; i++) {
                int v = (int) Math.round(p[i] * 255);
                img.getRaster().setSample(i % side, i / side, 0, v);
            }
            try {
                ImageIO.write(img, "png", dir.resolve(tag + "-mean.png").toFile());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public Rng rng() {
            return rng;
        }

        @Override
        public void close() {
            logits.close();
        }
    }
}
