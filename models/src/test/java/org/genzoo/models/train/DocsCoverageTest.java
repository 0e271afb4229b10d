package org.genzoo.models.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The documentation covers what the examples use: every field name of every spec in examples/ is
 * documented in a page under docs/, every layer type they use has a row, and the README
 * names the registered families and calls the rest "coming".
 */
class DocsCoverageTest {
    static final Path ROOT = Path.of("..");

    /** Every page under docs/ (spec.md, flows.md, and the pages new families add). */
    static String docs() throws IOException {
        StringBuilder sb = new StringBuilder();
        try (Stream<Path> pages = Files.list(ROOT.resolve("docs"))) {
            for (Path p : pages.filter(f -> f.toString().endsWith(".md")).sorted().toList()) {
                sb.append(Files.readString(p)).append('\n');
            }
        }
        return sb.toString();
    }

    static void fields(JsonNode n, String file, Map<String, String> out) {
        if (n.isObject()) {
            n.fields().forEachRemaining(e -> {
                out.putIfAbsent(e.getKey(), file);
                fields(e.getValue(), file, out);
            });
        } else if (n.isArray()) {
            n.forEach(v -> fields(v, file, out));
        }
    }

    @Test
    void everyFieldAndLayerTypeOfTheExamplesIsDocumented() throws IOException {
        assumeTrue(Files.isDirectory(ROOT.resolve("examples")), "run from the repository (examples/ beside the module)");
        Map<String, String> used = new TreeMap<>();
        Map<String, String> layerTypes = new TreeMap<>();
        try (Stream<Path> files = Files.walk(ROOT.resolve("examples"))) {
            for (Path f : files.filter(p -> p.toString().endsWith(".json")).toList()) {
                JsonNode spec = JobSpec.mapper().readTree(f.toFile());
                fields(spec, f.toString(), used);
                spec.path("model").path("layers").forEach(l -> {
                    if (l.isObject()) { // a DBN's "layers" are widths, not layer objects
                        layerTypes.putIfAbsent(l.path("type").asText(), f.toString());
                    }
                });
            }
        }
        assertTrue(used.size() > 20, "found the examples: " + used.keySet());
        String docs = docs();
        List<String> missing = new ArrayList<>();
        used.forEach((k, f) -> {
            if (!docs.contains("`" + k + "`") && !docs.contains("`" + k + ".") && !docs.contains("." + k + "`")
                    && !docs.contains(" " + k + "`") && !docs.contains("\"" + k + "\"")) {
                missing.add(k + " (" + f + ")");
            }
        });
        layerTypes.forEach((t, f) -> {
            if (!docs.contains("| `" + t + "`") && !docs.contains("/ `" + t + "`") && !docs.contains("`" + t + "`, `")) {
                missing.add("layer type " + t + " (" + f + ")");
            }
        });
        assertEquals(List.of(), missing, "documented in a page under docs/");
    }

    @Test
    void theReadmeDescribesTheFamiliesThatExistAndCallsTheRestComing() throws IOException {
        String readme = Files.readString(ROOT.resolve("README.md"));
        List<String> built = new ArrayList<>();
        for (ModelFamily f : ModelFamilies.all().values()) {
            // Test-only families (test-classes on the class path) are not the product's.
            if (!f.getClass().getProtectionDomain().getCodeSource().getLocation().toString().contains("test-classes")) {
                built.add(f.name());
            }
        }
        assertTrue(built.contains("vae"), built.toString());
        for (String family : built) {
            assertTrue(readme.contains("`" + family + "`"), "README names the registered family " + family);
        }
        // A paragraph that names a kind of model not built yet must call it coming.
        List<String> later = new ArrayList<>();
        if (!built.contains("rbm")) {
            later.add("energy-based|\\bEBMs?\\b");
        }
        if (!built.contains("gan")) {
            later.add("\\bGANs?\\b");
        }
        java.util.regex.Pattern notYet = java.util.regex.Pattern.compile("(?i)" + String.join("|", later));
        for (String paragraph : readme.split("\n\\s*\n")) {
            if (!later.isEmpty() && notYet.matcher(paragraph).find()) {
                assertTrue(paragraph.toLowerCase(java.util.Locale.ROOT).contains("coming"),
                        "a family that is not built yet is called coming: " + paragraph);
            }
        }
    }
}
