package org.genzoo.models.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class JobSpecTest {
    static final String VALID = """
            {"name": "quickstart", "model": {"family": "logistic", "init": 0.5},
             "data": {"dataset": "mnist", "dataDir": null, "binarize": true, "limit": 1000},
             "optimizer": {"type": "adam", "lr": 1e-3, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weightDecay": 0,
                           "momentum": 0.9, "clipGradNorm": 0},
             "batchSize": 128, "budget": {"steps": 500}, "seed": 1,
             "eval": {"every": 500, "split": "validation", "metrics": {"bits": true}},
             "checkpoint": {"every": 1000}, "output": "runs/quickstart", "device": "auto", "priority": 0}
            """;

    /** Parses {@code json} expecting a refusal; returns pointer -> error. */
    static Map<String, SpecError> errors(String json) {
        SpecException e = assertThrows(SpecException.class, () -> JobSpec.parse(json));
        Map<String, SpecError> m = e.errors().stream().collect(Collectors.toMap(SpecError::pointer, x -> x, (a, b) -> a));
        assertEquals(e.errors().size(), m.size(), "one error per field: " + e.getMessage());
        for (SpecError err : e.errors()) {
            assertTrue(e.getMessage().contains(err.message()), "message lists " + err);
        }
        return m;
    }

    static String with(String field, String value) {
        // replaces the value of a top-level or nested field given as "a.b" by textual surgery on VALID
        return VALID.replaceFirst("(\"" + field + "\"\\s*:\\s*)(\\{[^}]*\\}|[^,}\\n]+)", "$1" + java.util.regex.Matcher.quoteReplacement(value));
    }

    @Test
    void validSpecParsesWithDefaultsAndRoundTrips() {
        JobSpec s = JobSpec.parse(VALID);
        assertEquals("quickstart", s.name());
        assertEquals("logistic", s.model().family());
        assertEquals(1000, s.data().limit());
        assertEquals(500L, s.budget().steps());
        assertEquals(3, s.checkpoint().keep(), "default keep");
        assertEquals(10, s.logEvery(), "default logEvery");
        JobSpec again = JobSpec.parse(s.toJsonString());
        assertEquals(s, again);
        assertEquals(s.hash(), again.hash());
        assertEquals(64, s.hash().length());
    }

    @Test
    void minimalSpecGetsEveryDefault() {
        JobSpec s = JobSpec.parse("""
                {"name": "m", "model": {"family": "logistic"}, "data": {"dataset": "fashion-mnist"}, "budget": {"epochs": 2}}""");
        assertEquals("adam", s.optimizer().type());
        assertEquals(1e-3, s.optimizer().lr());
        assertEquals(128, s.batchSize());
        assertEquals("runs/m", s.output());
        assertEquals("validation", s.eval().split());
        assertEquals(0, s.eval().every());
        assertEquals(1000, s.checkpoint().every());
        assertEquals(1, s.seed());
        assertEquals(2 * 390, s.budget().totalSteps(390));
    }

    @Test
    void wrongTypeNamesPointerExpectedAndReceived() {
        SpecError e = errors(with("lr", "\"fast\"")).get("/optimizer/lr");
        assertEquals("a number > 0", e.expected());
        assertEquals("\"fast\"", e.received());
        assertEquals("/optimizer/lr: expected a number > 0, got \"fast\"", e.message());
        assertEquals("true or false", errors(with("binarize", "1")).get("/data/binarize").expected());
        assertEquals("an object", errors(with("budget", "100")).get("/budget").expected());
    }

    @Test
    void outOfRangeValues() {
        assertEquals("-0.1", errors(with("lr", "-0.1")).get("/optimizer/lr").received());
        assertEquals("an integer in [1, 1048576]", errors(with("batchSize", "0")).get("/batchSize").expected());
        assertEquals("2.5", errors(with("batchSize", "2.5")).get("/batchSize").received());
        assertTrue(errors(with("beta1", "1.0")).containsKey("/optimizer/beta1"));
        assertTrue(errors(with("priority", "5000")).containsKey("/priority"));
        assertTrue(errors(with("limit", "0")).containsKey("/data/limit"));
    }

    @Test
    void enumsAndDatasets() {
        assertEquals("one of adam, adamw, sgd", errors(with("type", "\"adamx\"")).get("/optimizer/type").expected());
        assertTrue(errors(with("split", "\"dev\"")).containsKey("/eval/split"));
        assertTrue(errors(with("dataset", "\"cifar\"")).containsKey("/data/dataset"));
        assertTrue(errors(with("dataset", "\"idx\"")).containsKey("/data/dataDir"), "idx without dataDir");
        JobSpec.parse(with("dataset", "\"idx:/tmp/x\""));
    }

    @Test
    void unknownFieldsAnywhere() {
        Map<String, SpecError> m = errors(VALID.replace("\"seed\": 1", "\"seed\": 1, \"sede\": 2").replace("\"lr\":", "\"lrr\": 1, \"lr\":"));
        assertTrue(m.get("/sede").expected().startsWith("no such field"), m.toString());
        assertEquals("the unknown field \"lrr\"", m.get("/optimizer/lrr").received());
        assertTrue(errors(with("init", "0.5, \"depth\": 3")).containsKey("/model/depth"), "the family reports its own unknown fields");
        assertTrue(errors(with("bits", "true, \"k\": 5")).containsKey("/eval/metrics/k"), "eval metrics go to the family");
    }

    @Test
    void missingRequiredFields() {
        Map<String, SpecError> m = errors("{\"name\": \"x\", \"data\": {}}");
        assertEquals("nothing (the field is required)", m.get("/model").received());
        assertTrue(m.containsKey("/budget"));
        assertTrue(m.containsKey("/data/dataset"));
        assertEquals(3, m.size(), m.toString());
    }

    @Test
    void budgetNeedsExactlyOne() {
        assertTrue(errors(with("budget", "{\"steps\": 5, \"epochs\": 2}")).get("/budget").expected().startsWith("exactly one"));
        assertTrue(errors(with("budget", "{}")).containsKey("/budget"));
        assertTrue(errors(with("budget", "{\"steps\": -5}")).containsKey("/budget/steps"));
    }

    @Test
    void familyIsCheckedAgainstTheRegistryAndValidatesItsFields() {
        SpecError e = errors(with("family", "\"gan9\"")).get("/model/family");
        assertTrue(e.expected().contains("logistic"), e.toString());
        Map<String, SpecError> m = errors(with("init", "\"big\", \"noise\": -1"));
        assertTrue(m.containsKey("/model/init"));
        assertTrue(m.containsKey("/model/noise"));
    }

    @Test
    void manyErrorsAtOnceEachWithItsPointer() {
        String bad = """
                {"name": "bad name!", "model": {"family": "logistic", "noise": "x"},
                 "data": {"dataset": 7, "binarize": "yes", "extra": 1},
                 "optimizer": {"type": "rmsprop", "lr": 0, "beta2": 2, "clipGradNorm": -1},
                 "batchSize": "128", "budget": {"steps": 0}, "seed": -1,
                 "eval": {"every": -5, "split": 3, "metrics": []},
                 "checkpoint": {"every": 0, "keep": -1}, "logEvery": 0, "output": "", "device": 5, "priority": 1.5,
                 "colour": "red"}
                """;
        Map<String, SpecError> m = errors(bad);
        List<String> want = List.of("/name", "/model/noise", "/data/dataset", "/data/binarize", "/data/extra", "/optimizer/type",
                "/optimizer/lr", "/optimizer/beta2", "/optimizer/clipGradNorm", "/batchSize", "/budget/steps", "/seed",
                "/eval/every", "/eval/split", "/eval/metrics", "/checkpoint/every", "/checkpoint/keep", "/logEvery", "/output",
                "/device", "/priority", "/colour");
        for (String p : want) {
            assertTrue(m.containsKey(p), "missing error at " + p + " in " + m.keySet());
        }
        assertEquals(want.size(), m.size(), m.keySet().toString());
    }

    @Test
    void unreadableJsonAndNonObjects() {
        SpecError e = errors("{\"name\": ").get("");
        assertTrue(e.received().startsWith("unreadable JSON at line 1"), e.toString());
        assertEquals("an object", errors("[1, 2]").get("").expected());
        assertTrue(errors(VALID.replace("\"seed\": 1", "\"seed\": 1, \"seed\": 2")).get("").received().contains("seed"),
                "duplicate keys are refused");
    }

    @Test
    void pointersEscapeSlashAndTilde() {
        assertEquals("/a~1b~0c", SpecReader.pointer("", "a/b~c"));
        assertTrue(errors(VALID.replace("\"seed\": 1", "\"seed\": 1, \"x/y\": 2")).containsKey("/x~1y"));
    }

    @Test
    void trainingHashIgnoresBudgetOutputAndCadence() {
        JobSpec a = JobSpec.parse(VALID);
        JobSpec b = JobSpec.parse(with("steps", "900").replace("runs/quickstart", "elsewhere"));
        assertEquals(a.trainingHash(), b.trainingHash());
        assertNotEquals(a.hash(), b.hash());
        assertNotEquals(a.trainingHash(), JobSpec.parse(with("lr", "0.01")).trainingHash());
        assertNotEquals(a.trainingHash(), JobSpec.parse(with("seed", "2")).trainingHash());
    }

    @Test
    void familiesAreFoundByServiceLoader() {
        assertTrue(ModelFamilies.names().contains("logistic"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ModelFamilies.get("nope"));
        assertTrue(e.getMessage().contains("logistic"), e.getMessage());
    }
}
