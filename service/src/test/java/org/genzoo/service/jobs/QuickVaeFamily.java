package org.genzoo.service.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.genzoo.host.tensor.Tensor;
import org.genzoo.models.data.Dataset;
import org.genzoo.models.train.SpecError;
import org.genzoo.models.train.TrainableModel;

/**
 * The fleet tests' short job, family "quickvae": the real VAE (same parameters, loss, optimizer and
 * checkpoints), minus what costs time at the end of a run and says nothing about the queue: no
 * sample pictures, no per-term metrics (so no terms plot), and an evaluation that reports nothing
 * (so no evaluation plot). A 1-step run of it on 32 examples is what FleetProcessTest queues 1,000 of.
 */
final class QuickVaeFamily extends VaeTestFamily {
    QuickVaeFamily() {
        super("quickvae", "VAE without pictures, term metrics or evaluation (fleet test family)", List.of());
    }

    @Override
    void validateOwn(JsonNode model, String pointer, List<SpecError> errors) {
        // every field is the VAE's
    }

    @Override
    TrainableModel wrap(TrainableModel vaeModel, JsonNode model) {
        return new Wrapped(vaeModel, "quickvae") {
            @Override
            public Map<String, Tensor> lastTerms() {
                return Map.of();
            }

            @Override
            public Map<String, Double> evaluate(Dataset split, long seed) {
                return Map.of();
            }

            @Override
            public Map<String, Double> evaluate(Dataset split, long seed, JsonNode options) {
                return Map.of();
            }

            @Override
            public void writePictures(Path dir, String tag) {
                // no pictures: they cost time and say nothing about the queue
            }
        };
    }
}
