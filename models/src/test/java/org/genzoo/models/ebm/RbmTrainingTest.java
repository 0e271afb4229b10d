package org.genzoo.models.ebm;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.genzoo.host.testing.OnDevice;
import org.genzoo.models.data.Dataset;
import org.genzoo.models.data.DatasetSplits;
import org.genzoo.models.data.Split;
import org.genzoo.models.train.Checkpoints;
import org.genzoo.models.train.JobSpec;
import org.genzoo.models.train.Safetensors;
import org.genzoo.models.train.Trainer;
import org.genzoo.models.train.TrainingListener;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The rbm and grbm families under the real trainer: persistent chains resume bitwise; specs are checked. */
class RbmTrainingTest extends OnDevice {
    @TempDir
    Path tmp;

    /** 4x4 binary-ish grey images: two prototypes plus noise, fixed by the seed. */
    static Dataset images(String name, int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n * 16];
        for (int i = 0; i < n; i++) {
            boolean bar = r.nextBoolean();
            for (int j = 0; j < 16; j++) {
                boolean on = bar ? j % 4 == 1 : j / 4 == 2;
                x[i * 16 + j] = (float) (on ? 0.9 : 0.1) + (float) (r.nextDouble() * 0.05);
            }
        }
        return new Dataset(name, 4, 4, x, null);
    }

    static Trainer.DataLoader loader() {
        return d -> new DatasetSplits("bars4x4", "synthetic", new DatasetSplits.Part(Split.TRAIN, images("train", 112, 1), "all"),
                new DatasetSplits.Part(Split.VALIDATION, images("validation", 64, 2), "all"),
                new DatasetSplits.Part(Split.TEST, images("test", 64, 3), "all"));
    }

    static JobSpec spec(Path out, String family, String model, long steps) {
        return JobSpec.parse(String.format("""
                {"name": "t", "model": {"family": "%s"%s}, "data": {"dataset": "idx:/unused"},
                 "optimizer": {"type": "sgd", "lr": 0.05, "momentum": 0.5, "weightDecay": 0.0001}, "batchSize": 16,
                 "budget": {"steps": %d}, "seed": 7, "logEvery": 5,
                 "eval": {"every": 0, "metrics": {"aisTemperatures": 100}}, "checkpoint": {"every": 10, "keep": 0}, "output": "%s"}
                """, family, model, steps, out.toString().replace("\\", "/")));
    }

    static Trainer.Options cancelAt(long atStep) {
        AtomicLong seen = new AtomicLong();
        return Trainer.Options.defaults().withData(loader()).withListener(new TrainingListener() {
            @Override
            public void onProgress(Progress p) {
                seen.set(p.step());
            }
        }).withCancelled(() -> seen.get() >= atStep);
    }

    static void assertBitwise(Safetensors.Contents a, Safetensors.Contents b, String what) {
        assertEquals(a.tensors().size(), b.tensors().size(), what);
        for (int i = 0; i < a.tensors().size(); i++) {
            Safetensors.Entry x = a.tensors().get(i);
            Safetensors.Entry y = b.tensors().get(i);
            assertEquals(x.name(), y.name());
            for (int j = 0; j < x.data().length; j++) {
                assertEquals(Float.floatToRawIntBits(x.data()[j]), Float.floatToRawIntBits(y.data()[j]), what + " " + x.name() + "[" + j + "]");
            }
        }
    }

    @Test
    void persistentChainsResumeBitwiseAfterARestart() throws IOException {
        for (String model : new String[] {", \"hidden\": 8, \"method\": \"pcd\", \"chains\": 16, \"k\": 2",
            ", \"hidden\": 8, \"method\": \"pt\", \"chains\": 8, \"temperatures\": 3"}) {
            Path a = tmp.resolve("a" + model.hashCode());
            Path b = tmp.resolve("b" + model.hashCode());
            new Trainer(dev, spec(a, "rbm", model, 30), Trainer.Options.defaults().withData(loader())).run();
            Trainer.Result first = new Trainer(dev, spec(b, "rbm", model, 30), cancelAt(13)).run();
            assertEquals(Trainer.Status.CANCELLED, first.status(), model);
            Trainer.Result second = new Trainer(dev, spec(b, "rbm", model, 30), Trainer.Options.defaults().withData(loader()).withResume(true))
                    .run();
            assertEquals(30, second.steps(), model);
            Checkpoints.Loaded fa = Checkpoints.load(Checkpoints.dirFor(a, 30));
            Checkpoints.Loaded fb = Checkpoints.load(Checkpoints.dirFor(b, 30));
            assertNotNull(fa.state(), "the chains are saved as model state");
            assertTrue(fa.state().tensors().stream().anyMatch(e -> e.name().contains("chains")), "chains in state.safetensors");
            assertBitwise(fa.weights(), fb.weights(), model + " weights");
            assertBitwise(fa.state(), fb.state(), model + " chains");
            assertEquals(fa.info().stateRng(), fb.info().stateRng(), model);
        }
    }

    @Test
    void specErrorsNameTheField() {
        RbmFamily f = new RbmFamily();
        var m = JobSpec.mapper();
        var errors = f.validate(m.createObjectNode().put("family", "rbm").put("method", "gibbs").put("hidden", 0), "/model");
        assertEquals(2, errors.size(), errors.toString());
        assertTrue(errors.toString().contains("/model/method") && errors.toString().contains("/model/hidden"), errors.toString());
        var pt = f.validate(m.createObjectNode().put("family", "rbm").put("temperatures", 4), "/model");
        assertEquals(1, pt.size(), pt.toString());
        assertTrue(pt.get(0).toString().contains("/model/temperatures"), pt.toString());
    }

    @Test
    void gaussianRbmTrainsUnderTheTrainerAndEvaluates() throws IOException {
        Path out = tmp.resolve("g");
        JobSpec s = JobSpec.parse(String.format("""
                {"name": "g", "model": {"family": "grbm", "hidden": 6}, "data": {"dataset": "idx:/unused"},
                 "optimizer": {"type": "sgd", "lr": 0.01, "momentum": 0.5}, "batchSize": 16,
                 "budget": {"steps": 60}, "seed": 7, "logEvery": 5,
                 "eval": {"every": 60, "metrics": {"aisTemperatures": 0}}, "checkpoint": {"every": 60}, "output": "%s"}
                """, out.toString().replace("\\", "/")));
        Trainer.Result r = new Trainer(dev, s, Trainer.Options.defaults().withData(loader())).run();
        assertEquals(Trainer.Status.SUCCEEDED, r.status());
        assertTrue(r.eval().containsKey("exact_test_ll") && Double.isFinite(r.eval().get("exact_test_ll")), r.eval().toString());
        assertTrue(Double.isFinite(r.eval().get("recon_error")), r.eval().toString());
    }
}
