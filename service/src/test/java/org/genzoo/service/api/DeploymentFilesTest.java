package org.genzoo.service.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.genzoo.host.TestDevices;
import org.genzoo.service.jobs.LocalJobService;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Static checks of the deployment files in docker/: compose.yaml references only services, volumes
 * and secrets it defines, and files that exist; the Prometheus and Grafana files point at services
 * compose defines; and every metric the Grafana dashboard queries is one the service exports,
 * checked against a real /metrics scrape of a server that ran a job. (That every path the Dockerfiles
 * COPY exists after the build is {@code DeploymentFilesIT}, which runs after {@code package}.)
 */
class DeploymentFilesTest {
    static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    static final Path DOCKER = ROOT.resolve("docker");
    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    /** {@code ${NAME:-default}} in compose files: the default is what a plain `compose up` uses. */
    static final Pattern VAR = Pattern.compile("\\$\\{([A-Z0-9_]+)(?::?-([^}]*))?}");
    static final Pattern GENZOO_METRIC = Pattern.compile("\\bgenzoo_[a-z0-9_]+");

    static JsonNode compose() throws Exception {
        return YAML.readTree(DOCKER.resolve("compose.yaml").toFile());
    }

    static String withDefaults(String s) {
        Matcher m = VAR.matcher(s);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(sb, Matcher.quoteReplacement(m.group(2) == null ? "" : m.group(2)));
        }
        m.appendTail(sb);
        return sb.toString();
    }

    static Set<String> keys(JsonNode n) {
        Set<String> s = new TreeSet<>();
        if (n != null) {
            n.fieldNames().forEachRemaining(s::add);
        }
        return s;
    }

    static List<String> names(JsonNode listOrMap) {
        List<String> out = new ArrayList<>();
        if (listOrMap == null) {
            return out;
        }
        if (listOrMap.isArray()) {
            for (JsonNode e : listOrMap) {
                out.add(e.isTextual() ? e.asText() : e.get("source").asText());
            }
        } else {
            listOrMap.fieldNames().forEachRemaining(out::add);
        }
        return out;
    }

    @Test
    void composeReferencesOnlyWhatItDefines() throws Exception {
        JsonNode c = compose();
        Set<String> services = keys(c.get("services"));
        Set<String> volumes = keys(c.get("volumes"));
        Set<String> secrets = keys(c.get("secrets"));
        assertTrue(services.containsAll(Set.of("genzoo", "worker", "genzoo-embedded", "postgres", "prometheus", "grafana")), services.toString());
        Set<String> usedVolumes = new TreeSet<>();
        Set<String> usedSecrets = new TreeSet<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = c.get("services").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String svc = e.getKey();
            JsonNode s = e.getValue();
            assertTrue(s.hasNonNull("image"), svc + " has an image");
            for (String sec : names(s.get("secrets"))) {
                assertTrue(secrets.contains(sec), svc + " uses secret " + sec + ", not defined in " + secrets);
                usedSecrets.add(sec);
            }
            for (String dep : names(s.get("depends_on"))) {
                assertTrue(services.contains(dep), svc + " depends on " + dep + ", not a service");
            }
            for (JsonNode v : s.path("volumes")) {
                String source = v.isTextual() ? v.asText().split(":")[0] : v.get("source").asText();
                if (source.startsWith(".") || source.startsWith("/")) {
                    assertTrue(Files.exists(DOCKER.resolve(source).normalize()), svc + " mounts " + source + ", which does not exist");
                } else {
                    assertTrue(volumes.contains(source), svc + " uses volume " + source + ", not defined in " + volumes);
                    usedVolumes.add(source);
                }
            }
            JsonNode build = s.get("build");
            if (build != null) {
                Path context = DOCKER.resolve(build.get("context").asText()).normalize();
                assertTrue(Files.isDirectory(context), svc + " build context " + context);
                assertTrue(Files.isRegularFile(context.resolve(withDefaults(build.get("dockerfile").asText()))), svc + " dockerfile");
            }
            // Every service belongs to a profile, so `up` without one starts nothing by surprise.
            Set<String> profiles = new TreeSet<>(names(s.get("profiles")));
            assertFalse(profiles.isEmpty(), svc + " has a profile");
            assertTrue(Set.of("fleet", "embedded").containsAll(profiles), svc + " profiles " + profiles);
        }
        assertEquals(volumes, usedVolumes, "every defined volume is used");
        assertEquals(secrets, usedSecrets, "every defined secret is used");
        for (Iterator<Map.Entry<String, JsonNode>> it = c.get("secrets").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String file = e.getValue().get("file").asText();
            String line = file.substring(2);
            assertTrue(Files.readString(DOCKER.resolve("make-secrets.sh")).contains(line),
                    "docker/make-secrets.sh makes " + file + " (secret " + e.getKey() + ")");
            assertTrue(Files.readString(ROOT.resolve(".gitignore")).contains("docker/" + line), ".gitignore keeps docker/" + line + " out of git");
        }
        // The GPU services reserve the GPU the way the compose spec says.
        for (String svc : List.of("genzoo", "worker", "genzoo-embedded")) {
            JsonNode dev = c.at("/services/" + svc + "/deploy/resources/reservations/devices/0");
            assertTrue(dev.path("capabilities").toString().contains("\"gpu\""), svc + " reserves a gpu: " + dev);
        }
        // The fleet services use the PostgreSQL service as their queue.
        for (String svc : List.of("genzoo", "worker")) {
            assertTrue(c.at("/services/" + svc + "/command").asText().contains("--store postgresql://genzoo@postgres:5432/genzoo"), svc);
        }
    }

    @Test
    void prometheusAndGrafanaPointAtComposeServices() throws Exception {
        Set<String> services = keys(compose().get("services"));
        JsonNode prom = YAML.readTree(DOCKER.resolve("prometheus/prometheus.yml").toFile());
        JsonNode job = prom.at("/scrape_configs/0");
        assertEquals("/metrics", job.get("metrics_path").asText());
        assertEquals("/run/secrets/genzoo_token", job.at("/authorization/credentials_file").asText());
        for (JsonNode t : job.at("/static_configs/0/targets")) {
            String host = t.asText().split(":")[0];
            assertTrue(services.contains(host), "scrape target " + t + " is a compose service");
            String command = compose().at("/services/" + host + "/command").asText();
            assertTrue(command.contains("--allow-host " + host), host + " allows its own service name as Host (the scrape sends it)");
        }
        JsonNode ds = YAML.readTree(DOCKER.resolve("grafana/provisioning/datasources/prometheus.yaml").toFile()).at("/datasources/0");
        assertEquals("prometheus", ds.get("type").asText());
        assertTrue(services.contains(ds.get("url").asText().replaceAll("^https?://", "").split(":")[0]), ds.toString());
        JsonNode dash = new ObjectMapper().readTree(DOCKER.resolve("grafana/dashboards/genzoo.json").toFile());
        for (JsonNode p : dash.get("panels")) {
            assertEquals(ds.get("uid").asText(), p.at("/datasource/uid").asText(), "panel " + p.get("title") + " uses the provisioned datasource");
        }
    }

    /** Each metric name the dashboard's queries use. */
    static Set<String> dashboardMetrics() throws Exception {
        JsonNode dash = new ObjectMapper().readTree(DOCKER.resolve("grafana/dashboards/genzoo.json").toFile());
        Set<String> names = new TreeSet<>();
        for (JsonNode p : dash.get("panels")) {
            for (JsonNode t : p.get("targets")) {
                Matcher m = GENZOO_METRIC.matcher(t.get("expr").asText());
                while (m.find()) {
                    names.add(m.group());
                }
            }
        }
        return names;
    }

    /** A 40-step RealNVP on the toy moons (no data files), checkpoints at 20 and 40, every kernel launch profiled. */
    static final String SPEC = """
            {"name": "dashboard-metrics", "model": {"family": "flow", "repeat": 2,
              "layers": [{"type": "coupling", "mask": "alternate", "hidden": [16], "scaleBound": 2.0}]},
             "data": {"dataset": "toy:moons", "limit": 512}, "optimizer": {"type": "adam", "lr": 0.002},
             "batchSize": 64, "budget": {"steps": 40}, "seed": 5, "logEvery": 10,
             "eval": {"every": 0}, "checkpoint": {"every": 20, "keep": 0}, "device": "cpu"}
            """;

    @TempDir
    Path tmp;

    @Test
    void everyMetricTheDashboardQueriesIsExported() throws Exception {
        Set<String> wanted = dashboardMetrics();
        // The issue's panels: kernel time by kernel and device, queue depth by state, job durations,
        // examples/s, device memory.
        assertTrue(wanted.containsAll(Set.of("genzoo_kernel_duration_seconds_sum", "genzoo_jobs", "genzoo_jobs_duration_seconds_sum",
                "genzoo_train_examples_total", "genzoo_device_memory_allocated_bytes")), wanted.toString());
        TestDevices.all();
        LocalJobService.Config cfg = LocalJobService.Config.defaults().withDataDir(tmp).withDevices(List.of("cpu"))
                .withLease(Duration.ofSeconds(5)).withPoll(Duration.ofMillis(200));
        try (GenZooServer server = GenZooServer.start(cfg, ApiConfig.loopback(0), 1)) {
            Http http = new Http(server.baseUrl(), null);
            HttpResponse<String> sub = http.post("/api/jobs", SPEC, "application/json");
            assertEquals(201, sub.statusCode(), sub.body());
            String id = Http.json(sub).get("id").asText();
            String state = "";
            for (int i = 0; i < 600 && !Set.of("SUCCEEDED", "FAILED", "CANCELLED").contains(state); i++) {
                Thread.sleep(200);
                state = Http.json(http.get("/api/jobs/" + id)).get("state").asText();
            }
            assertEquals("SUCCEEDED", state);
            String scrape = http.get("/metrics").body();
            for (int i = 0; i < 50 && !scrape.contains("genzoo_jobs_duration_seconds_count{"); i++) {
                Thread.sleep(100);
                scrape = http.get("/metrics").body();
            }
            Set<String> exported = new TreeSet<>();
            for (String line : scrape.lines().toList()) {
                if (!line.startsWith("#") && !line.isBlank()) {
                    exported.add(line.split("[{ ]", 2)[0]);
                }
            }
            Set<String> missing = new TreeSet<>(wanted);
            missing.removeAll(exported);
            assertTrue(missing.isEmpty(), "the dashboard queries " + missing + ", which the service does not export; exported genzoo meters: "
                    + exported.stream().filter(n -> n.startsWith("genzoo_")).toList());
        }
    }
}
