package org.genzoo.models.train;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Reads the fields of one JSON object of a job spec, collecting a {@link SpecError} for every bad
 * field instead of stopping at the first. Each getter names a field, checks its type and range, and
 * returns its value, or the default when the field is absent or null, or when it is bad (the error is
 * recorded). {@link #finish()} then reports every field nobody asked for as unknown.
 *
 * <p>Model families use it in {@link ModelFamily#validate} so their errors read like the trainer's:
 * <pre>
 * SpecReader r = new SpecReader(model, pointer, errors);
 * r.string("family", null, true);
 * long hidden = r.integer("hidden", 256L, 1, 65536);
 * r.finish();
 * </pre>
 */
public final class SpecReader {
    private final JsonNode node;
    private final String pointer;
    private final List<SpecError> errors;
    private final Set<String> known = new LinkedHashSet<>();

    /**
     * @param node    the object to read; when it is not an object one error is recorded and every
     *                getter returns its default
     * @param pointer the JSON pointer of {@code node} ("" for the document)
     * @param errors  where errors go (shared by every reader of one spec)
     */
    public SpecReader(JsonNode node, String pointer, List<SpecError> errors) {
        this.pointer = pointer;
        this.errors = errors;
        if (node != null && !node.isObject()) {
            errors.add(new SpecError(pointer, "an object", describe(node)));
            node = null;
        }
        this.node = node;
    }

    /** The RFC 6901 pointer of {@code field} inside the object at {@code parent} ("~" -> "~0", "/" -> "~1"). */
    public static String pointer(String parent, String field) {
        return parent + "/" + field.replace("~", "~0").replace("/", "~1");
    }

    public String pointer() {
        return pointer;
    }

    public String pointer(String field) {
        return pointer(pointer, field);
    }

    /** True when the object was readable (present and an object). */
    public boolean isObject() {
        return node != null;
    }

    /** Records an error about {@code field} (for checks across fields). */
    public void error(String field, String expected, JsonNode got) {
        errors.add(new SpecError(field == null ? pointer : pointer(field), expected, describe(got)));
    }

    /** The raw value (null when absent or JSON null); marks the field known. */
    public JsonNode raw(String field) {
        known.add(field);
        if (node == null) {
            return null;
        }
        JsonNode v = node.get(field);
        return v == null || v.isNull() ? null : v;
    }

    private JsonNode present(String field, boolean required, String expected) {
        JsonNode v = raw(field);
        if (v == null && required && node != null) {
            errors.add(new SpecError(pointer(field), expected, "nothing (the field is required)"));
        }
        return v;
    }

    public String string(String field, String def, boolean required) {
        JsonNode v = present(field, required, "a string");
        if (v == null) {
            return def;
        }
        if (!v.isTextual()) {
            error(field, "a string", v);
            return def;
        }
        return v.asText();
    }

    /** A string that must be one of {@code allowed}. */
    public String oneOf(String field, String def, boolean required, List<String> allowed) {
        String what = "one of " + String.join(", ", allowed);
        JsonNode v = present(field, required, what);
        if (v == null) {
            return def;
        }
        if (!v.isTextual() || !allowed.contains(v.asText())) {
            error(field, what, v);
            return def;
        }
        return v.asText();
    }

    /** An integer in [min, max]; whole-valued numbers such as 1e3 count. */
    public Long integer(String field, Long def, long min, long max, boolean required) {
        String what = "an integer" + range(min, max);
        JsonNode v = present(field, required, what);
        if (v == null) {
            return def;
        }
        Long x = null;
        if (v.isIntegralNumber() && v.canConvertToLong()) {
            x = v.asLong();
        } else if (v.isNumber()) {
            double d = v.asDouble();
            if (d == Math.rint(d) && Math.abs(d) < 9.0e15) {
                x = (long) d;
            }
        }
        if (x == null || x < min || x > max) {
            error(field, what, v);
            return def;
        }
        return x;
    }

    public Long integer(String field, Long def, long min, long max) {
        return integer(field, def, min, max, false);
    }

    /** A number in [min, max], or (min, max] when {@code minExclusive}. */
    public Double number(String field, Double def, double min, boolean minExclusive, double max, boolean required) {
        String what = "a number " + (minExclusive ? "> " : ">= ") + fmt(min) + (max < Double.MAX_VALUE ? " and <= " + fmt(max) : "");
        JsonNode v = present(field, required, what);
        if (v == null) {
            return def;
        }
        double d = v.isNumber() ? v.asDouble() : Double.NaN;
        boolean ok = v.isNumber() && Double.isFinite(d) && (minExclusive ? d > min : d >= min) && d <= max;
        if (!ok) {
            error(field, what, v);
            return def;
        }
        return d;
    }

    public Boolean bool(String field, Boolean def) {
        JsonNode v = raw(field);
        if (v == null) {
            return def;
        }
        if (!v.isBoolean()) {
            error(field, "true or false", v);
            return def;
        }
        return v.asBoolean();
    }

    /** A nested object (null when absent); a non-object records an error and returns null. */
    public JsonNode object(String field, boolean required) {
        JsonNode v = present(field, required, "an object");
        if (v != null && !v.isObject()) {
            error(field, "an object", v);
            return null;
        }
        return v;
    }

    /** A reader for a nested object; reads nothing (all defaults) when absent. */
    public SpecReader child(String field, boolean required) {
        return new SpecReader(object(field, required), pointer(field), errors);
    }

    /** Reports every field of the object that no getter asked for. */
    public void finish() {
        if (node == null) {
            return;
        }
        for (Iterator<String> it = node.fieldNames(); it.hasNext();) {
            String f = it.next();
            if (!known.contains(f)) {
                errors.add(new SpecError(pointer(f), "no such field (known here: " + String.join(", ", known) + ")",
                        "the unknown field \"" + f + "\""));
            }
        }
    }

    /** Short JSON for an error message: the value itself, cut at 60 characters; objects and arrays by kind. */
    public static String describe(JsonNode v) {
        if (v == null || v.isMissingNode()) {
            return "nothing";
        }
        if (v.isObject()) {
            return "an object";
        }
        if (v.isArray()) {
            return "an array of " + v.size();
        }
        String s = v.toString();
        return s.length() > 60 ? s.substring(0, 57) + "..." : s;
    }

    private static String range(long min, long max) {
        if (min == Long.MIN_VALUE && max == Long.MAX_VALUE) {
            return "";
        }
        if (max == Long.MAX_VALUE) {
            return " >= " + min;
        }
        return " in [" + min + ", " + max + "]";
    }

    private static String fmt(double d) {
        return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : Double.toString(d);
    }

    /** The errors so far (shared list). */
    public List<SpecError> errors() {
        return errors;
    }

    static List<SpecError> newList() {
        return new ArrayList<>();
    }
}
