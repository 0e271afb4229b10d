package org.genzoo.service.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.genzoo.host.TestDevices;
import org.genzoo.models.train.Checkpoints;
import org.genzoo.models.train.JobSpec;
import org.genzoo.models.train.ModelFamily;
import org.genzoo.models.vae.VaeFamily;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Cancellation, NaN failures and concurrent submissions through {@link LocalJobService} on the CPU device. */
class JobLifecycleTest {
    /** The bound on how long a cancel may take. */
    static final Duration CANCEL_BOUND = Duration.ofSeconds(2);

    @TempDir
    Path tmp;

    @BeforeAll
    static void needsDevice() {
        TestDevices.all();
    }

    static Map<String, ModelFamily> families() {
        return Map.of("vae", new VaeFamily(), "nanvae", new NanVaeFamily());
    }

    @Test
    void cancelStopsARunningJobWithinTwoSecondsAndFreesItsDeviceMemory() throws Exception {
        JobFixtures.Recorder rec = new JobFixtures.Recorder();
        try (LocalJobService svc = LocalJobService.start(JobFixtures.config(tmp)); AutoCloseable sub = svc.subscribeAll(rec)) {
            // A first short job builds the kernels and the device's shared helpers, so the baseline is the steady state.
            String warm = svc.submit(JobFixtures.vaeSpec("warm", 10, 10, 10, 1, 0), null).job().id();
            rec.await(JobFixtures.state(warm, JobState.SUCCEEDED), Duration.ofSeconds(60), "warm-up SUCCEEDED");
            long baseline = svc.workers().get(0).deviceAllocatedBytes();

            String id = svc.submit(JobFixtures.vaeSpec("long", 1_000_000, 5, 1_000_000, 2, 0), null).job().id();
            rec.await(e -> e.jobId().equals(id) && e.type().equals("progress") && ((Number) e.data().get("step")).longValue() >= 20,
                    Duration.ofSeconds(30), "progress to step 20");
            long during = svc.workers().get(0).deviceAllocatedBytes();
            assertTrue(during > baseline, "the running job holds device memory: " + during + " vs baseline " + baseline);

            long t0 = System.nanoTime();
            Job asked = svc.cancel(id).orElseThrow();
            assertTrue(asked.cancelRequested());
            rec.await(JobFixtures.state(id, JobState.CANCELLED), CANCEL_BOUND, "CANCELLED within " + CANCEL_BOUND);
            double seconds = (System.nanoTime() - t0) / 1e9;
            System.out.printf(Locale.ROOT, "cancel-to-CANCELLED: %.3f s; device memory %d bytes during the job, %d before, %d after%n",
                    seconds, during, baseline, svc.workers().get(0).deviceAllocatedBytes());
            assertEquals(baseline, svc.workers().get(0).deviceAllocatedBytes(), "device memory back to where it was");
            Job j = svc.get(id).orElseThrow();
            assertEquals(JobState.CANCELLED, j.state());
            assertTrue(j.finishedAt() != null);
            // The trainer stops at a log point and checkpoints there, so a later resume loses nothing.
            List<Path> ck = Checkpoints.list(Path.of(j.outputDir()));
            assertEquals(1, ck.size());
            long at = Checkpoints.load(ck.get(0)).info().step();
            assertEquals(0, at % 5, "stopped at a log point: " + at);
            assertTrue(at >= 20 && at < 1_000_000);
            // The store's step after a cancel is the step of the log line and of that checkpoint (issue 16).
            assertEquals(at, j.step(), "the store's step");
            String log = Files.readString(Path.of(j.outputDir()).resolve("train.log"));
            assertTrue(log.contains("cancelled at step " + at + "\n") && !log.contains("interrupted"), log);

            // A queued job is cancelled at once; an unknown id is empty; a finished job stays as it was.
            assertEquals(Optional.empty(), svc.cancel("j-424242"));
            assertEquals(JobState.SUCCEEDED, svc.cancel(warm).orElseThrow().state());
        }
    }

    @Test
    void nanLossFailsWithTheStepAndLeavesTheLastGoodCheckpointUntouched() throws Exception {
        JobFixtures.Recorder rec = new JobFixtures.Recorder();
        RecordingMetrics metrics = new RecordingMetrics();
        LocalJobService.Config cfg = JobFixtures.config(tmp).withFamilies(families()).withMetrics(metrics);
        try (LocalJobService svc = LocalJobService.start(cfg); AutoCloseable sub = svc.subscribeAll(rec)) {
            String bad = svc.submit(nanSpec("nan", 47, 100), null).job().id();
            JobEvent end = rec.await(e -> e.jobId().equals(bad) && e.type().equals("state") && !"RUNNING".equals(e.data().get("state"))
                    && !"QUEUED".equals(e.data().get("state")), Duration.ofSeconds(60), "an end state");
            assertEquals("FAILED", end.data().get("state"), end.toString());
            assertEquals(47L, ((Number) end.data().get("failedStep")).longValue());
            Job j = svc.get(bad).orElseThrow();
            assertEquals(JobState.FAILED, j.state());
            assertTrue(j.error().contains("NaN at step 47"), j.error());

            // Checkpoints every 20 steps: 20 and 40 were written, nothing at or after step 47.
            Path dir = Path.of(j.outputDir());
            assertEquals(List.of(Checkpoints.dirFor(dir, 40), Checkpoints.dirFor(dir, 20)), Checkpoints.list(dir));
            Checkpoints.Loaded last = Checkpoints.load(Checkpoints.dirFor(dir, 40)); // checks both files against their SHA-256
            assertEquals(40, last.info().step());
            JsonNode report = JobSpec.mapper().readTree(dir.resolve("report.json").toFile());
            assertEquals("failed", report.get("status").asText());

            // The same model without the NaN, stopped at step 40: bitwise the same checkpoint files.
            String ref = svc.submit(nanSpec("ref", 1_000_000_000, 40), null).job().id();
            rec.await(JobFixtures.state(ref, JobState.SUCCEEDED), Duration.ofSeconds(60), "reference SUCCEEDED");
            Path refDir = Checkpoints.dirFor(svc.artifactDir(ref), 40);
            for (String f : List.of(Checkpoints.WEIGHTS, Checkpoints.OPTIMIZER)) {
                assertEquals(-1L, Files.mismatch(refDir.resolve(f), Checkpoints.dirFor(dir, 40).resolve(f)), f + " bitwise");
            }
            assertEquals(1, metrics.nonFinite.get());
            assertTrue(metrics.finished.contains("nanvae:FAILED"), metrics.finished.toString());
            assertTrue(metrics.finished.contains("nanvae:SUCCEEDED"), metrics.finished.toString());
            // 40 steps of 32 in each job: the failed job reports up to step 40; its window 41..50 ends in the NaN.
            assertEquals(2L * 40 * 32, metrics.examples.get(), "examples processed");
            assertTrue(metrics.checkpoints.get() >= 3, "checkpoint times reported: " + metrics.checkpoints.get());
        }
    }

    static String nanSpec(String name, long nanAt, long steps) {
        return String.format(Locale.ROOT, """
                {"name": "%s", "model": {"family": "nanvae", "nanAtStep": %d, "latent": 2, "hidden": [16]},
                 "data": {"dataset": "mnist", "limit": 256}, "batchSize": 32, "budget": {"steps": %d}, "seed": 5,
                 "logEvery": 10, "eval": {"limit": 64}, "checkpoint": {"every": 20, "keep": 0}}
                """, name, nanAt, steps);
    }

    /** Counts what the workers report. */
    static final class RecordingMetrics implements JobMetricsListener {
        final java.util.concurrent.atomic.AtomicLong examples = new java.util.concurrent.atomic.AtomicLong();
        final java.util.concurrent.atomic.AtomicInteger nonFinite = new java.util.concurrent.atomic.AtomicInteger();
        final java.util.concurrent.atomic.AtomicInteger checkpoints = new java.util.concurrent.atomic.AtomicInteger();
        final List<String> finished = new java.util.concurrent.CopyOnWriteArrayList<>();

        @Override
        public void jobFinished(String family, String device, JobState outcome, Duration duration) {
            finished.add(family + ":" + outcome);
        }

        @Override
        public void examplesProcessed(String family, String device, long n) {
            examples.addAndGet(n);
        }

        @Override
        public void nonFiniteLoss(String family, String device) {
            nonFinite.incrementAndGet();
        }

        @Override
        public void checkpointWritten(String family, String device, Duration duration) {
            assertFalse(duration.isNegative());
            checkpoints.incrementAndGet();
        }
    }

    @Test
    void fiftyConcurrentSubmissionsTenReusingKeys() throws Exception {
        try (LocalJobService svc = LocalJobService.start(JobFixtures.config(tmp))) {
            List<JobService.Submitted> fs = JobFixtures.submitRace(k -> svc.submit(JobFixtures.vaeSpec("n" + k, 10, 10, 10, k, 0), "key-" + k));
            assertEquals(40, svc.list(Optional.empty()).size());
            IdempotencyConflictException e = assertThrows(IdempotencyConflictException.class,
                    () -> svc.submit(JobFixtures.vaeSpec("n3", 11, 10, 10, 3, 0), "key-3"));
            assertEquals(fs.get(3).job().id(), e.existingJobId());
            assertEquals(40, svc.list(Optional.empty()).size());
            assertEquals(40L, svc.counts().values().stream().mapToLong(Long::longValue).sum());
        }
    }
}
