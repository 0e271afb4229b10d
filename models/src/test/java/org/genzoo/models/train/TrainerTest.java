package org.genzoo.models.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import javax.imageio.ImageIO;
import org.genzoo.host.Device;
import org.genzoo.host.TestDevices;
import org.genzoo.models.data.Dataset;
import org.genzoo.models.data.DatasetSplits;
import org.genzoo.models.data.Split;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The trainer end to end on the real device with the test family "logistic" (see {@link LogisticFamily}). */
class TrainerTest {
    static final int D = 16;

    /**
     * Final expected NLL may exceed the entropy bound Σ H(g_d) by 1%: Adam at lr 0.05 on batches of 32
     * binary samples jitters each logit by about 0.05, costing about ½·g(1-g)·0.05² ≈ 3e-4 nats per
     * dimension (0.005 for D = 16), well inside 0.01 · Σ H ≈ 0.09.
     */
    static final double ENTROPY_GAP_REL = 0.01;

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

    /** Grey level of pixel d, in (0, 1). */
    static double grey(int d) {
        return (d + 1.0) / (D + 2.0);
    }

    /** The least expected NLL any factorized Bernoulli model can reach on binarized samples: Σ_d H(g_d) in nats. */
    static double entropyBound() {
        double h = 0;
        for (int d = 0; d < D; d++) {
            double g = grey(d);
            h -= g * Math.log(g) + (1 - g) * Math.log(1 - g);
        }
        return h;
    }

    static Dataset greyImages(String name, int n) {
        float[] x = new float[n * D];
        for (int i = 0; i < n; i++) {
            for (int d = 0; d < D; d++) {
                x[i * D + d] = (float) grey(d);
            }
        }
        return new Dataset(name, 4, 4, x, null);
    }

    static Trainer.DataLoader synthetic(int nTrain) {
        return d -> new DatasetSplits("grey4x4", "synthetic",
                new DatasetSplits.Part(Split.TRAIN, greyImages("train", nTrain), "all"),
                new DatasetSplits.Part(Split.VALIDATION, greyImages("validation", 64), "all"),
                new DatasetSplits.Part(Split.TEST, greyImages("test", 64), "all"));
    }

    static JobSpec spec(Path out, String model, String optimizer, String budget, int batch, int logEvery, int evalEvery,
            int ckptEvery, int keep) {
        return JobSpec.parse(String.format("""
                {"name": "t", "model": {"family": "logistic"%s}, "data": {"dataset": "idx:/unused"},
                 "optimizer": %s, "batchSize": %d, "budget": %s, "seed": 7, "logEvery": %d,
                 "eval": {"every": %d, "metrics": {"bits": true}}, "checkpoint": {"every": %d, "keep": %d}, "output": "%s"}
                """, model, optimizer, batch, budget, logEvery, evalEvery, ckptEvery, keep, out.toString().replace("\\", "/")));
    }

    static Trainer.Result train(JobSpec s, int nTrain, Trainer.Options o) throws IOException {
        return new Trainer(device, s, o.withData(synthetic(nTrain))).run();
    }

    @Test
    void tinyRunReachesTheEntropyBoundAndLeavesEveryArtifact() throws IOException {
        Path out = tmp.resolve("run");
        JobSpec s = spec(out, "", "{\"type\": \"adam\", \"lr\": 0.05}", "{\"steps\": 400}", 32, 10, 100, 100, 3);
        List<TrainingListener.Progress> progress = new ArrayList<>();
        Trainer.Result r = train(s, 256, Trainer.Options.defaults().withListener(new TrainingListener() {
            @Override
            public void onProgress(Progress p) {
                progress.add(p);
            }
        }));
        assertEquals(Trainer.Status.SUCCEEDED, r.status());
        assertEquals(400, r.steps());
        double h = entropyBound();
        double nll = r.eval().get("nll");
        assertTrue(nll >= h - 1e-9, "nll " + nll + " below the bound " + h);
        assertTrue(nll <= h * (1 + ENTROPY_GAP_REL), "nll " + nll + " vs entropy bound " + h);
        assertEquals(nll / (D * Math.log(2)), r.eval().get("bits_per_dim"), 1e-12, "eval options reach the model");
        assertEquals(h, r.finalLoss(), 0.05 * h, "training loss near the bound too");

        assertEquals(40, progress.size(), "one report per log point");
        assertEquals(400, progress.get(39).step());
        assertTrue(progress.get(39).examplesPerSecond() > 0);

        for (String f : List.of("spec.json", "metrics.csv", "loss.png", "eval.png", "report.json", "train.log",
                "samples/step-00000100-mean.png", "samples/step-00000400-mean.png")) {
            assertTrue(Files.isRegularFile(out.resolve(f)), f);
        }
        BufferedImage png = ImageIO.read(out.resolve("loss.png").toFile());
        assertEquals(800, png.getWidth());
        List<String> csv = Files.readAllLines(out.resolve("metrics.csv"));
        assertEquals("step,epoch,loss,bits_per_dim,examples_per_s,eval_bits_per_dim,eval_nll", csv.get(0));
        assertEquals(41, csv.size());
        assertTrue(csv.get(1).startsWith("10,1.2500,"), csv.get(1));
        assertEquals(JobSpec.parse(Files.readString(out.resolve("spec.json"))), s);

        JsonNode report = JobSpec.mapper().readTree(out.resolve("report.json").toFile());
        assertEquals("succeeded", report.get("status").asText());
        assertEquals(400, report.get("steps").asLong());
        assertEquals(nll, report.get("eval").get("nll").asDouble());
        assertEquals(device.info().name(), report.get("device").get("name").asText());
        assertEquals(s.hash(), report.get("provenance").get("specHash").asText());
        assertEquals(7, report.get("seed").asLong());
        assertNotNull(report.get("provenance").get("genzooVersion"));

        List<Path> ckpts = Checkpoints.list(out);
        assertEquals(List.of(Checkpoints.dirFor(out, 400), Checkpoints.dirFor(out, 300), Checkpoints.dirFor(out, 200)), ckpts);
        Checkpoints.Loaded last = Checkpoints.load(ckpts.get(0));
        assertEquals(400, last.info().optimizerSteps());
        assertEquals(List.of("logits"), last.weights().tensors().stream().map(Safetensors.Entry::name).toList());
        assertEquals(List.of("m.logits", "v.logits"), last.optimizer().tensors().stream().map(Safetensors.Entry::name).toList());
        // The saved logits are the model's: near logit(g_d).
        float[] logits = last.weights().get("logits").data();
        for (int d = 0; d < D; d++) {
            double want = Math.log(grey(d) / (1 - grey(d)));
            assertEquals(want, logits[d], 0.35, "logit " + d);
        }
    }

    /** Cancels at the first log point at or after {@code atStep}. */
    static Trainer.Options cancelAt(long atStep) {
        AtomicLong seen = new AtomicLong();
        return Trainer.Options.defaults().withListener(new TrainingListener() {
            @Override
            public void onProgress(Progress p) {
                seen.set(p.step());
            }
        }).withCancelled(() -> seen.get() >= atStep);
    }

    static void assertSameTensors(Safetensors.Contents a, Safetensors.Contents b, String what) {
        assertEquals(a.tensors().size(), b.tensors().size());
        for (int i = 0; i < a.tensors().size(); i++) {
            Safetensors.Entry x = a.tensors().get(i);
            Safetensors.Entry y = b.tensors().get(i);
            assertEquals(x.name(), y.name());
            int[] xb = new int[x.data().length];
            int[] yb = new int[y.data().length];
            for (int j = 0; j < xb.length; j++) {
                xb[j] = Float.floatToRawIntBits(x.data()[j]);
                yb[j] = Float.floatToRawIntBits(y.data()[j]);
            }
            assertArrayEquals(xb, yb, what + " " + x.name() + " bitwise");
        }
    }

    /** The loss column of metrics.csv (steps and losses only: throughput differs between runs). */
    static List<String> losses(Path out) throws IOException {
        return Files.readAllLines(out.resolve("metrics.csv")).stream().skip(1).map(l -> {
            String[] c = l.split(",", -1);
            return c[0] + ":" + c[2] + ":" + c[3];
        }).toList();
    }

    @Test
    void resumeGivesBitwiseTheSameFinalState() throws IOException {
        // 112 examples / batch 16 = 7 batches per epoch: step 20 and 25 fall mid-epoch. Noise on the logits draws from
        // the model's Rng and binarization from the data's, so both counters must be restored.
        String model = ", \"noise\": 0.3";
        String opt = "{\"type\": \"adamw\", \"lr\": 0.03, \"weightDecay\": 0.01, \"clipGradNorm\": 5}";
        Path a = tmp.resolve("a");
        Trainer.Result ra = train(spec(a, model, opt, "{\"steps\": 47}", 16, 5, 0, 10, 0), 112, Trainer.Options.defaults());
        assertEquals(47, ra.steps());

        // B: cancelled at step 25 (checkpointed there), that checkpoint dropped, resumed from step 20.
        Path b = tmp.resolve("b");
        JobSpec sb = spec(b, model, opt, "{\"steps\": 47}", 16, 5, 0, 10, 0);
        Trainer.Result rb1 = train(sb, 112, cancelAt(23));
        assertEquals(Trainer.Status.CANCELLED, rb1.status());
        assertEquals(25, rb1.steps());
        assertEquals(Checkpoints.dirFor(b, 25), Checkpoints.list(b).get(0));
        Checkpoints.deleteTree(Checkpoints.dirFor(b, 25));
        Trainer.Result rb2 = train(sb, 112, Trainer.Options.defaults().withResume(true));
        assertEquals(Trainer.Status.SUCCEEDED, rb2.status());
        assertEquals(47, rb2.steps());

        // C: cancelled at 25 and resumed from that very checkpoint, with a longer budget first cut short.
        Path c = tmp.resolve("c");
        Trainer.Result rc1 = train(spec(c, model, opt, "{\"steps\": 30}", 16, 5, 0, 10, 0), 112, cancelAt(23));
        assertEquals(25, rc1.steps());
        Trainer.Result rc2 = train(spec(c, model, opt, "{\"steps\": 47}", 16, 5, 0, 10, 0), 112,
                Trainer.Options.defaults().withResume(true));
        assertEquals(47, rc2.steps());

        Checkpoints.Loaded fa = Checkpoints.load(Checkpoints.dirFor(a, 47));
        for (Path other : List.of(b, c)) {
            Checkpoints.Loaded fo = Checkpoints.load(Checkpoints.dirFor(other, 47));
            assertSameTensors(fa.weights(), fo.weights(), other.getFileName() + " weights");
            assertSameTensors(fa.optimizer(), fo.optimizer(), other.getFileName() + " optimizer state");
            assertEquals(fa.info().rngCounters(), fo.info().rngCounters());
            assertEquals(fa.info().data(), fo.info().data());
            assertEquals(losses(a), losses(other), "metrics.csv losses");
            assertEquals(ra.eval(), other == b ? rb2.eval() : rc2.eval());
        }
        assertTrue(fa.info().rngCounters().getOrDefault(LogisticFamily.NOISE_STREAM, 0L) == 47, fa.info().rngCounters().toString());
        JsonNode report = JobSpec.mapper().readTree(b.resolve("report.json").toFile());
        assertEquals(20, report.get("resumedFromStep").asLong());
    }

    @Test
    void nanLossStopsAtItsStepWithoutACheckpointOfIt() throws IOException {
        Path out = tmp.resolve("nan");
        JobSpec s = spec(out, ", \"nanAtStep\": 37", "{\"lr\": 0.01}", "{\"steps\": 100}", 16, 10, 0, 10, 0);
        NonFiniteLossException e = assertThrows(NonFiniteLossException.class, () -> train(s, 64, Trainer.Options.defaults()));
        assertEquals(37, e.step());
        assertTrue(Float.isNaN(e.value()));
        assertTrue(e.getMessage().contains("step 37"), e.getMessage());
        assertEquals(List.of(Checkpoints.dirFor(out, 30), Checkpoints.dirFor(out, 20), Checkpoints.dirFor(out, 10)),
                Checkpoints.list(out));
        try (var files = Files.list(Checkpoints.root(out))) {
            assertEquals(3, files.count(), "no folder, not even an uncommitted one, for the bad step");
        }
        JsonNode report = JobSpec.mapper().readTree(out.resolve("report.json").toFile());
        assertEquals("failed", report.get("status").asText());
        assertTrue(report.get("error").asText().contains("step 37"));
        assertTrue(Files.readString(out.resolve("train.log")).contains("FAILED: training loss is NaN at step 37"));
    }

    @Test
    void infLossOnACheckpointStepIsCaughtBeforeTheCheckpoint() throws IOException {
        Path out = tmp.resolve("inf");
        JobSpec s = spec(out, ", \"infAtStep\": 20", "{\"lr\": 0.01}", "{\"steps\": 100}", 16, 7, 0, 10, 0);
        NonFiniteLossException e = assertThrows(NonFiniteLossException.class, () -> train(s, 64, Trainer.Options.defaults()));
        assertEquals(20, e.step());
        assertEquals(Float.POSITIVE_INFINITY, e.value());
        assertEquals(List.of(Checkpoints.dirFor(out, 10)), Checkpoints.list(out));
    }

    @Test
    void anExistingRunIsNotOverwrittenAndResumeChecksTheTrajectory() throws IOException {
        Path out = tmp.resolve("r");
        JobSpec s = spec(out, "", "{\"lr\": 0.01}", "{\"steps\": 10}", 16, 5, 0, 5, 0);
        train(s, 64, Trainer.Options.defaults());
        IllegalArgumentException again = assertThrows(IllegalArgumentException.class, () -> train(s, 64, Trainer.Options.defaults()));
        assertTrue(again.getMessage().contains("already holds checkpoints"), again.getMessage());
        JobSpec other = spec(out, "", "{\"lr\": 0.02}", "{\"steps\": 20}", 16, 5, 0, 5, 0);
        IllegalArgumentException differ = assertThrows(IllegalArgumentException.class,
                () -> train(other, 64, Trainer.Options.defaults().withResume(true)));
        assertTrue(differ.getMessage().contains("different model"), differ.getMessage());
        // The same trajectory with a longer budget resumes.
        Trainer.Result r = train(s.withBudget(new JobSpec.Budget(15L, null)), 64, Trainer.Options.defaults().withResume(true));
        assertEquals(15, r.steps());
    }

    @Test
    void epochBudgetAndSgd() throws IOException {
        Path out = tmp.resolve("e");
        JobSpec s = spec(out, "", "{\"type\": \"sgd\", \"lr\": 0.5, \"momentum\": 0.5}", "{\"epochs\": 3}", 16, 4, 0, 1000, 0);
        Trainer.Result r = train(s, 64, Trainer.Options.defaults());
        assertEquals(12, r.steps(), "3 epochs of 64 / 16");
        assertEquals(3.0, r.epoch());
        assertTrue(r.finalLoss() < D * Math.log(2), "below the loss of p = 1/2 everywhere: " + r.finalLoss());
    }

    @Test
    void evaluateOffTrainsAndCheckpointsWithoutEvaluatingOrPictures() throws IOException {
        Path out = tmp.resolve("noeval");
        JobSpec s = spec(out, "", "{\"type\": \"adam\", \"lr\": 0.05}", "{\"steps\": 20}", 16, 5, 10, 10, 0);
        Trainer.Result r = train(s, 64, Trainer.Options.defaults().withEvaluate(false));
        assertEquals(Trainer.Status.SUCCEEDED, r.status());
        assertEquals(20, r.steps());
        assertTrue(r.finalLoss() < D * Math.log(2), "trained below the loss of p = 1/2 everywhere: " + r.finalLoss());
        assertTrue(r.eval().isEmpty(), "no eval metrics: " + r.eval());
        assertFalse(Files.exists(out.resolve("samples")), "no pictures");
        assertEquals("step,epoch,loss,bits_per_dim,examples_per_s", Files.readAllLines(out.resolve("metrics.csv")).get(0));
        assertEquals(List.of(Checkpoints.dirFor(out, 20), Checkpoints.dirFor(out, 10)), Checkpoints.list(out));
        assertTrue(Files.readString(out.resolve("train.log")).contains("evaluation off for this run"));
    }
}
