package org.genzoo.models.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.genzoo.host.Device;
import org.genzoo.host.TestDevices;
import org.genzoo.host.testing.SimGpu;
import org.genzoo.models.data.DatasetSplits;
import org.genzoo.models.data.Datasets;
import org.genzoo.models.data.PooledIdx;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A few training steps of every model family (and of each objective and layer kind a family has),
 * through the real Trainer with tiny shapes: on the default device in the ordinary pass, and on
 * Oclgrind in the simulated-GPU pass (the models module's "simgpu" execution), where any data
 * race, uninitialized read or out-of-bounds access fails the test (OclgrindLogCheck). There the
 * image specs train on 7 x 7 pooled pictures and the run skips its evaluation (see {@link #SIM_POOL}
 * and the comment at the Trainer call): the pass's budget is minutes for all specs. Every run must
 * leave every parameter group changed. Every registered family must have at least one spec here.
 */
class OneStepPerFamilyTest {
    /**
     * Steps per run: enough for a log point, a checkpoint and the final evaluation; on the simulated GPU (its time is
     * the pass's budget) one, but one per layer for the DBN, whose greedy training reaches layer 2 at its second step.
     */
    static long steps(String name) {
        return SimGpu.active() && !name.equals("dbn") ? 1 : 2;
    }

    static final Map<String, String> MODELS = new LinkedHashMap<>();

    static {
        MODELS.put("vae", "{\"family\": \"vae\", \"latent\": 3, \"hidden\": [8]}");
        MODELS.put("vae-iwae-mog", "{\"family\": \"vae\", \"latent\": 3, \"hidden\": [8], \"objective\": \"iwae\", \"samples\": 3, "
                + "\"prior\": \"mog\", \"components\": 3}");
        MODELS.put("vae-vamp-iaf", "{\"family\": \"vae\", \"latent\": 3, \"hidden\": [8], \"prior\": \"vamp\", \"components\": 3, "
                + "\"posteriorFlow\": {\"type\": \"iaf\", \"layers\": 1, \"hidden\": [6]}}");
        MODELS.put("hvae", "{\"family\": \"hvae\", \"latent1\": 4, \"latent2\": 2, \"hidden1\": [8], \"hidden2\": [8]}");
        MODELS.put("flow-realnvp", "{\"family\": \"flow\", \"repeat\": 1, \"layers\": [{\"type\": \"coupling\", \"hidden\": [8]}, "
                + "{\"type\": \"actnorm\"}, {\"type\": \"lu\"}]}");
        MODELS.put("flow-maf", "{\"family\": \"flow\", \"repeat\": 2, \"layers\": [{\"type\": \"maf\", \"hidden\": [8]}]}");
        MODELS.put("flow-iresnet", "{\"family\": \"flow\", \"repeat\": 1, \"layers\": [{\"type\": \"iresnet\", \"hidden\": [8], "
                + "\"seriesTerms\": 2}]}");
        MODELS.put("flow-reverse-kl", "{\"family\": \"flow\", \"objective\": \"reverse-kl\", \"energy\": \"u2\", \"repeat\": 1, "
                + "\"layers\": [{\"type\": \"planar\"}, {\"type\": \"radial\"}]}");
        MODELS.put("gan-toy", "{\"family\": \"gan\", \"latent\": 2, \"generator\": [8], \"discriminator\": [8]}");
        MODELS.put("wgan-toy", "{\"family\": \"wgan\", \"latent\": 2, \"generator\": [8], \"discriminator\": [8], \"nCritic\": 2, "
                + "\"clip\": 0.01}");
        MODELS.put("wgan-gp-toy", "{\"family\": \"wgan-gp\", \"latent\": 2, \"generator\": [8], \"discriminator\": [8], "
                + "\"activation\": \"relu\", \"nCritic\": 2, \"lambda\": 0.1}");
        MODELS.put("sngan-toy", "{\"family\": \"sngan\", \"latent\": 2, \"generator\": [8], \"discriminator\": [8]}");
        MODELS.put("cyclegan-toy", "{\"family\": \"cyclegan\", \"domainB\": \"toy:ring8\", \"generator\": [8], \"discriminator\": [8], "
                + "\"output\": \"linear\"}");
        MODELS.put("bigan", "{\"family\": \"bigan\", \"latent\": 3, \"generator\": [8], \"encoder\": [8], \"discriminator\": [8], "
                + "\"output\": \"sigmoid\"}");
        MODELS.put("rbm", "{\"family\": \"rbm\", \"hidden\": 6, \"method\": \"pcd\", \"k\": 1, \"chains\": 8}");
        MODELS.put("grbm", "{\"family\": \"grbm\", \"hidden\": 6, \"method\": \"cd\", \"k\": 1}");
        MODELS.put("dbn", "{\"family\": \"dbn\", \"layers\": [6, 4], \"stepsPerLayer\": 1, \"method\": \"cd\", \"k\": 1}");
        MODELS.put("dbm", "{\"family\": \"dbm\", \"layers\": [6, 4], \"pretrainSteps\": 0, \"meanFieldIters\": 3, \"chains\": 8}");
    }

    /**
     * On the simulated GPU the image specs train on each data set's own first pictures pooled 4 x 4
     * (28 x 28 to 7 x 7, PooledIdx): Oclgrind interprets every work-item, and with 784 values per
     * example one step and the final evaluation of a small VAE cost over a minute of CPU, nearly all
     * of it in the matrix products over the data dimension; 49 values keep every kernel of the step.
     */
    static final int SIM_POOL = 4;
    /** Pictures in the pooled training file: IdxFolder makes the last 1/6 (16) validation, the eval split. */
    static final int SIM_TRAIN_FILE = 96;
    static final int SIM_TEST_FILE = 16;

    /** The spec's name for an image data set: itself, or on the simulated GPU its pooled copy. */
    static final Map<String, String> IMAGES = new LinkedHashMap<>(Map.of("mnist", "mnist", "fashion-mnist", "fashion-mnist"));

    /** Which data each spec trains on: binarized digits for latent-variable models, a 2-D toy for flows. */
    static String data(String name) {
        if (name.endsWith("-toy")) {
            return name.startsWith("cyclegan") ? "{\"dataset\": \"toy:8gaussians\", \"limit\": 64}" : "{\"dataset\": \"toy:ring8\", \"limit\": 64}";
        }
        if (name.equals("grbm")) {
            return "{\"dataset\": \"" + IMAGES.get("fashion-mnist") + "\", \"limit\": 64}";
        }
        if (name.equals("bigan")) {
            return "{\"dataset\": \"" + IMAGES.get("mnist") + "\", \"binarize\": false, \"limit\": 64}";
        }
        return name.startsWith("flow") ? "{\"dataset\": \"toy:moons\", \"binarize\": false, \"limit\": 64}"
                : "{\"dataset\": \"" + IMAGES.get("mnist") + "\", \"binarize\": true, \"limit\": 64}";
    }

    static Device device;

    @TempDir
    static Path tmp;

    @BeforeAll
    static void open() throws IOException {
        device = TestDevices.openDefault();
        if (SimGpu.active()) {
            assertTrue(device.info().name().contains("Oclgrind"), "the simulated-GPU pass runs on Oclgrind, got " + device.info().name());
            for (String set : IMAGES.keySet()) {
                DatasetSplits full = Datasets.load(set, null);
                Path folder = PooledIdx.write(full.train(), SIM_TRAIN_FILE, full.test(), SIM_TEST_FILE, SIM_POOL, tmp.resolve(set + "-pooled"));
                IMAGES.put(set, "idx:" + folder.toString().replace("\\", "/"));
            }
        }
    }

    @AfterAll
    static void close() {
        if (device != null) {
            device.close();
        }
    }

    static Stream<Arguments> specs() {
        return MODELS.keySet().stream().map(Arguments::of);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("specs")
    @Tag("simgpu-train") // in the simulated-GPU pass by default; -Dgenzoo.simgpu.models.excluded=large,simgpu-train leaves it out
    void trainsAFewSteps(String name) throws Exception {
        String json = """
                {"name": "%s", "model": %s, "data": %s, "batchSize": 8, "budget": {"steps": %d}, "seed": 3, "logEvery": 1,
                 "eval": {"every": 0, "limit": 16, "metrics": {}}, "checkpoint": {"every": %d}, "output": "%s"}
                """.formatted(name, MODELS.get(name), data(name), steps(name), steps(name), tmp.resolve(name).toString().replace("\\", "/"));
        JobSpec spec = JobSpec.parse(json);
        // On the simulated GPU: the training steps and checkpoints only. The evaluation (thousands of draws, a
        // 160 x 160 density grid, AIS) would take Oclgrind many minutes per spec; the ordinary pass runs it.
        Trainer.Result r = new Trainer(device, spec, Trainer.Options.defaults().withEvaluate(!SimGpu.active())).run();
        assertEquals(Trainer.Status.SUCCEEDED, r.status(), name);
        assertEquals(steps(name), r.steps(), name);
        assertTrue(Double.isFinite(r.finalLoss()), name + ": final loss " + r.finalLoss());
        assertEquals(SimGpu.active(), r.eval().isEmpty(), name + ": evaluated " + r.eval());

        // The steps moved the parameters of every group (each optimizer stepped): the final checkpoint's weights are
        // finite, and in each group at least one tensor differs from a fresh model's (same family, config and seed).
        ModelFamily family = ModelFamilies.all().get(spec.model().family());
        int dim = family.dataKind(spec.model().config()) == DataKind.NONE ? family.dataFreeDim(spec.model().config())
                : data(name).contains("toy:") ? 2 : SimGpu.active() ? (28 / SIM_POOL) * (28 / SIM_POOL) : 28 * 28;
        Safetensors.Contents trained = Checkpoints.load(r.lastCheckpoint()).weights();
        try (TrainableModel fresh = family.create(device, spec.model().config(), dim, spec.seed())) {
            for (ParamGroup g : fresh.groups()) {
                int changed = 0;
                for (org.genzoo.host.autograd.Param p : g.params()) {
                    Safetensors.Entry saved = trained.get(p.name());
                    assertTrue(saved != null, name + ": the checkpoint lacks " + p.name());
                    for (float v : saved.data()) {
                        assertTrue(Float.isFinite(v), name + ": " + p.name() + " holds " + v);
                    }
                    if (!java.util.Arrays.equals(p.value().toArray(), saved.data())) {
                        changed++;
                    }
                }
                assertTrue(changed > 0, name + ": no tensor of parameter group " + g.name() + " changed in " + steps(name) + " step(s)");
            }
        }
    }

    @Test
    void everyRegisteredFamilyHasASpecHere() {
        Set<String> covered = new TreeSet<>();
        for (String m : MODELS.values()) {
            covered.add(m.replaceAll("^\\{\"family\": \"([^\"]+)\".*$", "$1"));
        }
        Set<String> missing = new TreeSet<>();
        ModelFamilies.all().forEach((name, family) -> {
            // Families registered by the test sources themselves (e.g. "logistic") are not the product's.
            boolean testOnly = family.getClass().getProtectionDomain().getCodeSource().getLocation().getPath().contains("test-classes");
            if (!testOnly && !covered.contains(name)) {
                missing.add(name);
            }
        });
        assertTrue(missing.isEmpty(), "model families without a tiny spec in OneStepPerFamilyTest.MODELS: " + missing);
    }
}
