package org.genzoo.service.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.genzoo.host.Device;
import org.genzoo.host.TestDevices;
import org.genzoo.models.train.Checkpoints;
import org.genzoo.models.train.Trainer;
import org.genzoo.service.cli.GenZooCli;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code genzoo serve} in a child JVM gets SIGTERM (what {@code docker stop} and systemd send) within
 * the first second of its first job, before the process has drawn any plot: the job checkpoints at
 * its next log point, goes back to the queue with the step it reached, the process exits 0, and a
 * restarted server resumes it to the same final weights, bit for bit, as a run that never stopped.
 */
class GracefulStopTest {
    static final long STEPS = 300;
    /** After RUNNING, wait this long before SIGTERM: the trainer is in its first log windows. */
    static final long SIGTERM_AFTER_RUNNING_MS = 400;
    static final long CHILD_TIMEOUT_S = 120;
    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path tmp;

    @BeforeAll
    static void needsDevice() {
        TestDevices.all();
    }

    /** {@code genzoo serve} on the data folder, port 0, one CPU worker. */
    static final class Server implements AutoCloseable {
        final Process process;
        final Path stderr;
        final String base;

        Server(Path data, Path stderr) throws Exception {
            this.stderr = stderr;
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            process = new ProcessBuilder(java, "-Xmx512m", "-cp", System.getProperty("java.class.path"), GenZooCli.class.getName(),
                    "serve", "--port", "0", "--data-dir", data.toString(), "-d", "cpu").redirectErrorStream(false)
                    .redirectError(stderr.toFile()).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            base = "http://127.0.0.1:" + awaitPort();
        }

        int awaitPort() throws Exception {
            Pattern p = Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+)");
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(CHILD_TIMEOUT_S);
            while (System.nanoTime() < end) {
                Matcher m = p.matcher(err());
                if (m.find()) {
                    return Integer.parseInt(m.group(1));
                }
                if (!process.isAlive()) {
                    fail("genzoo serve exited with " + process.exitValue() + ": " + err());
                }
                Thread.sleep(50);
            }
            throw new AssertionError("genzoo serve did not start: " + err());
        }

        String err() throws IOException {
            return Files.exists(stderr) ? Files.readString(stderr) : "";
        }

        JsonNode job(String id) throws Exception {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/api/jobs/" + id)).timeout(Duration.ofSeconds(30))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), r.body());
            return JSON.readTree(r.body());
        }

        JsonNode awaitState(String id, String state) throws Exception {
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(CHILD_TIMEOUT_S);
            JsonNode j = null;
            while (System.nanoTime() < end) {
                j = job(id);
                if (j.path("state").asText().equals(state)) {
                    return j;
                }
                Thread.sleep(20);
            }
            throw new AssertionError("job " + id + " not " + state + " within " + CHILD_TIMEOUT_S + " s: " + j + "; " + err());
        }

        /** SIGTERM (Process.destroy on Unix); returns the exit code. */
        int terminate() throws Exception {
            process.destroy();
            assertTrue(process.waitFor(CHILD_TIMEOUT_S, TimeUnit.SECONDS), "genzoo serve did not stop after SIGTERM: " + err());
            return process.exitValue();
        }

        @Override
        public void close() throws Exception {
            if (process.isAlive()) {
                process.destroyForcibly();
                process.waitFor(30, TimeUnit.SECONDS);
            }
        }
    }

    /**
     * @param atFirstProgress false: SIGTERM {@link #SIGTERM_AFTER_RUNNING_MS} after the job is RUNNING (the worker is still
     *                        loading data and building the model: the stop comes at step 0); true: SIGTERM as soon as the
     *                        store shows the first progress (step 10), in the trainer's first log windows
     */
    @ParameterizedTest(name = "at first progress: {0}")
    @ValueSource(booleans = {false, true})
    void sigtermDuringTheFirstJobOfAFreshServerRequeuesItAndTheRestartEndsBitwiseEqual(boolean atFirstProgress) throws Exception {
        String specText = JobFixtures.vaeSpec("stop", STEPS, 10, 100, 13, 0);
        Path data = tmp.resolve("data");
        String id;
        long stoppedAt;
        try (Server first = new Server(data, tmp.resolve("first.err"))) {
            HttpResponse<String> sub = HTTP.send(HttpRequest.newBuilder(URI.create(first.base + "/api/jobs"))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(specText)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(201, sub.statusCode(), sub.body());
            id = JSON.readTree(sub.body()).path("id").asText();
            first.awaitState(id, "RUNNING");
            long tRunning = System.nanoTime();
            if (atFirstProgress) {
                while (first.job(id).path("step").asLong() == 0) {
                    Thread.sleep(5);
                }
            } else {
                Thread.sleep(SIGTERM_AFTER_RUNNING_MS);
            }
            long t0 = System.nanoTime();
            int code = first.terminate();
            double stopSeconds = (System.nanoTime() - t0) / 1e9;
            assertEquals(0, code, "a graceful stop exits 0: " + first.err());
            assertFalse(first.err().contains("Shutdown in progress"), first.err());
            System.out.printf(Locale.ROOT, "SIGTERM %.2f s after RUNNING: the server exited 0 %.2f s later%n",
                    (t0 - tRunning) / 1e9, stopSeconds);
        }
        Job left;
        try (SqliteJobStore store = SqliteJobStore.open(data)) {
            left = store.get(id).orElseThrow();
        }
        Path dir = Path.of(left.outputDir());
        String log = Files.readString(dir.resolve("train.log"));
        assertEquals(JobState.QUEUED, left.state(), "a stopped service puts its running job back in the queue: " + left + "\n" + log);
        assertNull(left.error());
        assertEquals(1, left.attempt());
        List<Path> ckpts = Checkpoints.list(dir);
        assertFalse(ckpts.isEmpty(), "the stop wrote a checkpoint");
        stoppedAt = Checkpoints.load(ckpts.get(0)).info().step();
        assertTrue(stoppedAt < STEPS && (!atFirstProgress || stoppedAt >= 10), "stopped mid-job at step " + stoppedAt);
        assertEquals(stoppedAt, left.step(), "the store's step is the step of the stop's checkpoint");
        assertTrue(log.contains("interrupted at step " + stoppedAt + " (the process is stopping)"), log);
        assertFalse(log.contains("cancelled"), "a stop is logged as a stop, not as a cancel:\n" + log);
        assertFalse(log.contains("FAILED"), log);
        System.out.println("stopped at step " + stoppedAt + " of " + STEPS);

        try (Server second = new Server(data, tmp.resolve("second.err"))) {
            JsonNode done = second.awaitState(id, "SUCCEEDED");
            assertEquals(2, done.path("attempt").asLong(), done.toString());
            assertEquals(STEPS, done.path("step").asLong(), done.toString());
            assertEquals(0, second.terminate(), second.err());
        }
        String log2 = Files.readString(dir.resolve("train.log"));
        assertTrue(log2.contains("at step " + stoppedAt + " of " + STEPS) && log2.contains("resumed from"), log2);

        Path ref = tmp.resolve("reference");
        try (Device device = TestDevices.openDefault()) {
            JobRunner.Outcome o = JobRunner.run(device, JobSpecs.parse(specText).withOutput(ref.toString()), null,
                    Trainer.Options.defaults());
            assertEquals(JobState.SUCCEEDED, o.state(), String.valueOf(o.error()));
        }
        for (String f : List.of(Checkpoints.WEIGHTS, Checkpoints.OPTIMIZER)) {
            assertEquals(-1L, Files.mismatch(Checkpoints.dirFor(ref, STEPS).resolve(f), Checkpoints.dirFor(dir, STEPS).resolve(f)),
                    f + ": bitwise the same after SIGTERM and restart");
        }
        assertEquals(ServiceKillTest.losses(ref), ServiceKillTest.losses(dir), "the same loss at every log point");
        JsonNode report = JSON.readTree(dir.resolve("report.json").toFile());
        assertEquals("succeeded", report.path("status").asText());
        assertEquals(Optional.of(stoppedAt), Optional.of(report.path("resumedFromStep").asLong()));
    }
}
