package org.genzoo.service.jobs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.genzoo.models.train.AtomicFiles;
import org.genzoo.host.Device;
import org.genzoo.models.train.Checkpoints;
import org.genzoo.models.train.JobSpec;
import org.genzoo.models.train.NonFiniteLossException;
import org.genzoo.models.train.Trainer;

/**
 * Runs one job on one device and says how it ended: the code that both a service worker
 * ({@link WorkerPool}) and {@code genzoo train} run. It decides whether to resume (a worker resumes
 * whenever the job's folder holds a checkpoint), runs the {@link Trainer}, and turns its result or
 * failure into a terminal {@link JobState}. It does not touch any store: the caller records the
 * outcome.
 */
public final class JobRunner {
    private JobRunner() {
    }

    /**
     * How a run ended.
     *
     * @param state      SUCCEEDED, CANCELLED (also when interrupted, see {@link #interrupted()}) or FAILED
     * @param result     the trainer's result (null when FAILED)
     * @param failure    what failed (null unless FAILED)
     * @param failedStep the 1-based step whose loss was NaN or infinite, else -1
     * @param resumed    the run continued from a checkpoint
     */
    public record Outcome(JobState state, Trainer.Result result, Exception failure, long failedStep, boolean resumed) {
        /** The failure's message, for the store and the job's events (null unless FAILED). */
        public String error() {
            if (failure == null) {
                return null;
            }
            String m = failure.getMessage();
            return m == null || m.isBlank() ? failure.getClass().getSimpleName() : m;
        }

        public boolean nonFinite() {
            return failedStep > 0;
        }

        /** The run stopped because its process is stopping (state CANCELLED, a checkpoint written): resume it, do not record a cancel. */
        public boolean interrupted() {
            return result != null && result.status() == Trainer.Status.INTERRUPTED;
        }
    }

    /**
     * True for the temp files the trainer writes before renaming them into place: {@code name.tmp-<random>}
     * ({@link AtomicFiles}) and {@code name<random>.tmp} (sample grids). A crash can leave them behind;
     * they are never artifacts.
     */
    public static boolean isTempFile(String fileName) {
        return fileName.contains(AtomicFiles.TEMP_MARK) || TEMP_GRID.matcher(fileName).matches();
    }

    private static final java.util.regex.Pattern TEMP_GRID = java.util.regex.Pattern.compile(".+\\.png-?\\d+\\.tmp");

    /**
     * Deletes the temp files a stopped or crashed run left in {@code output} (and its subfolders); called
     * before a run starts there, when no other run writes the folder. Returns how many were deleted.
     */
    public static int removeOrphanedTemps(Path output) throws IOException {
        if (!Files.isDirectory(output)) {
            return 0;
        }
        List<Path> temps;
        try (Stream<Path> s = Files.walk(output)) {
            temps = s.filter(p -> isTempFile(p.getFileName().toString()) && Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS))
                    .toList();
        }
        for (Path t : temps) {
            Files.deleteIfExists(t);
        }
        return temps.size();
    }

    /** True when {@code output} holds at least one committed checkpoint. */
    public static boolean hasCheckpoint(Path output) throws IOException {
        return !Checkpoints.list(output).isEmpty();
    }

    /**
     * The step a run in {@code output} starts from: that of the newest committed checkpoint (the one a
     * resume loads unless it turns out unreadable), else 0.
     */
    public static long resumeStep(Path output) {
        try {
            List<Path> all = Checkpoints.list(output);
            if (all.isEmpty()) {
                return 0;
            }
            String name = all.get(0).getFileName().toString();
            return Long.parseLong(name.substring(name.indexOf('-') + 1));
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    /**
     * Runs {@code spec} (whose output is the job's folder) on {@code device}.
     *
     * @param resume  true or false as asked, or null to resume exactly when the folder holds a checkpoint
     * @param options cancellation, listener, data and families; its own resume flag is replaced
     */
    public static Outcome run(Device device, JobSpec spec, Boolean resume, Trainer.Options options) {
        boolean doResume;
        try {
            removeOrphanedTemps(Path.of(spec.output()));
            doResume = resume != null ? resume : hasCheckpoint(Path.of(spec.output()));
        } catch (IOException e) {
            return new Outcome(JobState.FAILED, null, e, -1, false);
        }
        try {
            Trainer.Result r = new Trainer(device, spec, options.withResume(doResume)).run();
            JobState state = r.status() == Trainer.Status.SUCCEEDED ? JobState.SUCCEEDED : JobState.CANCELLED;
            return new Outcome(state, r, null, -1, doResume);
        } catch (NonFiniteLossException e) {
            return new Outcome(JobState.FAILED, null, e, e.step(), doResume);
        } catch (IOException | RuntimeException e) {
            return new Outcome(JobState.FAILED, null, e, -1, doResume);
        }
    }
}
