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
 * The fleet tests' short job, family "quickvae": the real VAE (same parameters, loss, optimizer and
 * checkpoints), minus what costs time at the end of a run and says nothing about the queue: no
 * sample pictures, no per-term metrics (so no terms plot), and an evaluation that reports nothing
 * (so no evaluation plot). A 1-step run of it on 32 examples is what FleetProcessTest queues 1,000 of.
 */
final class QuickVaeFamily implements ModelFamily {
    private final VaeFamily vae = new VaeFamily();

    @Override
    public String name() {
        return "quickvae";
    }

    @Override
    public String description() {
        return "VAE without pictures, term metrics or evaluation (fleet test family)";
    }

    static ObjectNode inner(JsonNode model) {
        ObjectNode o = ((ObjectNode) model).deepCopy();
        o.put("family", "vae");
        return o;
    }

    @Override
    public List<SpecError> validate(JsonNode model, String pointer) {
        return model.isObject() ? vae.validate(inner(model), pointer) : vae.validate(model, pointer);
    }

    @Override
    public TrainableModel create(Device device, JsonNode model, int dataDim, long seed) {
        return new Model(vae.create(device, inner(model), dataDim, seed));
    }

    @Override
    public long estimateDeviceBytes(JsonNode model, int dataDim, int batchSize) {
        return vae.estimateDeviceBytes(inner(model), dataDim, batchSize);
    }

    private record Model(TrainableModel m) implements TrainableModel {
        @Override
        public String family() {
            return "quickvae";
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
        public Map<String, Double> evaluate(Dataset split, long seed) {
            return Map.of();
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
