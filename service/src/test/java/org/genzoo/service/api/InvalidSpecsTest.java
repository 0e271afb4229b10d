package org.genzoo.service.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.genzoo.host.TestDevices;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * 1,000 invalid specs from a seeded generator, posted to the real server (SQLite store, CPU
 * worker): wrong types, out-of-range and huge numbers, unknown and missing fields, broken JSON and
 * YAML, non-object bodies, duplicate keys, deep nesting, several faults at once. Every answer must
 * be a 4xx whose errors carry JSON pointers; a single fault must give exactly one error, at its
 * field's pointer; and nothing may be enqueued.
 */
class InvalidSpecsTest {
    static final long SEED = 20261122L;
    static final int CASES = 1000;
    static final ObjectMapper JSON = new ObjectMapper();
    static final JsonNodeFactory F = JsonNodeFactory.instance;

    static final String BASE = """
            {"name": "gen", "model": {"family": "vae", "latent": 4, "hidden": [16]},
             "data": {"dataset": "mnist", "binarize": true, "limit": 256},
             "optimizer": {"type": "adam", "lr": 0.001, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weightDecay": 0,
                           "momentum": 0.9, "clipGradNorm": 0},
             "batchSize": 32, "budget": {"steps": 100}, "seed": 1,
             "eval": {"every": 0, "split": "validation", "limit": 64, "metrics": {"iwaeK": 10}},
             "checkpoint": {"every": 100, "keep": 3}, "logEvery": 10, "device": "auto", "priority": 0}""";

    /** Bad values per field (raw JSON text): each one alone makes the spec invalid at that pointer. */
    static final Map<String, List<String>> BAD = new TreeMap<>(Map.ofEntries(
            Map.entry("/name", List.of("42", "\"\"", "\"has space\"", "\"a/b\"", "\"..\"", "\"" + "n".repeat(65) + "\"", "true", "[]", "{}")),
            Map.entry("/model/latent", List.of("-1", "0", "5000", "1.5", "\"4\"", "true", "1e30", "123456789012345678901234567890")),
            Map.entry("/model/hidden", List.of("[]", "[0]", "\"16\"", "[1.5]", "{}", "[70000]")),
            Map.entry("/model/family", List.of("\"gan-x\"", "3", "[]")),
            Map.entry("/data/dataset", List.of("\"cifar\"", "3", "\"\"", "\"idx:\"")),
            Map.entry("/data/binarize", List.of("\"yes\"", "1")),
            Map.entry("/data/limit", List.of("0", "-5", "\"many\"", "1e20")),
            Map.entry("/optimizer/type", List.of("\"adamx\"", "1")),
            Map.entry("/optimizer/lr", List.of("0", "-0.1", "\"fast\"", "1e400", "true", "-1e308")),
            Map.entry("/optimizer/beta1", List.of("1.0", "-0.1", "2", "\"x\"")),
            Map.entry("/optimizer/eps", List.of("0", "-1", "1e999")),
            Map.entry("/batchSize", List.of("0", "-1", "2000000", "1.5", "\"32\"", "123456789012345678901234567890", "1e400")),
            Map.entry("/budget/steps", List.of("0", "-10", "\"100\"", "1.5", "99999999999999999999999")),
            Map.entry("/seed", List.of("-1", "\"one\"", "0.5", "1e19")),
            Map.entry("/eval/every", List.of("-1", "\"x\"")),
            Map.entry("/eval/split", List.of("\"dev\"", "2")),
            Map.entry("/checkpoint/every", List.of("0", "\"x\"")),
            Map.entry("/checkpoint/keep", List.of("-1", "2000000")),
            Map.entry("/logEvery", List.of("0", "100001")),
            Map.entry("/priority", List.of("1001", "-1001", "\"high\"", "1000.5")),
            Map.entry("/device", List.of("5", "[]")),
            Map.entry("/data", List.of("5", "\"mnist\"", "[]")),
            Map.entry("/optimizer", List.of("\"adam\"", "7")),
            Map.entry("/budget", List.of("[]", "100", "{}", "{\"steps\": 10, \"epochs\": 1}")),
            Map.entry("/eval", List.of("true")),
            Map.entry("/model", List.of("5", "\"vae\""))));
    /** Fields that must be present (removing one is an error at its pointer). */
    static final List<String> REQUIRED = List.of("/name", "/model", "/data", "/budget", "/model/family", "/data/dataset", "/model/latent");
    static final List<String> OBJECTS = List.of("", "/model", "/data", "/optimizer", "/budget", "/eval", "/checkpoint");

    record Case(String kind, String body, String contentType, Set<String> pointers, boolean exact) {
    }

    @TempDir
    Path tmp;

    @Test
    void everyInvalidSpecGetsA4xxWithPointers() throws Exception {
        TestDevices.all();
        Random rnd = new Random(SEED);
        List<Case> cases = new ArrayList<>();
        for (int i = 0; i < CASES; i++) {
            cases.add(generate(rnd));
        }
        Map<String, Integer> kinds = new TreeMap<>();
        try (GenZooServer server = GenZooServer.start(EndToEndTest.config(tmp), ApiConfig.loopback(0), 0)) {
            Http http = new Http(server.baseUrl(), null);
            for (int i = 0; i < cases.size(); i++) {
                Case c = cases.get(i);
                kinds.merge(c.kind(), 1, Integer::sum);
                HttpResponse<String> r = c.contentType() == null && c.body().startsWith("\u0000bytes:")
                        ? http.postBytes("/api/jobs", randomBytes(c.body()), "application/json")
                        : http.post("/api/jobs", c.body(), c.contentType());
                String where = "case " + i + " (seed " + SEED + ", " + c.kind() + "): " + abbreviate(c.body()) + " -> "
                        + r.statusCode() + " " + abbreviate(r.body());
                assertTrue(r.statusCode() >= 400 && r.statusCode() < 500, where);
                JsonNode errors = JSON.readTree(r.body()).get("errors");
                if (errors == null || errors.isEmpty()) {
                    fail("no errors[] in " + where);
                }
                Set<String> got = new TreeSet<>();
                for (JsonNode e : errors) {
                    assertTrue(e.has("pointer") && e.get("pointer").isTextual(), where);
                    String p = e.get("pointer").asText();
                    assertTrue(p.isEmpty() || p.startsWith("/"), "not a JSON pointer: " + p + " in " + where);
                    got.add(p);
                }
                if (c.exact()) {
                    assertEquals(c.pointers(), got, where);
                    assertEquals(c.pointers().size(), errors.size(), "one error per bad field: " + where);
                } else {
                    for (String p : c.pointers()) {
                        assertTrue(got.contains(p) || got.stream().anyMatch(g -> g.startsWith(p + "/")), p + " missing: " + where);
                    }
                }
            }
            assertTrue(server.jobs().list(Optional.empty()).isEmpty(), "no invalid spec was enqueued");
        }
        System.out.println("invalid specs by kind: " + kinds);
        assertTrue(kinds.size() >= 8, "the generator covers many kinds: " + kinds);
    }

    static Case generate(Random rnd) throws Exception {
        int k = rnd.nextInt(100);
        if (k < 40) {
            List<String> fields = new ArrayList<>(BAD.keySet());
            String f = fields.get(rnd.nextInt(fields.size()));
            List<String> values = BAD.get(f);
            return new Case("bad value", setRaw(BASE, f, values.get(rnd.nextInt(values.size()))), "application/json", Set.of(f), true);
        }
        if (k < 50) {
            String parent = OBJECTS.get(rnd.nextInt(OBJECTS.size()));
            String key = "x" + Integer.toString(rnd.nextInt(1 << 20), 36);
            ObjectNode root = (ObjectNode) JSON.readTree(BASE);
            ((ObjectNode) (parent.isEmpty() ? root : root.at(parent))).put(key, rnd.nextInt(100));
            String p = parent + "/" + key;
            // Unknown fields inside the model object are the family's to report; the pointer is the same.
            return new Case("unknown field", root.toString(), "application/json", Set.of(p), true);
        }
        if (k < 58) {
            String f = REQUIRED.get(rnd.nextInt(REQUIRED.size()));
            ObjectNode root = (ObjectNode) JSON.readTree(BASE);
            int cut = f.lastIndexOf('/');
            ObjectNode parent = (ObjectNode) (cut == 0 ? root : root.at(f.substring(0, cut)));
            parent.remove(f.substring(cut + 1));
            return new Case("missing field", root.toString(), "application/json", Set.of(f), true);
        }
        if (k < 70) {
            return new Case("broken JSON", broken(rnd), "application/json", Set.of(""), true);
        }
        if (k < 78) {
            List<String> bodies = List.of("[]", "[1, 2]", "42", "\"spec\"", "null", "true", "", "   ", "-1e999", "[{\"name\": \"x\"}]");
            return new Case("not an object", bodies.get(rnd.nextInt(bodies.size())), "application/json", Set.of(""), true);
        }
        if (k < 81) {
            return new Case("binary", "\u0000bytes:" + rnd.nextLong(), null, Set.of(""), true);
        }
        if (k < 84) {
            String dup = BASE.replace("\"seed\": 1,", "\"seed\": 1, \"seed\": 2,");
            return new Case("duplicate key", dup, "application/json", Set.of(""), true);
        }
        if (k < 87) {
            int depth = 100 + rnd.nextInt(20000);
            String deep = "{\"name\": \"d\", \"model\": " + "[".repeat(depth) + "]".repeat(depth) + "}";
            return new Case("deep nesting", deep, "application/json", Set.of(""), true);
        }
        if (k < 90) {
            List<String> yamls = List.of("name: [unclosed\n", "name: x\n  model: : :\n", "{a: 1", "- a\nb: c\n", "name: x\nname: y\n");
            return new Case("broken YAML", yamls.get(rnd.nextInt(yamls.size())), "application/yaml", Set.of(""), true);
        }
        if (k < 92) {
            String huge = "{\"name\": \"h\", \"batchSize\": " + "9".repeat(500 + rnd.nextInt(5000)) + "}";
            return new Case("huge number", huge, "application/json", Set.of(""), true);
        }
        // Several bad fields in different sections at once: every one is reported.
        List<String> fields = new ArrayList<>(List.of("/name", "/model/latent", "/data/limit", "/optimizer/lr", "/batchSize",
                "/budget/steps", "/seed", "/eval/split", "/checkpoint/keep", "/logEvery", "/priority"));
        java.util.Collections.shuffle(fields, rnd);
        int n = 2 + rnd.nextInt(4);
        String body = BASE;
        Set<String> ps = new TreeSet<>();
        for (String f : fields.subList(0, n)) {
            List<String> values = BAD.get(f);
            body = setRaw(body, f, values.get(rnd.nextInt(values.size())));
            ps.add(f);
        }
        return new Case("several bad fields", body, "application/json", ps, true);
    }

    /** The spec with the field at {@code pointer} replaced by raw JSON text (kept as text: 1e400 stays 1e400). */
    static String setRaw(String json, String pointer, String raw) throws Exception {
        ObjectNode root = (ObjectNode) JSON.readTree(json);
        int cut = pointer.lastIndexOf('/');
        ObjectNode parent = (ObjectNode) (cut == 0 ? root : root.at(pointer.substring(0, cut)));
        String marker = "__RAW_" + Math.abs(raw.hashCode()) + "__";
        parent.put(pointer.substring(cut + 1), marker);
        return root.toString().replace("\"" + marker + "\"", raw);
    }

    static String broken(Random rnd) {
        String s = BASE.strip();
        return switch (rnd.nextInt(6)) {
            case 0 -> s.substring(0, 1 + rnd.nextInt(s.length() - 1)); // a strict prefix of an object never parses
            case 1 -> s.replaceFirst(":", "=");
            case 2 -> s.substring(0, s.length() - 1) + ",}";
            case 3 -> s.replace("\"name\"", "name");
            case 4 -> s.replace("\"gen\"", "'gen'");
            default -> s.replace("0.001", "NaN");
        };
    }

    static byte[] randomBytes(String tag) {
        Random r = new Random(Long.parseLong(tag.substring(7)));
        byte[] b = new byte[1 + r.nextInt(2000)];
        r.nextBytes(b);
        b[0] = (byte) (0x80 | b[0]); // not '{', not blank: read as YAML (or refused), never as a spec
        return b;
    }

    static String abbreviate(String s) {
        String t = s.replace('\n', ' ');
        return t.length() > 300 ? t.substring(0, 300) + String.format(Locale.ROOT, "...(%d chars)", t.length()) : t;
    }
}
