package org.genzoo.service.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.genzoo.host.TestDevices;
import org.genzoo.service.api.ApiConfig;
import org.genzoo.service.api.GenZooServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Concurrent cancels of one running job through the production service (SQLite store, worker pool,
 * HTTP API), as an outside probe sent them: each answers 202 (the running job will stop) or 409 (it
 * has already stopped), never 200 (which means "this request cancelled a queued job"), and the job
 * ends CANCELLED. BadInputTest runs the same race over the API's test service.
 */
class CancelRaceServiceTest {
    static final int CANCELS = 50;
    static final long WAIT_SECONDS = 120;

    @TempDir
    Path tmp;

    @Test
    void fiftyConcurrentCancelsOfARunningJobAnswer202Or409() throws Exception {
        TestDevices.all();
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        try (GenZooServer server = GenZooServer.start(JobFixtures.config(tmp.resolve("data")), ApiConfig.loopback(0), 0)) {
            String id = server.jobs().submit(JobFixtures.vaeSpec("cancel-race", 1_000_000, 5, 1_000_000, 3, 0), null).job().id();
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
            while (server.jobs().get(id).orElseThrow().state() != JobState.RUNNING || server.jobs().get(id).orElseThrow().step() == 0) {
                assertTrue(System.nanoTime() < end, "the job did not start: " + server.jobs().get(id).orElseThrow());
                Thread.sleep(10);
            }
            HttpRequest cancel = HttpRequest.newBuilder(URI.create(server.baseUrl() + "/api/jobs/" + id + "/cancel"))
                    .timeout(Duration.ofSeconds(60)).POST(HttpRequest.BodyPublishers.noBody()).build();
            ExecutorService pool = Executors.newFixedThreadPool(CANCELS);
            CountDownLatch go = new CountDownLatch(1);
            List<Future<Integer>> answers = new ArrayList<>();
            for (int i = 0; i < CANCELS; i++) {
                answers.add(pool.submit(() -> {
                    go.await();
                    return http.send(cancel, HttpResponse.BodyHandlers.ofString()).statusCode();
                }));
            }
            go.countDown();
            Map<Integer, Integer> counts = new TreeMap<>();
            for (Future<Integer> f : answers) {
                counts.merge(f.get(60, TimeUnit.SECONDS), 1, Integer::sum);
            }
            pool.shutdown();
            System.out.println(CANCELS + " concurrent cancels of a running job (production service): status -> count " + counts);
            assertTrue(counts.keySet().stream().allMatch(s -> s == 202 || s == 409), counts.toString());
            assertTrue(counts.containsKey(202), "the first cancel is accepted: " + counts);
            while (!server.jobs().get(id).orElseThrow().state().terminal()) {
                assertTrue(System.nanoTime() < end, "the job did not stop");
                Thread.sleep(10);
            }
            assertEquals(JobState.CANCELLED, server.jobs().get(id).orElseThrow().state());
            assertEquals(409, http.send(cancel, HttpResponse.BodyHandlers.ofString()).statusCode(), "a cancel after the end");
        }
    }
}
