package org.genzoo.service.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.genzoo.host.Device;
import org.genzoo.models.data.DatasetSplits;
import org.genzoo.models.data.Datasets;
import org.genzoo.models.train.JobSpec;
import org.genzoo.models.train.ModelFamilies;
import org.genzoo.models.train.ModelFamily;
import org.genzoo.models.train.SpecError;
import org.genzoo.models.train.SpecException;
import org.genzoo.models.train.Trainer;
import org.genzoo.models.train.TrainingListener;
import org.genzoo.service.jobs.JobRunner;
import org.genzoo.service.jobs.JobSpecs;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code genzoo train <spec.json>}: runs one job in this process, through the job service's
 * {@link JobRunner} (what a worker runs), without a server or a store. Progress goes to stderr (one
 * rewritten line on a terminal, else a line every 5%); the artifact folder is printed at the end.
 * Ctrl-C or SIGTERM stops at the next log point with a checkpoint: report.json says
 * {@code "status": "interrupted"} with the step reached, the {@code --resume} command that continues
 * bitwise is printed, and the exit code is {@link ExitCodes#INTERRUPTED}.
 */
@Command(name = "train", mixinStandardHelpOptions = true, description = "Train a model from a JSON job spec (see docs/spec.md).")
public final class TrainCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "SPEC", description = "The job spec, a JSON (or YAML) file.")
    Path specFile;

    @Mixin
    DeviceOptions deviceOptions;

    @Option(names = "--resume", description = "Continue from the latest checkpoint in the output folder.")
    boolean resume;

    @Option(names = {"-o", "--output"}, paramLabel = "DIR", description = "Artifact folder (overrides the spec's output).")
    Path output;

    @Spec
    CommandSpec spec;

    /**
     * The help footer: the model families this build can train, read from the registry
     * ({@link ModelFamilies}), so a family added to the class path appears by itself.
     */
    static String[] familiesFooter() {
        java.util.List<String> lines = new java.util.ArrayList<>();
        lines.add("");
        lines.add("Model families (\"model\": {\"family\": ...}), fields in docs/spec.md:");
        for (ModelFamily f : ModelFamilies.all().values()) {
            wrap(lines, String.format(Locale.ROOT, "  %-7s ", f.name()), f.description());
        }
        lines.add("Data sets (\"data\": {\"dataset\": ...}):");
        wrap(lines, "  ", String.join(", ", org.genzoo.models.data.Datasets.NAMES) + "; \"mnist\" is an alias of mnist-10k"
                + " (10,000 digits, not the full MNIST).");
        return lines.toArray(String[]::new);
    }

    /** {@code text} after {@code head}, wrapped to 79 columns with continuation lines indented under it. */
    static void wrap(java.util.List<String> lines, String head, String text) {
        StringBuilder line = new StringBuilder(head);
        String indent = " ".repeat(head.length());
        for (String word : text.split(" ")) {
            if (line.length() > indent.length() && line.length() + 1 + word.length() > 79) {
                lines.add(line.toString());
                line = new StringBuilder(indent);
            }
            if (line.length() > indent.length()) {
                line.append(' ');
            }
            line.append(word);
        }
        lines.add(line.toString());
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter err = spec.commandLine().getErr();
        PrintWriter out = spec.commandLine().getOut();
        JobSpec job;
        if (Files.isDirectory(specFile)) {
            err.println("genzoo: " + specFile + " is a directory; train takes a job spec file (JSON or YAML), such as"
                    + " examples/quickstart.json" + (Files.isRegularFile(specFile.resolve("spec.json"))
                            ? ", or this run's own " + specFile.resolve("spec.json") + " with --resume to continue it" : ""));
            err.flush();
            return ExitCodes.BAD_INPUT;
        }
        try {
            job = JobSpecs.parse(Files.readString(specFile));
        } catch (NoSuchFileException e) {
            err.println("genzoo: no such spec file: " + specFile);
            return ExitCodes.BAD_INPUT;
        } catch (java.nio.charset.MalformedInputException e) {
            err.println("genzoo: " + specFile + " is not UTF-8 text; train takes a job spec file (JSON or YAML)");
            return ExitCodes.BAD_INPUT;
        } catch (SpecException e) {
            err.println("genzoo: " + specFile + ": invalid job spec, " + e.errors().size()
                    + (e.errors().size() == 1 ? " error:" : " errors:"));
            for (SpecError se : e.errors()) {
                err.println("  " + se.message());
            }
            err.flush();
            return ExitCodes.BAD_INPUT;
        }
        if (output != null) {
            job = job.withOutput(output.toString());
        }
        String selector = deviceOptions.device != null ? deviceOptions.device
                : "auto".equalsIgnoreCase(job.device()) ? null : job.device();

        // The data first: a data set that cannot be read is bad input, found before a device is opened or a run folder made.
        // A family that draws its own samples (reverse KL) has no data set: the trainer loads nothing for it.
        DatasetSplits splits = null;
        if (job.data() != null) {
            try {
                splits = Trainer.DATASETS.load(job.data());
            } catch (IOException | RuntimeException e) {
                err.println("genzoo: " + specFile + ": cannot read data set '" + job.data().dataset() + "' (/data/dataset): "
                        + e.getMessage());
                err.flush();
                return ExitCodes.BAD_INPUT;
            }
            String alias = Datasets.aliasNote(job.data().dataset());
            if (alias != null) {
                err.println("genzoo: note: " + alias);
            }
            err.println("genzoo: data " + splits.sizes() + (job.data().limit() != null && job.data().limit() < splits.train().size()
                    ? String.format(Locale.ROOT, "; training on the first %,d (data.limit)", job.data().limit()) : ""));
            err.flush();
        }
        DatasetSplits loaded = splits;
        Bar bar = new Bar(err, System.console() != null);
        CountDownLatch done = new CountDownLatch(1);
        Thread main = Thread.currentThread();
        Trainer.Options options = Trainer.Options.defaults().withListener(bar).withInterrupted(() -> bar.cancelRequested)
                .withData(loaded == null ? Trainer.DATASETS : d -> loaded);
        // Ctrl-C and SIGTERM stop at the next log point without starting the JVM's shutdown (see StopSignals);
        // the hook covers the other ways a JVM is asked to stop (SIGHUP, System.exit elsewhere).
        StopSignals signals = StopSignals.install(sig -> {
            bar.cancelRequested = true;
            err.println();
            err.println("genzoo: " + sig + ": stopping at the next log point with a checkpoint (again to quit at once)");
            err.flush();
        });
        Thread hook = new Thread(() -> {
            bar.cancelRequested = true;
            try {
                done.await(120, TimeUnit.SECONDS); // let the trainer write its checkpoint
            } catch (InterruptedException e) {
                main.interrupt();
            }
        }, "genzoo-train-cancel");
        Runtime.getRuntime().addShutdownHook(hook);
        try (signals; Device device = Device.open(deviceOptions.binding, selector)) {
            err.println("genzoo: training " + job.name() + " (" + job.model().family() + ") on " + device.info().name()
                    + " -> " + job.output());
            err.flush();
            // The same job-running code as a service worker; without a store, the outcome is printed instead.
            JobRunner.Outcome outcome = JobRunner.run(device, job, resume, options);
            bar.finish();
            if (outcome.failure() != null) {
                throw outcome.failure();
            }
            Trainer.Result r = outcome.result();
            err.println(String.format(Locale.ROOT, "genzoo: %s at step %d of %d, loss %.5g, %.1f s",
                    r.status().name().toLowerCase(Locale.ROOT), r.steps(), r.totalSteps(), r.finalLoss(), r.seconds()));
            if (!r.eval().isEmpty()) {
                StringBuilder sb = new StringBuilder("genzoo: " + job.eval().split() + ":");
                new TreeMap<>(r.eval()).forEach((k, v) -> sb.append(String.format(Locale.ROOT, " %s %.5g", k, v)));
                err.println(sb);
            }
            if (r.status() != Trainer.Status.SUCCEEDED) {
                err.println("genzoo: " + (r.lastCheckpoint() != null ? "checkpoint " + r.lastCheckpoint() + "; " : "")
                        + "continue with: genzoo train " + shellWord(specFile.toString()) + " --resume"
                        + (output != null ? " --output " + shellWord(output.toString()) : ""));
            }
            err.flush();
            Path dir = r.output().toAbsolutePath();
            out.println("artifacts: " + dir);
            for (String f : new String[] {"metrics.csv", "loss.png", "eval.png", "report.json", "train.log", "samples"}) {
                if (Files.exists(dir.resolve(f))) {
                    out.println("  " + dir.resolve(f));
                }
            }
            if (r.lastCheckpoint() != null) {
                out.println("  " + r.lastCheckpoint().toAbsolutePath());
            }
            out.flush();
            return switch (r.status()) {
                case SUCCEEDED -> ExitCodes.OK;
                case INTERRUPTED -> ExitCodes.INTERRUPTED;
                case CANCELLED -> ExitCodes.CANCELLED;
            };
        } finally {
            bar.finish();
            done.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // already shutting down: the hook is running and waits on `done`
            }
        }
    }

    /** {@code s} as one shell word (quoted when it holds anything but safe characters). */
    static String shellWord(String s) {
        return s.matches("[A-Za-z0-9_./:=@%+-]+") ? s : "'" + s.replace("'", "'\\''") + "'";
    }

    /** The progress line on stderr. */
    static final class Bar implements TrainingListener {
        private final PrintWriter err;
        private final boolean terminal;
        private int lastBucket = -1;
        private boolean open;
        volatile boolean cancelRequested;

        Bar(PrintWriter err, boolean terminal) {
            this.err = err;
            this.terminal = terminal;
        }

        @Override
        public void onProgress(Progress p) {
            String line = format(p);
            if (terminal) {
                err.print("\r" + line + "\033[K");
                open = true;
                err.flush();
            } else {
                int bucket = (int) (20 * p.step() / Math.max(1, p.totalSteps()));
                if (bucket != lastBucket) {
                    lastBucket = bucket;
                    err.println(line);
                    err.flush();
                }
            }
        }

        @Override
        public void onEval(long step, Map<String, Double> metrics) {
            StringBuilder sb = new StringBuilder("eval at step " + step + ":");
            new TreeMap<>(metrics).forEach((k, v) -> sb.append(String.format(Locale.ROOT, " %s %.5g", k, v)));
            if (open) {
                err.print("\r\033[K");
                open = false;
            }
            err.println(sb);
            err.flush();
        }

        void finish() {
            if (open) {
                err.println();
                err.flush();
                open = false;
            }
        }

        static String format(Progress p) {
            double frac = p.totalSteps() == 0 ? 1 : p.step() / (double) p.totalSteps();
            int w = 24;
            int fill = (int) Math.round(frac * w);
            String bar = "=".repeat(fill) + (fill < w ? ">" + " ".repeat(w - fill - 1) : "");
            return String.format(Locale.ROOT, "step %d/%d [%s] %3.0f%% loss %.5g  %,.0f ex/s  ETA %s", p.step(), p.totalSteps(),
                    bar, 100 * frac, p.loss(), p.examplesPerSecond(), eta(p.etaSeconds()));
        }

        static String eta(double s) {
            if (!Double.isFinite(s)) {
                return "?";
            }
            long t = Math.round(s);
            return t >= 3600 ? String.format(Locale.ROOT, "%dh%02dm", t / 3600, t / 60 % 60)
                    : t >= 60 ? String.format(Locale.ROOT, "%dm%02ds", t / 60, t % 60) : t + "s";
        }
    }
}
