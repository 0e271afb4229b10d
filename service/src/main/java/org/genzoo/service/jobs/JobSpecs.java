package org.genzoo.service.jobs;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.util.List;
import java.util.Map;
import org.genzoo.models.train.JobSpec;
import org.genzoo.models.train.ModelFamilies;
import org.genzoo.models.train.ModelFamily;
import org.genzoo.models.train.SpecError;
import org.genzoo.models.train.SpecException;

/**
 * Job spec text as the service receives it: JSON, or the same document written as YAML. Both are
 * read into one JSON tree and validated by {@link JobSpec#parse(JsonNode, Map)}, so a YAML spec gets
 * exactly the errors (JSON pointers included) that the same spec in JSON would. A document whose
 * first non-blank character is <code>{</code> is read as JSON; anything else as YAML. Duplicate keys are
 * refused in both.
 */
public final class JobSpecs {
    private static final ObjectMapper YAML = YAMLMapper.builder().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION).build();

    private JobSpecs() {
    }

    /** The spec in {@code text} (JSON or YAML) under the families on the class path. */
    public static JobSpec parse(String text) {
        return parse(text, ModelFamilies.all());
    }

    /** As {@link #parse(String)} with an explicit set of families. */
    public static JobSpec parse(String text, Map<String, ModelFamily> families) {
        return JobSpec.parse(tree(text), families);
    }

    /** True when {@code text} is read as JSON (its first non-blank character is an opening brace). */
    public static boolean isJson(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\uFEFF' || Character.isWhitespace(c)) {
                continue;
            }
            return c == '{';
        }
        return false;
    }

    /**
     * The document as a JSON tree; unreadable text is a {@link SpecException} with one error at the
     * document pointer ("") that gives the line and column.
     */
    public static JsonNode tree(String text) {
        if (text == null || text.isBlank()) {
            throw new SpecException(List.of(new SpecError("", "a job spec (a JSON object or YAML mapping)", "an empty document")));
        }
        boolean json = isJson(text);
        JsonNode root;
        try {
            root = (json ? JobSpec.mapper() : YAML).readTree(text);
        } catch (JsonProcessingException e) {
            String msg = e.getOriginalMessage() == null ? e.getClass().getSimpleName()
                    : e.getOriginalMessage().lines().findFirst().orElse("");
            var loc = e.getLocation();
            throw new SpecException(List.of(new SpecError("", json ? "a JSON object" : "a YAML mapping",
                    "unreadable " + (json ? "JSON" : "YAML") + (loc != null && loc.getLineNr() > 0
                            ? " at line " + loc.getLineNr() + ", column " + loc.getColumnNr() : "") + ": " + msg)));
        }
        if (root == null || root.isMissingNode() || root.isNull()) {
            throw new SpecException(List.of(new SpecError("", "a job spec (a JSON object or YAML mapping)", "an empty document")));
        }
        return root;
    }
}
