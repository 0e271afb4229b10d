package org.genzoo.service.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import io.javalin.json.JavalinJackson;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.genzoo.models.train.JobSpec;
import org.genzoo.models.train.SpecError;
import org.genzoo.models.train.SpecException;
import org.genzoo.service.jobs.IdempotencyConflictException;
import org.genzoo.service.jobs.Job;
import org.genzoo.service.jobs.JobService;
import org.genzoo.service.jobs.JobState;
import org.genzoo.service.metrics.HttpMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP API over a {@link JobService}: jobs, their events and artifacts, devices, health,
 * Prometheus metrics, the OpenAPI description and the dashboard. Every error is JSON:
 * {@code {"error": "one line", "errors": [{"pointer", "expected", "received"}...]}}, and bad input
 * always gets a 4xx (a 5xx means a fault in the server).
 *
 * <p>Security: the caller decides the address ({@link ApiConfig#checkExposure} refuses a non-loopback
 * address without a token). With a token, every route but {@code /health/live} and the dashboard
 * page at {@code /} (static HTML that holds no data and asks for the token) needs
 * {@code Authorization: Bearer <token>}; otherwise 401 with {@code WWW-Authenticate: Bearer}.
 */
public final class ApiServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ApiServer.class);

    /** Routes open without a token (exact paths). */
    public static final Set<String> OPEN_PATHS = Set.of("/", "/health/live");
    public static final String OPENAPI_RESOURCE = "/org/genzoo/service/openapi.yaml";
    public static final String DASHBOARD_RESOURCE = "/org/genzoo/service/web/index.html";
    public static final String JOB_SCHEMA_RESOURCE = "/org/genzoo/service/job-schema.json";
    /** Longest Idempotency-Key accepted: the job service's limit. */
    public static final int MAX_KEY = org.genzoo.service.jobs.LocalJobService.MAX_KEY_LENGTH;
    /** Sent with every answer: no MIME sniffing, no framing, no referrer. */
    static final Map<String, String> SECURITY_HEADERS = Map.of("X-Content-Type-Options", "nosniff", "X-Frame-Options", "DENY",
            "Referrer-Policy", "no-referrer", "Cross-Origin-Resource-Policy", "same-origin");
    private static final String START_ATTR = "genzoo.start";
    /** Parsing limits for request bodies: a spec nests 4 levels deep and holds short numbers. */
    private static final StreamReadConstraints LIMITS = StreamReadConstraints.builder().maxNestingDepth(64)
            .maxNumberLength(400).maxStringLength(1 << 20).build();
    private static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

    private final JobService jobs;
    private final DeviceCatalog devices;
    private final PrometheusMeterRegistry registry;
    private final ApiConfig config;
    private final ObjectMapper mapper;
    private final YAMLMapper yaml;
    private final List<String> routes = Collections.synchronizedList(new ArrayList<>());
    private final Set<String> templates = Collections.synchronizedSet(new LinkedHashSet<>());
    /** Each route as a regular expression over "METHOD /path", for requests refused before routing (401, 413). */
    private final List<Map.Entry<java.util.regex.Pattern, String>> matchers = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final HttpMetrics httpMetrics;
    private final EventStream events;
    private final SpecCheck dryRun;
    private final String csp;
    private Javalin app;

    /** What {@code POST /api/jobs?dryRun=true} runs on a spec that parsed: returns the report or throws a SpecException. */
    @FunctionalInterface
    public interface SpecCheck {
        Map<String, Object> check(String specJson) throws IOException;
    }

    public ApiServer(JobService jobs, DeviceCatalog devices, PrometheusMeterRegistry registry, ApiConfig config) {
        this(jobs, devices, registry, config, ApiServer::parseOnly);
    }

    public ApiServer(JobService jobs, DeviceCatalog devices, PrometheusMeterRegistry registry, ApiConfig config,
            SpecCheck dryRun) {
        config.checkExposure();
        this.jobs = jobs;
        this.devices = devices;
        this.registry = registry;
        this.config = config;
        this.dryRun = dryRun;
        this.mapper = mapper();
        this.yaml = YAMLMapper.builder(YAMLFactory.builder()
                .streamReadConstraints(LIMITS).build()).enable(com.fasterxml.jackson.core.JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
                .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS).build();
        this.httpMetrics = new HttpMetrics(registry, templates);
        this.events = new EventStream(jobs, mapper, config.maxStreams(), config.maxStreamsPerClient());
        this.csp = contentSecurityPolicy();
    }

    /** The JSON mapper of the API: pretty-printed output, strict input (duplicate keys refused, nesting capped). */
    public static ObjectMapper mapper() {
        return JsonMapper.builder(new com.fasterxml.jackson.core.JsonFactoryBuilder()
                        .streamReadConstraints(LIMITS).build())
                .enable(SerializationFeature.INDENT_OUTPUT)
                .enable(com.fasterxml.jackson.core.JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
                .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS).build();
    }

    static Map<String, Object> parseOnly(String specJson) {
        JobSpec spec = JobSpec.parse(specJson);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("valid", true);
        m.put("spec", spec.toJson());
        return m;
    }

    /** Starts listening; returns this. */
    public synchronized ApiServer start() {
        if (app != null) {
            throw new IllegalStateException("the API server is already started");
        }
        app = Javalin.create(cfg -> {
            cfg.showJavalinBanner = false;
            cfg.http.maxRequestSize = config.maxBodyBytes();
            cfg.jsonMapper(new JavalinJackson(mapper, false));
            cfg.events.handlerAdded(info -> {
                if (info.getHttpMethod().isHttpMethod()) {
                    routes.add(info.getHttpMethod().name() + " " + info.getPath());
                    templates.add(info.getPath());
                    matchers.add(Map.entry(routePattern(info.getHttpMethod().name(), info.getPath()), info.getPath()));
                }
            });
        });
        app.before(this::before);
        app.after(this::after);
        app.exception(ApiException.class, (e, ctx) -> error(ctx, e.status(), e.getMessage(), e.errors()));
        app.exception(HttpResponseException.class, (e, ctx) -> error(ctx, e.getStatus(), e.getMessage(), List.of()));
        app.exception(org.genzoo.service.jobs.JobStoreException.class, (e, ctx) -> {
            LOG.warn("request {} {}: job store fault: {}", ctx.method(), ctx.path(), e.getMessage());
            ctx.header("Retry-After", "30");
            error(ctx, e.storageFull() ? 507 : 503, e.storageFull()
                    ? "the job store's disk is full, so nothing can be recorded now; free space in the data folder and retry"
                    + " (nothing already stored was lost)"
                    : "the job store cannot be used now (" + e.getMessage() + "); retry later", List.of());
        });
        app.exception(Exception.class, (e, ctx) -> {
            LOG.error("request {} {} failed", ctx.method(), ctx.endpointHandlerPath(), e);
            error(ctx, 500, "internal error: " + e.getClass().getSimpleName() + ": " + e.getMessage(), List.of());
        });
        app.error(404, ctx -> {
            if (ctx.result() == null || ctx.result().isEmpty()) {
                error(ctx, 404, "no route " + ctx.method() + " " + ctx.path() + " (see /openapi.yaml)", List.of());
            }
        });
        app.error(405, ctx -> error(ctx, 405, "method " + ctx.method() + " is not allowed on " + ctx.path(), List.of()));

        app.get("/", ctx -> {
            ctx.header("Content-Security-Policy", csp);
            resource(ctx, DASHBOARD_RESOURCE, "text/html; charset=utf-8");
        });
        app.get("/openapi.yaml", ctx -> resource(ctx, OPENAPI_RESOURCE, "application/yaml"));
        app.get("/health/live", ctx -> ctx.json(Map.of("status", "UP")));
        app.get("/health/ready", this::ready);
        app.get("/metrics", ctx -> ctx.contentType(PROMETHEUS_TEXT).result(registry.scrape()));
        app.get("/api/schema/job", ctx -> resource(ctx, JOB_SCHEMA_RESOURCE, "application/schema+json"));
        app.get("/api/devices", ctx -> ctx.json(Map.of("devices", devices.devices())));
        app.get("/api/workers", ctx -> ctx.json(Map.of("workers", devices.workers())));
        app.post("/api/jobs", this::submit);
        app.get("/api/jobs", this::list);
        app.get("/api/jobs/{id}", ctx -> ctx.json(JobJson.of(job(pathParam(ctx, "id")), mapper)));
        app.post("/api/jobs/{id}/cancel", this::cancel);
        app.get("/api/jobs/{id}/events", ctx -> events.handle(ctx, job(pathParam(ctx, "id")).id()));
        app.get("/api/jobs/{id}/artifacts", ctx -> {
            Job j = job(pathParam(ctx, "id"));
            ctx.json(Map.of("jobId", j.id(), "artifacts", Artifacts.list(jobs.artifactDir(j.id()))));
        });
        app.get("/api/jobs/{id}/artifacts/<name>", this::artifact);
        app.start(config.host(), config.port());
        return this;
    }

    /** The port the server listens on (the chosen one when started with port 0). */
    public int port() {
        return app.port();
    }

    public String baseUrl() {
        String h = config.host();
        if (h.equals("0.0.0.0") || h.equals("::") || h.equals("[::]")) {
            h = "127.0.0.1";
        } else if (h.contains(":") && !h.startsWith("[")) {
            h = "[" + h + "]";
        }
        return "http://" + h + ":" + port();
    }

    /** Every route registered with Javalin, as "METHOD /path/{param}". */
    public List<String> routes() {
        synchronized (routes) {
            return List.copyOf(routes);
        }
    }

    @Override
    public synchronized void close() {
        events.close();
        if (app != null) {
            app.stop();
            app = null;
        }
    }

    // ------------------------------------------------------------------ handlers

    private void before(Context ctx) {
        ctx.attribute(START_ATTR, System.nanoTime());
        SECURITY_HEADERS.forEach(ctx::header);
        try {
            java.net.URLDecoder.decode(ctx.path(), StandardCharsets.UTF_8); // what Javalin does to path parameters, later
        } catch (IllegalArgumentException e) {
            throw new ApiException(400, "the path holds a malformed %-escape; encode path parts as UTF-8 %XX bytes");
        }
        String host = ctx.header("Host");
        if (!config.hostAllowed(host)) {
            throw new ApiException(403, "this server does not answer to the host name in the Host header (" + host + "): a page"
                    + " whose DNS name points here may not read it. Use the bound address or localhost, or start the server"
                    + " with --allow-host NAME");
        }
        String origin = ctx.header("Origin");
        if (origin != null && !origin.equalsIgnoreCase("http://" + host) && !origin.equalsIgnoreCase("https://" + host)) {
            throw new ApiException(403, "cross-origin request refused: Origin " + origin + " is not this server's own"
                    + " (http://" + host + "); web pages of other sites may not use this API");
        }
        String site = ctx.header("Sec-Fetch-Site");
        boolean safe = ctx.method().name().equals("GET") || ctx.method().name().equals("HEAD") || ctx.method().name().equals("OPTIONS");
        if (!safe && site != null && !site.equals("same-origin") && !site.equals("none")) {
            throw new ApiException(403, "cross-site request refused (Sec-Fetch-Site: " + site + "): web pages of other sites may"
                    + " not change anything here");
        }
        if (config.token() != null && !OPEN_PATHS.contains(ctx.path()) && !config.token().matches(ctx.header("Authorization"))) {
            ctx.header("WWW-Authenticate", "Bearer realm=\"genzoo\"");
            throw new ApiException(401, ctx.header("Authorization") == null
                    ? "this server needs a bearer token: send Authorization: Bearer <token> (genzoo --token or GENZOO_TOKEN)"
                    : "the bearer token is wrong");
        }
        long len = ctx.contentLength();
        if (len > config.maxBodyBytes()) {
            throw ApiException.body(413, "the request body has " + len + " bytes; the limit is " + config.maxBodyBytes(),
                    "a body of at most " + config.maxBodyBytes() + " bytes", len + " bytes");
        }
    }

    private void after(Context ctx) {
        Long start = ctx.attribute(START_ATTR);
        if (start != null) {
            String template;
            try {
                template = ctx.endpointHandlerPath();
            } catch (RuntimeException none) {
                template = null;
            }
            if (template == null || !templates.contains(template)) {
                template = templateOf(ctx.method().name(), ctx.path());
            }
            httpMetrics.record(ctx.method().name(), template, ctx.statusCode(), System.nanoTime() - start);
        }
    }

    /** "GET /api/jobs/{id}/artifacts/<name>" as a pattern: {x} is one path segment, <x> one or more. */
    static java.util.regex.Pattern routePattern(String method, String path) {
        StringBuilder re = new StringBuilder(java.util.regex.Pattern.quote(method + " "));
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\{[^}]+}|<[^>]+>").matcher(path);
        int at = 0;
        while (m.find()) {
            re.append(java.util.regex.Pattern.quote(path.substring(at, m.start())));
            re.append(m.group().startsWith("{") ? "[^/]+" : ".+");
            at = m.end();
        }
        re.append(java.util.regex.Pattern.quote(path.substring(at)));
        return java.util.regex.Pattern.compile(re.toString());
    }

    /** The route template a request would match, or null. */
    private String templateOf(String method, String path) {
        String key = method + " " + path;
        for (Map.Entry<java.util.regex.Pattern, String> e : matchers) {
            if (e.getKey().matcher(key).matches()) {
                return e.getValue();
            }
        }
        return null;
    }

    private void ready(Context ctx) {
        boolean store = false;
        String storeProblem = null;
        try {
            storeProblem = jobs.storageProblem();
            store = storeProblem == null;
        } catch (RuntimeException e) {
            storeProblem = e.getMessage();
        }
        boolean device = devices.anyUsable();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("status", store && device ? "UP" : "DOWN");
        m.put("store", store ? "UP" : "DOWN");
        if (storeProblem != null) {
            m.put("storeProblem", storeProblem);
        }
        m.put("devices", device ? "UP" : "DOWN");
        m.put("usableDevices", devices.devices().stream().filter(d -> Boolean.TRUE.equals(d.get("usable"))).count());
        ctx.status(store && device ? 200 : 503).json(m);
    }

    private void submit(Context ctx) throws IOException {
        String key = ctx.header("Idempotency-Key");
        if (key != null && (key.isEmpty() || key.length() > MAX_KEY || !key.chars().allMatch(c -> c > 0x20 && c < 0x7f))) {
            throw new ApiException(400, "Idempotency-Key must be 1 to " + MAX_KEY + " printable ASCII characters without spaces",
                    List.of(new SpecError("", "an Idempotency-Key of 1 to " + MAX_KEY + " printable characters",
                            "a header of " + key.length() + " characters")));
        }
        boolean dry = dryRun(ctx);
        String json = specJson(ctx);
        try {
            if (dry) {
                ctx.json(dryRun.check(json));
                return;
            }
            JobService.Submitted s = jobs.submit(json, key);
            ctx.status(s.created() ? 201 : 200);
            ctx.header("Location", "/api/jobs/" + s.job().id());
            ctx.json(JobJson.of(s.job(), mapper));
        } catch (SpecException e) {
            throw new ApiException(400, "invalid job spec: " + e.errors().size() + (e.errors().size() == 1 ? " error" : " errors"),
                    e.errors());
        } catch (IdempotencyConflictException e) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("error", e.getMessage());
            m.put("existingJobId", e.existingJobId());
            m.put("errors", List.of(Map.of("pointer", "", "expected", "the body first sent with this Idempotency-Key",
                    "received", "a different body")));
            ctx.status(409).json(m);
        } catch (IllegalArgumentException e) {
            throw ApiException.body(400, e.getMessage(), "a job this server can run", String.valueOf(e.getMessage()));
        }
    }

    /** {@code ?dryRun=true|false} (absent: false); any other value is refused rather than read as false. */
    private static boolean dryRun(Context ctx) {
        List<String> v = ctx.queryParams("dryRun");
        if (v.isEmpty()) {
            return false;
        }
        if (v.size() == 1 && (v.get(0).equalsIgnoreCase("true") || v.get(0).equalsIgnoreCase("false"))) {
            return v.get(0).equalsIgnoreCase("true");
        }
        throw new ApiException(400, "dryRun must be true or false, got " + (v.size() == 1 ? "\"" + v.get(0) + "\"" : v.size() + " values")
                + "; nothing was submitted", List.of(new SpecError("", "?dryRun=true or ?dryRun=false", "dryRun=" + String.join(",", v))));
    }

    /** A path parameter, decoded; a malformed %-escape (such as %u0041) is bad input, not a server fault. */
    private static String pathParam(Context ctx, String name) {
        try {
            return ctx.pathParam(name);
        } catch (IllegalArgumentException e) {
            throw new ApiException(400, "the path holds a malformed %-escape; encode path parts as UTF-8 %XX bytes");
        }
    }

    /**
     * The body as JSON text. JSON and YAML, by Content-Type only (any other type, or none, is 415: a web
     * page of another site may send text/plain and forms without asking), are parsed here, under
     * nesting and number-length limits and with nothing after the document, so that the job service
     * sees only well-formed JSON; unreadable bodies are 400 at pointer "".
     */
    private String specJson(Context ctx) throws IOException {
        String type = Optional.ofNullable(ctx.contentType()).orElse("").toLowerCase(Locale.ROOT);
        int semi = type.indexOf(';');
        String base = (semi < 0 ? type : type.substring(0, semi)).strip();
        boolean isYaml = switch (base) {
            case "application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml" -> true;
            case "application/json" -> false;
            // Not text/plain, forms or no type at all: a web page of another site can send those without asking.
            default -> throw ApiException.body(415, (base.isEmpty() ? "no Content-Type" : "unsupported Content-Type " + base)
                    + ": send the spec as application/json or application/yaml", "Content-Type application/json or application/yaml",
                    base.isEmpty() ? "none" : base);
        };
        byte[] body = readBody(ctx);
        String text = new String(body, StandardCharsets.UTF_8);
        if (text.isBlank()) {
            throw ApiException.body(400, "the body is empty: send a job spec", "a job spec (a JSON object or YAML mapping)",
                    "an empty document");
        }
        boolean yamlBody = isYaml;
        JsonNode node;
        try {
            node = (yamlBody ? yaml : mapper).readTree(text);
        } catch (JsonProcessingException e) {
            String msg = e.getOriginalMessage() == null ? e.getClass().getSimpleName()
                    : e.getOriginalMessage().lines().findFirst().orElse("");
            var loc = e.getLocation();
            String kind = yamlBody ? "YAML" : "JSON";
            throw ApiException.body(400, "the body is not readable " + kind, yamlBody ? "a YAML mapping" : "a JSON object",
                    "unreadable " + kind + (loc != null && loc.getLineNr() > 0 ? " at line " + loc.getLineNr() + ", column "
                            + loc.getColumnNr() : "") + ": " + msg);
        }
        if (node == null || node.isMissingNode() || node.isNull()) {
            throw ApiException.body(400, "the body holds no spec", "a job spec (a JSON object or YAML mapping)", "an empty document");
        }
        if (!node.isObject()) {
            throw ApiException.body(400, "the body is not a job spec", "a JSON object or YAML mapping",
                    org.genzoo.models.train.SpecReader.describe(node));
        }
        return mapper.writer().without(SerializationFeature.INDENT_OUTPUT).writeValueAsString(node);
    }

    private byte[] readBody(Context ctx) throws IOException {
        long max = config.maxBodyBytes();
        byte[] b;
        try (InputStream in = ctx.req().getInputStream()) {
            b = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, max + 1));
        } catch (IOException | RuntimeException e) {
            // Jetty's BadMessageException (a bad chunk size, a body shorter than its Content-Length) or a reset
            throw ApiException.body(400, "the request body could not be read: " + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + e.getMessage().lines().findFirst().orElse("")),
                    "a well-formed body (valid chunked encoding, or exactly Content-Length bytes)", "a malformed body");
        }
        if (b.length > max) {
            throw ApiException.body(413, "the request body exceeds the limit of " + max + " bytes",
                    "a body of at most " + max + " bytes", "more than " + max + " bytes");
        }
        return b;
    }

    private void list(Context ctx) {
        String s = ctx.queryParam("state");
        Optional<JobState> state = Optional.empty();
        if (s != null) {
            try {
                state = Optional.of(JobState.valueOf(s.toUpperCase(Locale.ROOT)));
            } catch (IllegalArgumentException e) {
                throw new ApiException(400, "unknown state " + s + "; use one of " + java.util.Arrays.toString(JobState.values()));
            }
        }
        List<Map<String, Object>> out = new ArrayList<>();
        for (Job j : jobs.list(state)) {
            out.add(JobJson.of(j, mapper));
        }
        ctx.json(Map.of("jobs", out));
    }

    /**
     * 200 only when this request cancelled a queued job; 202 when a running job will stop; 409 when the
     * job had finished, also when it finished (by itself or by an earlier cancel) while this request ran.
     */
    private void cancel(Context ctx) {
        Job before = job(pathParam(ctx, "id"));
        if (before.state().terminal()) {
            throw new ApiException(409, "job " + before.id() + " has already finished (" + before.state() + "); nothing to cancel");
        }
        Job after = jobs.cancel(before.id()).orElseThrow(() -> new ApiException(404, "no job " + before.id()));
        if (after.state().terminal() && before.state() != JobState.QUEUED) {
            throw new ApiException(409, "job " + after.id() + " has already finished (" + after.state() + "); nothing to cancel");
        }
        ctx.status(after.state().terminal() ? 200 : 202).json(JobJson.of(after, mapper));
    }

    private void artifact(Context ctx) throws IOException {
        Job j = job(pathParam(ctx, "id"));
        Path file = Artifacts.resolve(jobs.artifactDir(j.id()), pathParam(ctx, "name"), j.id());
        ctx.contentType(Artifacts.contentType(file.getFileName().toString()));
        ctx.header("Content-Length", Long.toString(Files.size(file)));
        ctx.result(Files.newInputStream(file));
    }

    private Job job(String id) {
        if (id == null || id.isEmpty() || id.length() > 100) {
            throw new ApiException(404, "no job " + id);
        }
        return jobs.get(id).orElseThrow(() -> new ApiException(404, "no job " + id + " (list jobs at /api/jobs)"));
    }

    private static void resource(Context ctx, String name, String type) throws IOException {
        try (InputStream in = ApiServer.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new ApiException(404, "this build has no " + name.substring(name.lastIndexOf('/') + 1));
            }
            ctx.contentType(type).result(in.readAllBytes());
        }
    }

    private void error(Context ctx, int status, String message, List<SpecError> errors) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("error", message);
        if (!errors.isEmpty()) {
            List<Map<String, String>> list = new ArrayList<>();
            for (SpecError e : errors) {
                Map<String, String> one = new LinkedHashMap<>();
                one.put("pointer", e.pointer());
                one.put("expected", e.expected());
                one.put("received", e.received());
                list.add(one);
            }
            m.put("errors", list);
        }
        ctx.status(status).json(m);
    }

    /**
     * The dashboard's Content-Security-Policy: its one inline script by hash, styles inline, everything
     * else from this server only, never framed.
     */
    private static String contentSecurityPolicy() {
        String script = "'none'";
        try (InputStream in = ApiServer.class.getResourceAsStream(DASHBOARD_RESOURCE)) {
            if (in != null) {
                String html = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                int a = html.indexOf("<script>");
                int b = html.indexOf("</script>", a);
                if (a >= 0 && b > a) {
                    byte[] h = java.security.MessageDigest.getInstance("SHA-256")
                            .digest(html.substring(a + "<script>".length(), b).getBytes(StandardCharsets.UTF_8));
                    script = "'sha256-" + java.util.Base64.getEncoder().encodeToString(h) + "'";
                }
            }
        } catch (IOException | java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("reading the dashboard to hash its script", e);
        }
        return "default-src 'none'; script-src " + script + "; style-src 'self' 'unsafe-inline'; img-src 'self' blob: data:;"
                + " connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
    }

    /** Event streams open now. */
    public int openEventStreams() {
        return events.openStreams();
    }

    /** The registry scraped at /metrics. */
    public PrometheusMeterRegistry registry() {
        return registry;
    }

    /** True when the server requires a bearer token. */
    public boolean authRequired() {
        return config.token() != null;
    }
}
