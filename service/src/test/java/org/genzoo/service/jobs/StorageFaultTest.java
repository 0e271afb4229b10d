package org.genzoo.service.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.genzoo.host.Device;
import org.genzoo.host.TestDevices;
import org.genzoo.models.train.Checkpoints;
import org.genzoo.models.train.Trainer;
import org.genzoo.service.api.ApiConfig;
import org.genzoo.service.api.GenZooServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real full disk under a running service: the data folder is a small tmpfs, filled while a job
 * runs. Readiness goes DOWN saying why, a submission gets 507 with a sentence (not a 500 with
 * SQLITE_FULL), the job is not failed for good; once space is freed readiness comes back and the job
 * resumes from its last checkpoint in its own folder and ends with the same weights as a run that
 * never met the fault. Needs root with CAP_SYS_ADMIN (to mount); skipped otherwise, with the reason.
 *
 * <p>Deterministic whatever the machine's speed: a subscriber holds the worker at the job's first
 * checkpoint (its "checkpoint ..." log line is published on the worker's thread) while the test fills
 * the disk, then lets it go; the disk stays full until the job's attempt has ended on a failed write.
 * So the job always meets the full disk, and its retry from the checkpoint is always checked.
 */
class StorageFaultTest {
    static final long STEPS = 400;
    static final String TMPFS_SIZE = "64m";
    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path tmp;
    Path mount;

    static int sh(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        int rc = p.waitFor();
        if (rc != 0) {
            System.out.println(String.join(" ", cmd) + ": " + out);
        }
        return rc;
    }

    @AfterEach
    void unmount() throws Exception {
        if (mount != null) {
            sh("umount", "-l", mount.toString());
        }
    }

    /** Appends to {@code filler} until the disk is full (ENOSPC); what anything else freed is taken again. */
    static void fill(Path filler) throws IOException {
        try (OutputStream o = Files.newOutputStream(filler, java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND)) {
            byte[] chunk = new byte[64 << 10];
            while (true) {
                o.write(chunk);
            }
        } catch (IOException full) {
            assertTrue(JobStoreException.isStorageFull(full), full.toString());
        }
    }

    /** Longest wait for the job to reach its first checkpoint, and for its attempt to end on the full disk. */
    static final long WAIT_SECONDS = 120;

    /**
     * Holds the thread that publishes the first "checkpoint ..." log line (the worker's, which wrote
     * the checkpoint just before) until {@link #release} opens; every other event passes.
     */
    static final class CheckpointGate implements java.util.function.Consumer<JobEvent> {
        final java.util.concurrent.CountDownLatch reached = new java.util.concurrent.CountDownLatch(1);
        final java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        final java.util.concurrent.atomic.AtomicBoolean armed = new java.util.concurrent.atomic.AtomicBoolean(true);

        @Override
        public void accept(JobEvent e) {
            if (e.type().equals("log") && String.valueOf(e.data().get("line")).startsWith("checkpoint ") && armed.compareAndSet(true, false)) {
                reached.countDown();
                try {
                    release.await(WAIT_SECONDS, TimeUnit.SECONDS);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    static HttpResponse<String> get(String url) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }

    static void awaitTrue(String what, long seconds, java.util.concurrent.Callable<Boolean> c) throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!c.call()) {
            assertTrue(System.nanoTime() < end, "no " + what + " within " + seconds + " s");
            Thread.sleep(50);
        }
    }

    /** True while a worker still runs attempt 1 of {@code id}. */
    static boolean firstAttemptRuns(GenZooServer server, String id) {
        return server.jobs().workers().stream().anyMatch(w -> id.equals(w.jobId()) && w.attempt() == 1);
    }

    @Test
    void aFullDiskIsReportedAndTheJobResumesWhenSpaceReturns() throws Exception {
        Path mnt = tmp.resolve("disk");
        Files.createDirectories(mnt);
        boolean mounted = sh("mount", "-t", "tmpfs", "-o", "size=" + TMPFS_SIZE, "tmpfs", mnt.toString()) == 0;
        // A real full disk needs a mount: root with CAP_SYS_ADMIN. A CI container without it skips, with this reason.
        assumeTrue(mounted, "cannot mount a tmpfs here (needs root with CAP_SYS_ADMIN): a real full disk is needed");
        mount = mnt;
        Path data = mnt.resolve("data");
        String spec = JobFixtures.vaeSpec("disk", STEPS, 10, 50, 21, 0);
        Path filler = mnt.resolve("filler");
        CheckpointGate gate = new CheckpointGate();
        try (GenZooServer server = GenZooServer.start(JobFixtures.config(data), ApiConfig.loopback(0), 0);
                AutoCloseable gated = server.jobs().subscribeAll(gate)) {
            String base = server.baseUrl();
            String id = server.jobs().submit(spec, null).job().id();
            assertTrue(gate.reached.await(WAIT_SECONDS, TimeUnit.SECONDS), "the job reached its first checkpoint");
            assertEquals(200, get(base + "/health/ready").statusCode());

            // Fill the disk.
            long t0 = System.nanoTime();
            fill(filler);
            fill(filler);
            HttpResponse<String> ready = get(base + "/health/ready");
            assertEquals(503, ready.statusCode(), ready.body());
            JsonNode r = JSON.readTree(ready.body());
            assertEquals("DOWN", r.path("store").asText(), ready.body());
            System.out.println("readiness with a full disk: " + ready.body().replaceAll("\\s+", " "));
            HttpResponse<String> sub = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/api/jobs"))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
                            spec.replace("\"disk\"", "\"disk-2\""))).build(), HttpResponse.BodyHandlers.ofString());
            System.out.println("submission with a full disk: " + sub.statusCode() + " " + sub.body().replaceAll("\\s+", " "));
            assertTrue(sub.statusCode() == 507 || sub.statusCode() == 503, sub.statusCode() + " " + sub.body());
            assertTrue(sub.body().contains("disk is full") || sub.body().contains("cannot be used now"), sub.body());
            assertFalse(sub.body().contains("internal error"), sub.body());

            // The job goes on from its first checkpoint and meets the fault at its next write. What it frees
            // (temp files of a failed write) is taken again, so the disk stays full until its first attempt ended.
            gate.release.countDown();
            long waitUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
            while (firstAttemptRuns(server, id)) {
                assertTrue(System.nanoTime() < waitUntil, "the job's first attempt did not end on the full disk within " + WAIT_SECONDS + " s");
                fill(filler);
                Thread.sleep(50);
            }
            fill(filler);
            assertFalse(server.jobs().get(id).orElseThrow().state() == JobState.FAILED, "not failed for good");
            Files.delete(filler);
            awaitTrue("readiness back", 30, () -> get(base + "/health/ready").statusCode() == 200);
            System.out.printf(Locale.ROOT, "disk full for %.1f s; readiness UP again after the filler was deleted%n",
                    (System.nanoTime() - t0) / 1e9);
            awaitTrue("the job to end", 180, () -> server.jobs().get(id).orElseThrow().state().terminal());
            Job done = server.jobs().get(id).orElseThrow();
            String log = Files.readString(Path.of(done.outputDir()).resolve("train.log"));
            assertEquals(JobState.SUCCEEDED, done.state(), done + "\n" + log);
            // Its first attempt ended on a failed write: it was retried from its last checkpoint, never failed.
            assertTrue(done.attempt() >= 2, "retried after the fault: attempt " + done.attempt());
            assertTrue(log.contains("resumed from " + Checkpoints.DIR + "/"), log);
            System.out.println("the job ended " + done.state() + " at attempt " + done.attempt());

            Path ref = tmp.resolve("reference");
            try (Device device = TestDevices.openDefault()) {
                JobRunner.Outcome o = JobRunner.run(device, JobSpecs.parse(spec).withOutput(ref.toString()), null, Trainer.Options.defaults());
                assertEquals(JobState.SUCCEEDED, o.state(), String.valueOf(o.error()));
            }
            Path dir = Path.of(done.outputDir());
            for (String f : List.of(Checkpoints.WEIGHTS, Checkpoints.OPTIMIZER)) {
                assertEquals(-1L, Files.mismatch(Checkpoints.dirFor(ref, STEPS).resolve(f), Checkpoints.dirFor(dir, STEPS).resolve(f)),
                        f + ": bitwise the same after the disk-full retry");
            }
        }
    }
}
