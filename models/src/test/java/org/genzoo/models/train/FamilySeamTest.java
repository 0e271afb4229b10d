package org.genzoo.models.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.genzoo.host.Device;
import org.genzoo.host.TestDevices;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real families on the seam: bitwise resume of a VAE, a RealNVP flow and an i-ResNet flow (whose
 * power-iteration vectors and Hutchinson counters are declared model state); a data-free reverse-KL
 * spec that trains without loading anything; data sets of the wrong kind refused with their pointer;
 * old specs accepted unchanged.
 */
class FamilySeamTest {
    static Device device;

    @TempDir
    Path tmp;

    @BeforeAll
    static void open() {
        device = TestDevices.openDefault();
    }

    @AfterAll
    static void close() {
        if (device != null) {
            device.close();
        }
    }

    static JobSpec spec(Path out, String model, String data, int steps) {
        return JobSpec.parse(String.format("""
                {"name": "r", "model": %s, %s "optimizer": {"type": "adam", "lr": 0.003}, "batchSize": 32,
                 "budget": {"steps": %d}, "seed": 13, "logEvery": 4, "eval": {"every": 0, "split": "test", "limit": 64},
                 "checkpoint": {"every": 8, "keep": 0}, "output": "%s"}
                """, model, data, steps, SeamTest.path(out)));
    }

    /**
     * A run of 20 steps against one cancelled at step 12 (a log point after the step-8 checkpoint),
     * its step-12 checkpoint dropped, and resumed from step 8: the final checkpoints are byte-equal.
     */
    void assertBitwiseResume(String model, String data, Trainer.DataLoader loader) throws IOException {
        Trainer.Options base = loader == null ? Trainer.Options.defaults() : Trainer.Options.defaults().withData(loader);
        Path a = tmp.resolve("a");
        new Trainer(device, spec(a, model, data, 20), base).run();
        Path b = tmp.resolve("b");
        Trainer.Options cut = TrainerTest.cancelAt(10);
        Trainer.Result first = new Trainer(device, spec(b, model, data, 20),
                loader == null ? cut : cut.withData(loader)).run();
        assertEquals(Trainer.Status.CANCELLED, first.status());
        assertEquals(12, first.steps());
        Checkpoints.deleteTree(Checkpoints.dirFor(b, 12));
        Trainer.Result second = new Trainer(device, spec(b, model, data, 20), base.withResume(true)).run();
        assertEquals(20, second.steps());
        SeamTest.assertSameCheckpoint(a, b, 20);
        assertEquals(losses(a), losses(b), "metrics.csv losses");
    }

    /** step:loss of every metrics.csv row (throughput differs between runs). */
    static List<String> losses(Path out) throws IOException {
        return Files.readAllLines(out.resolve("metrics.csv")).stream().skip(1).map(l -> {
            String[] c = l.split(",", -1);
            return c[0] + ":" + c[2];
        }).toList();
    }

    @Test
    void vaeResumesBitwise() throws IOException {
        assertBitwiseResume("{\"family\": \"vae\", \"latent\": 3, \"hidden\": [12]}", "\"data\": {\"dataset\": \"idx:/unused\"},",
                TrainerTest.synthetic(112));
    }

    @Test
    void realNvpFlowResumesBitwise() throws IOException {
        assertBitwiseResume("""
                {"family": "flow", "repeat": 2, "layers": [{"type": "coupling", "hidden": [16]}, {"type": "actnorm"}]}""",
                "\"data\": {\"dataset\": \"toy:moons\", \"limit\": 200},", null);
    }

    @Test
    void iResNetResumesBitwiseWithItsPowerIterationVectors() throws IOException {
        assertBitwiseResume("""
                {"family": "flow", "repeat": 2, "layers": [{"type": "iresnet", "hidden": [16], "seriesTerms": 3}]}""",
                "\"data\": {\"dataset\": \"toy:moons\", \"limit\": 200},", null);
        Checkpoints.Loaded c = Checkpoints.load(Checkpoints.dirFor(tmp.resolve("a"), 20));
        assertEquals(List.of("flow.0.iresnet.iresnet.sn.0.u", "flow.0.iresnet.iresnet.sn.0.v", "flow.0.iresnet.iresnet.sn.1.u", "flow.0.iresnet.iresnet.sn.1.v",
                "flow.1.iresnet.iresnet.sn.0.u", "flow.1.iresnet.iresnet.sn.0.v", "flow.1.iresnet.iresnet.sn.1.u", "flow.1.iresnet.iresnet.sn.1.v"),
                c.state().tensors().stream().map(Safetensors.Entry::name).toList());
        assertEquals(20L * 1, c.info().stateRng().get("flow.0.iresnet.iresnet.hutchinson").get(0), "one probe draw per training step");
    }

    @Test
    void dataFreeReverseKlSpecTrainsWithoutLoadingData() throws IOException {
        Path out = tmp.resolve("rkl");
        JobSpec s = JobSpec.parse(String.format("""
                {"name": "rkl", "model": {"family": "flow", "objective": "reverse-kl", "energy": "u1", "repeat": 4,
                 "layers": [{"type": "planar"}]}, "optimizer": {"type": "adam", "lr": 0.005}, "batchSize": 64,
                 "budget": {"steps": 30}, "seed": 2, "logEvery": 10, "eval": {"every": 0}, "checkpoint": {"every": 30},
                 "output": "%s"}
                """, SeamTest.path(out)));
        assertNull(s.data());
        assertFalse(s.toJson().has("data"));
        assertEquals(s, JobSpec.parse(s.toJson()));
        Trainer.Result r = new Trainer(device, s, Trainer.Options.defaults().withData(d -> {
            throw new AssertionError("reverse-kl loaded a data set");
        })).run();
        assertEquals(30, r.steps());
        assertTrue(Double.isFinite(r.eval().get("kl")), r.eval().toString());
        assertTrue(Files.readString(out.resolve("train.log")).contains("trains without data"));
        SpecException epochs = assertThrows(SpecException.class, () -> JobSpec.parse(s.toJsonString().replace(
                "\"steps\" : 30", "\"epochs\" : 3")));
        assertEquals("/budget/epochs", epochs.errors().get(0).pointer(), epochs.getMessage());
    }

    static SpecError only(String json) {
        SpecException e = assertThrows(SpecException.class, () -> JobSpec.parse(json));
        assertEquals(1, e.errors().size(), e.getMessage());
        return e.errors().get(0);
    }

    @Test
    void wrongKindOfDataIsRefusedWithThePointer() {
        SpecError vae = only("""
                {"name": "w", "model": {"family": "vae", "latent": 2}, "data": {"dataset": "toy:moons"}, "budget": {"steps": 1}}""");
        assertEquals("/data/dataset", vae.pointer());
        String msg = vae.toString();
        assertTrue(msg.contains("binary") && msg.contains("vae") && msg.contains("toy:moons") && msg.contains("real-valued"), msg);

        SpecError flow = only("""
                {"name": "w", "model": {"family": "flow", "layers": [{"type": "actnorm"}]},
                 "data": {"dataset": "toy:moons", "binarize": true}, "budget": {"steps": 1}}""");
        assertEquals("/data/binarize", flow.pointer());
        assertTrue(flow.toString().contains("real-valued"), flow.toString());

        SpecError flowMnist = only("""
                {"name": "w", "model": {"family": "flow", "dequantize": true, "layers": [{"type": "actnorm"}]},
                 "data": {"dataset": "mnist", "binarize": true}, "budget": {"steps": 1}}""");
        assertEquals("/data/binarize", flowMnist.pointer());
        assertTrue(flowMnist.toString().contains("flow") && flowMnist.toString().contains("[0, 1]"), flowMnist.toString());

        SpecError deqToy = only("""
                {"name": "w", "model": {"family": "flow", "dequantize": true, "layers": [{"type": "actnorm"}]},
                 "data": {"dataset": "toy:moons"}, "budget": {"steps": 1}}""");
        assertEquals("/data/dataset", deqToy.pointer());

        // Per-family defaults of binarize: a flow and a toy set are not binarized, a Bernoulli VAE on images is.
        assertFalse(JobSpec.parse("""
                {"name": "w", "model": {"family": "flow", "layers": [{"type": "actnorm"}]}, "data": {"dataset": "mnist"},
                 "budget": {"steps": 1}}""").data().binarize());
        assertTrue(JobSpec.parse("""
                {"name": "w", "model": {"family": "vae", "latent": 2}, "data": {"dataset": "mnist"}, "budget": {"steps": 1}}""")
                .data().binarize());
    }

    /** The quickstart's training hash as the trainer before the seam wrote it into its checkpoints. */
    static final String QUICKSTART_TRAINING_HASH = "a0ef65133caacc8989c083dd039714e2251e388fd2ef3917e20e1413376966f3";

    @Test
    void oldSpecsAreAcceptedUnchanged() throws IOException {
        Path examples = Path.of("..", "examples");
        List<Path> files;
        try (Stream<Path> s = Files.list(examples)) {
            files = s.filter(p -> p.toString().endsWith(".json")).sorted().toList();
        }
        assertTrue(files.size() >= 10, files.toString());
        for (Path f : files) {
            JobSpec s = JobSpec.parse(f);
            assertEquals(s, JobSpec.parse(s.toJson()), f + " round-trips");
        }
        // The quickstart as it was (qs300.json in docs/training-seam.md is this with fewer steps): the same hash, so
        // checkpoints written before the seam still resume.
        JobSpec quick = JobSpec.parse("""
                {"name": "quickstart", "model": {"family": "vae", "latent": 20, "hidden": [400]},
                 "data": {"dataset": "mnist", "binarize": true}, "optimizer": {"type": "adam", "lr": 1e-3}, "batchSize": 128,
                 "budget": {"steps": 300}, "seed": 1,
                 "eval": {"every": 1000, "split": "validation", "limit": 500, "metrics": {"iwaeK": 0}}, "checkpoint": {"every": 1000}}""");
        assertEquals(QUICKSTART_TRAINING_HASH, quick.trainingHash());
        // A reverse-KL spec written when the trainer still needed a data set: accepted, the data set is not loaded.
        JobSpec oldRkl = JobSpec.parse("""
                {"name": "o", "model": {"family": "flow", "objective": "reverse-kl", "energy": "u2", "layers": [{"type": "planar"}]},
                 "data": {"dataset": "toy:8gaussians", "binarize": false, "limit": 1000}, "budget": {"steps": 1}}""");
        assertEquals("toy:8gaussians", oldRkl.data().dataset());
    }
}
