package org.genzoo.models.flow;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import org.genzoo.host.Device;
import org.genzoo.models.train.DataKind;
import org.genzoo.models.train.ModelFamily;
import org.genzoo.models.train.SpecError;
import org.genzoo.models.train.SpecReader;
import org.genzoo.models.train.TrainableModel;

/**
 * The spec family {@code "flow"}: a normalizing flow built from a list of layers (see
 * {@link FlowLayers} for each layer's fields), repeated {@code repeat} times, over N(0, I).
 * <pre>
 * {"family": "flow", "layers": [{"type": "coupling", ...}, ...], "repeat": 1,
 *  "objective": "forward-kl", "dequantize": false, "logitAlpha": 1e-6,
 *  "sampleTemperatures": [1.0, 0.7]}
 * </pre>
 * Forward KL is maximum likelihood on the data. {@code dequantize} (images with 256 grey levels
 * in [0, 1]) adds uniform noise to each pixel value v: y = (v + u)/256, and models
 * w = logit(α + (1 − 2α)·y); likelihoods are then reported in pixel space, bits/dim =
 * −log p(v + u) / (D ln 2) with v + u in [0, 256)^D (docs/flows.md). Couplings without a "parity"
 * alternate 0, 1, 0, ... in the order they appear (after repeating); MADE layers without an
 * "order" alternate natural, reverse, ...
 *
 * <p>{@code "objective": "reverse-kl"} with {@code "energy": "u1".."u4"} (and optional
 * {@code "annealSteps"}) fits exp(−U) of a built-in 2-D energy from the flow's own draws instead of
 * the data ({@link ReverseKlModel}: the batch gives only the number of draws per step).
 */
public final class FlowFamily implements ModelFamily {
    public static final String NAME = "flow";
    static final List<String> OBJECTIVES = List.of("forward-kl", "reverse-kl");

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "normalizing flow: RealNVP coupling, MADE/MAF/IAF, LU, ActNorm, permutations, planar, radial, i-ResNet;"
                + " maximum likelihood or reverse KL to a 2-D energy";
    }

    /** The model object's settings after validation. */
    record Config(List<JsonNode> layers, String objective, boolean dequantize, double logitAlpha, double[] temperatures) {
    }

    static Config read(JsonNode model, String pointer, List<SpecError> errors) {
        SpecReader r = new SpecReader(model, pointer, errors);
        r.string("family", null, true);
        JsonNode layers = r.raw("layers");
        Long repeat = r.integer("repeat", 1L, 1, 1000);
        String objective = r.oneOf("objective", "forward-kl", false, OBJECTIVES);
        String energy = r.oneOf("energy", null, false, Energies.specNames());
        r.integer("annealSteps", 0L, 0, Integer.MAX_VALUE);
        Boolean deq = r.bool("dequantize", false);
        Double alpha = r.number("logitAlpha", 1e-6, 0, false, 0.1, false);
        JsonNode temps = r.raw("sampleTemperatures");
        r.finish();
        ReverseKlModel.validate(model, pointer, objective, energy, deq, errors);
        List<JsonNode> out = new ArrayList<>();
        if (layers == null || !layers.isArray() || layers.isEmpty()) {
            errors.add(new SpecError(SpecReader.pointer(pointer, "layers"), "a non-empty array of layer objects",
                    SpecReader.describe(layers)));
        } else {
            for (int i = 0; i < layers.size(); i++) {
                errors.addAll(FlowLayers.validate(layers.get(i), SpecReader.pointer(pointer, "layers") + "/" + i));
            }
            int couplings = 0;
            int mades = 0;
            for (int rep = 0; rep < (repeat == null ? 1 : repeat); rep++) {
                for (JsonNode l : layers) {
                    if (!l.isObject()) {
                        continue;
                    }
                    ObjectNode c = ((ObjectNode) l).deepCopy();
                    String type = c.path("type").asText("");
                    if (type.equals("coupling")) {
                        if (!c.has("parity")) {
                            c.put("parity", couplings % 2);
                        }
                        couplings++;
                    } else if (type.equals("made") || type.equals("maf") || type.equals("iaf")) {
                        if (!c.has("order")) {
                            c.put("order", mades % 2 == 0 ? "natural" : "reverse");
                        }
                        mades++;
                    }
                    out.add(c);
                }
            }
        }
        double[] t = {1.0, 0.7};
        if (temps != null) {
            if (!temps.isArray() || temps.isEmpty() || temps.size() > 8) {
                errors.add(new SpecError(SpecReader.pointer(pointer, "sampleTemperatures"), "an array of 1..8 positive numbers",
                        SpecReader.describe(temps)));
            } else {
                t = new double[temps.size()];
                for (int i = 0; i < t.length; i++) {
                    t[i] = temps.get(i).asDouble(-1);
                    if (!temps.get(i).isNumber() || !(t[i] > 0) || t[i] > 10) {
                        errors.add(new SpecError(SpecReader.pointer(pointer, "sampleTemperatures"), "an array of 1..8 numbers in (0, 10]",
                                SpecReader.describe(temps)));
                        break;
                    }
                }
            }
        }
        return errors.isEmpty() ? new Config(out, objective, deq, alpha, t) : null;
    }

    @Override
    public List<SpecError> validate(JsonNode model, String pointer) {
        List<SpecError> errors = new ArrayList<>();
        read(model, pointer, errors);
        return errors;
    }

    /** reverse-kl: no data; dequantize: grey levels in [0, 1]; otherwise real values. Never binarized. */
    @Override
    public DataKind dataKind(JsonNode model) {
        if ("reverse-kl".equals(model.path("objective").asText())) {
            return DataKind.NONE;
        }
        return model.path("dequantize").asBoolean(false) ? DataKind.UNIT_INTERVAL : DataKind.REAL;
    }

    /** The built-in energies of reverse-kl live on R^2. */
    @Override
    public int dataFreeDim(JsonNode model) {
        return 2;
    }

    @Override
    public TrainableModel create(Device device, JsonNode model, int dataDim, long seed) {
        List<SpecError> errors = new ArrayList<>();
        Config c = read(model, "/model", errors);
        if (c == null) {
            throw new IllegalArgumentException("invalid flow model: " + errors);
        }
        List<FlowLayer> layers = new ArrayList<>();
        try {
            for (int i = 0; i < c.layers().size(); i++) {
                JsonNode l = c.layers().get(i);
                layers.add(FlowLayers.create(device, l, dataDim, seed * 1_000_003L + i, "flow." + i + "." + l.path("type").asText()));
            }
            Flow flow = new Flow(device, dataDim, layers);
            return "reverse-kl".equals(c.objective()) ? new ReverseKlModel(flow, Energies.of(model.path("energy").asText()),
                    model.path("annealSteps").asLong(0), seed)
                    : new FlowModel(flow, c, seed);
        } catch (RuntimeException e) {
            for (FlowLayer l : layers) {
                l.close();
            }
            throw e;
        }
    }

    @Override
    public long estimateDeviceBytes(JsonNode model, int dataDim, int batchSize) {
        List<SpecError> errors = new ArrayList<>();
        Config c = read(model, "/model", errors);
        if (c == null) {
            return 0;
        }
        long params = 0;
        long acts = 0;
        for (JsonNode l : c.layers()) {
            int prev = dataDim;
            long width = 0;
            for (JsonNode h : l.path("hidden")) {
                params += (long) prev * h.asInt() + h.asInt();
                width += h.asInt();
                prev = h.asInt();
            }
            params += (long) prev * 2 * dataDim + 2L * dataDim;
            if (l.path("type").asText().equals("lu")) {
                params += 2L * dataDim * dataDim;
            }
            acts += (long) batchSize * (width + 6L * dataDim);
        }
        // value, gradient and two Adam moments per parameter (plus masks), activations and their gradients
        return 4L * (5 * params + 3 * acts);
    }

    /**
     * The evaluation's peak on a no-grad tape: its largest pass of rows through every layer (each
     * hidden layer's product and activation, about six values per data value for the layer's shift,
     * scale, log-det and output). Density data: an evaluation chunk ({@code FlowModel.EVAL_CHUNK}) or,
     * for 2-D data, a slice of the density picture's grid ({@code FlowModel.PICTURE_ROWS}); reverse KL:
     * the {@code ReverseKlModel.EVAL_DRAWS} samples of its picture.
     */
    @Override
    public long estimateExtraBytes(JsonNode model, JsonNode evalMetrics, String dataset, int dataDim, long datasetValues,
            int evalExamples) {
        Config c = read(model, "/model", new ArrayList<>());
        if (c == null) {
            return 0;
        }
        long rows;
        if (dataKind(model) == DataKind.NONE) {
            rows = Math.max(ReverseKlModel.EVAL_DRAWS, ReverseKlModel.EVAL_CHUNK);
        } else {
            rows = Math.max(Math.min(FlowModel.EVAL_CHUNK, evalExamples), dataDim == 2 ? FlowModel.PICTURE_ROWS : 64);
        }
        long perRow = 0;
        for (JsonNode l : c.layers()) {
            long width = 0;
            for (JsonNode h : l.path("hidden")) {
                width += h.asInt();
            }
            perRow += 2 * width + 6L * dataDim;
        }
        return 4L * rows * perRow;
    }
}
