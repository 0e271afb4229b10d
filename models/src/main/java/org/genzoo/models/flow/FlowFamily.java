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

    /**
     * One layer as {@link FlowLayers} builds it: its trained parameters, the constant device floats it
     * keeps beside them (masks, identity and permutation matrices, spectral-norm vectors), and the
     * values one row holds on a training tape (per the forward pass; {@link #estimateDeviceBytes}
     * counts them three times, with their gradients and the backward's temporaries) and on an
     * evaluation's no-grad tape.
     */
    record LayerSize(long params, long constants, long trainPerRow, long evalPerRow) {
    }

    /** Floats of an MLP in -> hidden... -> out: weights and biases. */
    private static long mlpParams(int in, int[] hidden, int out) {
        long n = 0;
        int prev = in;
        for (int h : hidden) {
            n += (long) prev * h + h;
            prev = h;
        }
        return n + (long) prev * out + out;
    }

    private static int[] hidden(JsonNode l, int[] def) {
        JsonNode h = l.get("hidden");
        if (h == null || !h.isArray() || h.isEmpty()) {
            return def;
        }
        int[] w = new int[h.size()];
        for (int i = 0; i < w.length; i++) {
            w[i] = h.get(i).asInt();
        }
        return w;
    }

    /** The sizes of a validated layer object for data of width {@code d} (the defaults as {@link FlowLayers} has them). */
    static LayerSize layerSize(JsonNode l, int d) {
        switch (l.path("type").asText()) {
            case "coupling": {
                // net D -> hidden -> 2D (shift and raw scale); a 1 x D mask and one B x D mask per batch size seen
                int[] h = hidden(l, new int[] {256, 256});
                long width = java.util.Arrays.stream(h).asLongStream().sum();
                return new LayerSize(mlpParams(d, h, 2 * d), d, width + 6L * d, 2 * width + 6L * d);
            }
            case "made":
            case "maf":
            case "iaf": {
                // the same widths as a coupling's net, and a 0/1 mask beside every weight matrix
                int[] h = hidden(l, new int[] {256});
                long width = java.util.Arrays.stream(h).asLongStream().sum();
                long masks = mlpParams(d, h, 2 * d) - width - 2L * d;
                return new LayerSize(mlpParams(d, h, 2 * d), masks + 2L * d, width + 6L * d, 2 * width + 6L * d);
            }
            case "lu":
                // L, U (D x D) and log s; two masks, the identity and the permutation as D x D constants
                return new LayerSize(2L * d * d + d, 4L * d * d, 6L * d, 6L * d);
            case "iresnet": {
                IResNet.Config def = IResNet.Config.defaults();
                int[] h = hidden(l, def.hidden());
                long sum = java.util.Arrays.stream(h).asLongStream().sum();
                int terms = l.path("seriesTerms").asInt(def.seriesTerms());
                long spectral = 0; // power iteration's u and v per weight
                int prev = d;
                for (int w : h) {
                    spectral += prev + w;
                    prev = w;
                }
                spectral += prev + d;
                // g(x): each layer's pre-activation and, for hidden ones, its ELU (2H + D); ELU' per hidden layer from
                // four ops (4H); a Jacobian-vector product per series term or Jacobian column (2H + D, each hidden
                // layer's product and its ELU' factor); z = x + g(x) (D)
                long net = 6 * sum + 2L * d;
                long jvp = 2 * sum + d;
                // training: the Hutchinson series, its probe, and per term the product, e·w, its sum, scale and running sum
                long series = net + d + terms * (jvp + d + 3);
                // evaluation at D = 2: the exact log-det from both Jacobian columns (unit columns, products, the
                // 2 x 2 determinant's five ops); else the series without gradients
                long eval = d == 2 ? net + 2 * (d + jvp) + 6 : series;
                return new LayerSize(mlpParams(d, h, d), spectral, series, eval);
            }
            case "actnorm":
                return new LayerSize(2L * d, 0, 6L * d, 6L * d);
            case "planar":
                return new LayerSize(2L * d + 1, 0, 6L * d, 6L * d);
            case "radial":
                return new LayerSize(d + 2L, 0, 6L * d, 6L * d);
            case "permute":
                return new LayerSize(0, d, 6L * d, 6L * d);
            default:
                throw new IllegalStateException("unhandled flow layer type " + l.path("type").asText());
        }
    }

    /**
     * Parameters with their gradients and Adam's two moments (4 floats each: the flat value and
     * gradient buffers of {@code FlatParams} and the moments in the same layout), each layer's
     * constants, and the training tape's rows (three times: values, gradients and the backward's
     * temporaries).
     */
    @Override
    public long estimateDeviceBytes(JsonNode model, int dataDim, int batchSize) {
        List<SpecError> errors = new ArrayList<>();
        Config c = read(model, "/model", errors);
        if (c == null) {
            return 0;
        }
        long params = 0;
        long constants = 0;
        long acts = 0;
        for (JsonNode l : c.layers()) {
            LayerSize s = layerSize(l, dataDim);
            params += s.params();
            constants += s.constants();
            acts += (long) batchSize * s.trainPerRow();
        }
        return 4L * (4 * params + constants + 3 * acts);
    }

    /**
     * The evaluation's peak on a no-grad tape: its largest pass of rows through every layer
     * ({@link LayerSize#evalPerRow}). Density data: an evaluation chunk ({@code FlowModel.EVAL_CHUNK})
     * or, for 2-D data, the density picture's grid in slices of {@code FlowModel.PICTURE_ROWS}: the
     * device's buffer pool keeps the buffers of a full slice and of the last, shorter one, which are of
     * other size classes (the picture's 2,000 samples reuse the full slice's); reverse KL: the
     * {@code ReverseKlModel.EVAL_DRAWS} samples of its picture.
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
        } else if (dataDim == 2) {
            int grid = FlowModel.GRID * FlowModel.GRID;
            rows = Math.max(Math.min(FlowModel.EVAL_CHUNK, evalExamples),
                    Math.min(grid, FlowModel.PICTURE_ROWS) + grid % FlowModel.PICTURE_ROWS);
        } else {
            rows = Math.max(Math.min(FlowModel.EVAL_CHUNK, evalExamples), 64);
        }
        long perRow = 0;
        for (JsonNode l : c.layers()) {
            perRow += layerSize(l, dataDim).evalPerRow();
        }
        return 4L * rows * perRow;
    }
}
