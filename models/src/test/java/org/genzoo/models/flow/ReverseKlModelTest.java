package org.genzoo.models.flow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import java.util.Map;
import org.genzoo.host.autograd.Tape;
import org.genzoo.host.tensor.Tensor;
import org.genzoo.host.testing.OnDevice;
import org.genzoo.models.train.SpecError;
import org.genzoo.models.train.TrainableModel;
import org.junit.jupiter.api.Test;

/** The "reverse-kl" objective of the flow family: spec rules, and a model that trains from its own draws. */
class ReverseKlModelTest extends OnDevice {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static List<SpecError> errors(String model) throws Exception {
        return new FlowFamily().validate(JSON.readTree(model), "/model");
    }

    @Test
    void specRules() throws Exception {
        assertEquals(List.of(), errors("{\"family\": \"flow\", \"objective\": \"reverse-kl\", \"energy\": \"u2\", \"layers\": [{\"type\": \"planar\"}]}"));
        assertEquals("/model/energy", errors("{\"family\": \"flow\", \"objective\": \"reverse-kl\", \"layers\": [{\"type\": \"radial\"}]}")
                .get(0).pointer());
        assertEquals("/model/energy", errors("{\"family\": \"flow\", \"energy\": \"u1\", \"layers\": [{\"type\": \"coupling\"}]}")
                .get(0).pointer());
        assertEquals("/model/energy", errors("{\"family\": \"flow\", \"objective\": \"reverse-kl\", \"energy\": \"u7\","
                + " \"layers\": [{\"type\": \"planar\"}]}").get(0).pointer());
        assertEquals("/model/layers/1/type", errors("{\"family\": \"flow\", \"objective\": \"reverse-kl\", \"energy\": \"u1\","
                + " \"layers\": [{\"type\": \"planar\"}, {\"type\": \"iresnet\"}]}").get(0).pointer());
        assertEquals("/model/annealSteps", errors("{\"family\": \"flow\", \"annealSteps\": 10, \"layers\": [{\"type\": \"lu\"}]}")
                .get(0).pointer());
        assertEquals(List.of(), errors("{\"family\": \"flow\", \"objective\": \"reverse-kl\", \"energy\": \"u4\", \"annealSteps\": 500,"
                + " \"layers\": [{\"type\": \"planar\"}]}"));
        // beta rises linearly from 0.01 to 1 over the annealing steps, then stays at 1.
        assertEquals(0.01f, ReverseKl.annealedBeta(0, 100), 1e-7f);
        assertEquals(0.51f, ReverseKl.annealedBeta(50, 100), 1e-6f);
        assertEquals(1f, ReverseKl.annealedBeta(100, 100));
        assertEquals(1f, ReverseKl.annealedBeta(7, 0));
    }

    @Test
    void trainsFromItsOwnDrawsAndEvaluatesTheKl() throws Exception {
        JsonNode model = JSON.readTree("{\"family\": \"flow\", \"objective\": \"reverse-kl\", \"energy\": \"u1\", \"repeat\": 4, \"annealSteps\": 10,"
                + " \"layers\": [{\"type\": \"planar\"}]}");
        try (TrainableModel m = new FlowFamily().create(dev, model, 2, 3); Tensor batch = Tensor.zeros(dev, 64, 2)) {
            assertEquals(12, m.params().size());
            float first;
            try (Tape t = Tape.record(dev)) {
                first = m.loss(t, batch, 0).value().get(0, 0);
            }
            assertTrue(Float.isFinite(first), "loss " + first);
            Map<String, Double> ev = m.evaluate(null, 5);
            assertEquals(-Energies.U1.logZ(), ev.get("neg_log_z"), 1e-12);
            assertEquals(ev.get("reverse_kl_loss") - ev.get("neg_log_z"), ev.get("kl"), 1e-9);
            // KL(q || p) >= 0: the loss is above -log Z beyond Monte-Carlo error.
            assertTrue(ev.get("kl") > -4 * ev.get("reverse_kl_loss_stderr"), ev.toString());
            assertTrue(m.rngCounters().get(ReverseKlModel.NOISE_STREAM) > 0, "draws come from the model's stream");
        }
        assertThrows(IllegalArgumentException.class, () -> new FlowFamily().create(dev, model, 3, 3));
    }
}
