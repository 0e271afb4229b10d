package org.genzoo.service.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.genzoo.host.Device;
import org.genzoo.host.autograd.F;
import org.genzoo.host.autograd.Param;
import org.genzoo.host.autograd.Tape;
import org.genzoo.host.autograd.Var;
import org.genzoo.host.tensor.Tensor;
import org.genzoo.models.data.Dataset;
import org.genzoo.models.train.ModelFamily;
import org.genzoo.models.train.SpecError;
import org.genzoo.models.train.SpecReader;
import org.genzoo.models.train.TrainableModel;
import org.genzoo.models.vae.VaeFamily;

/**
 * Fault injection for the service tests, family "nanvae": the real VAE, whose loss gets NaN added
 * from the 1-based step {@code nanAtStep} on. Every other field is the VAE's. Until that step the
 * model computes what the VAE computes, with 0 added to its loss.
 */
final class NanVaeFamily implements ModelFamily {
    private final VaeFamily vae = new VaeFamily();

    @Override
    public String name() {
        return "nanvae";
    }

    @Override
    public String description() {
        return "VAE with a NaN injected into the loss at a given step (test family)";
    }

    /** The VAE's own object: family "vae", without nanAtStep. */
    static ObjectNode inner(JsonNode model) {
        ObjectNode o = ((ObjectNode) model).deepCopy();
        o.remove("nanAtStep");
        o.put("family", "vae");
        return o;
    }

    @Override
    public List<SpecError> validate(JsonNode model, String pointer) {
        List<SpecError> errors = new ArrayList<>();
        if (!model.isObject()) {
            return vae.validate(model, pointer);
        }
        SpecReader r = new SpecReader(model, pointer, errors);
        r.integer("nanAtStep", null, 1, Long.MAX_VALUE, true);
        errors.addAll(vae.validate(inner(model), pointer));
        return errors;
    }

    @Override
    public List<SpecError> validateEvalMetrics(JsonNode metrics, String pointer) {
        return vae.validateEvalMetrics(metrics, pointer);
    }

    @Override
    public TrainableModel create(Device device, JsonNode model, int dataDim, long seed) {
        return new Model(device, vae.create(device, inner(model), dataDim, seed), model.get("nanAtStep").asLong());
    }

    @Override
    public long estimateDeviceBytes(JsonNode model, int dataDim, int batchSize) {
        return vae.estimateDeviceBytes(inner(model), dataDim, batchSize);
    }

    private record Model(Device device, TrainableModel m, long nanAt) implements TrainableModel {
        @Override
        public String family() {
            return "nanvae";
        }

        @Override
        public List<Param> params() {
            return m.params();
        }

        @Override
        public Var loss(Tape tape, Tensor batch, long step) {
            Var loss = m.loss(tape, batch, step);
            Tensor add = tape.alloc(1, 1);
            add.fill(step + 1 >= nanAt ? Float.NaN : 0f);
            return F.add(loss, tape.constant(add));
        }

        @Override
        public Map<String, Tensor> lastTerms() {
            return m.lastTerms();
        }

        @Override
        public Map<String, Double> evaluate(Dataset split, long seed) {
            return m.evaluate(split, seed);
        }

        @Override
        public Map<String, Double> evaluate(Dataset split, long seed, JsonNode options) {
            return m.evaluate(split, seed, options);
        }

        @Override
        public void writePictures(Path dir, String tag) {
            m.writePictures(dir, tag);
        }

        @Override
        public Map<Integer, Long> rngCounters() {
            return m.rngCounters();
        }

        @Override
        public void restoreRngCounters(Map<Integer, Long> counters) {
            m.restoreRngCounters(counters);
        }

        @Override
        public void close() {
            m.close();
        }
    }
}
