package org.genzoo.service.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import org.genzoo.host.TestDevices;
import org.genzoo.service.jobs.LocalJobService;
import org.genzoo.service.metrics.KernelTimer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Submit -> run -> SUCCEEDED through the real server: SQLite store, one worker on the CPU device,
 * HTTP on a free port. Follows the job's server-sent events to the end, fetches its artifacts and
 * reads the meters it left.
 */
class EndToEndTest {
    /** 60 steps of batch 32 on 256 MNIST digits, progress every 10 steps, checkpoints at 30 and 60. */
    static final String SPEC = """
            {"name": "e2e-http", "model": {"family": "vae", "latent": 2, "hidden": [16]},
             "data": {"dataset": "mnist", "limit": 256}, "optimizer": {"type": "adam", "lr": 0.003},
             "batchSize": 32, "budget": {"steps": 60}, "seed": 3, "logEvery": 10,
             "eval": {"every": 0, "limit": 64, "metrics": {"iwaeK": 8}}, "checkpoint": {"every": 30, "keep": 0}, "device": "cpu"}
            """;

    @TempDir
    Path tmp;

    @BeforeAll
    static void needsDevice() {
        TestDevices.all();
    }

    static LocalJobService.Config config(Path dir) {
        return LocalJobService.Config.defaults().withDataDir(dir).withDevices(List.of("cpu")).withLease(Duration.ofSeconds(5))
                .withPoll(Duration.ofMillis(200));
    }

    record Sse(String type, JsonNode data) {
    }

    @Test
    void aJobRunsToSucceededWhileItsEventsStream() throws Exception {
        try (GenZooServer server = GenZooServer.start(config(tmp), ApiConfig.loopback(0), KernelTimer.DEFAULT_EVERY)) {
            Http http = new Http(server.baseUrl(), null);
            HttpResponse<String> sub = http.post("/api/jobs", SPEC, "application/json", "Idempotency-Key", "e2e-1");
            assertEquals(201, sub.statusCode(), sub.body());
            String id = Http.json(sub).get("id").asText();

            // Follow the stream to its end: it must close by itself after the final state.
            HttpRequest req = HttpRequest.newBuilder(URI.create(server.baseUrl() + "/api/jobs/" + id + "/events"))
                    .timeout(Duration.ofSeconds(120)).GET().build();
            HttpResponse<java.util.stream.Stream<String>> stream = HttpClient.newHttpClient().send(req,
                    HttpResponse.BodyHandlers.ofLines());
            assertEquals(200, stream.statusCode());
            assertTrue(stream.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"));
            List<Sse> events = new ArrayList<>();
            String type = null;
            for (String line : (Iterable<String>) stream.body()::iterator) {
                if (line.startsWith("event: ")) {
                    type = line.substring(7);
                } else if (line.startsWith("data: ")) {
                    events.add(new Sse(type, Http.JSON.readTree(line.substring(6))));
                }
            }
            assertEquals("state", events.get(0).type(), "the stream opens with the job's state");
            Sse last = events.get(events.size() - 1);
            assertEquals("state", last.type());
            assertEquals("SUCCEEDED", last.data().get("state").asText(), events.toString());
            List<Sse> progress = events.stream().filter(e -> e.type().equals("progress")).toList();
            assertTrue(progress.size() >= 2, "progress events: " + progress);
            Sse p = progress.get(progress.size() - 1);
            for (String f : List.of("step", "totalSteps", "loss", "examplesPerSecond", "etaSeconds")) {
                assertTrue(p.data().has(f), f + " in " + p.data());
            }
            assertEquals(60, p.data().get("totalSteps").asLong());
            assertTrue(p.data().get("loss").asDouble() > 0 && p.data().get("examplesPerSecond").asDouble() > 0, p.data().toString());
            long prevStep = 0;
            for (Sse e : progress) {
                assertTrue(e.data().get("step").asLong() > prevStep, "steps increase: " + progress);
                prevStep = e.data().get("step").asLong();
            }
            assertTrue(events.stream().anyMatch(e -> e.type().equals("eval")), "an eval event at the end: " + events);

            JsonNode job = Http.json(http.get("/api/jobs/" + id));
            assertEquals("SUCCEEDED", job.get("state").asText());
            assertEquals(60, job.get("step").asLong());

            // Artifacts: listed, downloadable byte for byte, subfolders included.
            JsonNode arts = Http.json(http.get("/api/jobs/" + id + "/artifacts")).get("artifacts");
            List<String> names = new ArrayList<>();
            arts.forEach(a -> names.add(a.get("name").asText()));
            assertTrue(names.containsAll(List.of("metrics.csv", "loss.png", "report.json", "spec.json", "train.log")), names.toString());
            Path dir = server.jobs().artifactDir(id);
            for (String n : List.of("metrics.csv", "loss.png")) {
                assertArrayEquals(Files.readAllBytes(dir.resolve(n)), http.getBytes("/api/jobs/" + id + "/artifacts/" + n).body(), n);
            }
            String nested = names.stream().filter(n -> n.contains("/")).findFirst().orElseThrow(() ->
                    new AssertionError("no artifact in a subfolder: " + names));
            HttpResponse<byte[]> nb = http.getBytes("/api/jobs/" + id + "/artifacts/" + nested);
            assertEquals(200, nb.statusCode(), nested);
            assertArrayEquals(Files.readAllBytes(dir.resolve(nested)), nb.body(), nested);

            // The meters the job left, as Prometheus scrapes them.
            // The worker reports the attempt's end to the meters just after it announces the final state.
            String metrics = http.get("/metrics").body();
            for (int i = 0; i < 50 && value(metrics, "genzoo_jobs_duration_seconds_count{") < 1; i++) {
                Thread.sleep(100);
                metrics = http.get("/metrics").body();
            }
            List<String> excerpt = metrics.lines().filter(l -> l.startsWith("genzoo_") || l.startsWith("http_server_requests_seconds_count")
                    || l.startsWith("jvm_memory_used_bytes{area=\"heap\"")).collect(Collectors.toList());
            System.out.println("--- /metrics excerpt after one job ---\n" + String.join("\n", excerpt));
            assertTrue(metrics.contains("genzoo_jobs{state=\"succeeded\"} 1.0") || metrics.contains("genzoo_jobs_jobs{state=\"succeeded\"} 1.0"),
                    "jobs gauge");
            assertEquals(60.0 * 32, value(metrics, "genzoo_train_examples_total{"), "examples = steps x batch");
            assertEquals(1.0, value(metrics, "genzoo_jobs_duration_seconds_count{model=\"vae\",outcome=\"succeeded\"}"));
            assertTrue(value(metrics, "genzoo_checkpoint_write_duration_seconds_count") >= 1, "checkpoints timed");
            assertTrue(value(metrics, "genzoo_kernel_duration_seconds_count{") >= 1, "sampled kernel times");
            assertTrue(metrics.contains("genzoo_device_memory_allocated_bytes{device="), "device memory gauge");
            assertTrue(metrics.contains("uri=\"/api/jobs/{id}/events\""), "HTTP timer by template");
            assertTrue(metrics.contains("jvm_memory_used_bytes") && metrics.contains("jvm_threads_live_threads")
                    && metrics.contains("jvm_classes_loaded_classes") && metrics.contains("system_cpu_count"), "JVM binders");
            assertTrue(!metrics.contains(id + "\""), "no job id in any tag");
            System.out.printf(Locale.ROOT, "events: %d (%d progress)%n", events.size(), progress.size());
        }
    }

    /** The first sample whose line starts with {@code prefix} (sum over all matching lines). */
    static double value(String metrics, String prefix) {
        return metrics.lines().filter(l -> l.startsWith(prefix)).mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
                .sum();
    }
}
