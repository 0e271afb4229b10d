package org.genzoo.service.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The API over real HTTP with an in-memory job service whose jobs stay queued (no device needed). */
class ApiServerTest {
    static final String SPEC = """
            {"name": "t1", "model": {"family": "vae", "latent": 2, "hidden": [8]},
             "data": {"dataset": "fashion-mnist", "limit": 64}, "batchSize": 16, "budget": {"steps": 4}}""";
    static final DeviceCatalog ONE_DEVICE = () -> List.of(Map.of("device", "test CPU", "usable", true));

    @TempDir
    Path tmp;
    MemoryJobService jobs;
    ApiServer server;
    Http http;

    @BeforeEach
    void start() {
        jobs = new MemoryJobService(tmp, null);
        server = new ApiServer(jobs, ONE_DEVICE, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), ApiConfig.loopback(0))
                .start();
        http = new Http(server.baseUrl(), null);
    }

    @AfterEach
    void stop() {
        server.close();
        jobs.close();
    }

    @Test
    void submitReplaysWithTheSameKeyAndRefusesADifferentBody() throws Exception {
        HttpResponse<String> a = http.post("/api/jobs", SPEC, "application/json", "Idempotency-Key", "k-1");
        assertEquals(201, a.statusCode(), a.body());
        JsonNode job = Http.json(a);
        String id = job.get("id").asText();
        assertEquals("/api/jobs/" + id, a.headers().firstValue("Location").orElse(""));
        assertEquals("QUEUED", job.get("state").asText());
        assertEquals(16, job.get("spec").get("batchSize").asInt());

        HttpResponse<String> b = http.post("/api/jobs", SPEC, "application/json", "Idempotency-Key", "k-1");
        assertEquals(200, b.statusCode(), b.body());
        assertEquals(id, Http.json(b).get("id").asText());

        HttpResponse<String> c = http.post("/api/jobs", SPEC.replace("\"t1\"", "\"t2\""), "application/json",
                "Idempotency-Key", "k-1");
        assertEquals(409, c.statusCode(), c.body());
        assertEquals(id, Http.json(c).get("existingJobId").asText());

        HttpResponse<String> d = http.post("/api/jobs", SPEC, "application/json", "Idempotency-Key", "bad key with spaces");
        assertEquals(400, d.statusCode(), d.body());
        assertEquals(1, jobs.list(java.util.Optional.empty()).size());
    }

    @Test
    void yamlBodiesAreReadByContentType() throws Exception {
        String yaml = """
                name: from-yaml
                model: {family: vae, latent: 2, hidden: [8]}
                data: {dataset: fashion-mnist}
                budget: {steps: 3}
                """;
        HttpResponse<String> r = http.post("/api/jobs", yaml, "application/yaml");
        assertEquals(201, r.statusCode(), r.body());
        assertEquals("from-yaml", Http.json(r).get("name").asText());
        HttpResponse<String> broken = http.post("/api/jobs", "name: [unclosed\n", "application/x-yaml");
        assertEquals(400, broken.statusCode(), broken.body());
        assertEquals("", Http.json(broken).get("errors").get(0).get("pointer").asText());
        HttpResponse<String> xml = http.post("/api/jobs", "<job/>", "application/xml");
        assertEquals(415, xml.statusCode(), xml.body());
    }

    @Test
    void anInvalidSpecGetsOneErrorPerBadField() throws Exception {
        String bad = """
                {"name": "x", "model": {"family": "vae", "latent": 2}, "data": {"dataset": "mnist"},
                 "budget": {"steps": -1}, "optimizer": {"lr": "fast"}, "batchSize": 0, "colour": "red"}""";
        HttpResponse<String> r = http.post("/api/jobs", bad, "application/json");
        assertEquals(400, r.statusCode(), r.body());
        List<String> pointers = new ArrayList<>();
        for (JsonNode e : Http.json(r).get("errors")) {
            pointers.add(e.get("pointer").asText());
            assertFalse(e.get("expected").asText().isEmpty());
            assertFalse(e.get("received").asText().isEmpty());
        }
        assertEquals(Set.of("/budget/steps", "/optimizer/lr", "/batchSize", "/colour"), Set.copyOf(pointers), pointers.toString());
        assertEquals(4, pointers.size());
    }

    @Test
    void dryRunValidatesWithoutEnqueuing() throws Exception {
        HttpResponse<String> r = http.post("/api/jobs?dryRun=true", SPEC, "application/json");
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(jobs.list(java.util.Optional.empty()).isEmpty());
    }

    @Test
    void listFiltersByStateAndCancelWorksOnce() throws Exception {
        String id1 = Http.json(http.post("/api/jobs", SPEC, "application/json")).get("id").asText();
        String id2 = Http.json(http.post("/api/jobs", SPEC.replace("t1", "t9"), "application/json")).get("id").asText();
        HttpResponse<String> c = http.post("/api/jobs/" + id1 + "/cancel", "", null);
        assertEquals(200, c.statusCode(), c.body());
        assertEquals("CANCELLED", Http.json(c).get("state").asText());
        assertEquals(409, http.post("/api/jobs/" + id1 + "/cancel", "", null).statusCode());
        assertEquals(404, http.post("/api/jobs/j-404/cancel", "", null).statusCode());

        JsonNode queued = Http.json(http.get("/api/jobs?state=queued")).get("jobs");
        assertEquals(1, queued.size());
        assertEquals(id2, queued.get(0).get("id").asText());
        assertEquals(2, Http.json(http.get("/api/jobs")).get("jobs").size());
        assertEquals(400, http.get("/api/jobs?state=sleeping").statusCode());
        assertEquals(id2, Http.json(http.get("/api/jobs/" + id2)).get("id").asText());
        HttpResponse<String> missing = http.get("/api/jobs/j-404");
        assertEquals(404, missing.statusCode());
        assertTrue(Http.json(missing).get("error").asText().contains("j-404"));
    }

    @Test
    void artifactsAreListedAndServedButNeverOutsideTheJobFolder() throws Exception {
        String id = Http.json(http.post("/api/jobs", SPEC, "application/json")).get("id").asText();
        Path dir = jobs.artifactDir(id);
        Files.createDirectories(dir.resolve("samples"));
        Files.writeString(dir.resolve("metrics.csv"), "step,loss\n1,2.5\n");
        byte[] png = {(byte) 0x89, 'P', 'N', 'G', 0, 1, 2};
        Files.write(dir.resolve("samples/step-000004.png"), png);
        Files.writeString(tmp.resolve("secret.txt"), "outside");
        Files.createSymbolicLink(dir.resolve("link.txt"), tmp.resolve("secret.txt"));

        JsonNode list = Http.json(http.get("/api/jobs/" + id + "/artifacts")).get("artifacts");
        List<String> names = new ArrayList<>();
        list.forEach(a -> names.add(a.get("name").asText()));
        assertEquals(List.of("metrics.csv", "samples/step-000004.png"), names, "links are not listed");

        HttpResponse<byte[]> got = http.getBytes("/api/jobs/" + id + "/artifacts/samples/step-000004.png");
        assertEquals(200, got.statusCode());
        assertEquals("image/png", got.headers().firstValue("Content-Type").orElse(""));
        assertTrue(java.util.Arrays.equals(png, got.body()));
        HttpResponse<String> csv = http.get("/api/jobs/" + id + "/artifacts/metrics.csv");
        assertEquals("step,loss\n1,2.5\n", csv.body());

        // Every way out is refused with a 4xx, and none reveals the outside file.
        for (String evil : List.of("../secret.txt", "..%2Fsecret.txt", "%2e%2e/secret.txt", "samples/../../secret.txt",
                "samples/..%2F..%2Fsecret.txt", "%2Fetc%2Fpasswd", "link.txt", "samples%5C..%5C..%5Csecret.txt", "a%00b",
                "samples//step-000004.png", "./metrics.csv")) {
            HttpResponse<String> r = http.get("/api/jobs/" + id + "/artifacts/" + evil);
            assertTrue(r.statusCode() == 400 || r.statusCode() == 404, evil + " -> " + r.statusCode() + " " + r.body());
            assertFalse(r.body().contains("outside"), evil);
        }
        assertEquals(400, http.get("/api/jobs/" + id + "/artifacts/link.txt").statusCode(), "a link out of the folder");
        assertEquals(404, http.get("/api/jobs/" + id + "/artifacts/nothing.png").statusCode());
        assertEquals(404, http.get("/api/jobs/" + id + "/artifacts/samples").statusCode(), "a folder is not a file");
    }

    @Test
    void bodyLimitGives413() throws Exception {
        byte[] big = new byte[(int) ApiConfig.DEFAULT_MAX_BODY_BYTES + 10];
        java.util.Arrays.fill(big, (byte) ' ');
        big[0] = '{';
        big[big.length - 1] = '}';
        HttpResponse<String> r = http.postBytes("/api/jobs", big, "application/json");
        assertEquals(413, r.statusCode(), r.body());
        assertEquals("", Http.json(r).get("errors").get(0).get("pointer").asText());
    }

    @Test
    void healthAndReadiness() throws Exception {
        assertEquals(200, http.get("/health/live").statusCode());
        HttpResponse<String> ready = http.get("/health/ready");
        assertEquals(200, ready.statusCode(), ready.body());
        assertEquals(1, Http.json(ready).get("usableDevices").asInt());
        assertEquals(1, Http.json(http.get("/api/devices")).get("devices").size());
        assertEquals(404, http.get("/no/such/route").statusCode());
        assertTrue(Http.json(http.get("/no/such/route")).get("error").asText().contains("/no/such/route"));
    }

    @Test
    void notReadyWithoutAUsableDevice() throws Exception {
        DeviceCatalog broken = () -> List.of(Map.of("device", "gone", "usable", false, "problem", "CL_DEVICE_NOT_AVAILABLE"));
        try (ApiServer s = new ApiServer(jobs, broken, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT),
                ApiConfig.loopback(0)).start()) {
            HttpResponse<String> r = new Http(s.baseUrl(), null).get("/health/ready");
            assertEquals(503, r.statusCode(), r.body());
            assertEquals("DOWN", Http.json(r).get("devices").asText());
            assertEquals("UP", Http.json(r).get("store").asText());
        }
    }

    /** Reads one job's event stream on a thread, line by line, until the server ends it. */
    static final class Follower extends Thread {
        final List<String> lines = java.util.Collections.synchronizedList(new ArrayList<>());
        final java.util.concurrent.CountDownLatch first = new java.util.concurrent.CountDownLatch(1);
        final String url;

        Follower(String url) {
            this.url = url;
            setDaemon(true);
            start();
        }

        @Override
        public void run() {
            try {
                var res = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(url))
                        .GET().build(), HttpResponse.BodyHandlers.ofLines());
                for (String l : (Iterable<String>) res.body()::iterator) {
                    lines.add(l);
                    if (l.startsWith("data:")) {
                        first.countDown();
                    }
                }
            } catch (Exception e) {
                lines.add("exception: " + e);
            }
        }
    }

    @Test
    void eventStreamsEndAtTheFinalStateAndWhenTheServerStops() throws Exception {
        String id = Http.json(http.post("/api/jobs", SPEC, "application/json")).get("id").asText();
        Follower f = new Follower(server.baseUrl() + "/api/jobs/" + id + "/events");
        assertTrue(f.first.await(10, java.util.concurrent.TimeUnit.SECONDS));
        assertTrue(f.lines.contains("event: state") && f.lines.stream().anyMatch(l -> l.contains("\"QUEUED\"")), f.lines.toString());
        assertEquals(200, http.post("/api/jobs/" + id + "/cancel", "", null).statusCode());
        f.join(10_000);
        assertFalse(f.isAlive(), "the stream ends after the final state");
        String last = f.lines.stream().filter(l -> l.startsWith("data:")).reduce((a, b) -> b).orElse("");
        assertTrue(last.contains("\"CANCELLED\""), f.lines.toString());
        assertEquals(404, http.get("/api/jobs/j-404/events").statusCode());

        String id2 = Http.json(http.post("/api/jobs", SPEC.replace("t1", "t2"), "application/json")).get("id").asText();
        Follower g = new Follower(server.baseUrl() + "/api/jobs/" + id2 + "/events");
        assertTrue(g.first.await(10, java.util.concurrent.TimeUnit.SECONDS));
        long t0 = System.nanoTime();
        server.close();
        g.join(10_000);
        double seconds = (System.nanoTime() - t0) / 1e9;
        assertFalse(g.isAlive(), "an open stream ends when the server stops");
        assertTrue(seconds < 5, "stopping with an open stream took " + seconds + " s");
    }

    @Test
    void metricsUseRouteTemplatesNotRawPaths() throws Exception {
        http.get("/api/jobs/j-1");
        http.get("/api/jobs/j-2");
        http.get("/api/jobs/random-" + System.nanoTime());
        http.get("/nothing/here/" + System.nanoTime());
        HttpResponse<String> m = http.get("/metrics");
        assertEquals(200, m.statusCode());
        assertTrue(m.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"));
        String text = m.body();
        String line = text.lines().filter(l -> l.startsWith("http_server_requests_seconds_count")
                && l.contains("uri=\"/api/jobs/{id}\"") && l.contains("status=\"404\"")).findFirst().orElse("");
        assertTrue(line.endsWith(" 3"), "three 404s on /api/jobs/{id}: " + line);
        assertTrue(text.contains("uri=\"NOT_FOUND\""), text);
        assertFalse(text.contains("j-1"), "no job id in any tag");
        assertFalse(text.contains("/nothing/here"), "no raw path in any tag");
        assertTrue(new String(http.getBytes("/openapi.yaml").body(), StandardCharsets.UTF_8).startsWith("openapi: 3"));
    }
}
