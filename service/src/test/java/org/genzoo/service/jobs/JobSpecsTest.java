package org.genzoo.service.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.genzoo.host.TestDevices;
import org.genzoo.host.cl.ClDeviceInfo;
import org.genzoo.models.data.Toys;
import org.genzoo.models.train.JobSpec;
import org.genzoo.models.train.SpecError;
import org.genzoo.models.train.SpecException;
import org.junit.jupiter.api.Test;

/** Spec text (JSON and YAML), the JSON Schema resource against the parser, and the dry run. */
class JobSpecsTest {
    static final String JSON = """
            {"name": "y", "model": {"family": "vae", "latent": 4, "hidden": [32]},
             "data": {"dataset": "mnist", "limit": 512}, "optimizer": {"type": "adamw", "lr": 1e-3, "weightDecay": 0.01},
             "batchSize": 64, "budget": {"epochs": 2}, "seed": 9, "eval": {"every": 100, "split": "test"},
             "checkpoint": {"every": 50, "keep": 2}, "device": "cpu", "priority": -7}
            """;
    static final String YAML = """
            # the same job as YAML
            name: y
            model:
              family: vae
              latent: 4
              hidden: [32]
            data: {dataset: mnist, limit: 512}
            optimizer: {type: adamw, lr: 1.0e-3, weightDecay: 0.01}
            batchSize: 64
            budget: {epochs: 2}
            seed: 9
            eval: {every: 100, split: test}
            checkpoint: {every: 50, keep: 2}
            device: cpu
            priority: -7
            """;

    @Test
    void yamlAndJsonGiveTheSameSpec() {
        assertTrue(JobSpecs.isJson(JSON));
        assertFalse(JobSpecs.isJson(YAML));
        JobSpec j = JobSpecs.parse(JSON);
        assertEquals(j, JobSpecs.parse(YAML));
        assertEquals(j.hash(), JobSpecs.parse(YAML).hash());
        assertEquals(-7, j.priority());
    }

    static List<String> pointers(Runnable r) {
        SpecException e = assertThrows(SpecException.class, r::run);
        return e.errors().stream().map(SpecError::pointer).toList();
    }

    @Test
    void yamlErrorsCarryTheSamePointersAsJson() {
        String badJson = """
                {"name": "y", "model": {"family": "vae", "latent": 0}, "data": {"dataset": "mnist", "extra": 1},
                 "optimizer": {"lr": -1}, "batchSize": "big", "budget": {"steps": 5, "epochs": 1}}
                """;
        String badYaml = """
                name: y
                model: {family: vae, latent: 0}
                data: {dataset: mnist, extra: 1}
                optimizer: {lr: -1}
                batchSize: big
                budget: {steps: 5, epochs: 1}
                """;
        List<String> want = List.of("/model/latent", "/data/extra", "/optimizer/lr", "/batchSize", "/budget");
        assertEquals(new TreeSet<>(want), new TreeSet<>(pointers(() -> JobSpecs.parse(badJson))));
        assertEquals(pointers(() -> JobSpecs.parse(badJson)), pointers(() -> JobSpecs.parse(badYaml)));
    }

    @Test
    void unreadableTextIsOneErrorAtTheDocumentWithItsLine() {
        SpecException y = assertThrows(SpecException.class, () -> JobSpecs.parse("name: a\nmodel: [unclosed\n"));
        assertEquals(1, y.errors().size());
        assertEquals("", y.errors().get(0).pointer());
        assertTrue(y.errors().get(0).received().startsWith("unreadable YAML at line "), y.errors().get(0).received());
        SpecException j = assertThrows(SpecException.class, () -> JobSpecs.parse("{\"name\": }"));
        assertTrue(j.errors().get(0).received().startsWith("unreadable JSON at line 1"), j.errors().get(0).received());
        SpecException dup = assertThrows(SpecException.class, () -> JobSpecs.parse("name: a\nname: b\n"));
        assertTrue(dup.errors().get(0).received().contains("Duplicate field 'name'"), dup.errors().get(0).received());
        assertEquals(List.of(""), pointers(() -> JobSpecs.parse("  \n")));
        assertEquals(List.of(""), pointers(() -> JobSpecs.parse("- a list\n- not a spec\n")));
        assertEquals(List.of(""), pointers(() -> JobSpecs.parse("just a string")));
    }

    // ---- the JSON Schema resource against the parser ----

    static JsonNode schema() throws Exception {
        try (InputStream in = JobSpecsTest.class.getResourceAsStream("/org/genzoo/service/job-schema.json")) {
            return JobSpec.mapper().readTree(in);
        }
    }

    static Set<String> names(JsonNode obj) {
        Set<String> out = new TreeSet<>();
        obj.fieldNames().forEachRemaining(out::add);
        return out;
    }

    static final String MINIMAL = "{\"name\": \"m\", \"model\": {\"family\": \"vae\", \"latent\": 2}, \"data\": {\"dataset\": \"mnist\"},"
            + " \"budget\": {\"steps\": 10}}";

    @Test
    void schemaFieldsRequiredFieldsAndDefaultsMatchTheParser() throws Exception {
        JsonNode s = schema();
        ObjectNode full = JobSpec.parse(MINIMAL).toJson();
        assertEquals(names(full), names(s.get("properties")), "top-level fields");
        assertFalse(s.get("additionalProperties").asBoolean(true));

        // Required: exactly the fields whose absence the parser reports.
        Set<String> required = new TreeSet<>();
        s.get("required").forEach(n -> required.add("/" + n.asText()));
        required.add("/data"); // required by every family but a data-free one, which the schema cannot know
        assertEquals(required, new TreeSet<>(pointers(() -> JobSpec.parse("{}"))));

        // Each nested object: the same fields as the parser's full form, and the same defaults.
        for (String obj : List.of("data", "optimizer", "eval", "checkpoint")) {
            JsonNode props = s.get("properties").get(obj).get("properties");
            Set<String> schemaNames = names(props);
            if (obj.equals("optimizer")) {
                // Written only when set, so specs from before them keep their training hash.
                assertTrue(schemaNames.removeAll(Set.of("clipWeights", "schedule")));
                assertEquals(names(props), names(s.at("/$defs/optimizerObject/properties")), "the per-group form has the same fields");
            }
            assertEquals(names(full.get(obj)), schemaNames, obj);
            for (Iterator<String> it = props.fieldNames(); it.hasNext();) {
                String f = it.next();
                if (props.get(f).has("default")) {
                    assertSameValue(full.get(obj).get(f), props.get(f).get("default"), obj + "." + f + " default");
                }
            }
        }
        assertEquals(Set.of("steps", "epochs"), names(s.get("properties").get("budget").get("properties")));
        for (String f : List.of("batchSize", "seed", "logEvery", "device", "priority")) {
            assertSameValue(full.get(f), s.get("properties").get(f).get("default"), f + " default");
        }
        assertEquals(JobSpec.OPTIMIZERS, enumOf(s.at("/properties/optimizer/properties/type")));
        assertEquals(JobSpec.SPLITS, enumOf(s.at("/properties/eval/properties/split")));
        String datasetPattern = s.at("/properties/data/properties/dataset/pattern").asText();
        for (String toy : Toys.NAMES) {
            assertTrue(datasetPattern.contains(toy), toy);
            // A toy set holds real values: a Bernoulli VAE refuses it, a Gaussian one takes it.
            JobSpec.parse(MINIMAL.replace("\"mnist\"", "\"toy:" + toy + "\"").replace("\"latent\": 2", "\"latent\": 2, \"likelihood\": \"gaussian\""));
        }
    }

    /** JSON values equal as JSON (numbers by value: 0 and 0.0 are the same default). */
    static void assertSameValue(JsonNode want, JsonNode got, String what) {
        if (want.isNumber() && got.isNumber()) {
            assertEquals(want.doubleValue(), got.doubleValue(), what);
        } else {
            assertEquals(want, got, what);
        }
    }

    static List<String> enumOf(JsonNode n) {
        List<String> out = new ArrayList<>();
        n.get("enum").forEach(v -> out.add(v.asText()));
        return out;
    }

    /** Sets {@code /a/b} in a copy of the minimal spec. */
    static String with(String pointer, JsonNode value) throws Exception {
        ObjectNode root = (ObjectNode) JobSpec.mapper().readTree(MINIMAL);
        String[] parts = pointer.substring(1).split("/");
        ObjectNode o = root;
        for (int i = 0; i < parts.length - 1; i++) {
            o = o.has(parts[i]) ? (ObjectNode) o.get(parts[i]) : o.putObject(parts[i]);
        }
        o.set(parts[parts.length - 1], value);
        if (pointer.equals("/budget/epochs")) {
            o.remove("steps");
        }
        return root.toString();
    }

    /** Every numeric bound in the schema is the parser's: the bound is accepted, one past it refused at that pointer. */
    @Test
    void schemaBoundsAreTheParsersBounds() throws Exception {
        JsonNode props = schema().get("properties");
        List<String[]> fields = new ArrayList<>();
        for (Iterator<String> it = props.fieldNames(); it.hasNext();) {
            String f = it.next();
            JsonNode p = props.get(f);
            if (p.has("properties") && !f.equals("model")) {
                p.get("properties").fieldNames().forEachRemaining(c -> fields.add(new String[] {"/" + f + "/" + c}));
            } else {
                fields.add(new String[] {"/" + f});
            }
        }
        var f = JobSpec.mapper().getNodeFactory();
        int checked = 0;
        for (String[] fp : fields) {
            String ptr = fp[0];
            JsonNode p = schema().at("/properties" + ptr.replaceFirst("^/([^/]+)/", "/$1/properties/"));
            boolean integer = p.path("type").asText().equals("integer") || p.path("type").toString().contains("integer");
            if (p.has("minimum")) {
                long min = p.get("minimum").asLong();
                JobSpec.parse(with(ptr, integer ? f.numberNode(min) : f.numberNode((double) min)));
                assertEquals(List.of(ptr), pointers(() -> JobSpec.parse(uncheck(ptr, integer ? f.numberNode(min - 1) : f.numberNode(min - 0.5)))),
                        ptr + " below its minimum");
                checked++;
            }
            if (p.has("maximum") && p.get("maximum").asLong() < Long.MAX_VALUE) {
                long max = p.get("maximum").asLong();
                if (!ptr.equals("/batchSize") && !ptr.equals("/data/limit")) {
                    JobSpec.parse(with(ptr, f.numberNode(max)));
                }
                assertEquals(List.of(ptr), pointers(() -> JobSpec.parse(uncheck(ptr, f.numberNode(max + 1)))), ptr + " above its maximum");
                checked++;
            }
            if (p.has("exclusiveMinimum")) {
                assertEquals(List.of(ptr), pointers(() -> JobSpec.parse(uncheck(ptr, f.numberNode(p.get("exclusiveMinimum").asDouble())))),
                        ptr + " at its exclusive minimum");
                JobSpec.parse(with(ptr, f.numberNode(p.get("exclusiveMinimum").asDouble() + 1e-6)));
                checked++;
            }
            if (p.has("exclusiveMaximum")) {
                assertEquals(List.of(ptr), pointers(() -> JobSpec.parse(uncheck(ptr, f.numberNode(p.get("exclusiveMaximum").asDouble())))),
                        ptr + " at its exclusive maximum");
                JobSpec.parse(with(ptr, f.numberNode(p.get("exclusiveMaximum").asDouble() - 1e-6)));
                checked++;
            }
        }
        assertTrue(checked >= 25, "bounds checked: " + checked);
    }

    private static String uncheck(String ptr, JsonNode v) {
        try {
            return with(ptr, v);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    // ---- dry run ----

    static List<ClDeviceInfo> devices() {
        return TestDevices.all().stream().map(TestDevices.Target::device).distinct().toList();
    }

    @Test
    void dryRunResolvesTheDeviceAndEstimatesMemory() throws Exception {
        List<ClDeviceInfo> devs = devices();
        DryRun.Plan p = DryRun.check(JSON, devs);
        assertTrue(p.fits(), p.problem());
        assertEquals("cpu", p.device().type());
        assertEquals(512, p.trainExamples());
        assertEquals(784, p.dataDim());
        assertEquals(4L * 512 * 784 + 8L * 512, p.dataBytes(), "the training set as the trainer uploads it");
        assertTrue(p.modelBytes() > 4L * 2 * (784 * 32 + 32 * 8), "at least the parameters and their gradients: " + p.modelBytes());
        assertTrue(p.describe().contains("fits: yes"), p.describe().toString());
    }

    @Test
    void dryRunRefusesWhatCannotRunWithBothNumbers() throws Exception {
        List<ClDeviceInfo> devs = devices();
        String huge = JSON.replace("\"hidden\": [32]", "\"hidden\": [65536, 65536, 65536, 65536]").replace("\"mnist\", \"limit\": 512",
                "\"fashion-mnist\"");
        DryRun.Plan p = DryRun.check(huge, devs);
        assertFalse(p.fits());
        assertTrue(p.totalBytes() > p.device().globalMemBytes());
        assertTrue(p.problem().contains(DryRun.mib(p.totalBytes())) && p.problem().contains(DryRun.mib(p.device().globalMemBytes())),
                p.problem());
        JobRefusedException e = assertThrows(JobRefusedException.class, p::requireFits);
        assertEquals(p.problem(), e.getMessage());

        DryRun.Plan none = DryRun.check(JSON.replace("\"cpu\"", "\"no-such-device-xyz\""), devs);
        assertTrue(none.problem().startsWith("no device here matches the selector 'no-such-device-xyz'"), none.problem());
        DryRun.Plan small = DryRun.check(JSON.replace("\"limit\": 512", "\"limit\": 16"), devs);
        assertEquals("/batchSize 64 is larger than the 16 training examples", small.problem());
        assertThrows(SpecException.class, () -> DryRun.check("{\"name\": 1}", devs));
    }

    @Test
    void deviceClassesSelectByType() {
        for (ClDeviceInfo d : devices()) {
            assertTrue(DeviceMatch.accepts("auto", d));
            assertTrue(DeviceMatch.accepts(null, d));
            assertTrue(DeviceMatch.accepts(d.type().toUpperCase(java.util.Locale.ROOT), d));
            assertTrue(DeviceMatch.accepts(d.selector(), d));
            assertTrue(DeviceMatch.accepts(d.name().substring(0, Math.min(4, d.name().length())), d));
            for (String other : DeviceMatch.CLASSES) {
                assertEquals(other.equalsIgnoreCase(d.type()), DeviceMatch.accepts(other, d), other + " vs " + d);
            }
            assertFalse(DeviceMatch.accepts("99:99", d));
        }
    }
}
