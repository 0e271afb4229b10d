package org.genzoo.models.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import org.genzoo.host.Device;
import org.genzoo.host.TestDevices;
import org.genzoo.host.autograd.F;
import org.genzoo.host.autograd.Optimizer;
import org.genzoo.host.autograd.Param;
import org.genzoo.host.autograd.Tape;
import org.genzoo.host.autograd.Var;
import org.genzoo.host.ops.Elementwise;
import org.genzoo.host.ops.Reduce;
import org.genzoo.host.ops.Rng;
import org.genzoo.host.tensor.Tensor;
import org.genzoo.models.data.Dataset;
import org.genzoo.models.data.DeviceDataset;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The training seam under the real trainer: the default phase is bitwise the loop before the seam;
 * a two-group min-max game with its own optimizers reaches its saddle; a phase without backward
 * trains from statistics it wrote; declared model state round-trips bitwise through checkpoints.
 */
class SeamTest {
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

    static String path(Path p) {
        return p.toString().replace("\\", "/");
    }

    // ---- the default phase is the loop the trainer ran before the seam ------------------------------

    @Test
    void defaultPhaseIsBitwiseTheHandWrittenLoop() throws IOException {
        int steps = 23;
        Path out = tmp.resolve("vae");
        JobSpec spec = JobSpec.parse(String.format("""
                {"name": "v", "model": {"family": "vae", "latent": 3, "hidden": [12]}, "data": {"dataset": "idx:/unused"},
                 "optimizer": {"type": "adam", "lr": 0.003, "clipGradNorm": 5}, "batchSize": 16, "budget": {"steps": %d},
                 "seed": 11, "logEvery": 5, "eval": {"every": 0, "limit": 16}, "checkpoint": {"every": 1000}, "output": "%s"}
                """, steps, path(out)));
        Trainer.Result r = new Trainer(device, spec, Trainer.Options.defaults().withData(TrainerTest.synthetic(112))).run();
        assertEquals(steps, r.steps());
        Checkpoints.Loaded trained = Checkpoints.load(Checkpoints.dirFor(out, steps));

        // The loop before the seam: batch, recording tape, loss, backward, close, optimizer step.
        ModelFamily vae = ModelFamilies.get("vae");
        Dataset train = TrainerTest.greyImages("train", 112);
        try (DeviceDataset data = new DeviceDataset(device, train, 16, 11, true);
                TrainableModel m = vae.create(device, spec.model().config(), train.dim(), 11);
                Optimizer opt = Trainer.optimizer(device, spec.optimizer(), m.params())) {
            for (long step = 0; step < steps; step++) {
                Tensor batch = data.nextBatch();
                try (Tape t = Tape.record(device)) {
                    t.backward(m.loss(t, batch, step));
                }
                opt.step();
            }
            for (Param p : m.params()) {
                assertBitwise(p.value().toArray(), trained.weights().get(p.name()).data(), p.name());
            }
        }
    }

    static void assertBitwise(float[] want, float[] got, String what) {
        assertEquals(want.length, got.length, what);
        for (int i = 0; i < want.length; i++) {
            assertEquals(Float.floatToRawIntBits(want[i]), Float.floatToRawIntBits(got[i]), what + "[" + i + "] bitwise");
        }
    }

    // ---- a two-group game -----------------------------------------------------------------------------

    /**
     * f(x, y) = a/2 x² + b x y − c/2 y², x minimizing and y maximizing, each a 1 x 1 parameter in its
     * own group; the unique saddle point is (0, 0). No data.
     */
    static final class GameFamily implements ModelFamily {
        @Override
        public String name() {
            return "game";
        }

        @Override
        public String description() {
            return "quadratic min-max game (test family)";
        }

        @Override
        public List<SpecError> validate(JsonNode model, String pointer) {
            List<SpecError> errors = new ArrayList<>();
            SpecReader r = new SpecReader(model, pointer, errors);
            r.string("family", null, true);
            r.number("a", 1.0, 0, false, 100, false);
            r.number("b", 1.0, -100, false, 100, false);
            r.number("c", 1.0, 0, false, 100, false);
            r.integer("ascents", 1L, 0, 100);
            r.finish();
            return errors;
        }

        @Override
        public List<String> paramGroups(JsonNode model) {
            return List.of("min", "max");
        }

        @Override
        public DataKind dataKind(JsonNode model) {
            return DataKind.NONE;
        }

        @Override
        public int dataFreeDim(JsonNode model) {
            return 1;
        }

        @Override
        public TrainableModel create(Device device, JsonNode model, int dataDim, long seed) {
            return new Game(device, (float) model.path("a").asDouble(1), (float) model.path("b").asDouble(1),
                    (float) model.path("c").asDouble(1), model.path("ascents").asInt(1));
        }

        @Override
        public long estimateDeviceBytes(JsonNode model, int dataDim, int batchSize) {
            return 1024;
        }
    }

    static final class Game implements TrainableModel {
        final Param x;
        final Param y;
        final float a;
        final float b;
        final float c;
        final int ascents;

        Game(Device device, float a, float b, float c, int ascents) {
            this.x = new Param("x", device, 1, 1);
            this.y = new Param("y", device, 1, 1);
            x.value().fill(1f);
            y.value().fill(-1f);
            this.a = a;
            this.b = b;
            this.c = c;
            this.ascents = ascents;
        }

        Var f(Tape t) {
            Var vx = t.param(x);
            Var vy = t.param(y);
            return F.add(F.sub(F.scale(F.mul(vx, vx), a / 2), F.scale(F.mul(vy, vy), c / 2)), F.scale(F.mul(vx, vy), b));
        }

        @Override
        public String family() {
            return "game";
        }

        @Override
        public List<Param> params() {
            return List.of(x, y);
        }

        @Override
        public List<ParamGroup> groups() {
            return List.of(new ParamGroup("min", List.of(x)), new ParamGroup("max", List.of(y)));
        }

        /** {@code ascents} updates of the maximizer (on −f), then one of the minimizer, per step. */
        @Override
        public List<Phase> phases() {
            return List.of(Phase.backward("ascent", List.of("max"), s -> ascents, (t, ctx) -> F.scale(f(t), -1f)),
                    Phase.backward("descent", "min", (t, ctx) -> f(t)));
        }

        @Override
        public Map<String, Double> evaluate(Dataset split, long seed) {
            assertNull(split, "a data-free model is evaluated without a split");
            return Map.of("x", (double) x.value().get(0, 0), "y", (double) y.value().get(0, 0));
        }

        @Override
        public Rng rng() {
            return null;
        }

        @Override
        public void close() {
            x.close();
            y.close();
        }
    }

    /**
     * Saddle tolerance: alternating gradient descent-ascent on f with a = c = 1, b = 2, two clipped
     * ascents at 0.1 (cosine to 0.05) and one descent at 0.05 (10 warm-up steps) per step reaches
     * |x|, |y| < 1e-13 after 300 steps in double (the same recurrence in Python); 1e-4 leaves room
     * for float32 rounding near the fixed point.
     */
    static final double SADDLE_TOL = 1e-4;

    static Trainer.Options noData(Map<String, ModelFamily> families) {
        return Trainer.Options.defaults().withFamilies(families).withData(d -> {
            throw new AssertionError("a data-free model must not load " + d);
        });
    }

    @Test
    void twoGroupsWithTheirOwnOptimizersReachTheSaddle() throws IOException {
        Map<String, ModelFamily> families = Map.of("game", new GameFamily());
        Path out = tmp.resolve("game");
        JobSpec spec = JobSpec.parse(JobSpec.mapper().readTree(String.format("""
                {"name": "g", "model": {"family": "game", "a": 1, "b": 2, "c": 1, "ascents": 2},
                 "optimizer": {"min": {"type": "sgd", "lr": 0.05, "momentum": 0,
                                       "schedule": {"type": "linear-warmup", "warmupSteps": 10}},
                               "max": {"type": "sgd", "lr": 0.1, "momentum": 0, "clipGradNorm": 1,
                                       "schedule": {"type": "cosine", "steps": 300, "minFactor": 0.5}}},
                 "batchSize": 1, "budget": {"steps": 300}, "seed": 3, "logEvery": 50,
                 "eval": {"every": 0}, "checkpoint": {"every": 100}, "output": "%s"}
                """, path(out))), families);
        assertNull(spec.data(), "no data set in the spec");
        assertEquals("sgd", spec.optimizer("min").type());
        assertEquals("cosine", spec.optimizer("max").schedule().type());
        Trainer.Result r = new Trainer(device, spec, noData(families)).run();
        assertEquals(300, r.steps());
        // Also shows that the ascent's gradient on x (−f depends on x) is not left for the descent: with it, x would
        // take −∂f/∂x twice and ∂f/∂x once per step and climb away from the saddle.
        assertEquals(0.0, r.eval().get("x"), SADDLE_TOL, "x at the saddle");
        assertEquals(0.0, r.eval().get("y"), SADDLE_TOL, "y at the saddle");

        Checkpoints.Loaded c = Checkpoints.load(Checkpoints.dirFor(out, 300));
        assertEquals(List.of(new Checkpoints.GroupInfo("min", "sgd", 300), new Checkpoints.GroupInfo("max", "sgd", 600)),
                c.info().groups(), "one update of min and two of max per step");
        assertEquals(List.of("momentum.x", "momentum.y"), c.optimizer().tensors().stream().map(Safetensors.Entry::name).toList());
        List<String> csv = Files.readAllLines(out.resolve("metrics.csv"));
        assertTrue(csv.get(0).contains("loss_ascent") && csv.get(0).contains("loss_descent"), csv.get(0));
        assertTrue(csv.get(1).startsWith("50,0.0000,"), "no epochs without data: " + csv.get(1));
        // The step's loss is the last phase's value, so the window means of "loss" and "loss_descent" are the same sum.
        List<String> cols = List.of(csv.get(0).split(","));
        for (String row : csv.subList(1, csv.size())) {
            String[] v = row.split(",", -1);
            if (!v[cols.indexOf("loss")].isEmpty()) {
                assertEquals(Float.parseFloat(v[cols.indexOf("loss")]), Float.parseFloat(v[cols.indexOf("loss_descent")]), 0f,
                        "loss_descent is the window mean, as loss is: " + row);
            }
        }
    }

    /**
     * A GAN-shaped resume: two groups, two maximizer updates per step, each group its own Adam with
     * its own schedule; cancelled at step 14, its checkpoint dropped, resumed from step 10: the final
     * weights, both groups' moments and their update counts are byte-equal to an uninterrupted run.
     */
    @Test
    void twoGroupResumeIsBitwise() throws IOException {
        Map<String, ModelFamily> families = Map.of("game", new GameFamily());
        java.util.function.Function<Path, JobSpec> spec = out -> {
            try {
                return JobSpec.parse(JobSpec.mapper().readTree(String.format("""
                        {"name": "g", "model": {"family": "game", "a": 1, "b": 2, "c": 1, "ascents": 2},
                         "optimizer": {"min": {"type": "adam", "lr": 0.01, "schedule": {"type": "step", "every": 7, "gamma": 0.5}},
                                       "max": {"type": "adam", "lr": 0.02, "beta1": 0.5, "clipGradNorm": 1}},
                         "batchSize": 1, "budget": {"steps": 30}, "seed": 3, "logEvery": 4,
                         "eval": {"every": 0}, "checkpoint": {"every": 10, "keep": 0}, "output": "%s"}
                        """, path(out))), families);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        };
        Path a = tmp.resolve("ga");
        new Trainer(device, spec.apply(a), noData(families)).run();
        Path b = tmp.resolve("gb");
        Trainer.Result cut = new Trainer(device, spec.apply(b), TrainerTest.cancelAt(12).withFamilies(families)
                .withData(d -> {
                    throw new AssertionError("no data");
                })).run();
        assertEquals(14, cut.steps(), "the first log point at or after 12: 10 (checkpoint), then 14");
        Checkpoints.deleteTree(Checkpoints.dirFor(b, 14));
        new Trainer(device, spec.apply(b), noData(families).withResume(true)).run();
        assertSameCheckpoint(a, b, 30);
        Checkpoints.Loaded c = Checkpoints.load(Checkpoints.dirFor(b, 30));
        assertEquals(List.of("m.x", "v.x", "m.y", "v.y"), c.optimizer().tensors().stream().map(Safetensors.Entry::name).toList());
        assertEquals(List.of(new Checkpoints.GroupInfo("min", "adam", 30), new Checkpoints.GroupInfo("max", "adam", 60)),
                c.info().groups());
    }

    @Test
    void scheduleFactors() {
        JobSpec.ScheduleSpec warm = new JobSpec.ScheduleSpec("linear-warmup", 10, 0, 0, 0, 0);
        assertEquals(0.1, warm.factor(1), 1e-15);
        assertEquals(1.0, warm.factor(10), 1e-15);
        assertEquals(1.0, warm.factor(1000), 1e-15);
        JobSpec.ScheduleSpec cos = new JobSpec.ScheduleSpec("cosine", 4, 104, 0.1, 0, 0);
        assertEquals(0.5, cos.factor(2), 1e-15, "warm-up half way");
        assertEquals(1.0, cos.factor(4), 1e-15);
        assertEquals(0.1 + 0.9 * 0.5, cos.factor(54), 1e-12, "half way down the cosine");
        assertEquals(0.1, cos.factor(104), 1e-12);
        assertEquals(0.1, cos.factor(500), 1e-12, "flat at minFactor after steps");
        JobSpec.ScheduleSpec step = new JobSpec.ScheduleSpec("step", 0, 0, 0, 100, 0.5);
        assertEquals(1.0, step.factor(99), 0);
        assertEquals(0.5, step.factor(100), 0);
        assertEquals(0.25, step.factor(250), 0);
    }

    // ---- a phase without backward, and model state ------------------------------------------------

    /**
     * "stats": θ (1 x D) trained by a statistics phase that writes grad θ = θ − mean(batch) itself (the
     * gradient of ½‖θ − x̄‖², no tape backward); its minimum is the data mean. A persistent "chain"
     * (model state, 4 x D) moves towards θ with noise from the model's own state Rng every step, so a
     * resume is bitwise only when the chain and its counters are restored; the monitor is mean(chain).
     */
    static final class StatsFamily implements ModelFamily {
        @Override
        public String name() {
            return "stats";
        }

        @Override
        public String description() {
            return "mean estimator trained by written gradient statistics (test family)";
        }

        @Override
        public List<SpecError> validate(JsonNode model, String pointer) {
            List<SpecError> errors = new ArrayList<>();
            SpecReader r = new SpecReader(model, pointer, errors);
            r.string("family", null, true);
            r.finish();
            return errors;
        }

        @Override
        public DataKind dataKind(JsonNode model) {
            return DataKind.UNIT_INTERVAL;
        }

        @Override
        public TrainableModel create(Device device, JsonNode model, int dataDim, long seed) {
            return new Stats(device, dataDim, seed);
        }

        @Override
        public long estimateDeviceBytes(JsonNode model, int dataDim, int batchSize) {
            return 64L * dataDim;
        }
    }

    static final class Stats implements TrainableModel {
        final Param theta;
        final Tensor chain;
        final Rng chainRng;
        final AtomicBoolean restored = new AtomicBoolean();

        Stats(Device device, int dim, long seed) {
            theta = new Param("theta", device, 1, dim);
            chain = Tensor.zeros(device, 4, dim);
            chainRng = new Rng(seed + 99);
        }

        @Override
        public String family() {
            return "stats";
        }

        @Override
        public List<Param> params() {
            return List.of(theta);
        }

        @Override
        public List<Phase> phases() {
            return List.of(Phase.statistics("moments", ParamGroup.DEFAULT, (tape, ctx) -> {
                Var mean = F.reduceCols(Reduce.Op.MEAN, tape.constant(ctx.batch()));       // 1 x D
                Elementwise.sub(theta.grad(), theta.value(), mean.value());                // grad = θ − x̄
                Tensor noise = tape.alloc(chain.rows(), chain.cols());
                chainRng.normal(noise, 0);
                Elementwise.axpby(chain, 0.1f, noise, 0.5f);                               // chain = ½ chain + 0.1 ε
                Var pulled = F.addRow(tape.constant(chain), tape.param(theta));
                chain.copyFrom(pulled.value());                                            // ... + θ
                return F.mean(tape.constant(chain)).value();
            }));
        }

        @Override
        public ModelState state() {
            return new ModelState().tensor("chain", chain).rng("chain", chainRng).onRestore(() -> restored.set(true));
        }

        @Override
        public Map<String, Double> evaluate(Dataset split, long seed) {
            float[] t = theta.value().toArray();
            Map<String, Double> m = new LinkedHashMap<>();
            for (int d = 0; d < t.length; d++) {
                m.put("theta" + d, (double) t[d]);
            }
            return m;
        }

        @Override
        public Rng rng() {
            return null;
        }

        @Override
        public void close() {
            theta.close();
            chain.close();
        }
    }

    static JobSpec statsSpec(Path out, int steps) throws IOException {
        return JobSpec.parse(JobSpec.mapper().readTree(String.format("""
                {"name": "s", "model": {"family": "stats"}, "data": {"dataset": "idx:/unused"},
                 "optimizer": {"type": "sgd", "lr": 0.5, "momentum": 0}, "batchSize": 16, "budget": {"steps": %d}, "seed": 5,
                 "logEvery": 5, "eval": {"every": 0}, "checkpoint": {"every": 10, "keep": 0}, "output": "%s"}
                """, steps, path(out))), Map.of("stats", new StatsFamily()));
    }

    /** θ_{t+1} = θ_t − ½(θ_t − g): the error halves each step; after 60 steps it is float rounding (2^-60 of 1). */
    static final double MEAN_TOL = 1e-6;

    @Test
    void phaseWithoutBackwardTrainsFromTheStatisticsItWrote() throws IOException {
        Path out = tmp.resolve("stats");
        JobSpec spec = statsSpec(out, 60);
        assertEquals(false, spec.data().binarize(), "a [0, 1] family is not binarized by default");
        Trainer.Result r = new Trainer(device, spec, Trainer.Options.defaults().withFamilies(Map.of("stats", new StatsFamily()))
                .withData(TrainerTest.synthetic(64))).run();
        for (int d = 0; d < TrainerTest.D; d++) {
            assertEquals(TrainerTest.grey(d), r.eval().get("theta" + d), MEAN_TOL, "theta " + d + " at the data mean");
        }
        assertTrue(Double.isFinite(r.finalLoss()), "the monitor value is the logged loss");
    }

    @Test
    void modelStateRoundTripsThroughACheckpointBitwise() throws IOException {
        long seed = new SplittableRandom().nextLong();
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] values = new float[5 * 7];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) rnd.nextGaussian() * 1e3f;
        }
        values[3] = Float.MIN_VALUE * 3; // a denormal survives the file too (the file holds the host's bits)
        Rng rng = new Rng(seed);
        try (Tensor t = Tensor.of(device, 5, 7, values); Tensor back = Tensor.zeros(device, 5, 7); Tensor noise = Tensor.zeros(device, 2, 3);
                Optimizer none = new org.genzoo.host.autograd.Sgd(device, List.of(), 0.1f, 0, 0)) {
            rng.normal(noise, 4);
            rng.normal(noise, 4);
            rng.uniform(noise, 9);
            ModelState saved = new ModelState().tensor("part.u", t).rng("part.noise", rng);
            Checkpoints.Info info = new Checkpoints.Info(7, 0, Map.of(), Map.of(), "spec", "train", "stats", "sgd", 7,
                    Map.of(), null, saved.rngCounters());
            Checkpoints.save(tmp, info, List.of(), List.of(none), saved);
            Rng fresh = new Rng(seed);
            AtomicBoolean hook = new AtomicBoolean();
            ModelState restore = new ModelState().tensor("part.u", back).rng("part.noise", fresh).onRestore(() -> hook.set(true));
            Checkpoints.Loaded c = Checkpoints.load(Checkpoints.dirFor(tmp, 7));
            Checkpoints.restoreState(c, restore);
            assertBitwise(values, back.toArray(), "state tensor (seed " + seed + ")");
            assertEquals(rng.counters(), fresh.counters(), "generator counters");
            assertEquals(Map.of(4, 2L, 9, 1L), fresh.counters());
            assertTrue(hook.get(), "restore hook ran");
        }
    }

    @Test
    void resumeWithModelStateIsBitwise() throws IOException {
        Map<String, ModelFamily> fam = Map.of("stats", new StatsFamily());
        Path a = tmp.resolve("a");
        new Trainer(device, statsSpec(a, 30), Trainer.Options.defaults().withFamilies(fam).withData(TrainerTest.synthetic(64))).run();
        Path b = tmp.resolve("b");
        Trainer.Result cut = new Trainer(device, statsSpec(b, 30), TrainerTest.cancelAt(12).withFamilies(fam)
                .withData(TrainerTest.synthetic(64))).run();
        assertEquals(Trainer.Status.CANCELLED, cut.status());
        new Trainer(device, statsSpec(b, 30), Trainer.Options.defaults().withResume(true).withFamilies(fam)
                .withData(TrainerTest.synthetic(64))).run();
        assertSameCheckpoint(a, b, 30);
    }

    /** Every tensor file of the step-{@code step} checkpoints of two runs is byte-equal, and so are the counters. */
    static void assertSameCheckpoint(Path a, Path b, long step) throws IOException {
        Path da = Checkpoints.dirFor(a, step);
        Path db = Checkpoints.dirFor(b, step);
        for (String f : List.of(Checkpoints.WEIGHTS, Checkpoints.OPTIMIZER, Checkpoints.STATE)) {
            assertEquals(Files.exists(da.resolve(f)), Files.exists(db.resolve(f)), f);
            if (Files.exists(da.resolve(f))) {
                assertEquals(-1L, Files.mismatch(da.resolve(f), db.resolve(f)), f + " bitwise after resume");
            }
        }
        Checkpoints.Info ia = Checkpoints.load(da).info();
        Checkpoints.Info ib = Checkpoints.load(db).info();
        assertEquals(ia.rngCounters(), ib.rngCounters());
        assertEquals(ia.stateRng(), ib.stateRng());
        assertEquals(ia.data(), ib.data());
        assertNotNull(ia);
        assertArrayEquals(new Object[] {ia.groups()}, new Object[] {ib.groups()});
    }
}
