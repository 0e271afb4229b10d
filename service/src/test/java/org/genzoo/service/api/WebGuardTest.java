package org.genzoo.service.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.Optional;
import java.util.Set;
import org.genzoo.service.jobs.JobState;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Loopback mode (no token) against the attacks a web page can make: a cross-origin "simple" POST
 * (text/plain, a form, no type) that would submit a job, a body-less cross-origin POST that would
 * cancel one, and DNS rebinding (a page on attacker.example whose name now points at 127.0.0.1, so
 * the browser sends {@code Host: attacker.example}); and the dashboard's security headers.
 */
class WebGuardTest {
    @TempDir
    Path tmp;
    MemoryJobService jobs;
    ApiServer server;
    Http http;

    @BeforeEach
    void start() {
        jobs = new MemoryJobService(tmp, null);
        server = new ApiServer(jobs, ApiServerTest.ONE_DEVICE, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT),
                ApiConfig.loopback(0).withAllowedHosts(Set.of("genzoo.test"))).start();
        http = new Http(server.baseUrl(), null);
    }

    @AfterEach
    void stop() {
        server.close();
        jobs.close();
    }

    @Test
    void simpleCrossOriginPostsSubmitNothing() throws Exception {
        for (String type : new String[] {"text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", null}) {
            HttpResponse<String> r = http.post("/api/jobs", ApiServerTest.SPEC, type);
            assertEquals(415, r.statusCode(), type + ": " + r.body());
            assertTrue(r.body().contains("application/json or application/yaml"), r.body());
        }
        // The same text/plain POST as a browser sends it from another site: refused for its Origin first.
        HttpResponse<String> page = http.post("/api/jobs", ApiServerTest.SPEC, "text/plain", "Origin", "http://attacker.example");
        assertEquals(403, page.statusCode(), page.body());
        // Even a JSON body from another origin (a preflighted request a page could try) is refused.
        HttpResponse<String> json = http.post("/api/jobs", ApiServerTest.SPEC, "application/json", "Origin", "http://attacker.example");
        assertEquals(403, json.statusCode(), json.body());
        assertEquals(0, jobs.list(Optional.empty()).size(), "nothing was submitted");
        // The dashboard's own requests (same origin) still work.
        HttpResponse<String> own = http.post("/api/jobs", ApiServerTest.SPEC, "application/json", "Origin", server.baseUrl(),
                "Sec-Fetch-Site", "same-origin");
        assertEquals(201, own.statusCode(), own.body());
    }

    @Test
    void bodylessCrossOriginPostsCancelNothing() throws Exception {
        String id = Http.json(http.post("/api/jobs", ApiServerTest.SPEC, "application/json")).get("id").asText();
        HttpResponse<String> a = http.post("/api/jobs/" + id + "/cancel", "", null, "Origin", "http://attacker.example");
        assertEquals(403, a.statusCode(), a.body());
        HttpResponse<String> b = http.post("/api/jobs/" + id + "/cancel", "", null, "Origin", "null");
        assertEquals(403, b.statusCode(), b.body());
        // A browser that sends no Origin still sends Sec-Fetch-Site on a form POST from another site.
        HttpResponse<String> c = http.post("/api/jobs/" + id + "/cancel", "", null, "Sec-Fetch-Site", "cross-site");
        assertEquals(403, c.statusCode(), c.body());
        assertEquals(JobState.QUEUED, jobs.get(id).orElseThrow().state(), "nothing was cancelled");
        assertEquals(200, http.post("/api/jobs/" + id + "/cancel", "", null, "Origin", server.baseUrl()).statusCode());
    }

    @Test
    void dnsRebindingCannotReadJobsOrArtifacts() throws Exception {
        String id = Http.json(http.post("/api/jobs", ApiServerTest.SPEC, "application/json")).get("id").asText();
        int port = server.port();
        for (String path : new String[] {"/api/jobs", "/api/jobs/" + id, "/api/jobs/" + id + "/artifacts", "/metrics", "/"}) {
            String r = Raw.exchange(port, "GET " + path + " HTTP/1.1\nHost: attacker.example:" + port + "\nConnection: close\n\n");
            assertEquals(403, Raw.status(r), path + ": " + r);
            assertTrue(r.contains("--allow-host"), r);
        }
        for (String host : new String[] {"127.0.0.1:" + port, "localhost:" + port, "[::1]:" + port, "genzoo.test:" + port,
                "LOCALHOST"}) {
            String r = Raw.exchange(port, "GET /api/jobs HTTP/1.1\nHost: " + host + "\nConnection: close\n\n");
            assertEquals(200, Raw.status(r), host + ": " + r);
        }
        String other = Raw.exchange(port, "GET /api/jobs HTTP/1.1\nHost: 192.168.1.20:" + port + "\nConnection: close\n\n");
        assertEquals(403, Raw.status(other), "bound to loopback, a LAN address is not this server's name: " + other);
    }

    @Test
    void theDashboardIsSentWithACspThatAllowsOnlyItsOwnScript() throws Exception {
        HttpResponse<String> r = http.get("/");
        assertEquals(200, r.statusCode());
        assertEquals("DENY", r.headers().firstValue("X-Frame-Options").orElse(""));
        assertEquals("nosniff", r.headers().firstValue("X-Content-Type-Options").orElse(""));
        String csp = r.headers().firstValue("Content-Security-Policy").orElse("");
        String html = r.body();
        String script = html.substring(html.indexOf("<script>") + 8, html.indexOf("</script>"));
        String hash = Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-256").digest(script.getBytes(StandardCharsets.UTF_8)));
        assertTrue(csp.contains("script-src 'sha256-" + hash + "'"), csp);
        assertTrue(csp.contains("frame-ancestors 'none'") && csp.contains("default-src 'none'") && csp.contains("connect-src 'self'"), csp);
        HttpResponse<String> api = http.get("/api/jobs");
        assertEquals("nosniff", api.headers().firstValue("X-Content-Type-Options").orElse(""), "every answer");
    }
}
