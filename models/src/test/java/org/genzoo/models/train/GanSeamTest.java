package org.genzoo.models.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.genzoo.host.TestDevices;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The GAN families on the seam: a run cut at step 12 and resumed from its step-8 checkpoint ends
 * byte-equal to an uninterrupted one (FamilySeamTest's check): SN-GAN with its power-iteration
 * vectors as model state, WGAN-GP with the generator's EMA as model state and the penalty's noise
 * counters in the model's streams, CycleGAN with domain B's batch order as model state.
 */
class GanSeamTest {
    @TempDir
    Path tmp;

    @BeforeAll
    static void open() {
        FamilySeamTest.device = TestDevices.openDefault();
    }

    @AfterAll
    static void close() {
        if (FamilySeamTest.device != null) {
            FamilySeamTest.device.close();
            FamilySeamTest.device = null;
        }
    }

    private FamilySeamTest seam() {
        FamilySeamTest f = new FamilySeamTest();
        f.tmp = tmp;
        return f;
    }

    @Test
    void snGanResumesBitwiseWithItsPowerIterationVectors() throws IOException {
        seam().assertBitwiseResume("""
                {"family": "sngan", "generator": [16], "discriminator": [16, 8]}""",
                "\"data\": {\"dataset\": \"toy:ring8\", \"limit\": 200},", null);
        Checkpoints.Loaded c = Checkpoints.load(Checkpoints.dirFor(tmp.resolve("a"), 20));
        assertEquals(List.of("discriminator.sn.0.u", "discriminator.sn.0.v", "discriminator.sn.1.u", "discriminator.sn.1.v",
                "discriminator.sn.2.u", "discriminator.sn.2.v"), c.state().tensors().stream().map(Safetensors.Entry::name).toList());
    }

    @Test
    void wganGpWithEmaResumesBitwise() throws IOException {
        seam().assertBitwiseResume("""
                {"family": "wgan-gp", "generator": [16], "discriminator": [16], "nCritic": 2, "ema": 0.9}""",
                "\"data\": {\"dataset\": \"toy:ring8\", \"limit\": 200},", null);
    }

    @Test
    void cycleGanResumesBitwiseWithDomainBsBatchOrder() throws IOException {
        // Batch 32 of domain B's 50,000 points: a resume that restarted B's order would draw other rows.
        seam().assertBitwiseResume("""
                {"family": "cyclegan", "domainB": "toy:ring8", "generator": [16], "discriminator": [16]}""",
                "\"data\": {\"dataset\": \"toy:8gaussians\", \"limit\": 200},", null);
        Checkpoints.Loaded c = Checkpoints.load(Checkpoints.dirFor(tmp.resolve("a"), 20));
        assertEquals(List.of("domain_b.order"), c.state().tensors().stream().map(Safetensors.Entry::name).toList());
    }
}
