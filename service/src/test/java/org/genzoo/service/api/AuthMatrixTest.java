package org.genzoo.service.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.genzoo.host.TestDevices;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Security when bound beyond loopback: the server listens on 0.0.0.0 (reached here through
 * 127.0.0.1, which does not make it any less exposed) and every route registered with Javalin is
 * called with no token, a wrong token and the right one. Only {@code /health/live} and the dashboard
 * page {@code /} are open by design (no data in either; the page asks for the token).
 */
class AuthMatrixTest {
    static final String SECRET = "s3cret-token-for-the-auth-matrix-0123456789";
    static final String WRONG = "s3cret-token-for-the-auth-matrix-0123456780";
    static final String TINY = """
            {"name": "auth", "model": {"family": "vae", "latent": 2, "hidden": [8]},
             "data": {"dataset": "mnist", "limit": 64}, "batchSize": 16, "budget": {"steps": 4}, "logEvery": 2,
             "eval": {"every": 0, "limit": 16, "metrics": {"iwaeK": 2}}}""";

    @TempDir
    Path tmp;

    @Test
    void everyRouteNeedsTheTokenWhenBoundBeyondLoopback() throws Exception {
        TestDevices.all();
        ApiConfig cfg = new ApiConfig("0.0.0.0", 0, BearerToken.of(SECRET), ApiConfig.DEFAULT_MAX_BODY_BYTES);
        try (GenZooServer server = GenZooServer.start(EndToEndTest.config(tmp), cfg, 0)) {
            Http right = new Http(server.baseUrl(), SECRET);
            HttpResponse<String> sub = right.post("/api/jobs", TINY, "application/json");
            assertEquals(201, sub.statusCode(), sub.body());
            String id = Http.json(sub).get("id").asText();
            long end = System.nanoTime() + 60_000_000_000L;
            while (!Http.json(right.get("/api/jobs/" + id)).get("state").asText().equals("SUCCEEDED")) {
                assertTrue(System.nanoTime() < end, "the job did not finish");
                Thread.sleep(100);
            }

            List<String> routes = server.api().routes();
            assertTrue(routes.size() >= 14, routes.toString());
            Map<String, Integer> rightStatus = new LinkedHashMap<>();
            for (String route : routes) {
                String method = route.substring(0, route.indexOf(' '));
                String path = route.substring(route.indexOf(' ') + 1).replace("{id}", id).replace("<name>", "train.log");
                boolean open = ApiServer.OPEN_PATHS.contains(path);
                for (String presented : new String[] {null, WRONG, SECRET, "Basic " + SECRET}) {
                    HttpResponse<String> r = call(server.baseUrl(), method, path, presented);
                    String where = route + " with " + (presented == null ? "no token" : presented.equals(SECRET) ? "the right token"
                            : presented.startsWith("Basic") ? "the token as Basic" : "a wrong token") + " -> " + r.statusCode();
                    assertFalse(r.body().contains(SECRET), "the token is never echoed: " + where);
                    if (open || SECRET.equals(presented)) {
                        assertTrue(r.statusCode() != 401 && r.statusCode() < 500, where + " " + r.body());
                        if (SECRET.equals(presented)) {
                            rightStatus.put(route, r.statusCode());
                        }
                    } else {
                        assertEquals(401, r.statusCode(), where);
                        assertTrue(r.headers().firstValue("WWW-Authenticate").orElse("").startsWith("Bearer"), where);
                        assertTrue(Http.json(r).get("error").asText().contains("token"), where);
                    }
                }
            }
            // With the right token each route does its work (the job has finished: cancel has nothing to do).
            for (Map.Entry<String, Integer> e : rightStatus.entrySet()) {
                int want = e.getKey().equals("POST /api/jobs") ? 201 : e.getKey().equals("POST /api/jobs/{id}/cancel") ? 409 : 200;
                assertEquals(want, e.getValue(), e.getKey());
            }
            assertEquals(routes.size(), rightStatus.size());
            // Refused requests are timed under their route template too.
            String metrics = right.get("/metrics").body();
            assertTrue(metrics.lines().anyMatch(l -> l.startsWith("http_server_requests_seconds_count") && l.contains("status=\"401\"")
                    && l.contains("uri=\"/api/jobs/{id}/artifacts/<name>\"")), metrics);
        }
    }

    static HttpResponse<String> call(String base, String method, String path, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30));
        if (token != null) {
            b.header("Authorization", token.startsWith("Basic ") ? token : "Bearer " + token);
        }
        if (method.equals("POST")) {
            b.header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
                    path.equals("/api/jobs") ? TINY.replace("\"auth\"", "\"auth-" + System.nanoTime() + "\"") : ""));
        } else {
            b.GET();
        }
        return HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void anExposedAddressWithoutATokenIsRefusedBeforeAnythingOpens() {
        Path data = tmp.resolve("never");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GenZooServer.start(
                EndToEndTest.config(data), new ApiConfig("0.0.0.0", 0, null, ApiConfig.DEFAULT_MAX_BODY_BYTES), 0));
        assertTrue(e.getMessage().contains("refusing to listen on 0.0.0.0 without a bearer token"), e.getMessage());
        assertTrue(e.getMessage().contains("--token-file"), e.getMessage());
        assertFalse(Files.exists(data), "no data folder, store or device was opened");
        new ApiConfig("127.0.0.1", 0, null, ApiConfig.DEFAULT_MAX_BODY_BYTES).checkExposure();
        new ApiConfig("localhost", 0, null, ApiConfig.DEFAULT_MAX_BODY_BYTES).checkExposure();
        new ApiConfig("::1", 0, null, ApiConfig.DEFAULT_MAX_BODY_BYTES).checkExposure();
    }

    @Test
    void theTokenIsKeptOnlyAsItsHash() throws Exception {
        BearerToken t = BearerToken.of("  " + SECRET + "\n");
        assertTrue(t.matches("Bearer " + SECRET));
        assertTrue(t.matches("bearer " + SECRET), "the scheme is case-insensitive");
        assertFalse(t.matches("Bearer " + WRONG));
        assertFalse(t.matches("Bearer " + SECRET.substring(1)));
        assertFalse(t.matches(SECRET), "no scheme");
        assertFalse(t.matches(null));
        assertFalse(t.toString().contains(SECRET.substring(0, 8)));
        List<Object> held = new ArrayList<>();
        for (Field f : BearerToken.class.getDeclaredFields()) {
            if (!Modifier.isStatic(f.getModifiers())) {
                f.setAccessible(true);
                held.add(f.get(t));
            }
        }
        assertEquals(1, held.size());
        assertTrue(java.util.Arrays.equals(BearerToken.sha256(SECRET), (byte[]) held.get(0)), "only the SHA-256 is held");

        Path file = tmp.resolve("token.txt");
        Files.writeString(file, SECRET + "\n# a comment line is ignored\n");
        assertTrue(BearerToken.fromFile(file).matches("Bearer " + SECRET));
        IllegalArgumentException shortOne = assertThrows(IllegalArgumentException.class, () -> BearerToken.of("short"));
        assertTrue(shortOne.getMessage().contains("at least 16"), shortOne.getMessage());
        assertFalse(shortOne.getMessage().contains("short"), "not even a refused token is echoed");
        assertThrows(IllegalArgumentException.class, () -> BearerToken.fromFile(tmp.resolve("none.txt")));
        assertEquals(null, BearerToken.resolve(null, null));
        assertTrue(BearerToken.resolve(null, SECRET).matches("Bearer " + SECRET));
    }
}
