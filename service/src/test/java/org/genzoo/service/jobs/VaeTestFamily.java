package org.genzoo.service.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.genzoo.host.Device;
import org.genzoo.host.autograd.Param;
import org.genzoo.host.autograd.Tape;
import org.genzoo.host.autograd.Var;
import org.genzoo.host.ops.Rng;
import org.genzoo.host.tensor.Tensor;
import org.genzoo.models.data.Dataset;
import org.genzoo.models.train.ModelFamily;
import org.genzoo.models.train.SpecError;
import org.genzoo.models.train.TrainableModel;
import org.genzoo.models.vae.VaeFamily;

/**
 * A test family built on the real VAE: its spec is the VAE's plus the fields {@link #ownFields}
 * names, and its model is the VAE's, wrapped in a {@link Wrapped} that changes one behaviour.
 * The service tests use it to inject faults and to trim a run, with the VAE doing the real work.
 */
abstract class VaeTestFamily implements ModelFamily {
    private final VaeFamily vae = new VaeFamily();
    private final String name;
    private final String description;
    private final List<String> ownFields;

    VaeTestFamily(String name, String description, List<String> ownFields) {
        this.name = name;
        this.description = description;
        this.ownFields = ownFields;
    }

    /** Problems with this family's own fields (the VAE checks the rest). */
    abstract void validateOwn(JsonNode model, String pointer, List<SpecError> errors);

    /** Wraps the VAE built from the spec. */
    abstract TrainableModel wrap(TrainableModel vaeModel, JsonNode model);

    @Override
    public final String name() {
        return name;
    }

    @Override
    public final String description() {
        return description;
    }

    /** The VAE's own object: family "vae", without this family's fields. */
    final ObjectNode inner(JsonNode model) {
        ObjectNode o = ((ObjectNode) model).deepCopy();
        o.remove(ownFields);
        o.put("family", "vae");
        return o;
    }

    @Override
    public final List<SpecError> validate(JsonNode model, String pointer) {
        if (!model.isObject()) {
            return vae.validate(model, pointer);
        }
        List<SpecError> errors = new ArrayList<>();
        validateOwn(model, pointer, errors);
        errors.addAll(vae.validate(inner(model), pointer));
        return errors;
    }

    @Override
    public final List<SpecError> validateEvalMetrics(JsonNode metrics, String pointer) {
        return vae.validateEvalMetrics(metrics, pointer);
    }

    @Override
    public final TrainableModel create(Device device, JsonNode model, int dataDim, long seed) {
        return wrap(vae.create(device, inner(model), dataDim, seed), model);
    }

    @Override
    public final long estimateDeviceBytes(JsonNode model, int dataDim, int batchSize) {
        return vae.estimateDeviceBytes(inner(model), dataDim, batchSize);
    }

    /** The wrapped VAE: every call goes to it unless a subclass overrides the method. */
    abstract static class Wrapped implements TrainableModel {
        final TrainableModel m;
        private final String family;

        Wrapped(TrainableModel m, String family) {
            this.m = m;
            this.family = family;
        }

        @Override
        public String family() {
            return family;
        }

        @Override
        public List<Param> params() {
            return m.params();
        }

        @Override
        public Var loss(Tape tape, Tensor batch, long step) {
            return m.loss(tape, batch, step);
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
        public Rng rng() {
            return m.rng();
        }

        @Override
        public void close() {
            m.close();
        }
    }
}
