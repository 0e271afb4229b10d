package org.genzoo.service.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import org.genzoo.host.TestDevices;
import org.genzoo.service.jobs.FleetJobService;
import org.genzoo.service.jobs.PgCluster;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code genzoo serve --store postgresql://... --workers 0} in process: an API-only node and two
 * worker nodes on the same real PostgreSQL queue and artifact folder. A job submitted over HTTP runs
 * on a worker node; {@code /api/workers} shows both nodes' workers; the job's artifacts are served
 * from the shared folder; a cancel asked on the API node stops a job running on another node.
 */
class FleetServerTest {
    @TempDir
    Path tmp;

    @BeforeAll
    static void needsDevice() {
        TestDevices.all();
    }

    FleetJobService.Config node(String url, String name, List<String> devices) {
        return FleetJobService.Config.of(url, tmp.resolve("shared")).with(null, devices, FleetJobService.DEFAULT_LEASE,
                Duration.ofSeconds(5), 3, name, tmp.resolve("scratch-" + name));
    }

    @Test
    void everyNodesWorkersAndJobsAreVisibleFromTheApiNode() throws Exception {
        String url = PgCluster.get().newDatabase();
        // node-a: API only (serve --workers 0); node-b and node-c: one CPU worker each (genzoo worker).
        try (FleetServer api = FleetServer.start(node(url, "node-a", List.of()), new ApiConfig("127.0.0.1", 0, null,
                ApiConfig.DEFAULT_MAX_BODY_BYTES), 0);
                FleetJobService b = FleetJobService.start(node(url, "node-b", List.of("cpu")));
                FleetJobService c = FleetJobService.start(node(url, "node-c", List.of("cpu")))) {
            Http http = new Http(api.baseUrl(), null);
            String spec = """
                    {"name": "fleet-api", "model": {"family": "vae", "latent": 2, "hidden": [16]},
                     "data": {"dataset": "mnist", "limit": 64}, "batchSize": 32, "budget": {"steps": 20}, "seed": 3,
                     "logEvery": 10, "eval": {"every": 0, "limit": 16}, "checkpoint": {"every": 10, "keep": 0}, "device": "cpu"}
                    """;
            HttpResponse<String> posted = http.post("/api/jobs", spec, "application/json");
            assertEquals(201, posted.statusCode(), posted.body());
            String id = Http.json(posted).path("id").asText();
            JsonNode job = null;
            long end = System.nanoTime() + Duration.ofSeconds(120).toNanos();
            while (System.nanoTime() < end) {
                job = Http.json(http.get("/api/jobs/" + id));
                if (job.path("state").asText().equals("SUCCEEDED") || job.path("state").asText().equals("FAILED")) {
                    break;
                }
                Thread.sleep(200);
            }
            assertEquals("SUCCEEDED", job.path("state").asText(), job.toString());

            JsonNode workers = Http.json(http.get("/api/workers")).path("workers");
            TreeSet<String> nodes = new TreeSet<>();
            for (JsonNode w : workers) {
                nodes.add(w.path("node").asText());
                assertEquals("cpu", w.path("deviceType").asText().toLowerCase(java.util.Locale.ROOT), w.toString());
                assertTrue(w.path("lastHeartbeat").isTextual() && w.path("secondsSinceHeartbeat").asDouble() < 30, w.toString());
            }
            assertEquals(new TreeSet<>(List.of("node-b", "node-c")), nodes, workers.toString());

            List<String> names = new ArrayList<>();
            for (JsonNode f : Http.json(http.get("/api/jobs/" + id + "/artifacts")).path("artifacts")) {
                names.add(f.path("name").asText());
            }
            assertTrue(names.contains("report.json") && names.contains("checkpoints/step-000000000020/checkpoint.json"), names.toString());
            assertEquals(200, http.get("/api/jobs/" + id + "/artifacts/report.json").statusCode());
            assertEquals(200, http.get("/health/ready").statusCode(), "an API-only node is ready while some node's worker is alive");

            // A cancel asked on the API node reaches the worker on another node (NOTIFY genzoo_cancel, else its heartbeat).
            HttpResponse<String> longJob = http.post("/api/jobs", spec.replace("\"steps\": 20", "\"steps\": 100000")
                    .replace("\"fleet-api\"", "\"fleet-cancel\""), "application/json");
            assertEquals(201, longJob.statusCode(), longJob.body());
            String lid = Http.json(longJob).path("id").asText();
            while (!Http.json(http.get("/api/jobs/" + lid)).path("state").asText().equals("RUNNING")) {
                Thread.sleep(50);
            }
            long t0 = System.nanoTime();
            assertEquals(202, http.post("/api/jobs/" + lid + "/cancel", "", null).statusCode());
            String st = "";
            while (!st.equals("CANCELLED") && System.nanoTime() - t0 < Duration.ofSeconds(30).toNanos()) {
                st = Http.json(http.get("/api/jobs/" + lid)).path("state").asText();
                Thread.sleep(50);
            }
            assertEquals("CANCELLED", st);
            System.out.printf(java.util.Locale.ROOT, "cancel on the API node -> CANCELLED on a worker node: %.2f s%n",
                    (System.nanoTime() - t0) / 1e9);
        }
    }
}
