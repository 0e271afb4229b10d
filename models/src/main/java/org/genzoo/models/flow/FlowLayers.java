package org.genzoo.models.flow;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.genzoo.host.Device;
import org.genzoo.models.train.SpecError;
import org.genzoo.models.train.SpecReader;

/**
 * Builds flow layers from the objects of a spec's {@code /model/layers} array and validates them.
 * Each case reads its fields with a {@link SpecReader}; {@link #validate} runs the same reader
 * without building anything, so a spec is checked before any device work.
 * <pre>
 * {"type": "permute", "kind": "reverse"|"random"}
 * </pre>
 */
public final class FlowLayers {
    /** Layer types this factory knows, for error messages. */
    public static final List<String> TYPES = List.of("permute");

    private FlowLayers() {
    }

    /** A layer for data of width {@code dim}; parameters are named "flow.*". */
    public static FlowLayer create(Device device, JsonNode layer, int dim, long seed) {
        return create(device, layer, dim, seed, "flow");
    }

    /** A layer whose parameter names start with {@code name} (unique per layer within a flow). */
    public static FlowLayer create(Device device, JsonNode layer, int dim, long seed, String name) {
        List<SpecError> errors = new ArrayList<>();
        FlowLayer l = read(device, layer, "", dim, seed, name, errors);
        if (!errors.isEmpty()) {
            throw new IllegalArgumentException("invalid flow layer " + layer + ": " + errors);
        }
        return l;
    }

    /** Every problem with one layer object (pointers under {@code pointer}); empty when valid. */
    public static List<SpecError> validate(JsonNode layer, String pointer) {
        List<SpecError> errors = new ArrayList<>();
        read(null, layer, pointer, 0, 0L, "flow", errors);
        return errors;
    }

    /**
     * Reads a layer object; builds the layer when {@code device} is non-null and the object is
     * valid, else returns null with the problems in {@code errors}.
     */
    private static FlowLayer read(Device device, JsonNode layer, String pointer, int dim, long seed, String name,
            List<SpecError> errors) {
        int before = errors.size();
        SpecReader r = new SpecReader(layer, pointer, errors);
        if (!r.isObject()) {
            return null;
        }
        String type = r.oneOf("type", null, true, TYPES);
        if (type == null) {
            return null;
        }
        SplittableRandom init = new SplittableRandom(seed);
        switch (type) {
            case "permute": {
                String kind = r.oneOf("kind", "reverse", false, List.of("reverse", "random"));
                r.finish();
                if (errors.size() > before || device == null) {
                    return null;
                }
                return "random".equals(kind) ? Permutation.random(device, dim, init) : Permutation.reverse(device, dim);
            }
            default:
                throw new IllegalStateException("unhandled flow layer type " + type);
        }
    }
}
