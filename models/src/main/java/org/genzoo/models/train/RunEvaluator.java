package org.genzoo.models.train;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.genzoo.host.Device;
import org.genzoo.models.data.Dataset;
import org.genzoo.models.data.DatasetSplits;
import org.genzoo.models.data.Split;

/**
 * Evaluates a finished (or checkpointed) run: reads {@code spec.json} from the run folder, builds
 * the model, loads the weights of the newest good checkpoint (or of the one asked for), and runs
 * {@link TrainableModel#evaluateRun} on the chosen split with the training split for analyses that
 * need it. Writes {@code eval.json} (metrics, checkpoint step, options, timing) and pictures under
 * {@code eval/} in the run folder. The training state is not touched.
 */
public final class RunEvaluator {
    /**
     * @param split       the held-out split to evaluate on
     * @param limit       first N examples of that split (null: all)
     * @param step        the checkpoint step to load (null: the newest that loads cleanly)
     * @param metrics     family options, merged over the spec's {@code /eval/metrics} (e.g. iwaeK, surgeryLimit)
     * @param seed        evaluation noise (binarization, importance samples)
     */
    public record Options(String split, Integer limit, Long step, ObjectNode metrics, long seed, Trainer.DataLoader data) {
    }

    /** What was evaluated and the metrics. */
    public record Result(Path run, long step, String split, int examples, Map<String, Double> metrics, double seconds, Path evalJson) {
    }

    private RunEvaluator() {
    }

    public static Result evaluate(Device device, Path run, Options o) throws IOException {
        Path specFile = run.resolve("spec.json");
        JobSpec spec = readSpec(run);
        Checkpoints.Loaded ckpt = loadCheckpoint(run, spec, o.step());
        ModelFamily family = ModelFamilies.all().get(spec.model().family());
        if (family == null) {
            throw new IllegalArgumentException("unknown model family '" + spec.model().family() + "' in " + specFile);
        }
        ObjectNode metrics = spec.eval().metrics().deepCopy();
        if (o.metrics() != null) {
            metrics.setAll(o.metrics());
        }
        List<SpecError> bad = family.validateEvalMetrics(metrics, "/eval/metrics");
        if (!bad.isEmpty()) {
            throw new SpecException(bad);
        }
        Dataset train = null;
        Dataset test = null;
        String splitName = o.split() != null ? o.split() : spec.eval().split();
        boolean dataFree = family.dataKind(spec.model().config()) == DataKind.NONE;
        int dim;
        if (dataFree) {
            dim = family.dataFreeDim(spec.model().config());
        } else {
            DatasetSplits splits = (o.data() != null ? o.data() : Trainer.DATASETS).load(spec.data());
            train = splits.train();
            if (spec.data().limit() != null) {
                train = train.subset(spec.data().limit());
            }
            test = splits.get(Split.parse(splitName));
            if (o.limit() != null) {
                test = test.subset(Math.min(o.limit(), test.size()));
            }
            dim = train.dim();
        }
        long t0 = System.nanoTime();
        Map<String, Double> m;
        Path pictures = run.resolve("eval");
        Files.createDirectories(pictures);
        try (TrainableModel model = family.create(device, spec.model().config(), dim, spec.seed())) {
            Checkpoints.restoreWeights(ckpt, model.params());
            Checkpoints.restoreState(ckpt, model.state());
            m = new TreeMap<>(model.evaluateRun(train, test, o.seed(), metrics, pictures));
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        ObjectNode j = JobSpec.mapper().createObjectNode();
        j.put("run", run.toAbsolutePath().toString());
        j.put("checkpointStep", ckpt.info().step());
        j.put("split", splitName);
        j.put("examples", test == null ? 0 : test.size());
        j.put("seed", o.seed());
        j.set("options", metrics);
        j.put("device", device.info().name());
        j.put("seconds", seconds);
        j.put("finishedAt", Instant.now().toString());
        ObjectNode mj = j.putObject("metrics");
        m.forEach((k, v) -> {
            if (Double.isFinite(v)) {
                mj.put(k, v);
            } else {
                mj.putNull(k);
            }
        });
        Path out = run.resolve("eval.json");
        AtomicFiles.writeString(out, JobSpec.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(j) + "\n");
        return new Result(run, ckpt.info().step(), splitName, test == null ? 0 : test.size(), m, seconds, out);
    }

    /** The run's spec.json, or an error saying the folder is not a run. */
    public static JobSpec readSpec(Path run) throws IOException {
        try {
            return JobSpec.parse(run.resolve("spec.json"));
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(run + " is not a run folder: it has no spec.json (give the folder `genzoo train` printed)");
        }
    }

    /**
     * The checkpoint at {@code step} (null: the newest that loads cleanly), checked against the spec's
     * training hash; errors name the steps the run has.
     */
    public static Checkpoints.Loaded loadCheckpoint(Path run, JobSpec spec, Long step) throws IOException {
        Checkpoints.Loaded ckpt;
        if (step != null) {
            Path dir = Checkpoints.dirFor(run, step);
            if (!Files.isRegularFile(dir.resolve(Checkpoints.META))) {
                throw new IllegalArgumentException(run + " has no checkpoint at step " + step + "; it has steps "
                        + Checkpoints.list(run).stream().map(p -> p.getFileName().toString().replaceFirst("^step-0*(?=\\d)", ""))
                                .toList());
            }
            ckpt = Checkpoints.load(dir);
        } else {
            List<String> skipped = new ArrayList<>();
            ckpt = Checkpoints.latest(run, skipped).orElseThrow(() -> new IllegalArgumentException(run
                    + " holds no loadable checkpoint" + (skipped.isEmpty() ? "" : " (" + String.join("; ", skipped) + ")")
                    + "; train it first"));
        }
        if (!ckpt.info().trainingHash().equals(spec.trainingHash())) {
            throw new IllegalArgumentException(ckpt.dir() + " was written under another spec than " + run.resolve("spec.json")
                    + " (training hash differs); use the folder the checkpoint came from");
        }
        return ckpt;
    }

    /** One line per metric, sorted, for a terminal. */
    public static String format(Result r) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%s: checkpoint step %d, %s split (%d examples), %.1f s%n", r.run(), r.step(), r.split(),
                r.examples(), r.seconds()));
        r.metrics().forEach((k, v) -> sb.append(String.format(Locale.ROOT, "  %-28s %.6g%n", k, v)));
        return sb.toString();
    }
}
