package org.genzoo.service.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.function.BiPredicate;

/** The job service's HTTP API from the client side (the CLI): java.net.http, JSON in and out. */
public final class ApiClient {
    /** The server is not there, or not answering. */
    public static final class UnreachableException extends IOException {
        public UnreachableException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** A response: status and body (JSON for everything but artifacts and the event stream). */
    public record Response(int status, byte[] body) {
        public String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        public JsonNode json() throws IOException {
            return MAPPER.readTree(body);
        }

        public boolean ok() {
            return status >= 200 && status < 300;
        }

        /** The server's one-line error message, or the status when the body is not an API error. */
        public String error() {
            try {
                JsonNode n = json();
                if (n != null && n.hasNonNull("error")) {
                    return n.get("error").asText();
                }
            } catch (IOException notJson) {
                // fall through: say what we have
            }
            return "HTTP " + status;
        }
    }

    static final ObjectMapper MAPPER = new ObjectMapper();

    private final URI base;
    private final String token;
    private final HttpClient http;

    /** @param server such as http://127.0.0.1:8080; @param token null or the bearer token */
    public ApiClient(String server, String token) {
        String s = server.endsWith("/") ? server.substring(0, server.length() - 1) : server;
        try {
            this.base = URI.create(s);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--server " + server + " is not a URL; give one like http://127.0.0.1:8080");
        }
        if (base.getScheme() == null || !(base.getScheme().equals("http") || base.getScheme().equals("https")) || base.getHost() == null) {
            throw new IllegalArgumentException("--server " + server + " is not an http(s) URL; give one like http://127.0.0.1:8080");
        }
        this.token = token == null || token.isBlank() ? null : token.strip();
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    }

    public static String encode(String pathPart) {
        return URLEncoder.encode(pathPart, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /** An artifact name as a path: each part encoded, the slashes kept. */
    public static String encodeName(String name) {
        StringBuilder sb = new StringBuilder();
        for (String part : name.split("/", -1)) {
            if (sb.length() > 0) {
                sb.append('/');
            }
            sb.append(encode(part));
        }
        return sb.toString();
    }

    private HttpRequest.Builder request(String path) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofMinutes(2));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return b;
    }

    public Response get(String path) throws IOException {
        return send(request(path).GET().build());
    }

    public Response post(String path, String body, String contentType, String idempotencyKey) throws IOException {
        HttpRequest.Builder b = request(path).POST(HttpRequest.BodyPublishers.ofString(body == null ? "" : body, StandardCharsets.UTF_8));
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        if (idempotencyKey != null) {
            b.header("Idempotency-Key", idempotencyKey);
        }
        return send(b.build());
    }

    private Response send(HttpRequest r) throws IOException {
        try {
            HttpResponse<byte[]> res = http.send(r, HttpResponse.BodyHandlers.ofByteArray());
            return new Response(res.statusCode(), res.body());
        } catch (ConnectException | HttpTimeoutException e) {
            throw new UnreachableException("cannot reach the GenZoo server at " + base + " (" + e.getClass().getSimpleName()
                    + "); start it with `genzoo serve` or point --server / GENZOO_SERVER at it", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    /**
     * Follows {@code /api/jobs/{id}/events}: calls {@code onEvent(type, data)} for each event until the
     * stream ends or the callback returns false. Returns the response status (200, or the error status
     * with no events delivered).
     */
    public Response events(String jobId, BiPredicate<String, JsonNode> onEvent) throws IOException {
        HttpRequest r = request("/api/jobs/" + encode(jobId) + "/events").timeout(Duration.ofDays(7)).GET().build();
        HttpResponse<InputStream> res;
        try {
            res = http.send(r, HttpResponse.BodyHandlers.ofInputStream());
        } catch (ConnectException | HttpTimeoutException e) {
            throw new UnreachableException("cannot reach the GenZoo server at " + base + "; start it with `genzoo serve`", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        try (InputStream in = res.body()) {
            if (res.statusCode() != 200) {
                return new Response(res.statusCode(), in.readAllBytes());
            }
            BufferedReader br = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            String type = "message";
            StringBuilder data = new StringBuilder();
            String line;
            while ((line = br.readLine()) != null) {
                if (line.isEmpty()) {
                    if (data.length() > 0) {
                        if (!onEvent.test(type, MAPPER.readTree(data.toString()))) {
                            break;
                        }
                    }
                    type = "message";
                    data.setLength(0);
                } else if (line.startsWith("event:")) {
                    type = line.substring(6).strip();
                } else if (line.startsWith("data:")) {
                    if (data.length() > 0) {
                        data.append('\n');
                    }
                    data.append(line.substring(5).strip());
                }
            }
            return new Response(200, new byte[0]);
        }
    }
}
