package org.genzoo.models.flow;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.genzoo.host.Device;
import org.genzoo.host.TestDevices;
import org.genzoo.host.autograd.Tape;
import org.genzoo.host.tensor.Tensor;
import org.genzoo.models.data.Datasets;
import org.genzoo.models.train.Checkpoints;
import org.genzoo.models.train.JobSpec;
import org.genzoo.models.train.Safetensors;
import org.genzoo.models.train.TorchExporter;
import org.genzoo.models.train.TorchPython;
import org.genzoo.models.train.TrainableModel;
import org.genzoo.models.train.Trainer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code genzoo export} of a RealNVP trained on the two-moons toy (ActNorm, affine couplings and a
 * random permutation), loaded by the generated genzoo_model.py into Debian's PyTorch: the
 * per-example log-likelihood on the same batch matches GenZoo's, and PyTorch's inverse undoes its
 * forward.
 */
class FlowTorchExportTest {
    /**
     * float32 on both sides: 2-D data through 6 couplings with 32-wide nets; log p is a few nats, and
     * 1e-5 relative plus 2e-5 absolute is well above the rounding of a few hundred float operations.
     */
    static final double RTOL = 1e-5;
    static final double ATOL = 2e-5;
    /** inverse(forward(x)) in float32 through 6 exp/affine steps. */
    static final double INVERSE_ATOL = 1e-4;
    static final int B = 93;

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

    Path train(String name, String model) throws IOException {
        Path out = tmp.resolve(name);
        JobSpec s = JobSpec.parse("""
                {"name": "%s", "model": %s, "data": {"dataset": "toy:moons", "binarize": false}, "batchSize": 256,
                 "optimizer": {"type": "adam", "lr": 0.005}, "budget": {"steps": 300}, "seed": 5, "logEvery": 50, "eval": {"every": 0, "split": "test", "limit": 256},
                 "checkpoint": {"every": 1000}, "output": "%s"}
                """.formatted(name, model, out.toString().replace("\\", "/")));
        new Trainer(device, s, Trainer.Options.defaults()).run();
        return out;
    }

    static final String SCRIPT = """
            import json, sys, torch
            sys.path.insert(0, sys.argv[1])
            import genzoo_model
            m = genzoo_model.load()
            b, _ = genzoo_model.read_safetensors(sys.argv[2])
            with torch.no_grad():
                lp = m.log_prob(b["x"])
                z, _ = m(b["x"])
                back, _ = m.inverse(z)
            print(json.dumps({"logp": lp.tolist(), "inverseError": (back - b["x"]).abs().max().item(),
                              "keys": sorted(m.state_dict().keys())}))
            """;

    @Test
    void pytorchLogLikelihoodOnTheSameBatchMatchesGenZoo() throws Exception {
        TorchPython.requireTorch();
        String model = """
                {"family": "flow", "repeat": 3, "layers": [{"type": "actnorm"},
                 {"type": "coupling", "mask": "alternate", "hidden": [32, 32], "scaleBound": 2.0},
                 {"type": "permute", "kind": "random"}]}""";
        Path run = train("realnvp", model);
        Path dir = tmp.resolve("export");
        TorchExporter.Result r = TorchExporter.export(run, dir, null, false);

        Safetensors.Contents file = Safetensors.read(r.weights());
        List<String> names = file.tensors().stream().map(Safetensors.Entry::name).toList();
        assertEquals(List.of("flow.0.bias", "flow.0.log_scale", "flow.1.net.0.weight", "flow.1.net.0.bias", "flow.1.net.2.weight",
                "flow.1.net.2.bias", "flow.1.net.4.weight", "flow.1.net.4.bias"), names.subList(0, 8));
        assertEquals(3 * 8, names.size());
        assertArrayEquals(new int[] {2}, file.get("flow.0.bias").shape(), "vectors");
        assertArrayEquals(new int[] {4}, file.get("flow.1.net.4.bias").shape());
        assertEquals(JobSpec.mapper().readTree(model), JobSpec.mapper().readTree(file.metadata().get("model")));

        float[] x = java.util.Arrays.copyOf(Datasets.load("toy:moons", null).test().x(), B * 2);
        Safetensors.write(tmp.resolve("batch.safetensors"), List.of(new Safetensors.Entry("x", new int[] {B, 2}, x)), Map.of());
        JobSpec spec = JobSpec.parse(run.resolve("spec.json"));
        float[] want;
        try (TrainableModel m = new FlowFamily().create(device, spec.model().config(), 2, spec.seed());
                Tape t = Tape.noGrad(device); Tensor xt = Tensor.of(device, B, 2, x)) {
            Checkpoints.restoreWeights(Checkpoints.latest(run, new ArrayList<>()).orElseThrow(), m.params());
            want = ((FlowModel) m).flow().logProb(t.constant(xt)).value().toArray();
        }
        JsonNode py = TorchPython.run(tmp, SCRIPT, dir.toString(), tmp.resolve("batch.safetensors").toString());
        List<String> keys = new ArrayList<>();
        py.get("keys").forEach(k -> keys.add(k.asText()));
        assertEquals(names.stream().sorted().toList(), keys, "load_state_dict(strict=True) took every tensor");
        double worst = 0;
        double mean = 0;
        for (int i = 0; i < B; i++) {
            double got = py.get("logp").get(i).asDouble();
            assertEquals(want[i], got, ATOL + RTOL * Math.abs(want[i]), "log p of example " + i);
            worst = Math.max(worst, Math.abs(got - want[i]));
            mean += want[i] / B;
        }
        // A Gaussian fit of moons (what the initialized ActNorm alone gives) scores about -3.0; the entropy bound is -2.39.
        assertTrue(mean > -2.8, "a trained flow: mean log p on moons " + mean);
        assertTrue(py.get("inverseError").asDouble() < INVERSE_ATOL, py.toString());
        System.out.printf("flow export: worst |log p torch - log p genzoo| = %.3g nats over %d examples%n", worst, B);
    }

    /**
     * Dequantized images: the pixel-space log-density sums D = 16 logit-Jacobian terms of up to ~14
     * nats each, computed in float32 by PyTorch and in double by the reference here; 1e-3 nats
     * absolute plus 1e-5 relative covers float32 rounding of those sums.
     */
    static final double PIXEL_ATOL = 1e-3;

    static final String PIXEL_SCRIPT = """
            import json, sys, torch
            sys.path.insert(0, sys.argv[1])
            import genzoo_model
            m = genzoo_model.load()
            b, _ = genzoo_model.read_safetensors(sys.argv[2])
            with torch.no_grad():
                lp = m.log_prob_pixels(b["x"], b["u"])
                bpd = m.bits_per_dim(b["x"], b["u"])
                s = m.sample_pixels(5)
            print(json.dumps({"logp": lp.tolist(), "bpd": bpd.tolist(), "sampleMin": s.min().item(), "sampleMax": s.max().item()}))
            """;

    @Test
    void dequantizedImageFlowsGiveThePixelSpaceDensity() throws Exception {
        TorchPython.requireTorch();
        int d = 16;
        java.util.SplittableRandom r = new java.util.SplittableRandom(77);
        float[] all = new float[600 * d];
        for (int i = 0; i < all.length; i++) {
            int col = i % d;
            all[i] = Math.min(255, Math.max(0, (int) Math.round(16 * col + 20 * r.nextGaussian()))) / 255f;
        }
        org.genzoo.models.data.Dataset train = new org.genzoo.models.data.Dataset("grey", 4, 4,
                java.util.Arrays.copyOf(all, 512 * d), null);
        org.genzoo.models.data.Dataset held = new org.genzoo.models.data.Dataset("held", 4, 4,
                java.util.Arrays.copyOfRange(all, 512 * d, 600 * d), null);
        Trainer.DataLoader loader = x -> new org.genzoo.models.data.DatasetSplits("grey", "synthetic",
                new org.genzoo.models.data.DatasetSplits.Part(org.genzoo.models.data.Split.TRAIN, train, "all"),
                new org.genzoo.models.data.DatasetSplits.Part(org.genzoo.models.data.Split.VALIDATION, held, "all"),
                new org.genzoo.models.data.DatasetSplits.Part(org.genzoo.models.data.Split.TEST, held, "all"));
        Path run = tmp.resolve("deq");
        String model = """
                {"family": "flow", "repeat": 2, "dequantize": true, "layers": [{"type": "actnorm"},
                 {"type": "coupling", "mask": "checkerboard", "hidden": [32]}]}""";
        JobSpec spec = JobSpec.parse("""
                {"name": "deq", "model": %s, "data": {"dataset": "idx:/unused", "binarize": false}, "batchSize": 64,
                 "optimizer": {"type": "adam", "lr": 0.003}, "budget": {"steps": 100}, "seed": 9, "logEvery": 50,
                 "eval": {"every": 0}, "checkpoint": {"every": 1000}, "output": "%s"}
                """.formatted(model, run.toString().replace("\\", "/")));
        new Trainer(device, spec, Trainer.Options.defaults().withData(loader)).run();
        Path dir = tmp.resolve("deq-export");
        TorchExporter.export(run, dir, null, false);

        int b = 33;
        float[] x = java.util.Arrays.copyOf(held.x(), b * d);
        float[] u = new float[b * d];
        for (int i = 0; i < u.length; i++) {
            u[i] = (float) r.nextDouble();
        }
        // The reference preprocessing (FlowModel), in double: w = logit(a + (1 - 2a)(255x + u)/256) and its log-Jacobian.
        double a = 1e-6;
        float[] w = new float[b * d];
        double[] ld = new double[b];
        for (int i = 0; i < b; i++) {
            ld[i] = d * (Math.log(1 - 2 * a) - Math.log(256));
            for (int j = 0; j < d; j++) {
                double y = (255.0 * x[i * d + j] + u[i * d + j]) / 256.0;
                double p = a + (1 - 2 * a) * y;
                w[i * d + j] = (float) (Math.log(p) - Math.log1p(-p));
                ld[i] -= Math.log(p) + Math.log1p(-p);
            }
        }
        float[] flowLp;
        try (TrainableModel m = new FlowFamily().create(device, spec.model().config(), d, spec.seed());
                Tape t = Tape.noGrad(device); Tensor wt = Tensor.of(device, b, d, w)) {
            Checkpoints.restoreWeights(Checkpoints.latest(run, new ArrayList<>()).orElseThrow(), m.params());
            flowLp = ((FlowModel) m).flow().logProb(t.constant(wt)).value().toArray();
        }
        Safetensors.write(tmp.resolve("pixels.safetensors"), List.of(new Safetensors.Entry("x", new int[] {b, d}, x),
                new Safetensors.Entry("u", new int[] {b, d}, u)), Map.of());
        JsonNode py = TorchPython.run(tmp, PIXEL_SCRIPT, dir.toString(), tmp.resolve("pixels.safetensors").toString());
        for (int i = 0; i < b; i++) {
            double want = flowLp[i] + ld[i];
            double got = py.get("logp").get(i).asDouble();
            assertEquals(want, got, PIXEL_ATOL + RTOL * Math.abs(want), "pixel log p of image " + i);
            assertEquals(-want / (d * Math.log(2)), py.get("bpd").get(i).asDouble(), (PIXEL_ATOL + RTOL * Math.abs(want)) / (d * Math.log(2)));
        }
        assertTrue(py.get("sampleMin").asDouble() >= 0 && py.get("sampleMax").asDouble() <= 1, py.toString());
    }

    @Test
    void layersWithoutAPyTorchCounterpartAreRefusedWithTheirPointer() throws Exception {
        Path run = train("lu", "{\"family\": \"flow\", \"layers\": [{\"type\": \"actnorm\"}, {\"type\": \"lu\"}]}");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TorchExporter.export(run, tmp.resolve("x"), null, false));
        assertTrue(e.getMessage().startsWith("/model/layers/1: flow layers of type lu have no PyTorch export yet"), e.getMessage());
    }
}
