package org.genzoo.models.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.genzoo.host.testing.OnDevice;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code genzoo eval}'s engine on a small VAE trained by the real trainer on the synthetic grey images of {@link TrainerTest}. */
class RunEvaluatorTest extends OnDevice {
    @TempDir
    Path tmp;

    static JobSpec vaeSpec(Path out) {
        return JobSpec.parse(String.format("""
                {"name": "v", "model": {"family": "vae", "latent": 2, "hidden": [16]}, "data": {"dataset": "idx:/unused"},
                 "optimizer": {"type": "adam", "lr": 0.01}, "batchSize": 32, "budget": {"steps": 200}, "seed": 3,
                 "eval": {"every": 0, "split": "test", "metrics": {"iwaeK": 20}}, "checkpoint": {"every": 100}, "output": "%s"}
                """, out.toString().replace("\\", "/")));
    }

    @Test
    void reloadedWeightsReproduceTheTrainersFinalEvaluationAndAddSurgeryAndPictures() throws IOException {
        Path out = tmp.resolve("run");
        JobSpec s = vaeSpec(out);
        Trainer.Result r = new Trainer(dev, s, Trainer.Options.defaults().withData(TrainerTest.synthetic(256))).run();
        assertEquals(Trainer.Status.SUCCEEDED, r.status());

        // The trainer's final evaluation used this seed; the same seed on the reloaded weights must give the same numbers.
        long seed = Trainer.evalSeed(s.seed(), r.steps());
        ObjectNode opts = JobSpec.mapper().createObjectNode().put("surgeryLimit", 200);
        RunEvaluator.Result e = RunEvaluator.evaluate(dev, out,
                new RunEvaluator.Options(null, null, null, opts, seed, TrainerTest.synthetic(256)));
        assertEquals(200, e.step());
        assertEquals(64, e.examples());
        for (String k : new String[] {"elbo", "recon", "kl", "nll_k20", "active_units"}) {
            assertEquals(r.eval().get(k), e.metrics().get(k), 0.0, k + " after reloading the checkpoint");
        }

        Map<String, Double> m = e.metrics();
        assertEquals(200.0, m.get("surgery_examples"));
        // The ELBO-surgery identity: average KL = I + marginal KL, within 4 standard errors of the Monte Carlo gap.
        assertEquals(0.0, m.get("surgery_identity_gap"), 4 * m.get("surgery_identity_gap_stderr") + 1e-9, "identity gap");
        assertTrue(m.get("surgery_mutual_info") <= Math.log(200) + 1e-9, "I <= log N");
        assertTrue(m.get("surgery_marginal_kl") > -4 * m.get("surgery_marginal_kl_stderr"), "marginal KL is a KL");

        JsonNode j = JobSpec.mapper().readTree(Files.readString(out.resolve("eval.json")));
        assertEquals(200, j.path("checkpointStep").asLong());
        assertEquals(m.get("nll_k20"), j.path("metrics").path("nll_k20").asDouble(), 0.0);
        assertEquals(20, j.path("options").path("iwaeK").asInt(), "the spec's eval options are the default");
        for (String f : new String[] {"samples-eval.png", "reconstructions-eval.png", "interpolations-eval.png"}) {
            assertTrue(Files.isRegularFile(out.resolve("eval").resolve(f)), f);
        }

        // An older checkpoint by step: different weights, so a different ELBO.
        RunEvaluator.Result older = RunEvaluator.evaluate(dev, out,
                new RunEvaluator.Options(null, null, 100L, JobSpec.mapper().createObjectNode().put("surgeryLimit", 0), seed,
                        TrainerTest.synthetic(256)));
        assertEquals(100, older.step());
        assertTrue(!older.metrics().containsKey("surgery_avg_kl"), "surgeryLimit 0 skips the surgery");
        assertTrue(older.metrics().get("elbo") != e.metrics().get("elbo").doubleValue(), "step 100 is another model");
    }

    @Test
    void aFolderWithoutASpecOrCheckpointIsRefusedWithTheReason() throws IOException {
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        IllegalArgumentException a = assertThrows(IllegalArgumentException.class, () -> RunEvaluator.evaluate(dev, empty,
                new RunEvaluator.Options(null, null, null, null, 1, TrainerTest.synthetic(64))));
        assertTrue(a.getMessage().contains("no spec.json"), a.getMessage());

        Path noCkpt = Files.createDirectories(tmp.resolve("nockpt"));
        Files.writeString(noCkpt.resolve("spec.json"), vaeSpec(noCkpt).toJsonString());
        IllegalArgumentException b = assertThrows(IllegalArgumentException.class, () -> RunEvaluator.evaluate(dev, noCkpt,
                new RunEvaluator.Options(null, null, null, null, 1, TrainerTest.synthetic(64))));
        assertTrue(b.getMessage().contains("no loadable checkpoint"), b.getMessage());
        IllegalArgumentException c = assertThrows(IllegalArgumentException.class, () -> RunEvaluator.evaluate(dev, noCkpt,
                new RunEvaluator.Options(null, null, 5L, null, 1, TrainerTest.synthetic(64))));
        assertTrue(c.getMessage().contains("no checkpoint at step 5"), c.getMessage());
    }
}
