package org.genzoo.service.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.genzoo.host.autograd.F;
import org.genzoo.host.autograd.Tape;
import org.genzoo.host.autograd.Var;
import org.genzoo.host.tensor.Tensor;
import org.genzoo.models.train.SpecError;
import org.genzoo.models.train.SpecReader;
import org.genzoo.models.train.TrainableModel;

/**
 * Fault injection for the service tests, family "nanvae": the real VAE, whose loss gets NaN added
 * from the 1-based step {@code nanAtStep} on. Every other field is the VAE's. Until that step the
 * model computes what the VAE computes, with 0 added to its loss.
 */
final class NanVaeFamily extends VaeTestFamily {
    NanVaeFamily() {
        super("nanvae", "VAE with a NaN injected into the loss at a given step (test family)", List.of("nanAtStep"));
    }

    @Override
    void validateOwn(JsonNode model, String pointer, List<SpecError> errors) {
        new SpecReader(model, pointer, errors).integer("nanAtStep", null, 1, Long.MAX_VALUE, true);
    }

    @Override
    TrainableModel wrap(TrainableModel vaeModel, JsonNode model) {
        long nanAt = model.get("nanAtStep").asLong();
        return new Wrapped(vaeModel, "nanvae") {
            @Override
            public Var loss(Tape tape, Tensor batch, long step) {
                Var loss = m.loss(tape, batch, step);
                Tensor add = tape.alloc(1, 1);
                add.fill(step + 1 >= nanAt ? Float.NaN : 0f);
                return F.add(loss, tape.constant(add));
            }
        };
    }
}
