package org.genzoo.service.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.Locale;
import java.util.Set;

/**
 * {@code http.server.requests}: one timer per (method, route template, status, outcome). The
 * {@code uri} tag is the route as registered ({@code /api/jobs/{id}}), never the raw path, and
 * requests that match no route share {@code uri="NOT_FOUND"}, so the tag stays bounded whatever
 * clients send.
 */
public final class HttpMetrics {
    public static final String NAME = "http.server.requests";
    /** The uri tag of a request that matched no route. */
    public static final String UNMATCHED = "NOT_FOUND";

    private final MeterRegistry registry;
    private final Set<String> templates;

    /** @param templates every route template the server registered (anything else is reported as {@link #UNMATCHED}) */
    public HttpMetrics(MeterRegistry registry, Set<String> templates) {
        this.registry = registry;
        this.templates = templates;
    }

    public void record(String method, String template, int status, long nanos) {
        String uri = template != null && templates.contains(template) ? template : UNMATCHED;
        String m = method == null ? "OTHER" : switch (method.toUpperCase(Locale.ROOT)) {
            case "GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH" -> method.toUpperCase(Locale.ROOT);
            default -> "OTHER";
        };
        Timer.builder(NAME).description("HTTP requests served, by route template")
                .tag("method", m).tag("uri", uri).tag("status", Integer.toString(status)).tag("outcome", outcome(status))
                .register(registry).record(nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
    }

    static String outcome(int status) {
        if (status < 200) {
            return "INFORMATIONAL";
        }
        if (status < 300) {
            return "SUCCESS";
        }
        if (status < 400) {
            return "REDIRECTION";
        }
        return status < 500 ? "CLIENT_ERROR" : "SERVER_ERROR";
    }
}
