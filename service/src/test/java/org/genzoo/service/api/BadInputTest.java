package org.genzoo.service.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.genzoo.host.Device;
import org.genzoo.host.TestDevices;
import org.genzoo.service.jobs.JobState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The bad inputs an outside probe found answered with a 5xx or accepted: each is now a 4xx, and nothing is enqueued. */
class BadInputTest {
    /** Concurrent cancel requests against one running job. */
    static final int CANCELS = 50;

    @TempDir
    Path tmp;

    interface Body {
        void run(MemoryJobService jobs, ApiServer server, Http http) throws Exception;
    }

    void withServer(Device device, Body body) throws Exception {
        try (MemoryJobService jobs = new MemoryJobService(tmp, device)) {
            ApiServer server = new ApiServer(jobs, ApiServerTest.ONE_DEVICE, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT),
                    ApiConfig.loopback(0)).start();
            try {
                body.run(jobs, server, new Http(server.baseUrl(), null));
            } finally {
                server.close();
            }
        }
    }

    @Test
    void malformedRequestsAre4xxAndSubmitNothing() throws Exception {
        withServer(null, (jobs, server, http) -> {
            int port = server.port();
            for (String path : new String[] {"/api/jobs/%u0041", "/api/jobs/j-1%u/artifacts", "/api/jobs/j-1/artifacts/%uZZ.png",
                    "/api/jobs/%zz/cancel"}) {
                String method = path.endsWith("cancel") ? "POST" : "GET";
                String r = Raw.exchange(port, method + " " + path + " HTTP/1.1\nHost: 127.0.0.1\nContent-Length: 0\nConnection: close\n\n");
                assertEquals(400, Raw.status(r), path + ": " + r);
                assertFalse(r.contains("IllegalArgumentException") || r.contains("URLDecoder"), "no exception text: " + r);
            }
            String chunk = Raw.exchange(port, "POST /api/jobs HTTP/1.1\nHost: 127.0.0.1\nContent-Type: application/json\n"
                    + "Transfer-Encoding: chunked\nConnection: close\n\nzz\n{}\n0\n\n");
            assertTrue(Raw.status(chunk) >= 400 && Raw.status(chunk) < 500, "a bad chunk size: " + chunk);
            assertTrue(chunk.contains("\"error\""), "a JSON error: " + chunk);

            HttpResponse<String> trailing = http.post("/api/jobs", ApiServerTest.SPEC + "{\"priority\": 1000}", "application/json");
            assertEquals(400, trailing.statusCode(), trailing.body());
            HttpResponse<String> trailingYaml = http.post("/api/jobs", "name: a\n---\nname: b\n", "application/yaml");
            assertEquals(400, trailingYaml.statusCode(), trailingYaml.body());

            for (String v : new String[] {"1", "maybe", "", "yes", "true&dryRun=false"}) {
                HttpResponse<String> r = http.post("/api/jobs?dryRun=" + v, ApiServerTest.SPEC, "application/json");
                assertEquals(400, r.statusCode(), "dryRun=" + v + ": " + r.body());
            }
            HttpResponse<String> bare = http.post("/api/jobs?dryRun", ApiServerTest.SPEC, "application/json");
            assertEquals(400, bare.statusCode(), bare.body());
            assertEquals(200, http.post("/api/jobs?dryRun=true", ApiServerTest.SPEC, "application/json").statusCode());
            assertEquals(0, jobs.list(Optional.empty()).size(), "nothing enqueued so far");
            assertEquals(201, http.post("/api/jobs?dryRun=false", ApiServerTest.SPEC, "application/json").statusCode());

            // What the worker would refuse (a learning rate that is 0 in float32) is refused at submission.
            for (String lr : new String[] {"4.9e-324", "1e-40", "1e39"}) {
                HttpResponse<String> r = http.post("/api/jobs", ApiServerTest.SPEC.replace("\"budget\"",
                        "\"optimizer\": {\"lr\": " + lr + "}, \"budget\""), "application/json");
                assertEquals(400, r.statusCode(), "lr " + lr + ": " + r.body());
                assertEquals("/optimizer/lr", Http.json(r).path("errors").path(0).path("pointer").asText(), r.body());
            }
            HttpResponse<String> beta = http.post("/api/jobs", ApiServerTest.SPEC.replace("\"budget\"",
                    "\"optimizer\": {\"beta2\": 0.99999999}, \"budget\""), "application/json");
            assertEquals(400, beta.statusCode(), "beta2 that is 1 in float32: " + beta.body());

            // The Idempotency-Key limit is the documented 255 characters.
            assertEquals(201, http.post("/api/jobs", ApiServerTest.SPEC.replace("t1", "k255"), "application/json", "Idempotency-Key",
                    "k".repeat(255)).statusCode());
            assertEquals(400, http.post("/api/jobs", ApiServerTest.SPEC.replace("t1", "k256"), "application/json", "Idempotency-Key",
                    "k".repeat(256)).statusCode());
            assertEquals(2, jobs.list(Optional.empty()).size());
        });
    }

    @Test
    void concurrentCancelsOfARunningJobAnswer202Or409() throws Exception {
        TestDevices.all();
        try (Device device = TestDevices.openDefault()) {
            withServer(device, (jobs, server, http) -> {
                String spec = """
                        {"name": "cancel-race", "model": {"family": "vae", "latent": 2, "hidden": [16]},
                         "data": {"dataset": "mnist", "limit": 256}, "batchSize": 32, "budget": {"steps": 100000},
                         "logEvery": 5, "eval": {"every": 0, "limit": 32}}""";
                HttpResponse<String> sub = http.post("/api/jobs", spec, "application/json");
                assertEquals(201, sub.statusCode(), sub.body());
                String id = Http.json(sub).get("id").asText();
                long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (jobs.get(id).orElseThrow().state() != JobState.RUNNING || jobs.get(id).orElseThrow().step() == 0) {
                    assertTrue(System.nanoTime() < end, "the job did not start");
                    Thread.sleep(10);
                }
                ExecutorService pool = Executors.newFixedThreadPool(CANCELS);
                CountDownLatch go = new CountDownLatch(1);
                List<Future<Integer>> answers = new ArrayList<>();
                for (int i = 0; i < CANCELS; i++) {
                    Callable<Integer> c = () -> {
                        go.await();
                        return http.post("/api/jobs/" + id + "/cancel", "", null).statusCode();
                    };
                    answers.add(pool.submit(c));
                }
                go.countDown();
                Map<Integer, Integer> counts = new TreeMap<>();
                for (Future<Integer> f : answers) {
                    counts.merge(f.get(60, TimeUnit.SECONDS), 1, Integer::sum);
                }
                pool.shutdown();
                System.out.println(CANCELS + " concurrent cancels of a running job: status -> count " + counts);
                assertTrue(counts.keySet().stream().allMatch(s -> s == 202 || s == 409), counts.toString());
                assertTrue(counts.containsKey(202), counts.toString());
                while (!jobs.get(id).orElseThrow().state().terminal()) {
                    assertTrue(System.nanoTime() < end, "the job did not stop");
                    Thread.sleep(10);
                }
                HttpResponse<String> after = http.post("/api/jobs/" + id + "/cancel", "", null);
                assertEquals(409, after.statusCode(), after.body());
                JsonNode j = Http.json(http.get("/api/jobs/" + id));
                assertEquals("CANCELLED", j.get("state").asText());
            });
        }
    }
}
