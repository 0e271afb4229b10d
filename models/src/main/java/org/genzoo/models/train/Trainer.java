package org.genzoo.models.train;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;
import java.util.function.BooleanSupplier;
import org.genzoo.host.Device;
import org.genzoo.host.autograd.Adam;
import org.genzoo.host.autograd.Optimizer;
import org.genzoo.host.autograd.Param;
import org.genzoo.host.autograd.Sgd;
import org.genzoo.host.autograd.Tape;
import org.genzoo.host.autograd.Var;
import org.genzoo.host.cl.ClDeviceInfo;
import org.genzoo.host.tensor.Tensor;
import org.genzoo.models.data.Dataset;
import org.genzoo.models.data.DatasetSplits;
import org.genzoo.models.data.Datasets;
import org.genzoo.models.data.DeviceDataset;
import org.genzoo.models.data.Split;

/**
 * Runs one job: builds the family's model, feeds it minibatches of a {@link DeviceDataset}, steps
 * an optimizer built from the spec for the budget, evaluates, checkpoints, and leaves its artifacts
 * in the output folder:
 * <pre>
 * spec.json        the spec with defaults filled in
 * train.log        what happened, one timestamped line per event
 * metrics.csv      step, epoch, loss (mean over the log window), the model's extra terms, examples_per_s, eval_* columns
 * loss.png         training loss by step; terms.png: the model's extra terms; eval.png: evaluation metrics
 * samples/         the model's pictures at each evaluation (TrainableModel#writePictures)
 * checkpoints/     see {@link Checkpoints}; one every checkpoint.every steps, at the end, and on cancellation
 * report.json      status, final metrics, timing, device, seed, provenance
 * </pre>
 *
 * <p>Steps are numbered from 1: step s is the s-th optimizer update, and the model's
 * {@link TrainableModel#loss} sees s - 1. A step enqueues its work and copies its 1 x 1 loss into a
 * device-side window of {@code logEvery} slots; the host reads the window back only at log points
 * (every {@code logEvery} steps, and before each evaluation and checkpoint), so a NaN or Inf loss is
 * caught with the exact step that produced it, before any checkpoint of that state is written.
 * Cancellation is checked at the same points.
 *
 * <p>Resuming ({@link Options#resume}) restores the latest checkpoint's parameters, optimizer state,
 * model RNG counters and data position: the run then continues bitwise as if it had never stopped.
 * Not thread-safe: one trainer per device, on one thread.
 */
public final class Trainer {
    /** Loads a data set for a spec (tests swap in synthetic data). */
    @FunctionalInterface
    public interface DataLoader {
        DatasetSplits load(JobSpec.DataSpec data) throws IOException;
    }

    /** Loads with {@link Datasets#load}. */
    public static final DataLoader DATASETS = d -> Datasets.load(d.dataset(), d.dataDir() == null ? null : Path.of(d.dataDir()));

    /**
     * @param resume    continue from the latest checkpoint in the output folder (a fresh start when there is none)
     * @param cancelled polled at every log point; true stops the run with a checkpoint and status CANCELLED
     * @param interrupted polled at the same points, first: true (the process is stopping: Ctrl-C, SIGTERM, a
     *                    service shutting down) stops the run with a checkpoint and status INTERRUPTED, to be resumed
     */
    public record Options(boolean resume, BooleanSupplier cancelled, TrainingListener listener, DataLoader data,
            Map<String, ModelFamily> families, BooleanSupplier interrupted) {
        public Options(boolean resume, BooleanSupplier cancelled, TrainingListener listener, DataLoader data,
                Map<String, ModelFamily> families) {
            this(resume, cancelled, listener, data, families, () -> false);
        }

        public static Options defaults() {
            return new Options(false, () -> false, TrainingListener.NONE, DATASETS, null);
        }

        public Options withInterrupted(BooleanSupplier i) {
            return new Options(resume, cancelled, listener, data, families, i);
        }

        public Options withResume(boolean r) {
            return new Options(r, cancelled, listener, data, families, interrupted);
        }

        public Options withCancelled(BooleanSupplier c) {
            return new Options(resume, c, listener, data, families, interrupted);
        }

        public Options withListener(TrainingListener l) {
            return new Options(resume, cancelled, l, data, families, interrupted);
        }

        public Options withData(DataLoader d) {
            return new Options(resume, cancelled, listener, d, families, interrupted);
        }

        public Options withFamilies(Map<String, ModelFamily> f) {
            return new Options(resume, cancelled, listener, data, f, interrupted);
        }
    }

    /** INTERRUPTED: stopped by {@link Options#interrupted()} with a checkpoint; a resume continues bitwise. */
    public enum Status {
        SUCCEEDED, CANCELLED, INTERRUPTED
    }

    /** How a run ended (failures are exceptions, with report.json written first). */
    public record Result(Status status, long steps, long totalSteps, double epoch, double finalLoss, Map<String, Double> eval,
            Path output, Path lastCheckpoint, double seconds) {
    }

    private final Device device;
    private final JobSpec spec;
    private final Options options;
    private final Path out;

    private TrainLog log;
    private MetricsCsv metrics;
    private final Map<String, Double> lastEval = new TreeMap<>();
    private long resumedFrom = -1;

    public Trainer(Device device, JobSpec spec, Options options) {
        this.device = device;
        this.spec = spec;
        this.options = options;
        this.out = Path.of(spec.output());
    }

    public Path output() {
        return out;
    }

    public Result run() throws IOException {
        Files.createDirectories(out);
        Instant started = Instant.now();
        List<String> skipped = new ArrayList<>();
        Optional<Checkpoints.Loaded> ckpt = options.resume() ? Checkpoints.latest(out, skipped) : Optional.empty();
        if (!options.resume() && !Checkpoints.list(out).isEmpty()) {
            throw new IllegalArgumentException("output folder " + out + " already holds checkpoints of a run: resume it"
                    + " (genzoo train --resume) or choose another output folder (--output DIR); nothing was changed");
        }
        log = new TrainLog(out.resolve("train.log"), ckpt.isPresent(), options.listener());
        try {
            return train(started, ckpt, skipped);
        } catch (RuntimeException | IOException | Error e) {
            log.line("FAILED: " + e.getMessage());
            try {
                writeReport("failed", e.toString(), started, 0, 0, 0, Double.NaN, null, 0);
            } catch (IOException | RuntimeException r) {
                e.addSuppressed(r);
            }
            throw e;
        } finally {
            log.close();
        }
    }

    private Result train(Instant started, Optional<Checkpoints.Loaded> ckpt, List<String> skipped) throws IOException {
        Map<String, ModelFamily> families = options.families() != null ? options.families() : ModelFamilies.all();
        ModelFamily family = families.get(spec.model().family());
        if (family == null) {
            throw new IllegalArgumentException("unknown model family '" + spec.model().family() + "': known families are "
                    + String.join(", ", families.keySet()));
        }
        for (String s : skipped) {
            log.line("skipped unusable checkpoint " + s);
        }
        AtomicFiles.writeString(out.resolve("spec.json"), spec.toJsonString() + "\n");
        ClDeviceInfo di = device.info();
        log.line("job " + spec.name() + ": family " + family.name() + ", device " + di.name() + " (" + di.platformName() + ", driver "
                + di.driverVersion() + "), seed " + spec.seed() + ", spec " + spec.hash().substring(0, 12));

        DatasetSplits splits = options.data().load(spec.data());
        Dataset train = splits.train();
        if (spec.data().limit() != null) {
            train = train.subset(spec.data().limit());
        }
        Dataset evalSplit = splits.get(Split.parse(spec.eval().split()));
        if (spec.eval().limit() != null) {
            evalSplit = evalSplit.subset(spec.eval().limit());
        }
        for (String line : splits.describe().split("\n")) {
            log.line(line);
        }
        log.line("training on " + train.size() + " examples of " + train.dim() + " values; evaluating on " + evalSplit.size()
                + " " + spec.eval().split() + " examples");
        if (spec.batchSize() > train.size()) {
            throw new IllegalArgumentException("/batchSize: " + spec.batchSize() + " is larger than the " + train.size()
                    + " training examples");
        }
        long need = family.estimateDeviceBytes(spec.model().config(), train.dim(), spec.batchSize())
                + dataDeviceBytes(train.size(), train.dim());
        if (need > di.globalMemBytes()) {
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                    "the job needs about %.1f MiB of device memory; %s has %.1f MiB", need / 1048576.0, di.name(),
                    di.globalMemBytes() / 1048576.0));
        }

        try (DeviceDataset data = new DeviceDataset(device, train, spec.batchSize(), spec.seed(), spec.data().binarize());
                TrainableModel model = family.create(device, spec.model().config(), train.dim(), spec.seed());
                Optimizer opt = optimizer(spec.optimizer(), model.params());
                Tensor window = Tensor.zeros(device, 1, spec.logEvery())) {
            long total = spec.budget().totalSteps(data.batchesPerEpoch());
            long step = 0;
            double priorSeconds = 0;
            if (ckpt.isPresent()) {
                Checkpoints.Loaded c = ckpt.get();
                Checkpoints.Info info = c.info();
                if (!info.trainingHash().equals(spec.trainingHash())) {
                    throw new IllegalArgumentException("checkpoint " + c.dir() + " was made under a different model, data, optimizer,"
                            + " batch size or seed (training hash " + info.trainingHash().substring(0, 12) + ", this spec "
                            + spec.trainingHash().substring(0, 12) + "); start a new output folder instead");
                }
                Checkpoints.restore(c, model.params(), opt);
                model.restoreRngCounters(info.rngCounters());
                data.restore(DeviceDataset.State.fromMap(info.data()));
                step = info.step();
                resumedFrom = step;
                priorSeconds = info.extra().getOrDefault("elapsedSeconds", 0.0);
                metrics = MetricsCsv.resume(out.resolve("metrics.csv"), step);
                log.line("resumed from " + out.relativize(c.dir()) + " at step " + step + " of " + total);
            } else {
                if (options.resume()) {
                    log.line("no checkpoint to resume from; starting at step 0");
                }
                metrics = MetricsCsv.create(out.resolve("metrics.csv"));
                log.line("starting: " + total + " steps of batch " + spec.batchSize() + " (" + data.batchesPerEpoch()
                        + " per epoch), " + spec.optimizer().type() + " lr " + spec.optimizer().lr() + ", "
                        + model.params().size() + " parameter tensors");
            }

            Loop loop = new Loop(model, opt, data, window, evalSplit, total, step, priorSeconds);
            if (ckpt.isPresent()) {
                loop.resumedFrom(ckpt.get());
            }
            Status status = loop.run();
            double seconds = priorSeconds + (System.nanoTime() - loop.startNanos) / 1e9;
            writePlots();
            writeReport(status.name().toLowerCase(Locale.ROOT), null, started, loop.step, total,
                    loop.step / (double) data.batchesPerEpoch(), loop.lastLoss, loop.lastCheckpoint, seconds);
            log.line(status.name().toLowerCase(Locale.ROOT) + " at step " + loop.step + " of " + total + String.format(Locale.ROOT,
                    ", loss %.5g, %.1f s", loop.lastLoss, seconds));
            return new Result(status, loop.step, total, loop.step / (double) data.batchesPerEpoch(), loop.lastLoss,
                    Map.copyOf(lastEval), out, loop.lastCheckpoint, seconds);
        }
    }

    /** Device memory of a training set of n examples of dim floats: the images plus the shuffled index buffer. */
    public static long dataDeviceBytes(long n, long dim) {
        return 4L * n * dim + 8L * n;
    }

    /** The optimizer the spec asks for. */
    public static Optimizer optimizer(Device device, JobSpec.OptimizerSpec o, List<Param> params) {
        Optimizer opt = switch (o.type()) {
            case "adam" -> new Adam(device, params, (float) o.lr(), (float) o.beta1(), (float) o.beta2(), (float) o.eps(), 0f,
                    (float) o.weightDecay());
            case "adamw" -> new Adam(device, params, (float) o.lr(), (float) o.beta1(), (float) o.beta2(), (float) o.eps(),
                    (float) o.weightDecay(), 0f);
            case "sgd" -> new Sgd(device, params, (float) o.lr(), (float) o.momentum(), (float) o.weightDecay());
            default -> throw new IllegalArgumentException("unknown optimizer " + o.type());
        };
        if (o.clipGradNorm() > 0) {
            opt.clipGradNorm((float) o.clipGradNorm());
        }
        return opt;
    }

    private Optimizer optimizer(JobSpec.OptimizerSpec o, List<Param> params) {
        return optimizer(device, o, params);
    }

    /** The step loop and its bookkeeping. */
    private final class Loop {
        final TrainableModel model;
        final Optimizer opt;
        final DeviceDataset data;
        final Tensor window;
        final Dataset evalSplit;
        final long total;
        final double priorSeconds;
        final long startNanos = System.nanoTime();
        long step;
        long windowStart;
        long lastCheckpointStep = -1;
        long lastEvalStep = -1;
        Path lastCheckpoint;
        double lastLoss = Double.NaN;
        Map<String, Float> lastTerms = new LinkedHashMap<>();
        long rateNanos;     // training time since the last log point (evaluation and checkpoints excluded)
        long rateSteps;
        double stepsPerSecond = Double.NaN;

        Loop(TrainableModel model, Optimizer opt, DeviceDataset data, Tensor window, Dataset evalSplit, long total, long step,
                double priorSeconds) {
            this.model = model;
            this.opt = opt;
            this.data = data;
            this.window = window;
            this.evalSplit = evalSplit;
            this.total = total;
            this.step = step;
            this.windowStart = step;
            this.priorSeconds = priorSeconds;
        }

        /**
         * State the checkpoint holds beyond the tensors: its loss and, when it is the final step (a
         * process stopped between the final checkpoint and the report), the final evaluation row
         * already in metrics.csv, so that the report is complete and no row is written twice.
         */
        void resumedFrom(Checkpoints.Loaded c) {
            lastCheckpointStep = step;
            lastCheckpoint = c.dir();
            lastLoss = c.info().extra().getOrDefault("loss", Double.NaN);
            if (step != total) {
                return;
            }
            for (Map<String, String> row : metrics.rows()) {
                if (!String.valueOf(step).equals(row.get("step"))) {
                    continue;
                }
                row.forEach((k, v) -> {
                    if (k.startsWith("eval_") && v != null && !v.isEmpty()) {
                        lastEval.put(k.substring(5), Double.parseDouble(v));
                        lastEvalStep = step;
                    }
                });
            }
        }

        boolean due(long s, long every) {
            return every > 0 && s % every == 0;
        }

        boolean logPoint(long s) {
            return s - windowStart == spec.logEvery() || s == total || due(s, spec.eval().every())
                    || due(s, spec.checkpoint().every());
        }

        Status run() throws IOException {
            long mark = System.nanoTime();
            while (step < total) {
                if (step == windowStart) {
                    boolean interrupt = options.interrupted().getAsBoolean();
                    if (interrupt || options.cancelled().getAsBoolean()) {
                        log.line(interrupt ? "interrupted at step " + step + " (the process is stopping); a resume continues from here"
                                : "cancelled at step " + step);
                        if (lastCheckpointStep != step) {
                            checkpoint();
                        }
                        return interrupt ? Status.INTERRUPTED : Status.CANCELLED;
                    }
                }
                long s = step + 1;
                boolean read = logPoint(s);
                Tensor batch = data.nextBatch();
                try (Tape tape = Tape.record(device)) {
                    Var loss = model.loss(tape, batch, step);
                    tape.backward(loss);
                    int slot = (int) (step - windowStart);
                    window.cols(slot, slot + 1).copyFrom(loss.value());
                    if (read) {
                        lastTerms = new LinkedHashMap<>();
                        for (Map.Entry<String, Tensor> e : new TreeMap<>(model.lastTerms()).entrySet()) {
                            lastTerms.put(e.getKey(), e.getValue().get(0, 0));
                        }
                    }
                }
                opt.step();
                step = s;
                if (!read) {
                    continue;
                }
                float[] losses = window.toArray(); // waits for the device: the time below is real
                long now = System.nanoTime();
                rateNanos += now - mark;
                rateSteps += step - windowStart;
                int n = (int) (step - windowStart);
                double sum = 0;
                for (int i = 0; i < n; i++) {
                    if (!Float.isFinite(losses[i])) {
                        throw new NonFiniteLossException(windowStart + i + 1, losses[i], "no checkpoint of this state is written;"
                                + " the last good one is " + (lastCheckpoint == null ? "none" : out.relativize(lastCheckpoint)));
                    }
                    sum += losses[i];
                }
                lastLoss = sum / n;
                double exPerSec = (step - windowStart) * (double) spec.batchSize() / Math.max(1e-9, (now - mark) / 1e9);
                double rate = rateSteps / Math.max(1e-9, rateNanos / 1e9);
                stepsPerSecond = rate;
                double eta = (total - step) / rate;
                windowStart = step;

                Map<String, Object> row = new LinkedHashMap<>();
                row.put("step", step);
                row.put("epoch", String.format(Locale.ROOT, "%.4f", step / (double) data.batchesPerEpoch()));
                row.put("loss", (float) lastLoss);
                lastTerms.forEach(row::put);
                row.put("examples_per_s", String.format(Locale.ROOT, "%.1f", exPerSec));
                boolean evalNow = due(step, spec.eval().every()) || step == total;
                if (evalNow) {
                    evaluate(row);
                }
                metrics.append(row);
                options.listener().onProgress(new TrainingListener.Progress(step, total, step / (double) data.batchesPerEpoch(),
                        lastLoss, exPerSec, eta));
                if (due(step, spec.checkpoint().every()) || step == total) {
                    checkpoint();
                }
                if (evalNow) {
                    writePlots();
                }
                mark = System.nanoTime();
            }
            if (lastEvalStep != step) {
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("step", step);
                evaluate(row);
                metrics.append(row);
            }
            if (lastCheckpointStep != step || lastCheckpoint == null) {
                checkpoint();
            }
            return Status.SUCCEEDED;
        }

        void evaluate(Map<String, Object> row) throws IOException {
            long t = System.nanoTime();
            Map<String, Double> m = model.evaluate(evalSplit, evalSeed(spec.seed(), step), spec.eval().metrics());
            lastEval.clear();
            lastEval.putAll(m);
            lastEvalStep = step;
            new TreeMap<>(m).forEach((k, v) -> row.put("eval_" + k, v));
            Path samples = out.resolve("samples");
            Files.createDirectories(samples);
            model.writePictures(samples, String.format("step-%08d", step));
            options.listener().onEval(step, Map.copyOf(m));
            StringBuilder sb = new StringBuilder("eval at step " + step + " on " + spec.eval().split() + ":");
            new TreeMap<>(m).forEach((k, v) -> sb.append(String.format(Locale.ROOT, " %s %.5g", k, v)));
            log.line(sb + String.format(Locale.ROOT, " (%.1f s)", (System.nanoTime() - t) / 1e9));
        }

        void checkpoint() throws IOException {
            Map<String, Double> extra = new LinkedHashMap<>();
            extra.put("elapsedSeconds", priorSeconds + (System.nanoTime() - startNanos) / 1e9);
            extra.put("loss", lastLoss);
            Checkpoints.Info info = new Checkpoints.Info(step, data.epoch(), model.rngCounters(), data.state().toMap(), spec.hash(),
                    spec.trainingHash(), family(), spec.optimizer().type(), opt.steps(), extra);
            Path dir;
            try {
                dir = Checkpoints.save(out, info, model.params(), opt);
            } catch (Checkpoints.NonFiniteStateException e) {
                throw new NonFiniteLossException(step, Float.NaN, e.getMessage());
            }
            Checkpoints.prune(out, spec.checkpoint().keep());
            lastCheckpoint = dir;
            lastCheckpointStep = step;
            log.line("checkpoint " + out.relativize(dir));
            options.listener().onCheckpoint(step, dir);
        }

        String family() {
            return model.family();
        }
    }

    /** The evaluation seed at a step: a function of (job seed, step) only. */
    static long evalSeed(long seed, long step) {
        long z = seed * 0x9E3779B97F4A7C15L + step + 0x632BE59BD9B4E019L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    private void writePlots() throws IOException {
        if (metrics == null) {
            return;
        }
        List<LinePlot.Series> train = new ArrayList<>();
        List<LinePlot.Series> terms = new ArrayList<>();
        List<LinePlot.Series> eval = new ArrayList<>();
        for (String c : metrics.columns()) {
            if (c.equals("step") || c.equals("epoch") || c.equals("examples_per_s")) {
                continue;
            }
            double[][] s = metrics.series(c);
            if (s[0].length == 0) {
                continue;
            }
            (c.startsWith("eval_") ? eval : c.equals("loss") ? train : terms).add(new LinePlot.Series(c, s[0], s[1]));
        }
        if (!train.isEmpty()) {
            LinePlot.write(out.resolve("loss.png"), spec.name() + ": training loss (" + spec.model().family() + ")", "step",
                    "loss (mean over " + spec.logEvery() + " steps)", train);
        }
        if (!terms.isEmpty()) {
            LinePlot.write(out.resolve("terms.png"), spec.name() + ": loss terms at log points", "step", "value", terms);
        }
        if (!eval.isEmpty()) {
            LinePlot.write(out.resolve("eval.png"), spec.name() + ": evaluation on " + spec.eval().split(), "step", "metric", eval);
        }
    }

    private void writeReport(String status, String error, Instant started, long step, long total, double epoch, double loss,
            Path lastCheckpoint, double seconds) throws IOException {
        ObjectNode r = JsonNodeFactory.instance.objectNode();
        r.put("name", spec.name());
        r.put("family", spec.model().family());
        r.put("status", status);
        if (error != null) {
            r.put("error", error);
        }
        r.put("steps", step);
        r.put("totalSteps", total);
        r.put("epochs", epoch);
        r.put("finalLoss", Double.isFinite(loss) ? loss : null);
        ObjectNode ev = r.putObject("eval");
        ev.put("split", spec.eval().split());
        lastEval.forEach((k, v) -> ev.put(k, v));
        r.put("seed", spec.seed());
        r.put("resumedFromStep", resumedFrom >= 0 ? resumedFrom : null);
        r.put("lastCheckpoint", lastCheckpoint == null ? null : out.relativize(lastCheckpoint).toString());
        ObjectNode t = r.putObject("timing");
        t.put("startedAt", started.toString());
        t.put("finishedAt", Instant.now().toString());
        t.put("trainingSeconds", seconds);
        t.put("examplesPerSecond", seconds > 0 && resumedFrom < 0 ? step * (double) spec.batchSize() / seconds : null);
        ClDeviceInfo d = device.info();
        ObjectNode dev = r.putObject("device");
        dev.put("name", d.name());
        dev.put("vendor", d.vendor());
        dev.put("type", d.type());
        dev.put("platform", d.platformName());
        dev.put("driver", d.driverVersion());
        dev.put("version", d.deviceVersion());
        dev.put("selector", d.selector());
        ObjectNode p = r.putObject("provenance");
        p.put("genzooVersion", version());
        p.put("specHash", spec.hash());
        p.put("trainingHash", spec.trainingHash());
        p.put("java", System.getProperty("java.version"));
        p.put("os", System.getProperty("os.name") + " " + System.getProperty("os.arch"));
        AtomicFiles.writeString(out.resolve("report.json"), JobSpec.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(r) + "\n");
    }

    /** The GenZoo version from the models jar's Maven properties ("0.1.0-SNAPSHOT"), or "dev" when run from classes. */
    public static String version() {
        try (InputStream in = Trainer.class.getResourceAsStream("/META-INF/maven/org.genzoo/genzoo-models/pom.properties")) {
            if (in != null) {
                Properties p = new Properties();
                p.load(in);
                return p.getProperty("version", "dev");
            }
        } catch (IOException e) {
            // fall through
        }
        String v = Trainer.class.getPackage().getImplementationVersion();
        return v != null ? v : "dev";
    }

    /** train.log: timestamped lines, flushed one by one, also passed to the listener. */
    private static final class TrainLog implements AutoCloseable {
        private final BufferedWriter w;
        private final TrainingListener listener;

        TrainLog(Path file, boolean append, TrainingListener listener) throws IOException {
            this.w = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING);
            this.listener = listener;
        }

        void line(String msg) {
            String l = Instant.now() + " " + msg;
            try {
                w.write(l);
                w.newLine();
                w.flush();
            } catch (IOException e) {
                throw new UncheckedIOException("writing train.log", e);
            }
            listener.onLog(msg);
        }

        @Override
        public void close() throws IOException {
            w.close();
        }
    }
}
