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
 * Runs one job: builds the family's model, feeds it minibatches of a {@link DeviceDataset} (none for
 * a data-free family), runs the model's {@link Phase}s every step with one optimizer per
 * {@link ParamGroup} built from the spec, evaluates, checkpoints (with the model's declared
 * {@link ModelState}), and leaves its artifacts in the output folder (docs/training-seam.md):
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
     * @param resume    continue from the latest checkpoint in the output folder; a folder without one is refused
     *                  (IllegalArgumentException naming it), so a mistyped folder never starts a run from scratch
     * @param cancelled polled at every log point; true stops the run with a checkpoint and status CANCELLED
     * @param interrupted polled at the same points, first: true (the process is stopping: Ctrl-C, SIGTERM, a
     *                    service shutting down) stops the run with a checkpoint and status INTERRUPTED, to be resumed
     * @param evaluate  false: no evaluation and no pictures, neither at eval.every nor at the end (metrics.csv and
     *                  the result carry no eval metrics); for a device far too slow for the family's evaluation (its
     *                  thousands of draws and density grids), such as the Oclgrind simulator checking a training step
     */
    public record Options(boolean resume, BooleanSupplier cancelled, TrainingListener listener, DataLoader data,
            Map<String, ModelFamily> families, BooleanSupplier interrupted, boolean evaluate) {
        public Options(boolean resume, BooleanSupplier cancelled, TrainingListener listener, DataLoader data,
                Map<String, ModelFamily> families) {
            this(resume, cancelled, listener, data, families, () -> false);
        }

        public Options(boolean resume, BooleanSupplier cancelled, TrainingListener listener, DataLoader data,
                Map<String, ModelFamily> families, BooleanSupplier interrupted) {
            this(resume, cancelled, listener, data, families, interrupted, true);
        }

        public static Options defaults() {
            return new Options(false, () -> false, TrainingListener.NONE, DATASETS, null);
        }

        public Options withInterrupted(BooleanSupplier i) {
            return new Options(resume, cancelled, listener, data, families, i, evaluate);
        }

        public Options withResume(boolean r) {
            return new Options(r, cancelled, listener, data, families, interrupted, evaluate);
        }

        public Options withCancelled(BooleanSupplier c) {
            return new Options(resume, c, listener, data, families, interrupted, evaluate);
        }

        public Options withListener(TrainingListener l) {
            return new Options(resume, cancelled, l, data, families, interrupted, evaluate);
        }

        public Options withData(DataLoader d) {
            return new Options(resume, cancelled, listener, d, families, interrupted, evaluate);
        }

        public Options withFamilies(Map<String, ModelFamily> f) {
            return new Options(resume, cancelled, listener, data, f, interrupted, evaluate);
        }

        public Options withEvaluate(boolean e) {
            return new Options(resume, cancelled, listener, data, families, interrupted, e);
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
    private ObjectNode dataReport;

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
        if (options.resume() && Checkpoints.list(out).isEmpty()) {
            throw new IllegalArgumentException("nothing to resume in " + out + ": " + (Files.isDirectory(out)
                    ? "the folder holds no checkpoint" : "there is no such folder")
                    + "; check the folder (--output DIR or the spec's output), or drop --resume to start a new run");
        }
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

        DataKind kind = family.dataKind(spec.model().config());
        Dataset train = null;
        Dataset evalSplit = null;
        int dim;
        if (kind == DataKind.NONE) {
            dim = family.dataFreeDim(spec.model().config());
            log.line("model family " + family.name() + " trains without data: " + spec.batchSize() + " draws per step"
                    + (spec.data() != null ? "; the spec's data set " + spec.data().dataset() + " is not loaded" : ""));
        } else {
            DatasetSplits splits = options.data().load(spec.data());
            train = splits.train();
            if (spec.data().limit() != null) {
                train = train.subset(spec.data().limit());
            }
            evalSplit = splits.get(Split.parse(spec.eval().split()));
            if (spec.eval().limit() != null) {
                evalSplit = evalSplit.subset(spec.eval().limit());
            }
            String alias = Datasets.aliasNote(spec.data().dataset());
            if (alias != null) {
                log.line(alias);
            }
            for (String line : splits.describe().split("\n")) {
                log.line(line);
            }
            dataReport = dataReport(splits, train, evalSplit, alias);
            log.line("training on " + train.size() + " examples of " + train.dim() + " values; evaluating on " + evalSplit.size()
                    + " " + spec.eval().split() + " examples");
            if (spec.batchSize() > train.size()) {
                throw new IllegalArgumentException("/batchSize: " + spec.batchSize() + " is larger than the " + train.size()
                        + " training examples");
            }
            checkDataKind(family, kind, train);
            dim = train.dim();
        }
        long need = family.estimateDeviceBytes(spec.model().config(), dim, spec.batchSize())
                + (train == null ? 0 : dataDeviceBytes(train.size(), train.dim()));
        if (need > di.globalMemBytes()) {
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                    "the job needs about %.1f MiB of device memory; %s has %.1f MiB", need / 1048576.0, di.name(),
                    di.globalMemBytes() / 1048576.0));
        }

        try (DeviceDataset data = train == null ? null
                : new DeviceDataset(device, train, spec.batchSize(), spec.seed(), spec.data().binarize());
                TrainableModel model = family.create(device, spec.model().config(), dim, spec.seed());
                Optimizers opts = new Optimizers(model, family);
                Tensor window = Tensor.zeros(device, 1, spec.logEvery())) {
            int batchesPerEpoch = data == null ? 1 : data.batchesPerEpoch();
            long total = spec.budget().totalSteps(batchesPerEpoch);
            ModelState state = model.state();
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
                List<String> saved = info.groups().stream().map(Checkpoints.GroupInfo::name).toList();
                List<String> mine = opts.groups.stream().map(ParamGroup::name).toList();
                if (!saved.equals(mine)) {
                    throw new IllegalArgumentException("checkpoint " + c.dir() + " holds optimizers of parameter groups " + saved
                            + ", the model has " + mine + "; start a new output folder instead");
                }
                Checkpoints.restore(c, model.params(), opts.list, ModelState.none());
                model.restoreRngCounters(info.rngCounters());
                Checkpoints.restoreState(c, state);
                if (data != null) {
                    data.restore(DeviceDataset.State.fromMap(info.data()));
                }
                step = info.step();
                resumedFrom = step;
                priorSeconds = info.extra().getOrDefault("elapsedSeconds", 0.0);
                metrics = MetricsCsv.resume(out.resolve("metrics.csv"), step);
                log.line("resumed from " + out.relativize(c.dir()) + " at step " + step + " of " + total);
            } else {
                if (options.resume()) {
                    log.line("no usable checkpoint to resume from (skipped above); starting at step 0");
                }
                metrics = MetricsCsv.create(out.resolve("metrics.csv"));
                log.line("starting: " + total + " steps of batch " + spec.batchSize() + " (" + (data == null ? "no data"
                        : data.batchesPerEpoch() + " per epoch") + "), " + opts.describe() + ", " + model.params().size()
                        + " parameter tensors");
            }

            if (!options.evaluate()) {
                log.line("evaluation off for this run (Trainer.Options.evaluate): no eval metrics, no pictures");
            }
            Loop loop = new Loop(model, opts, data, window, evalSplit, total, step, priorSeconds, state);
            if (ckpt.isPresent()) {
                loop.resumedFrom(ckpt.get());
            }
            Status status = loop.run();
            double seconds = priorSeconds + (System.nanoTime() - loop.startNanos) / 1e9;
            writePlots();
            writeReport(status.name().toLowerCase(Locale.ROOT), null, started, loop.step, total,
                    loop.epochAt(loop.step), loop.lastLoss, loop.lastCheckpoint, seconds);
            log.line(status.name().toLowerCase(Locale.ROOT) + " at step " + loop.step + " of " + total + String.format(Locale.ROOT,
                    ", loss %.5g, %.1f s", loop.lastLoss, seconds));
            return new Result(status, loop.step, total, loop.epochAt(loop.step), loop.lastLoss,
                    Map.copyOf(lastEval), out, loop.lastCheckpoint, seconds);
        }
    }

    /** report.json's "data": the data set as named and as loaded, its split sizes, and what the run used. */
    private ObjectNode dataReport(DatasetSplits splits, Dataset train, Dataset evalSplit, String alias) {
        ObjectNode d = JsonNodeFactory.instance.objectNode();
        d.put("dataset", spec.data().dataset());
        d.put("name", splits.name());
        d.put("source", splits.source());
        ObjectNode sizes = d.putObject("splits");
        for (Split s : Split.values()) {
            sizes.put(s.label(), splits.get(s).size());
        }
        d.put("trainExamples", train.size());
        d.put("evalExamples", evalSplit.size());
        if (alias != null) {
            d.put("note", alias);
        }
        return d;
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
        if (o.clipWeights() > 0) {
            opt.clipWeights((float) o.clipWeights());
        }
        return opt;
    }

    /**
     * Refuses grey-level data outside [0, 1] for a family that needs [0, 1] (an idx folder of other
     * values, say); real-valued toy sets are refused already by the spec.
     */
    private void checkDataKind(ModelFamily family, DataKind kind, Dataset train) {
        if (kind.acceptsRealValues()) {
            return;
        }
        float[] x = train.x();
        for (int i = 0; i < x.length; i++) {
            if (!(x[i] >= 0f && x[i] <= 1f)) {
                throw new IllegalArgumentException("/data/dataset: model family " + family.name() + " needs " + kind.describe()
                        + ", but " + spec.data().dataset() + " holds " + x[i] + " (example " + i / train.dim() + ")");
            }
        }
    }

    /** One optimizer per parameter group, in the model's group order, checked against the spec and the phases. */
    private final class Optimizers implements AutoCloseable {
        final List<ParamGroup> groups;
        final List<Optimizer> list = new ArrayList<>();
        final Map<String, Optimizer> byName = new LinkedHashMap<>();

        Optimizers(TrainableModel model, ModelFamily family) {
            this.groups = model.groups();
            List<String> names = groups.stream().map(ParamGroup::name).toList();
            List<String> declared = family.paramGroups(spec.model().config());
            if (!new java.util.HashSet<>(names).equals(new java.util.HashSet<>(declared)) || names.size() != declared.size()) {
                throw new IllegalStateException("family " + family.name() + " declares parameter groups " + declared
                        + " but its model has " + names);
            }
            java.util.Set<Param> seen = new java.util.HashSet<>();
            for (ParamGroup g : groups) {
                for (Param p : g.params()) {
                    if (!seen.add(p)) {
                        throw new IllegalStateException("parameter " + p.name() + " is in more than one group");
                    }
                }
            }
            if (!seen.equals(new java.util.HashSet<>(model.params()))) {
                throw new IllegalStateException("the parameter groups " + names + " do not hold exactly the model's parameters");
            }
            try {
                for (ParamGroup g : groups) {
                    Optimizer o = optimizer(device, spec.optimizer(g.name()), g.params());
                    list.add(o);
                    byName.put(g.name(), o);
                }
            } catch (RuntimeException e) {
                close();
                throw e;
            }
        }

        Optimizer get(String group) {
            Optimizer o = byName.get(group);
            if (o == null) {
                throw new IllegalStateException("a phase names parameter group '" + group + "'; the model's groups are " + byName.keySet());
            }
            return o;
        }

        /** Steps a group's optimizer at the 1-based step {@code s}, with its schedule's rate. */
        void step(String group, long s) {
            Optimizer o = get(group);
            JobSpec.ScheduleSpec sched = spec.optimizer(group).schedule();
            if (sched != null) {
                o.setLrScale((float) sched.factor(s));
            }
            o.step();
        }

        List<Checkpoints.GroupInfo> info() {
            List<Checkpoints.GroupInfo> out = new ArrayList<>();
            for (int i = 0; i < groups.size(); i++) {
                String g = groups.get(i).name();
                out.add(new Checkpoints.GroupInfo(g, spec.optimizer(g).type(), list.get(i).steps()));
            }
            return out;
        }

        String describe() {
            StringBuilder sb = new StringBuilder();
            for (ParamGroup g : groups) {
                JobSpec.OptimizerSpec o = spec.optimizer(g.name());
                if (sb.length() > 0) {
                    sb.append("; ");
                }
                if (groups.size() > 1) {
                    sb.append(g.name()).append(": ");
                }
                sb.append(o.type()).append(" lr ").append(o.lr());
                if (o.schedule() != null) {
                    sb.append(" (").append(o.schedule().type()).append(" schedule)");
                }
            }
            return sb.toString();
        }

        @Override
        public void close() {
            for (Optimizer o : list) {
                o.close();
            }
        }
    }

    /** The step loop and its bookkeeping. */
    private final class Loop {
        final TrainableModel model;
        final Optimizers opts;
        final ModelState state;
        final List<Phase> phases;
        /** Per phase: parameters outside its groups, whose stray gradients its backward must not leave behind. */
        final List<List<Param>> foreign = new ArrayList<>();
        /**
         * Per phase (with more than one phase): its value at each step of the log window, 1 x logEvery on the
         * device, and on the host which slots it wrote (a phase may skip a step or return null).
         */
        final List<Tensor> phaseWindows = new ArrayList<>();
        final List<boolean[]> phaseWrote = new ArrayList<>();
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

        Loop(TrainableModel model, Optimizers opts, DeviceDataset data, Tensor window, Dataset evalSplit, long total, long step,
                double priorSeconds, ModelState state) {
            this.model = model;
            this.opts = opts;
            this.state = state;
            this.phases = List.copyOf(model.phases());
            if (phases.isEmpty()) {
                throw new IllegalStateException(model.family() + " declares no training phases");
            }
            java.util.Set<String> used = new java.util.HashSet<>();
            for (Phase ph : phases) {
                java.util.Set<Param> mine = new java.util.HashSet<>();
                for (String g : ph.groups()) {
                    mine.addAll(opts.get(g).params());
                    used.add(g);
                }
                List<Param> others = new ArrayList<>();
                for (Param p : model.params()) {
                    if (!mine.contains(p)) {
                        others.add(p);
                    }
                }
                foreign.add(others);
                if (phases.size() > 1) {
                    phaseWindows.add(Tensor.zeros(device, 1, spec.logEvery()));
                    phaseWrote.add(new boolean[spec.logEvery()]);
                }
            }
            for (ParamGroup g : opts.groups) {
                if (!used.contains(g.name())) {
                    throw new IllegalStateException("parameter group " + g.name() + " of " + model.family() + " is updated by no phase");
                }
            }
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

        /** Epochs of data consumed after {@code s} steps (0 for a data-free model). */
        double epochAt(long s) {
            return data == null ? 0 : s / (double) data.batchesPerEpoch();
        }

        /** The step's view for its phases: the batch is drawn before the first phase, as a one-loss step always did. */
        final class Context implements StepContext {
            final long step;
            Tensor batch;
            int repeat;

            Context(long step) {
                this.step = step;
                this.batch = data == null ? null : data.nextBatch();
            }

            @Override
            public long step() {
                return step;
            }

            @Override
            public int repeat() {
                return repeat;
            }

            @Override
            public int batchSize() {
                return spec.batchSize();
            }

            @Override
            public Tensor batch() {
                return batch;
            }

            @Override
            public Tensor nextBatch() {
                if (data != null) {
                    batch = data.nextBatch();
                }
                return batch;
            }
        }

        /**
         * Runs every phase of the step with 0-based index {@code step}: each run records (or, without
         * backward, writes) its groups' gradients, then steps their optimizers. The step's value goes
         * into the window slot; at a log point the model's terms are read inside the step's last run.
         */
        void runPhases(long step, boolean read) {
            long s = step + 1;
            int slot = (int) (step - windowStart);
            Context ctx = new Context(step);
            int[] repeats = new int[phases.size()];
            int last = -1;
            for (int i = 0; i < phases.size(); i++) {
                repeats[i] = phases.get(i).repeats(step);
                if (repeats[i] > 0) {
                    last = i;
                }
            }
            boolean valued = false;
            for (int i = 0; i < phases.size(); i++) {
                Phase ph = phases.get(i);
                for (int r = 0; r < repeats[i]; r++) {
                    ctx.repeat = r;
                    boolean finalRun = i == last && r == repeats[i] - 1;
                    try (Tape tape = ph.hasBackward() ? Tape.record(device) : Tape.noGrad(device)) {
                        Tensor value;
                        if (ph.hasBackward()) {
                            Var loss = ph.backward().loss(tape, ctx);
                            tape.backward(loss);
                            value = loss.value();
                        } else {
                            value = ph.statistics().run(tape, ctx);
                        }
                        if (value != null) {
                            window.cols(slot, slot + 1).copyFrom(value);
                            if (!phaseWindows.isEmpty()) {
                                phaseWindows.get(i).cols(slot, slot + 1).copyFrom(value);
                                phaseWrote.get(i)[slot] = true;
                            }
                            valued = true;
                        }
                        if (read && finalRun) {
                            lastTerms = new LinkedHashMap<>();
                            for (Map.Entry<String, Tensor> e : new TreeMap<>(model.lastTerms()).entrySet()) {
                                lastTerms.put(e.getKey(), e.getValue().get(0, 0));
                            }
                        }
                    }
                    if (ph.hasBackward()) {
                        for (Param p : foreign.get(i)) {
                            p.zeroGrad();
                        }
                    }
                    for (String g : ph.groups()) {
                        opts.step(g, s);
                    }
                }
            }
            if (!valued) {
                throw new IllegalStateException("no phase of step " + s + " of " + model.family() + " returned a value to log; a"
                        + " phase without a loss must return a monitor value (a 1 x 1 tensor)");
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
            try {
                return steps();
            } finally {
                for (Tensor t : phaseWindows) {
                    t.close();
                }
            }
        }

        private Status steps() throws IOException {
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
                runPhases(step, read);
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
                row.put("epoch", String.format(Locale.ROOT, "%.4f", epochAt(step)));
                row.put("loss", (float) lastLoss);
                // A model's own "loss" term is its last batch's; the column keeps the window mean its label promises.
                lastTerms.forEach(row::putIfAbsent);
                // Each phase's loss, like "loss", is its mean over the window (the steps in which it returned a value).
                for (int j = 0; j < phaseWindows.size(); j++) {
                    float[] v = phaseWindows.get(j).toArray();
                    boolean[] wrote = phaseWrote.get(j);
                    double phaseSum = 0;
                    int m = 0;
                    for (int i = 0; i < n; i++) {
                        if (wrote[i]) {
                            phaseSum += v[i];
                            m++;
                        }
                        wrote[i] = false;
                    }
                    if (m > 0) {
                        row.put("loss_" + phases.get(j).name(), (float) (phaseSum / m));
                    }
                }
                row.put("examples_per_s", String.format(Locale.ROOT, "%.1f", exPerSec));
                boolean evalNow = options.evaluate() && (due(step, spec.eval().every()) || step == total);
                if (evalNow) {
                    evaluate(row);
                }
                metrics.append(row);
                options.listener().onProgress(new TrainingListener.Progress(step, total, epochAt(step),
                        lastLoss, exPerSec, eta));
                if (due(step, spec.checkpoint().every()) || step == total) {
                    checkpoint();
                }
                if (evalNow) {
                    writePlots();
                }
                mark = System.nanoTime();
            }
            if (options.evaluate() && lastEvalStep != step) {
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
            Checkpoints.Info info = new Checkpoints.Info(step, data == null ? 0 : data.epoch(), model.rngCounters(),
                    data == null ? Map.of() : data.state().toMap(), spec.hash(), spec.trainingHash(), family(), spec.optimizer().type(),
                    opts.list.get(0).steps(), extra, opts.info(), state.rngCounters());
            Path dir;
            try {
                dir = Checkpoints.save(out, info, model.params(), opts.list, state);
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
        List<String> columns = metrics.columns();
        for (String c : columns) {
            if (c.equals("step") || c.equals("epoch") || c.equals("examples_per_s")
                    || c.endsWith("_stderr") && columns.contains(c.substring(0, c.length() - 7))) {
                continue;
            }
            double[][] s = metrics.series(c);
            if (s[0].length == 0) {
                continue;
            }
            if (c.startsWith("eval_")) {
                // A metric with a standard error gets it as error bars in its own panel.
                double[] err = columns.contains(c + "_stderr") ? stderrAt(s[0], metrics.series(c + "_stderr")) : null;
                eval.add(new LinePlot.Series(c.substring(5), s[0], s[1], err));
            } else {
                (c.equals("loss") || c.startsWith("loss_") ? train : terms).add(new LinePlot.Series(c, s[0], s[1]));
            }
        }
        if (!train.isEmpty()) {
            LinePlot.write(out.resolve("loss.png"), spec.name() + ": training loss (" + spec.model().family() + ")", "step",
                    "loss (mean over " + spec.logEvery() + " steps)", train);
        }
        if (!terms.isEmpty()) {
            LinePlot.writePanels(out.resolve("terms.png"), spec.name() + ": loss terms at log points (last batch)", "step", terms);
        }
        if (!eval.isEmpty()) {
            LinePlot.writePanels(out.resolve("eval.png"), spec.name() + ": evaluation on " + spec.eval().split(), "step", eval);
        }
    }

    /** The standard errors at the steps {@code x} (NaN where none was written). */
    private static double[] stderrAt(double[] x, double[][] se) {
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = Double.NaN;
            for (int j = 0; j < se[0].length; j++) {
                if (se[0][j] == x[i]) {
                    out[i] = se[1][j];
                }
            }
        }
        return out;
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
        if (dataReport != null) {
            r.set("data", dataReport);
        }
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
