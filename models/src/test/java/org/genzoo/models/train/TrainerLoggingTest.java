package org.genzoo.models.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.genzoo.host.Device;
import org.genzoo.host.TestDevices;
import org.genzoo.host.autograd.Param;
import org.genzoo.host.autograd.Tape;
import org.genzoo.host.autograd.Var;
import org.genzoo.host.ops.Rng;
import org.genzoo.host.tensor.Tensor;
import org.genzoo.models.data.Dataset;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the trainer writes next to the loss: metrics.csv's {@code loss} column is the mean over the
 * logging window even when the model reports a term of its own named "loss" (as the VAEs do), and
 * {@code --resume} on a folder with nothing to resume is refused with the folder's name.
 */
class TrainerLoggingTest {
    /** The CSV holds the window mean as a float printed in full; the reference sums the same floats in double. */
    static final double CSV_REL = 1e-6;
    static final int STEPS = 40;

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

    /**
     * The logistic test model, plus a "loss" term (the batch's loss, as Vae reports it) and a device
     * record of every step's loss, read only after training.
     */
    static final class Recording implements ModelFamily {
        final Tensor[] record = new Tensor[1];

        @Override
        public String name() {
            return "logistic";
        }

        @Override
        public String description() {
            return "logistic with a loss term";
        }

        @Override
        public List<SpecError> validate(JsonNode model, String pointer) {
            return new LogisticFamily().validate(model, pointer);
        }

        @Override
        public TrainableModel create(Device d, JsonNode model, int dataDim, long seed) {
            TrainableModel inner = new LogisticFamily().create(d, model, dataDim, seed);
            record[0] = Tensor.zeros(d, 1, STEPS);
            return new TrainableModel() {
                final Map<String, Tensor> terms = new LinkedHashMap<>();

                @Override
                public String family() {
                    return "logistic";
                }

                @Override
                public List<Param> params() {
                    return inner.params();
                }

                @Override
                public Var loss(Tape tape, Tensor batch, long step) {
                    Var l = inner.loss(tape, batch, step);
                    record[0].cols((int) step, (int) step + 1).copyFrom(l.value());
                    terms.clear();
                    terms.putAll(inner.lastTerms());
                    terms.put("loss", l.value());
                    return l;
                }

                @Override
                public Map<String, Tensor> lastTerms() {
                    return terms;
                }

                @Override
                public Map<String, Double> evaluate(Dataset split, long seed) {
                    return inner.evaluate(split, seed);
                }

                @Override
                public Rng rng() {
                    return inner.rng();
                }

                @Override
                public void close() {
                    inner.close();
                }
            };
        }

        @Override
        public long estimateDeviceBytes(JsonNode model, int dataDim, int batchSize) {
            return 1 << 20;
        }
    }

    @Test
    void theCsvLossIsTheWindowMeanEvenWhenTheModelReportsALossTerm() throws IOException {
        Path out = tmp.resolve("run");
        JobSpec s = TrainerTest.spec(out, ", \"noise\": 0.5", "{\"type\": \"adam\", \"lr\": 0.05}", "{\"steps\": " + STEPS + "}",
                8, 10, 0, 1000, 1);
        Recording fam = new Recording();
        new Trainer(device, s, Trainer.Options.defaults().withData(TrainerTest.synthetic(64))
                .withFamilies(Map.of("logistic", fam))).run();
        float[] each = fam.record[0].toArray();
        fam.record[0].close();
        MetricsCsv csv = MetricsCsv.resume(out.resolve("metrics.csv"), Long.MAX_VALUE);
        List<Map<String, String>> rows = csv.rows().stream().filter(r -> !r.getOrDefault("loss", "").isEmpty()).toList();
        assertEquals(STEPS / 10, rows.size(), rows.toString());
        int distinct = 0;
        for (Map<String, String> r : rows) {
            int step = Integer.parseInt(r.get("step"));
            double sum = 0;
            for (int i = step - 10; i < step; i++) {
                sum += each[i];
            }
            double mean = sum / 10;
            double got = Double.parseDouble(r.get("loss"));
            assertEquals(mean, got, CSV_REL * Math.abs(mean), "loss at step " + step + " is the mean of steps " + (step - 9)
                    + ".." + step + "; the last batch's was " + each[step - 1]);
            if (Math.abs(each[step - 1] - mean) > 1e-3 * Math.abs(mean)) {
                distinct++;
            }
        }
        assertTrue(distinct > 0, "the batches' losses differ from their window means, so the test can tell them apart");

        // eval.png: one panel per metric (the logistic family reports nll only, without "bits"), on its own axes.
        java.awt.image.BufferedImage eval = javax.imageio.ImageIO.read(out.resolve("eval.png").toFile());
        assertEquals(420, eval.getWidth(), "one panel");

        // report.json names the data set and its split sizes.
        JsonNode report = JobSpec.mapper().readTree(out.resolve("report.json").toFile());
        assertEquals("grey4x4", report.at("/data/name").asText());
        assertEquals(64, report.at("/data/splits/train").asInt());
        assertEquals(64, report.at("/data/splits/validation").asInt());
        assertEquals(64, report.at("/data/splits/test").asInt());
    }

    @Test
    void resumeWithNothingToResumeNamesTheFolderAndCreatesNothing() throws IOException {
        Path typo = tmp.resolve("runz");
        JobSpec s = TrainerTest.spec(typo, "", "{\"type\": \"adam\", \"lr\": 0.05}", "{\"steps\": 10}", 8, 5, 0, 1000, 1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Trainer(device, s,
                Trainer.Options.defaults().withResume(true).withData(TrainerTest.synthetic(64))).run());
        assertTrue(e.getMessage().contains("nothing to resume in " + typo) && e.getMessage().contains("no such folder"),
                e.getMessage());
        assertFalse(Files.exists(typo), "the mistyped folder is not created");

        // A folder that exists but holds no checkpoint (a run that failed before its first one).
        Files.createDirectories(typo);
        Files.writeString(typo.resolve("train.log"), "earlier\n");
        e = assertThrows(IllegalArgumentException.class, () -> new Trainer(device, s,
                Trainer.Options.defaults().withResume(true).withData(TrainerTest.synthetic(64))).run());
        assertTrue(e.getMessage().contains(typo + ": the folder holds no checkpoint"), e.getMessage());
        assertEquals("earlier\n", Files.readString(typo.resolve("train.log")), "nothing stored is touched");
    }
}
