package org.genzoo.service.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * 1,000 open event streams (from two loopback client addresses) do not starve the API: health and a
 * job's GET answer within {@link #HEALTH_BUDGET_MS}; the stream limits answer 429 per client and 503
 * in total; and every open stream still receives its job's final state and ends.
 */
class EventStreamLoadTest {
    static final int STREAMS = 1000;
    static final int PER_CLIENT = 600;
    /** The bound for a health answer with 1,000 streams open (loopback, warm server). */
    static final long HEALTH_BUDGET_MS = 100;
    static final int PROBES = 20;

    @TempDir
    Path tmp;

    /** Opens a stream from {@code local}; returns the socket after its first event, or the status when refused. */
    static Object open(String local, int port, String id) throws IOException {
        Socket s = Raw.from(local, port);
        s.setSoTimeout(30_000);
        s.getOutputStream().write(("GET /api/jobs/" + id + "/events HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\n\r\n")
                .getBytes(StandardCharsets.ISO_8859_1));
        String head = readUntil(s.getInputStream(), "\r\n\r\n");
        int status = Integer.parseInt(head.substring(9, 12));
        if (status != 200) {
            s.close();
            return status;
        }
        readUntil(s.getInputStream(), "event: state");
        return s;
    }

    static String readUntil(InputStream in, String marker) throws IOException {
        StringBuilder sb = new StringBuilder();
        while (sb.indexOf(marker) < 0) {
            int c = in.read();
            if (c < 0) {
                throw new IOException("the stream ended before " + marker + ": " + sb);
            }
            sb.append((char) c);
        }
        return sb.toString();
    }

    @Test
    void thousandOpenStreamsLeaveHealthAndTheApiAnswering() throws Exception {
        List<Socket> sockets = new ArrayList<>();
        try (MemoryJobService jobs = new MemoryJobService(tmp, null)) {
            ApiServer server = new ApiServer(jobs, ApiServerTest.ONE_DEVICE, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT),
                    ApiConfig.loopback(0).withStreamLimits(STREAMS, PER_CLIENT)).start();
            try {
                Http http = new Http(server.baseUrl(), null);
                String id = Http.json(http.post("/api/jobs", ApiServerTest.SPEC, "application/json")).get("id").asText();
                int port = server.port();
                int threadsBefore = Thread.activeCount();
                long t0 = System.nanoTime();
                for (int i = 0; i < PER_CLIENT; i++) {
                    sockets.add((Socket) open("127.0.0.1", port, id));
                }
                assertEquals(429, open("127.0.0.1", port, id), "one client past its limit");
                for (int i = PER_CLIENT; i < STREAMS; i++) {
                    sockets.add((Socket) open("127.0.0.2", port, id));
                }
                assertEquals(503, open("127.0.0.3", port, id), "past the total limit");
                double openSeconds = (System.nanoTime() - t0) / 1e9;
                int threadsOpen = Thread.activeCount();

                long[] health = new long[PROBES];
                long[] job = new long[PROBES];
                for (int i = 0; i < PROBES; i++) {
                    long a = System.nanoTime();
                    HttpResponse<String> h = http.get("/health/live");
                    health[i] = System.nanoTime() - a;
                    assertEquals(200, h.statusCode());
                    a = System.nanoTime();
                    HttpResponse<String> j = http.get("/api/jobs/" + id);
                    job[i] = System.nanoTime() - a;
                    assertEquals(200, j.statusCode());
                }
                Arrays.sort(health);
                Arrays.sort(job);
                System.out.printf(Locale.ROOT, "%d streams open in %.2f s (JVM threads %d before, %d with them open);"
                        + " /health/live median %.1f ms max %.1f ms; GET /api/jobs/{id} median %.1f ms max %.1f ms over %d probes%n",
                        sockets.size(), openSeconds, threadsBefore, threadsOpen, health[PROBES / 2] / 1e6, health[PROBES - 1] / 1e6,
                        job[PROBES / 2] / 1e6, job[PROBES - 1] / 1e6, PROBES);
                assertEquals(STREAMS, sockets.size());
                assertTrue(health[PROBES - 1] < HEALTH_BUDGET_MS * 1_000_000L, "health max " + health[PROBES - 1] / 1e6 + " ms");
                assertTrue(job[PROBES - 1] < HEALTH_BUDGET_MS * 1_000_000L, "job max " + job[PROBES - 1] / 1e6 + " ms");
                assertTrue(threadsOpen < threadsBefore + 100, "open streams hold no thread each: " + threadsBefore + " -> " + threadsOpen);

                // The job ends: every stream gets the final state and is closed by the server.
                assertEquals(200, http.post("/api/jobs/" + id + "/cancel", "", null).statusCode());
                for (Socket s : sockets) {
                    String rest = readUntil(s.getInputStream(), "\"CANCELLED\"");
                    assertTrue(rest.contains("event: state"), rest);
                }
                long end = System.nanoTime() + 10_000_000_000L;
                while (server.openEventStreams() > 0 && System.nanoTime() < end) {
                    Thread.sleep(10);
                }
                assertEquals(0, server.openEventStreams(), "every stream ended and freed its place");
                Object again = open("127.0.0.1", port, id);
                assertTrue(again instanceof Socket, "a new stream (of a finished job) opens again: " + again);
                ((Socket) again).close();
            } finally {
                for (Socket s : sockets) {
                    s.close();
                }
                server.close();
            }
        }
    }
}
