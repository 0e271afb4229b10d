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
 * {"type": "coupling", "mask": "alternate"|"half"|"checkerboard", "hidden": [256, 256], "scaleBound": 2.0, "parity": 0|1}
 * {"type": "made"|"maf"|"iaf", "hidden": [256], "order": "natural"|"reverse"|"random", "scaleBound": 3.0}
 * {"type": "lu"}
 * {"type": "permute", "kind": "reverse"|"random"}
 * {"type": "actnorm"}
 * {"type": "planar"}, {"type": "radial"}
 * {"type": "iresnet", "hidden": [128, 128], "lipschitz": 0.9, "powerIterations": 1, "seriesTerms": 8,
 *  "fixedPointTol": 1e-5, "fixedPointMaxIter": 100}
 * </pre>
 * "made" and "maf" are the same layer (MAF); "iaf" uses it in the sampling direction. A scale bound
 * of 0 leaves the log-scale unbounded. A coupling without "parity" gets 0; {@link FlowFamily}
 * alternates it between consecutive couplings (and the order between consecutive MADEs) when the
 * spec leaves them out.
 */
public final class FlowLayers {
    /** Layer types this factory knows, for error messages. */
    public static final List<String> TYPES = List.of("coupling", "made", "maf", "iaf", "lu", "permute", "actnorm",
            "planar", "radial", "iresnet");

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
            case "coupling": {
                String mask = r.oneOf("mask", "alternate", false, List.of("alternate", "half", "checkerboard"));
                int[] hidden = widths(r, "hidden", new int[] {256, 256});
                Double bound = r.number("scaleBound", 2.0, 0, false, 100, false);
                Long parity = r.integer("parity", 0L, 0, 1);
                r.finish();
                if (errors.size() > before || device == null) {
                    return null;
                }
                return new AffineCouplingLayer(device, name, dim, mask, parity.intValue(), hidden, bound.floatValue(), init);
            }
            case "made":
            case "maf":
            case "iaf": {
                int[] hidden = widths(r, "hidden", new int[] {256});
                String order = r.oneOf("order", "natural", false, List.of("natural", "reverse", "random"));
                Double bound = r.number("scaleBound", 3.0, 0, false, 100, false);
                r.finish();
                if (errors.size() > before || device == null) {
                    return null;
                }
                Made made = new Made(device, name + ".made", dim, hidden, Made.order(order, dim, init), init);
                return new AutoregressiveLayer(device, made, bound.floatValue(), "iaf".equals(type));
            }
            case "lu": {
                r.finish();
                if (errors.size() > before || device == null) {
                    return null;
                }
                return new LuLinear(device, name + ".lu", dim, init);
            }
            case "actnorm": {
                r.finish();
                if (errors.size() > before || device == null) {
                    return null;
                }
                return new ActNorm(device, name + ".actnorm", dim);
            }
            case "planar":
            case "radial": {
                r.finish();
                if (errors.size() > before || device == null) {
                    return null;
                }
                return "planar".equals(type) ? new Planar(device, name + ".planar", dim, init)
                        : new Radial(device, name + ".radial", dim, init);
            }
            case "iresnet": {
                IResNet.Config d = IResNet.Config.defaults();
                int[] hidden = widths(r, "hidden", d.hidden());
                Double lip = r.number("lipschitz", (double) d.lipschitz(), 0, true, 1, false);
                Long iters = r.integer("powerIterations", (long) d.powerIterations(), 1, 100);
                Long terms = r.integer("seriesTerms", (long) d.seriesTerms(), 1, 100);
                Double tol = r.number("fixedPointTol", d.fixedPointTol(), 0, true, 1, false);
                Long maxIter = r.integer("fixedPointMaxIter", (long) d.fixedPointMaxIter(), 1, 100000);
                if (lip != null && lip >= 1) {
                    r.error("lipschitz", "a number in (0, 1): the residual branch must be a contraction", layer.get("lipschitz"));
                }
                r.finish();
                if (errors.size() > before || device == null) {
                    return null;
                }
                return new IResNet(device, name + ".iresnet", dim, new IResNet.Config(hidden, lip.floatValue(), iters.intValue(),
                        terms.intValue(), tol, maxIter.intValue()), init.nextLong());
            }
            default:
                throw new IllegalStateException("unhandled flow layer type " + type);
        }
    }

    /** A non-empty array of layer widths 1..65536, else {@code def} with an error recorded. */
    static int[] widths(SpecReader r, String field, int[] def) {
        JsonNode v = r.raw(field);
        if (v == null) {
            return def;
        }
        String expected = "a non-empty array of layer widths (integers 1..65536)";
        if (!v.isArray() || v.isEmpty()) {
            r.error(field, expected, v);
            return def;
        }
        int[] out = new int[v.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode w = v.get(i);
            if (!w.isIntegralNumber() || !w.canConvertToInt() || w.asInt() < 1 || w.asInt() > 65536) {
                r.error(field, expected, v);
                return def;
            }
            out[i] = w.asInt();
        }
        return out;
    }
}
