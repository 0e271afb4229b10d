package org.genzoo.models.vae;

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
import java.util.SplittableRandom;
import org.genzoo.host.Device;
import org.genzoo.host.TestDevices;
import org.genzoo.host.autograd.F;
import org.genzoo.host.autograd.Tape;
import org.genzoo.host.autograd.Var;
import org.genzoo.host.tensor.Tensor;
import org.genzoo.models.data.Dataset;
import org.genzoo.models.data.DatasetSplits;
import org.genzoo.models.data.Split;
import org.genzoo.models.train.Checkpoints;
import org.genzoo.models.train.JobSpec;
import org.genzoo.models.train.Safetensors;
import org.genzoo.models.train.TorchExporter;
import org.genzoo.models.train.TorchPython;
import org.genzoo.models.train.Trainer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code genzoo export} of a trained VAE, loaded by the generated genzoo_model.py into Debian's
 * PyTorch: the per-example ELBO on the same batch and the same ε matches GenZoo's device ELBO
 * (encoder and decoder on the device, log p(x|z) − KL(q‖N(0, I)) analytic).
 */
class VaeTorchExportTest {
    /**
     * float32 on both sides, different summation orders: the ELBO sums D = 64 log-likelihood terms
     * and GEMMs of width ≤ 64, each rounding near 6e-8 relative; 1e-5 relative of a ~20-nat ELBO
     * plus 1e-4 nats absolute is about 30 times the differences seen.
     */
    static final double RTOL = 1e-5;
    static final double ATOL = 1e-4;
    static final int D = 64;
    static final int B = 33;
    static final long SEED = 515;

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

    /** Four random 8 x 8 binary prototypes, each pixel flipped with probability 0.05. */
    static Dataset patterns(String name, int n, long seed) {
        SplittableRandom r = new SplittableRandom(SEED);
        float[][] protos = new float[4][D];
        for (float[] p : protos) {
            for (int i = 0; i < D; i++) {
                p[i] = r.nextBoolean() ? 1f : 0f;
            }
        }
        SplittableRandom s = new SplittableRandom(seed);
        float[] x = new float[n * D];
        for (int k = 0; k < n; k++) {
            float[] p = protos[s.nextInt(4)];
            for (int i = 0; i < D; i++) {
                x[k * D + i] = s.nextDouble() < 0.05 ? 1f - p[i] : p[i];
            }
        }
        return new Dataset(name, 8, 8, x, null);
    }

    static Trainer.DataLoader data() {
        return d -> new DatasetSplits("patterns8x8", "synthetic",
                new DatasetSplits.Part(Split.TRAIN, patterns("train", 512, 1), "all"),
                new DatasetSplits.Part(Split.VALIDATION, patterns("validation", 64, 2), "all"),
                new DatasetSplits.Part(Split.TEST, patterns("test", 64, 3), "all"));
    }

    Path train(String name, String model) throws IOException {
        Path out = tmp.resolve(name);
        JobSpec s = JobSpec.parse("""
                {"name": "%s", "model": %s, "data": {"dataset": "idx:/unused"}, "batchSize": 64,
                 "budget": {"steps": 150}, "seed": 3, "logEvery": 50, "eval": {"every": 0, "limit": 32},
                 "checkpoint": {"every": 1000}, "output": "%s"}
                """.formatted(name, model, out.toString().replace("\\", "/")));
        new Trainer(device, s, Trainer.Options.defaults().withData(data())).run();
        return out;
    }

    static final String SCRIPT = """
            import json, sys, torch
            sys.path.insert(0, sys.argv[1])
            import genzoo_model
            m = genzoo_model.load()
            b, _ = genzoo_model.read_safetensors(sys.argv[2])
            with torch.no_grad():
                elbo = m.elbo(b["x"], b["eps"])
            print(json.dumps({"elbo": elbo.tolist(), "keys": sorted(m.state_dict().keys()),
                              "model": m.spec_model}))
            """;

    @Test
    void pytorchElboOnTheSameBatchMatchesGenZoo() throws Exception {
        TorchPython.requireTorch();
        String model = "{\"family\": \"vae\", \"latent\": 5, \"hidden\": [48, 24], \"activation\": \"tanh\"}";
        Path run = train("vae-export", model);
        Path dir = tmp.resolve("export");
        TorchExporter.Result r = TorchExporter.export(run, dir, null, false);
        assertEquals(150, r.step());

        Safetensors.Contents file = Safetensors.read(r.weights());
        List<String> names = file.tensors().stream().map(Safetensors.Entry::name).toList();
        assertEquals(List.of("encoder.trunk.0.weight", "encoder.trunk.0.bias", "encoder.trunk.2.weight", "encoder.trunk.2.bias",
                "encoder.head.weight", "encoder.head.bias", "decoder.0.weight", "decoder.0.bias", "decoder.2.weight",
                "decoder.2.bias", "decoder.4.weight", "decoder.4.bias"), names, "torch.nn.Sequential names (activations take odd slots)");
        assertArrayEquals(new int[] {48, D}, file.get("encoder.trunk.0.weight").shape(), "nn.Linear keeps [out, in]");
        assertArrayEquals(new int[] {48}, file.get("encoder.trunk.0.bias").shape(), "biases are vectors");
        assertArrayEquals(new int[] {D}, file.get("decoder.4.bias").shape());
        assertEquals(JobSpec.mapper().readTree(model), JobSpec.mapper().readTree(file.metadata().get("model")),
                "the spec's model object is in the metadata");

        // The same batch and noise on both sides.
        Dataset test = patterns("batch", B, 99);
        float[] x = test.x();
        int l = 5;
        float[] eps = new float[B * l];
        SplittableRandom rnd = new SplittableRandom(SEED);
        for (int i = 0; i < eps.length; i++) {
            eps[i] = (float) (rnd.nextGaussian());
        }
        Safetensors.write(tmp.resolve("batch.safetensors"), List.of(new Safetensors.Entry("x", new int[] {B, D}, x),
                new Safetensors.Entry("eps", new int[] {B, l}, eps)), Map.of());

        double[] want = genZooElbo(run, x, eps, l);
        JsonNode py = TorchPython.run(tmp, SCRIPT, dir.toString(), tmp.resolve("batch.safetensors").toString());
        List<String> keys = new ArrayList<>();
        py.get("keys").forEach(k -> keys.add(k.asText()));
        assertEquals(names.stream().sorted().toList(), keys, "load_state_dict(strict=True) took every tensor");
        assertEquals(JobSpec.mapper().readTree(model), py.get("model"));
        double worst = 0;
        for (int i = 0; i < B; i++) {
            double got = py.get("elbo").get(i).asDouble();
            assertEquals(want[i], got, ATOL + RTOL * Math.abs(want[i]), "ELBO of example " + i + " (seed " + SEED + ")");
            worst = Math.max(worst, Math.abs(got - want[i]));
        }
        assertTrue(want[0] < 0 && want[0] > -D * Math.log(2) * 2, "a trained ELBO, got " + want[0]);
        System.out.printf("VAE export: worst |ELBO torch - ELBO genzoo| = %.3g nats over %d examples%n", worst, B);
    }

    /** GenZoo's per-example ELBO with z = mu + exp(logvar/2)·eps, on the device. */
    double[] genZooElbo(Path run, float[] x, float[] eps, int l) throws IOException {
        JobSpec spec = JobSpec.parse(run.resolve("spec.json"));
        try (LatentTrainable m = (LatentTrainable) new VaeFamily().create(device, spec.model().config(), D, spec.seed());
                Tape t = Tape.noGrad(device); Tensor xt = Tensor.of(device, B, D, x)) {
            Checkpoints.restoreWeights(Checkpoints.latest(run, new ArrayList<>()).orElseThrow(), m.params());
            Vae vae = (Vae) m.model();
            Var s = vae.encoder().forward(t.constant(xt));
            Var mu = vae.encoder().mu(s);
            Var lv = vae.encoder().logvar(s);
            float[] muh = mu.value().toArray();
            float[] lvh = lv.value().toArray();
            float[] z = new float[B * l];
            for (int i = 0; i < z.length; i++) {
                z[i] = muh[i] + (float) Math.exp(0.5f * lvh[i]) * eps[i];
            }
            try (Tensor zt = Tensor.of(device, B, l, z)) {
                float[] ll = vae.decoder().logLik(t.constant(xt), t.constant(zt)).value().toArray();
                float[] kl = F.klStandardNormal(mu, lv, false).value().toArray();
                double[] out = new double[B];
                for (int i = 0; i < B; i++) {
                    out[i] = ll[i] - kl[i];
                }
                return out;
            }
        }
    }

    @Test
    void whatHasNoPyTorchCounterpartIsRefusedWithItsPointer() throws Exception {
        Path run = train("vae-mog", "{\"family\": \"vae\", \"latent\": 2, \"hidden\": [8], \"prior\": \"mog\", \"components\": 3}");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TorchExporter.export(run, tmp.resolve("x"), null, false));
        assertTrue(e.getMessage().startsWith("/model/prior: only the standard-normal prior"), e.getMessage());

        Path ok = train("vae-ok", "{\"family\": \"vae\", \"latent\": 2, \"hidden\": [8]}");
        TorchExporter.export(ok, tmp.resolve("y"), null, false);
        e = assertThrows(IllegalArgumentException.class, () -> TorchExporter.export(ok, tmp.resolve("y"), null, false));
        assertTrue(e.getMessage().contains("already holds an export") && e.getMessage().contains("--force"), e.getMessage());
        TorchExporter.export(ok, tmp.resolve("y"), null, true);
    }
}
