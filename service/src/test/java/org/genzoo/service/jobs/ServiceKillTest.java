package org.genzoo.service.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.genzoo.host.Device;
import org.genzoo.host.TestDevices;
import org.genzoo.models.train.Checkpoints;
import org.genzoo.models.train.JobSpec;
import org.genzoo.models.train.Trainer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A serving process killed with SIGKILL in the middle of a job, then started again: the job is
 * requeued, resumes from its last checkpoint, and ends with bitwise the same weights, optimizer
 * state and loss curve as a run that was never interrupted.
 */
class ServiceKillTest {
    static final long STEPS = 300;
    static final long CHECKPOINT_EVERY = 100;
    /** Kill once progress passes this step: after the step-100 checkpoint, well before the end. */
    static final long KILL_AFTER_STEP = 130;
    static final long CHILD_TIMEOUT_S = 120;

    @TempDir
    Path tmp;

    @BeforeAll
    static void needsDevice() {
        TestDevices.all();
    }

    /** A child JVM running {@link ServeMain}, with its stdout lines in a queue. */
    static final class Child implements AutoCloseable {
        final Process process;
        final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        final List<String> seen = new ArrayList<>();
        final Path stderr;

        Child(Path data, Path spec, String key, Path stderr) throws IOException {
            this.stderr = stderr;
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            ProcessBuilder pb = new ProcessBuilder(java, "-Xmx512m", "-cp", System.getProperty("java.class.path"),
                    ServeMain.class.getName(), data.toString(), spec.toString(), key);
            pb.redirectError(stderr.toFile());
            process = pb.start();
            Thread t = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                    String l;
                    while ((l = r.readLine()) != null) {
                        lines.add(l);
                    }
                } catch (IOException e) {
                    lines.add("READ-ERROR " + e);
                }
                lines.add("EOF");
            }, "child-stdout");
            t.setDaemon(true);
            t.start();
        }

        /** The first line {@code p} accepts, with the local time it was read. */
        String await(Predicate<String> p, String what) throws Exception {
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(CHILD_TIMEOUT_S);
            while (true) {
                String l = lines.poll(Math.max(1, end - System.nanoTime()), TimeUnit.NANOSECONDS);
                if (l == null || l.equals("EOF")) {
                    fail("child: no " + what + (l == null ? " within " + CHILD_TIMEOUT_S + " s" : " before it exited") + "; stdout: "
                            + seen + "; stderr: " + tail());
                }
                seen.add(l);
                if (p.test(l)) {
                    return l;
                }
            }
        }

        String tail() throws IOException {
            String s = Files.exists(stderr) ? Files.readString(stderr) : "";
            return s.length() > 4000 ? s.substring(s.length() - 4000) : s;
        }

        @Override
        public void close() throws InterruptedException {
            if (process.isAlive()) {
                process.destroyForcibly();
                process.waitFor(30, TimeUnit.SECONDS);
            }
        }
    }

    static long progressStep(String line) {
        // EVENT <millis> progress {"step":130,...}
        int i = line.indexOf("\"step\":");
        int j = i + 7;
        while (j < line.length() && Character.isDigit(line.charAt(j))) {
            j++;
        }
        return Long.parseLong(line.substring(i + 7, j));
    }

    @Test
    void sigkilledServiceResumesTheJobFromItsLastCheckpointWithTheSameFinalWeights() throws Exception {
        String specText = JobFixtures.vaeSpec("kill", STEPS, 10, CHECKPOINT_EVERY, 11, 0);
        Path specFile = tmp.resolve("spec.json");
        Files.writeString(specFile, specText);
        Path data = tmp.resolve("data");

        // 1. A serving process runs the job; it is killed with SIGKILL past step 130 (checkpoint at 100 on disk).
        try (Child first = new Child(data, specFile, "kill-test", tmp.resolve("first.err"))) {
            String sub = first.await(l -> l.startsWith("SUBMITTED "), "submission");
            assertTrue(sub.contains("created=true"), sub);
            first.await(l -> l.contains(" progress ") && progressStep(l) >= KILL_AFTER_STEP, "progress past step " + KILL_AFTER_STEP);
            first.process.destroyForcibly(); // SIGKILL on Unix: no shutdown hook, no checkpoint on the way out
            assertTrue(first.process.waitFor(30, TimeUnit.SECONDS));
            assertEquals(137, first.process.exitValue(), "killed by SIGKILL (128 + 9)");
        }
        Job left;
        try (SqliteJobStore store = SqliteJobStore.open(data)) {
            left = store.list(Optional.empty()).get(0);
        }
        assertEquals(JobState.RUNNING, left.state(), "the dead process left its job RUNNING");
        assertEquals(1, left.attempt());
        Path dir = Path.of(left.outputDir());
        List<Path> before = Checkpoints.list(dir);
        assertTrue(!before.isEmpty() && !before.contains(Checkpoints.dirFor(dir, STEPS)), "mid-job: " + before);
        long resumeFrom = Checkpoints.load(before.get(0)).info().step();

        // 2. Restart: the job is requeued, claimed again (attempt 2) and resumes from that checkpoint.
        long t0 = System.nanoTime();
        try (Child second = new Child(data, specFile, "kill-test", tmp.resolve("second.err"))) {
            String started = second.await(l -> l.startsWith("STARTED "), "start");
            long tStarted = System.nanoTime();
            assertEquals("STARTED recovered=1", started);
            String sub = second.await(l -> l.startsWith("SUBMITTED "), "idempotent resubmission");
            assertTrue(sub.contains("created=false") && sub.contains(left.id()), sub);
            second.await(l -> l.contains(" log ") && l.contains("resumed from") && l.contains("at step " + resumeFrom), "resume");
            long tResumed = System.nanoTime();
            String firstProgress = second.await(l -> l.contains(" progress "), "progress after the resume");
            long tProgress = System.nanoTime();
            assertEquals(resumeFrom + 10, progressStep(firstProgress));
            System.out.printf(Locale.ROOT, "time to resume after SIGKILL (process start -> trainer resumed from step %d): %.2f s;"
                    + " service started after %.2f s; first progress (10 steps later) after %.2f s%n", resumeFrom,
                    (tResumed - t0) / 1e9, (tStarted - t0) / 1e9, (tProgress - t0) / 1e9);
            second.await(l -> l.startsWith("DONE "), "the end");
            assertEquals("DONE SUCCEEDED", second.seen.get(second.seen.size() - 1), second.seen.toString());
            assertTrue(second.process.waitFor(60, TimeUnit.SECONDS));
            assertEquals(0, second.process.exitValue());
        }
        Job done;
        try (SqliteJobStore store = SqliteJobStore.open(data)) {
            done = store.get(left.id()).orElseThrow();
        }
        assertEquals(JobState.SUCCEEDED, done.state());
        assertEquals(2, done.attempt());
        assertEquals(STEPS, done.step());

        // 3. The same spec run once without interruption, through the worker's JobRunner, in this JVM.
        Path ref = tmp.resolve("reference");
        try (Device device = TestDevices.openDefault()) {
            JobRunner.Outcome o = JobRunner.run(device, JobSpecs.parse(specText).withOutput(ref.toString()), null,
                    Trainer.Options.defaults());
            assertEquals(JobState.SUCCEEDED, o.state(), String.valueOf(o.error()));
        }
        for (String f : List.of(Checkpoints.WEIGHTS, Checkpoints.OPTIMIZER)) {
            assertEquals(-1L, Files.mismatch(Checkpoints.dirFor(ref, STEPS).resolve(f), Checkpoints.dirFor(dir, STEPS).resolve(f)),
                    f + ": bitwise the same after SIGKILL and resume");
        }
        assertEquals(losses(ref), losses(dir), "the same loss at every log point");
        JobSpec ran = JobSpec.parse(Files.readString(dir.resolve("spec.json")));
        assertEquals(dir.toString(), ran.output());
    }

    /** step:loss of every metrics.csv row (throughput differs between runs). */
    static List<String> losses(Path out) throws IOException {
        return Files.readAllLines(out.resolve("metrics.csv")).stream().skip(1).map(l -> {
            String[] c = l.split(",", -1);
            return c[0] + ":" + c[2];
        }).toList();
    }
}
