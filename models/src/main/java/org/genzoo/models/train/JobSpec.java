package org.genzoo.models.train;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * A training job, as a JSON document. Every field but {@code name}, {@code model} (with its
 * {@code family}), {@code data.dataset} and {@code budget} has a default:
 *
 * <pre>
 * {
 *   "name": "quickstart",                 // [A-Za-z0-9._-], 1..64 characters
 *   "model": {"family": "vae", ...},      // the family validates the rest (see ModelFamily)
 *   "data": {                             // optional for a data-free family (DataKind.NONE); then never loaded
 *     "dataset": "mnist-10k",             // "mnist-10k" (alias "mnist") | "fashion-mnist" | "idx:&lt;folder&gt;" | "idx" (with dataDir) | "toy:&lt;name&gt;"
 *     "dataDir": null,                    // overrides the data folder
 *     "binarize": true,                   // dynamic binarization; default from the family's DataKind
 *     "limit": null                       // use only the first N training examples
 *   },
 *   "optimizer": {                        // one object for every parameter group, or {"&lt;group&gt;": {...}, ...}
 *     "type": "adam",                     // "adam" | "adamw" | "sgd"
 *     "lr": 1e-3, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8,
 *     "weightDecay": 0,                   // adam: L2 on the gradient; adamw: decoupled; sgd: L2
 *     "momentum": 0.9,                    // sgd only
 *     "clipGradNorm": 0,                  // global L2 norm clip of the group, 0 = off
 *     "clipWeights": 0,                   // clamp weights to [-c, c] after each update, 0 = off (written only when set)
 *     "schedule": {"type": "cosine", "warmupSteps": 0, "steps": N, "minFactor": 0}   // see ScheduleSpec (written only when set)
 *   },
 *   "batchSize": 128,
 *   "budget": {"steps": 10000},           // or {"epochs": 20}; exactly one
 *   "seed": 1,
 *   "eval": {
 *     "every": 500,                       // steps between evaluations; 0 = only at the end
 *     "split": "validation",              // "train" | "validation" | "test"
 *     "limit": null,                      // evaluate on the first N examples only
 *     "metrics": {"iwaeK": 5000}          // family-specific options
 *   },
 *   "checkpoint": {"every": 1000, "keep": 3},  // keep: newest checkpoints kept, 0 = all
 *   "logEvery": 10,                       // steps between loss read-backs (also the cancellation check)
 *   "output": "runs/quickstart",          // default runs/&lt;name&gt;
 *   "device": "auto",                     // a device selector (see DeviceSelector)
 *   "priority": 0                         // queue priority for the job service, -1000..1000
 * }
 * </pre>
 *
 * {@link #parse} refuses a document with a {@link SpecException} that lists every bad field (wrong
 * type, out of range, unknown, missing), each with its JSON pointer, what was expected and what was
 * there. {@link #toJson()} gives the document with every default filled in; parsing it again gives an
 * equal spec. docs/spec.md has the same table for users.
 */
public record JobSpec(String name, ModelSpec model, DataSpec data, OptimizerSpec optimizer, int batchSize, Budget budget,
        long seed, EvalSpec eval, CheckpointSpec checkpoint, int logEvery, String output, String device, int priority,
        Map<String, OptimizerSpec> optimizers) {

    public JobSpec {
        if (optimizers == null || optimizers.isEmpty()) {
            optimizers = Map.of(ParamGroup.DEFAULT, optimizer);
        }
        optimizers = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(optimizers));
    }

    /** A one-group spec (the form before parameter groups). */
    public JobSpec(String name, ModelSpec model, DataSpec data, OptimizerSpec optimizer, int batchSize, Budget budget, long seed,
            EvalSpec eval, CheckpointSpec checkpoint, int logEvery, String output, String device, int priority) {
        this(name, model, data, optimizer, batchSize, budget, seed, eval, checkpoint, logEvery, output, device, priority, null);
    }

    /** The optimizer of parameter group {@code group} (the one optimizer of a one-group spec for any name). */
    public OptimizerSpec optimizer(String group) {
        OptimizerSpec o = optimizers.get(group);
        return o != null ? o : optimizer;
    }

    /** The model object as written (family included). */
    public record ModelSpec(String family, ObjectNode config) {
    }

    public record DataSpec(String dataset, String dataDir, boolean binarize, Integer limit) {
    }

    /**
     * One optimizer. {@code schedule} null: a constant learning rate. {@code clipWeights} > 0 clamps
     * every weight of the group to [-c, c] after each update (WGAN), 0 = off.
     */
    public record OptimizerSpec(String type, double lr, double beta1, double beta2, double eps, double weightDecay,
            double momentum, double clipGradNorm, ScheduleSpec schedule, double clipWeights) {
        public OptimizerSpec(String type, double lr, double beta1, double beta2, double eps, double weightDecay, double momentum,
                double clipGradNorm) {
            this(type, lr, beta1, beta2, eps, weightDecay, momentum, clipGradNorm, null, 0);
        }
    }

    /**
     * A learning-rate schedule: the rate at the 1-based step s is lr · factor(s) (every update of
     * the group in step s uses it; k critic updates in one step share it).
     * <ul>
     * <li>warm-up (any type, {@code warmupSteps} W > 0): factor × s / W for s &lt;= W;</li>
     * <li>{@code constant}: 1;</li>
     * <li>{@code cosine}: m + (1 − m)·½(1 + cos(π p)), p = clamp((s − W) / (steps − W), 0, 1), m = {@code minFactor};</li>
     * <li>{@code step}: gamma^⌊s / every⌋.</li>
     * </ul>
     * {@code linear-warmup} is {@code constant} with W required.
     */
    public record ScheduleSpec(String type, long warmupSteps, long steps, double minFactor, long every, double gamma) {
        public static final List<String> TYPES = List.of("constant", "linear-warmup", "cosine", "step");

        /** The multiplier of lr at the 1-based step {@code s}. */
        public double factor(long s) {
            double f = switch (type) {
                case "cosine" -> {
                    double p = Math.min(1, Math.max(0, (s - warmupSteps) / (double) (steps - warmupSteps)));
                    yield minFactor + (1 - minFactor) * 0.5 * (1 + Math.cos(Math.PI * p));
                }
                case "step" -> Math.pow(gamma, Math.floorDiv(s, every));
                default -> 1.0;
            };
            if (warmupSteps > 0 && s < warmupSteps) {
                f *= s / (double) warmupSteps;
            }
            return f;
        }
    }

    /** Exactly one of steps and epochs is non-null. */
    public record Budget(Long steps, Long epochs) {
        /** Total optimizer steps for a data set with {@code batchesPerEpoch} batches per epoch. */
        public long totalSteps(int batchesPerEpoch) {
            return steps != null ? steps : epochs * batchesPerEpoch;
        }
    }

    /** {@code every} = 0: evaluate only at the end. */
    public record EvalSpec(long every, String split, Integer limit, ObjectNode metrics) {
    }

    /** {@code keep} = 0: keep every checkpoint. */
    public record CheckpointSpec(long every, int keep) {
    }

    public static final List<String> OPTIMIZERS = List.of("adam", "adamw", "sgd");
    public static final List<String> SPLITS = List.of("train", "validation", "test");

    private static final ObjectMapper JSON = JsonMapper.builder().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .build();
    private static final ObjectMapper CANONICAL = JsonMapper.builder()
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS).build();

    /** The shared mapper (strict duplicate detection), for readers of spec-like files. */
    public static ObjectMapper mapper() {
        return JSON;
    }

    public static JobSpec parse(Path file) throws IOException {
        return parse(Files.readString(file, StandardCharsets.UTF_8));
    }

    public static JobSpec parse(String json) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            String msg = e.getOriginalMessage().lines().findFirst().orElse("");
            var loc = e.getLocation();
            throw new SpecException(List.of(new SpecError("", "a JSON object",
                    "unreadable JSON" + (loc != null ? " at line " + loc.getLineNr() + ", column " + loc.getColumnNr() : "")
                            + ": " + msg)));
        }
        if (root == null || root.isMissingNode()) {
            throw new SpecException(List.of(new SpecError("", "a JSON object", "an empty document")));
        }
        return parse(root);
    }

    /** Validates {@code root} against the spec and the registered model families. */
    public static JobSpec parse(JsonNode root) {
        return parse(root, ModelFamilies.all());
    }

    /** As {@link #parse(JsonNode)} with an explicit set of families. */
    public static JobSpec parse(JsonNode root, Map<String, ModelFamily> families) {
        List<SpecError> errors = new ArrayList<>();
        SpecReader r = new SpecReader(root, "", errors);
        if (!r.isObject()) {
            throw new SpecException(errors);
        }
        String name = r.string("name", null, true);
        if (name != null && !name.matches("[A-Za-z0-9._-]{1,64}") || ".".equals(name) || "..".equals(name)) {
            r.error("name", "1 to 64 characters from A-Z a-z 0-9 . _ -", r.raw("name"));
            name = null;
        }

        SpecReader m = r.child("model", true);
        String family = null;
        ModelFamily fam = null;
        if (m.isObject()) {
            List<String> known = new ArrayList<>(families.keySet());
            family = m.string("family", null, true);
            if (family != null) {
                fam = families.get(family);
                if (fam == null) {
                    m.error("family", "a model family: " + (known.isEmpty() ? "none is registered" : "one of " + String.join(", ", known)),
                            m.raw("family"));
                } else {
                    errors.addAll(fam.validate(r.raw("model"), "/model"));
                }
            }
            // The family reads the rest of the object; no finish() here.
        }

        DataKind kind = DataKind.BINARY;
        List<String> groups = List.of(ParamGroup.DEFAULT);
        if (fam != null) {
            try {
                kind = fam.dataKind(r.raw("model"));
                groups = fam.paramGroups(r.raw("model"));
            } catch (RuntimeException ex) {
                // an object the family refused: its errors are already listed
            }
        }
        SpecReader d = r.child("data", kind != DataKind.NONE);
        String dataset = d.string("dataset", null, d.isObject());
        String dataDir = d.string("dataDir", null, false);
        boolean toy = dataset != null && org.genzoo.models.data.Toys.isToy(dataset);
        if (dataset != null && !(dataset.equals("mnist-10k") || dataset.equals("mnist") || dataset.equals("fashion-mnist")
                || dataset.equals("idx") || dataset.startsWith("idx:") && dataset.length() > 4 || toy)) {
            d.error("dataset", "one of mnist-10k (alias mnist), fashion-mnist, idx:<folder>, idx (with dataDir), toy:<"
                    + String.join("|", org.genzoo.models.data.Toys.NAMES) + ">", d.raw("dataset"));
        } else if ("idx".equals(dataset) && dataDir == null) {
            d.error("dataDir", "a folder (dataset \"idx\" reads its IDX files from dataDir)", null);
        } else if (toy && kind != DataKind.NONE && !kind.acceptsRealValues()) {
            d.error("dataset", "a data set of " + kind.describe() + " for model family " + family + " (as /model configures it;"
                    + " mnist, fashion-mnist and idx:<folder> hold grey levels in [0, 1])",
                    new com.fasterxml.jackson.databind.node.TextNode(dataset + ", whose 2-D points are real-valued"));
        }
        Boolean binarizeGiven = d.bool("binarize", null);
        boolean binarize = binarizeGiven != null ? binarizeGiven : kind.binarizes() && !toy;
        if (Boolean.TRUE.equals(binarizeGiven)) {
            if (toy) {
                d.error("binarize", "false: " + dataset + " holds real-valued points, which cannot be binarized", d.raw("binarize"));
            } else if (kind != DataKind.NONE && !kind.binarizes()) {
                d.error("binarize", "false: model family " + family + " (as /model configures it) trains on " + kind.describe()
                        + ", not on binarized pixels", d.raw("binarize"));
            }
        }
        Long dataLimit = d.integer("limit", null, 1, Integer.MAX_VALUE);
        d.finish();

        JsonNode on = r.object("optimizer", false);
        Map<String, OptimizerSpec> optimizers = new java.util.LinkedHashMap<>();
        boolean keyed = on != null && on.size() > 0;
        for (java.util.Iterator<String> it = on == null ? java.util.Collections.emptyIterator() : on.fieldNames(); it.hasNext();) {
            keyed &= groups.contains(it.next());
        }
        if (keyed) {
            for (String g : groups) {
                String at = SpecReader.pointer("/optimizer", g);
                if (on.get(g) == null) {
                    errors.add(new SpecError(at, "an optimizer object for parameter group " + g + " (the model's groups are "
                            + String.join(", ", groups) + ")", "nothing"));
                    continue;
                }
                optimizers.put(g, readOptimizer(new SpecReader(on.get(g), at, errors)));
            }
        } else {
            OptimizerSpec one = readOptimizer(new SpecReader(on, "/optimizer", errors));
            for (String g : groups) {
                optimizers.put(g, one);
            }
        }
        OptimizerSpec firstOptimizer = optimizers.isEmpty() ? readOptimizer(new SpecReader(null, "/optimizer", errors))
                : optimizers.values().iterator().next();

        long batchSize = r.integer("batchSize", 128L, 1, 1 << 20);

        SpecReader b = r.child("budget", true);
        Long steps = b.integer("steps", null, 1, Long.MAX_VALUE / 4);
        Long epochs = b.integer("epochs", null, 1, 1_000_000);
        if (b.isObject() && (b.raw("steps") != null) == (b.raw("epochs") != null)) {
            b.error(null, "exactly one of {\"steps\": N} and {\"epochs\": N}", r.raw("budget"));
        } else if (kind == DataKind.NONE && b.raw("epochs") != null) {
            b.error("epochs", "{\"steps\": N}: model family " + family + " trains without data, so it has no epochs", b.raw("epochs"));
        }
        b.finish();

        long seed = r.integer("seed", 1L, 0, Long.MAX_VALUE);

        SpecReader e = r.child("eval", false);
        long every = e.integer("every", 0L, 0, Long.MAX_VALUE / 4);
        String split = e.oneOf("split", "validation", false, SPLITS);
        Long evalLimit = e.integer("limit", null, 1, Integer.MAX_VALUE);
        JsonNode metrics = e.object("metrics", false);
        if (metrics != null && fam != null) {
            errors.addAll(fam.validateEvalMetrics(metrics, e.pointer("metrics")));
        }
        e.finish();

        SpecReader c = r.child("checkpoint", false);
        long ckEvery = c.integer("every", 1000L, 1, Long.MAX_VALUE / 4);
        long keep = c.integer("keep", 3L, 0, 1_000_000);
        c.finish();

        long logEvery = r.integer("logEvery", 10L, 1, 100_000);
        String output = r.string("output", null, false);
        if (output != null && output.isBlank()) {
            r.error("output", "a folder path", r.raw("output"));
        }
        String device = r.string("device", "auto", false);
        long priority = r.integer("priority", 0L, -1000, 1000);
        r.finish();

        if (!errors.isEmpty()) {
            throw new SpecException(errors);
        }
        ObjectNode modelNode = ((ObjectNode) root.get("model")).deepCopy();
        ObjectNode metricsNode = metrics == null ? JsonNodeFactory.instance.objectNode() : ((ObjectNode) metrics).deepCopy();
        return new JobSpec(name, new ModelSpec(family, modelNode),
                d.isObject() ? new DataSpec(dataset, dataDir, binarize, dataLimit == null ? null : dataLimit.intValue()) : null,
                firstOptimizer, (int) batchSize,
                new Budget(steps, epochs), seed,
                new EvalSpec(every, split, evalLimit == null ? null : evalLimit.intValue(), metricsNode),
                new CheckpointSpec(ckEvery, (int) keep), (int) logEvery, output == null ? "runs/" + name : output, device,
                (int) priority, optimizers);
    }

    /** One optimizer object (the whole {@code /optimizer}, or one group's). */
    private static OptimizerSpec readOptimizer(SpecReader o) {
        String type = o.oneOf("type", "adam", false, OPTIMIZERS);
        double lr = float32(o, "lr", o.number("lr", 1e-3, 0, true, Double.MAX_VALUE, false), 1e-3);
        double beta1 = below1(o, "beta1", 0.9);
        double beta2 = below1(o, "beta2", 0.999);
        double eps = float32(o, "eps", o.number("eps", 1e-8, 0, true, Double.MAX_VALUE, false), 1e-8);
        double wd = float32(o, "weightDecay", o.number("weightDecay", 0.0, 0, false, Double.MAX_VALUE, false), 0.0);
        double momentum = below1(o, "momentum", 0.9);
        double clip = float32(o, "clipGradNorm", o.number("clipGradNorm", 0.0, 0, false, Double.MAX_VALUE, false), 0.0);
        double clipWeights = o.number("clipWeights", 0.0, 0, false, Double.MAX_VALUE, false);
        ScheduleSpec schedule = readSchedule(o.child("schedule", false));
        o.finish();
        return new OptimizerSpec(type, lr, beta1, beta2, eps, wd, momentum, clip, schedule, clipWeights);
    }

    private static ScheduleSpec readSchedule(SpecReader s) {
        if (!s.isObject()) {
            return null;
        }
        String type = s.oneOf("type", null, true, ScheduleSpec.TYPES);
        long warmup = s.integer("warmupSteps", 0L, 0, Long.MAX_VALUE / 4);
        boolean cosine = "cosine".equals(type);
        boolean step = "step".equals(type);
        Long steps = s.integer("steps", null, 1, Long.MAX_VALUE / 4);
        double minFactor = s.number("minFactor", 0.0, 0, false, 1, false);
        Long every = s.integer("every", null, 1, Long.MAX_VALUE / 4);
        double gamma = s.number("gamma", 0.1, 0, true, 1, false);
        for (String f : List.of("steps", "minFactor")) {
            if (!cosine && s.raw(f) != null && type != null) {
                s.error(f, "no " + f + ": it belongs to the cosine schedule", s.raw(f));
            }
        }
        for (String f : List.of("every", "gamma")) {
            if (!step && s.raw(f) != null && type != null) {
                s.error(f, "no " + f + ": it belongs to the step schedule", s.raw(f));
            }
        }
        if (cosine && steps == null) {
            s.error("steps", "the number of steps the cosine decays over (an integer > warmupSteps)", s.raw("steps"));
        } else if (cosine && steps <= warmup) {
            s.error("steps", "an integer > warmupSteps (" + warmup + ")", s.raw("steps"));
        }
        if (step && every == null) {
            s.error("every", "the steps between decays (an integer >= 1)", s.raw("every"));
        }
        if ("linear-warmup".equals(type) && warmup < 1) {
            s.error("warmupSteps", "an integer >= 1 (the steps the rate ramps up over)", s.raw("warmupSteps"));
        }
        s.finish();
        if (type == null) {
            return null;
        }
        return new ScheduleSpec(type, warmup, cosine && steps != null ? steps : 0, cosine ? minFactor : 0,
                step && every != null ? every : 0, step ? gamma : 0);
    }

    /**
     * The optimizer runs in float32 with denormals flushed to zero: a positive value must stay a positive
     * normal float32 (at least 1.17549435E-38, at most 3.4028235E38), or the worker would refuse it at start
     * (a zero learning rate) or train on infinity. Zero stays zero.
     */
    private static double float32(SpecReader o, String field, double v, double def) {
        if (v != 0 && (v < Float.MIN_NORMAL || v > Float.MAX_VALUE)) {
            o.error(field, "0 or a number from " + Float.MIN_NORMAL + " to " + Float.MAX_VALUE + " (the optimizer runs in float32)",
                    o.raw(field));
            return def;
        }
        return v;
    }

    private static double below1(SpecReader o, String field, double def) {
        Double v = o.number(field, def, 0, false, 1, false);
        if (v >= 1 || (float) (double) v >= 1f) {
            o.error(field, "a number >= 0 and < 1 (at most 0.99999994: the optimizer runs in float32)", o.raw(field));
            return def;
        }
        return v;
    }

    /** The spec with every default filled in. */
    public ObjectNode toJson() {
        JsonNodeFactory f = JsonNodeFactory.instance;
        ObjectNode root = f.objectNode();
        root.put("name", name);
        root.set("model", model.config().deepCopy());
        if (data != null) {
            ObjectNode d = root.putObject("data");
            d.put("dataset", data.dataset());
            d.put("dataDir", data.dataDir());
            d.put("binarize", data.binarize());
            d.put("limit", data.limit());
        }
        if (optimizers.values().stream().distinct().count() == 1) {
            root.set("optimizer", optimizerJson(optimizer));
        } else {
            ObjectNode o = root.putObject("optimizer");
            optimizers.forEach((g, spec) -> o.set(g, optimizerJson(spec)));
        }
        root.put("batchSize", batchSize);
        ObjectNode b = root.putObject("budget");
        if (budget.steps() != null) {
            b.put("steps", budget.steps());
        } else {
            b.put("epochs", budget.epochs());
        }
        root.put("seed", seed);
        ObjectNode e = root.putObject("eval");
        e.put("every", eval.every());
        e.put("split", eval.split());
        e.put("limit", eval.limit());
        e.set("metrics", eval.metrics().deepCopy());
        ObjectNode c = root.putObject("checkpoint");
        c.put("every", checkpoint.every());
        c.put("keep", checkpoint.keep());
        root.put("logEvery", logEvery);
        root.put("output", output);
        root.put("device", device);
        root.put("priority", priority);
        return root;
    }

    /** One optimizer object; fields added with parameter groups appear only when set, so older specs hash as before. */
    static ObjectNode optimizerJson(OptimizerSpec optimizer) {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("type", optimizer.type());
        o.put("lr", optimizer.lr());
        o.put("beta1", optimizer.beta1());
        o.put("beta2", optimizer.beta2());
        o.put("eps", optimizer.eps());
        o.put("weightDecay", optimizer.weightDecay());
        o.put("momentum", optimizer.momentum());
        o.put("clipGradNorm", optimizer.clipGradNorm());
        if (optimizer.clipWeights() > 0) {
            o.put("clipWeights", optimizer.clipWeights());
        }
        ScheduleSpec s = optimizer.schedule();
        if (s != null) {
            ObjectNode j = o.putObject("schedule");
            j.put("type", s.type());
            j.put("warmupSteps", s.warmupSteps());
            if (s.type().equals("cosine")) {
                j.put("steps", s.steps());
                j.put("minFactor", s.minFactor());
            } else if (s.type().equals("step")) {
                j.put("every", s.every());
                j.put("gamma", s.gamma());
            }
        }
        return o;
    }

    /** Pretty JSON of {@link #toJson()}. */
    public String toJsonString() {
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(toJson());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** SHA-256 (hex) of the whole spec in canonical form (keys sorted, defaults filled). */
    public String hash() {
        return sha256(toJson());
    }

    /**
     * SHA-256 (hex) of the fields that decide the training trajectory: model, data, optimizer,
     * batch size and seed. A checkpoint resumes only under a spec with the same training hash, so a
     * resumed job may change its budget, evaluation, checkpoint cadence, output, device or priority.
     */
    public String trainingHash() {
        ObjectNode all = toJson();
        ObjectNode t = JsonNodeFactory.instance.objectNode();
        for (String k : List.of("model", "data", "optimizer", "batchSize", "seed")) {
            t.set(k, all.get(k));
        }
        return sha256(t);
    }

    public JobSpec withOutput(String newOutput) {
        return new JobSpec(name, model, data, optimizer, batchSize, budget, seed, eval, checkpoint, logEvery, newOutput, device,
                priority, optimizers);
    }

    public JobSpec withDevice(String newDevice) {
        return new JobSpec(name, model, data, optimizer, batchSize, budget, seed, eval, checkpoint, logEvery, output, newDevice,
                priority, optimizers);
    }

    public JobSpec withBudget(Budget newBudget) {
        return new JobSpec(name, model, data, optimizer, batchSize, newBudget, seed, eval, checkpoint, logEvery, output, device,
                priority, optimizers);
    }

    private static String sha256(JsonNode n) {
        try {
            Object canonical = CANONICAL.treeToValue(n, Object.class);
            byte[] bytes = CANONICAL.writeValueAsBytes(canonical);
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (JsonProcessingException | NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
