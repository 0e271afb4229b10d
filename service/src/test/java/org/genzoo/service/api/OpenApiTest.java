package org.genzoo.service.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** /openapi.yaml against the routes Javalin registered, both ways, and the file served at /openapi.yaml. */
class OpenApiTest {
    static final Set<String> METHODS = Set.of("get", "post", "put", "delete", "patch", "head", "options");

    @TempDir
    Path tmp;

    @Test
    void theDescriptionMatchesTheRegisteredRoutes() throws Exception {
        JsonNode doc;
        try (InputStream in = ApiServer.class.getResourceAsStream(ApiServer.OPENAPI_RESOURCE)) {
            doc = new YAMLMapper().readTree(in);
        }
        assertTrue(doc.get("openapi").asText().startsWith("3."));
        Set<String> described = new TreeSet<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = doc.get("paths").fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> p = it.next();
            Set<String> declared = new TreeSet<>();
            p.getValue().path("parameters").forEach(x -> declared.add(paramName(doc, x)));
            for (Iterator<String> ms = p.getValue().fieldNames(); ms.hasNext();) {
                String m = ms.next();
                if (!METHODS.contains(m)) {
                    continue;
                }
                described.add(m.toUpperCase(Locale.ROOT) + " " + p.getKey());
                Set<String> params = new TreeSet<>(declared);
                p.getValue().get(m).path("parameters").forEach(x -> params.add(paramName(doc, x)));
                Matcher mt = Pattern.compile("\\{([^}]+)}").matcher(p.getKey());
                while (mt.find()) {
                    assertTrue(params.contains(mt.group(1)), "path parameter " + mt.group(1) + " of " + m + " " + p.getKey() + " is declared");
                }
                assertTrue(p.getValue().get(m).has("responses"), m + " " + p.getKey() + " has responses");
            }
        }
        try (MemoryJobService jobs = new MemoryJobService(tmp, null);
                ApiServer server = new ApiServer(jobs, List::of, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT),
                        ApiConfig.loopback(0)).start()) {
            Set<String> registered = new TreeSet<>();
            for (String r : server.routes()) {
                registered.add(r.replaceAll("<([^>]+)>", "{$1}"));
            }
            Set<String> undocumented = new TreeSet<>(registered);
            undocumented.removeAll(described);
            Set<String> phantom = new TreeSet<>(described);
            phantom.removeAll(registered);
            assertEquals(Set.of(), undocumented, "routes missing from openapi.yaml");
            assertEquals(Set.of(), phantom, "openapi.yaml describes routes the server does not have");
            assertEquals(registered.size(), server.routes().size(), "no route registered twice");
            String served = new Http(server.baseUrl(), null).get("/openapi.yaml").body();
            try (InputStream in = ApiServer.class.getResourceAsStream(ApiServer.OPENAPI_RESOURCE)) {
                assertEquals(new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8), served);
            }
        }
    }

    private static String paramName(JsonNode doc, JsonNode p) {
        if (p.has("$ref")) {
            return doc.at(p.get("$ref").asText().substring(1)).path("name").asText();
        }
        return p.path("in").asText().equals("path") ? p.path("name").asText() : "?" + p.path("name").asText();
    }
}
