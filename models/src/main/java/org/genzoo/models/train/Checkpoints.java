package org.genzoo.models.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.genzoo.host.autograd.Optimizer;
import org.genzoo.host.autograd.Param;
import org.genzoo.host.tensor.Tensor;

/**
 * Checkpoints of a run, one folder per step under {@code <output>/checkpoints}:
 * <pre>
 * checkpoints/step-000000001000/
 *   weights.safetensors     every parameter by name, shape [rows, cols]
 *   optimizer.safetensors   optimizer state ("m.&lt;param&gt;", "v.&lt;param&gt;" for Adam; "momentum.&lt;param&gt;" for SGD),
 *                           every parameter group's optimizer in group order
 *   state.safetensors       the model's declared non-trainable state tensors by name ({@link ModelState}; only when it declares some)
 *   checkpoint.json         step, epoch, RNG counters (the model's, and those of its declared state by name), data state,
 *                           spec hashes, per-group optimizer type and steps (with more than one group), SHA-256 of every file
 * </pre>
 * Every file goes through {@link AtomicFiles} (temp, fsync, rename), and checkpoint.json is written
 * last: it is the commit record. A folder without a readable checkpoint.json whose hashes match its
 * files is not a checkpoint, so a crash mid-write leaves the previous checkpoint as the latest.
 * Values are checked to be finite before anything is written: a poisoned state is never saved.
 */
public final class Checkpoints {
    public static final String DIR = "checkpoints";
    public static final String WEIGHTS = "weights.safetensors";
    public static final String OPTIMIZER = "optimizer.safetensors";
    public static final String META = "checkpoint.json";
    public static final String STATE = "state.safetensors";
    static final int FORMAT = 1;

    private Checkpoints() {
    }

    /**
     * What a checkpoint records besides tensors.
     *
     * @param step         optimizer steps done
     * @param epoch        the data epoch of the last batch
     * @param rngCounters  the model's random-number counters per stream
     * @param data         {@link org.genzoo.models.data.DeviceDataset.State#toMap()}
     * @param trainingHash {@link JobSpec#trainingHash()}: a resume under another trajectory is refused
     * @param extra        free-form numbers for the trainer (elapsed seconds, examples seen)
     */
    public record Info(long step, int epoch, Map<Integer, Long> rngCounters, Map<String, String> data, String specHash,
            String trainingHash, String family, String optimizerType, long optimizerSteps, Map<String, Double> extra,
            List<GroupInfo> groups, Map<String, Map<Integer, Long>> stateRng) {
        public Info {
            if (groups == null || groups.isEmpty()) {
                groups = List.of(new GroupInfo(ParamGroup.DEFAULT, optimizerType, optimizerSteps));
            }
            groups = List.copyOf(groups);
            stateRng = stateRng == null ? Map.of() : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(stateRng));
        }

        /** One group with the default name and no declared model state (the form before parameter groups). */
        public Info(long step, int epoch, Map<Integer, Long> rngCounters, Map<String, String> data, String specHash,
                String trainingHash, String family, String optimizerType, long optimizerSteps, Map<String, Double> extra) {
            this(step, epoch, rngCounters, data, specHash, trainingHash, family, optimizerType, optimizerSteps, extra, null, null);
        }

        /** True when the checkpoint holds the one default group (then only optimizerType and optimizerSteps are written). */
        boolean oneDefaultGroup() {
            return groups.size() == 1 && groups.get(0).name().equals(ParamGroup.DEFAULT);
        }
    }

    /** A parameter group's optimizer in a checkpoint: its type and the updates it has made. */
    public record GroupInfo(String name, String optimizer, long steps) {
    }

    /** A checkpoint found on disk; {@code state} is null when the model declared no state tensors. */
    public record Loaded(Path dir, Info info, Safetensors.Contents weights, Safetensors.Contents optimizer, Safetensors.Contents state) {
        public Loaded(Path dir, Info info, Safetensors.Contents weights, Safetensors.Contents optimizer) {
            this(dir, info, weights, optimizer, null);
        }
    }

    /** Raised when a value to save is NaN or infinite. */
    public static final class NonFiniteStateException extends IllegalStateException {
        public NonFiniteStateException(String msg) {
            super(msg);
        }
    }

    public static Path root(Path output) {
        return output.resolve(DIR);
    }

    public static Path dirFor(Path output, long step) {
        return root(output).resolve(String.format("step-%012d", step));
    }

    /** Names of the optimizer's state tensors, in {@link Optimizer#state()} order. */
    public static List<String> optimizerStateNames(String type, List<Param> params, int count) {
        List<String> slots = switch (type) {
            case "adam", "adamw" -> List.of("m", "v");
            case "sgd" -> List.of("momentum");
            default -> List.of();
        };
        List<String> names = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            if (params.isEmpty()) {
                names.add("state." + i);
                continue;
            }
            int slot = params.isEmpty() ? i : i / params.size();
            String s = slot < slots.size() ? slots.get(slot) : "slot" + slot;
            names.add(s + "." + params.get(i % params.size()).name());
        }
        return names;
    }

    /** Reads parameters (or any tensors) back from the device as entries, refusing NaN or Inf. */
    static List<Safetensors.Entry> entries(List<String> names, List<Tensor> tensors, String what, long step) {
        List<Safetensors.Entry> out = new ArrayList<>(tensors.size());
        for (int i = 0; i < tensors.size(); i++) {
            Tensor t = tensors.get(i);
            float[] v = t.toArray();
            for (int j = 0; j < v.length; j++) {
                if (!Float.isFinite(v[j])) {
                    throw new NonFiniteStateException(what + " " + names.get(i) + "[" + j + "] is " + v[j] + " after step " + step
                            + "; the checkpoint is not written");
                }
            }
            out.add(new Safetensors.Entry(names.get(i), new int[] {t.rows(), t.cols()}, v));
        }
        return out;
    }

    /**
     * Saves a checkpoint for {@code info.step()}: weights, optimizer state, then the commit record.
     * Reads the tensors from the device (blocking). Returns the folder.
     */
    public static Path save(Path output, Info info, List<Param> params, Optimizer optimizer) throws IOException {
        return save(output, info, params, List.of(optimizer), ModelState.none());
    }

    /**
     * Saves a checkpoint with one optimizer per parameter group ({@code optimizers} in the order of
     * {@code info.groups()}) and the model's declared state. Reads the tensors from the device (blocking).
     */
    public static Path save(Path output, Info info, List<Param> params, List<Optimizer> optimizers, ModelState state)
            throws IOException {
        if (optimizers.size() != info.groups().size()) {
            throw new IllegalArgumentException(optimizers.size() + " optimizers for " + info.groups().size() + " parameter groups");
        }
        List<String> pnames = new ArrayList<>();
        List<Tensor> values = new ArrayList<>();
        for (Param p : params) {
            pnames.add(p.name());
            values.add(p.value());
        }
        List<Safetensors.Entry> w = entries(pnames, values, "parameter", info.step());
        List<Safetensors.Entry> o = new ArrayList<>();
        for (int g = 0; g < optimizers.size(); g++) {
            Optimizer opt = optimizers.get(g);
            List<Tensor> st = opt.state();
            o.addAll(entries(optimizerStateNames(info.groups().get(g).optimizer(), opt.params(), st.size()), st, "optimizer state",
                    info.step()));
        }
        List<Safetensors.Entry> s = null;
        if (!state.tensors().isEmpty()) {
            s = entries(new ArrayList<>(state.tensors().keySet()), new ArrayList<>(state.tensors().values()), "model state",
                    info.step());
        }
        return save(output, info, w, o, s);
    }

    /** As {@link #save(Path, Info, List, Optimizer)} with tensors already on the host. */
    public static Path save(Path output, Info info, List<Safetensors.Entry> weights, List<Safetensors.Entry> optimizerState)
            throws IOException {
        return save(output, info, weights, optimizerState, null);
    }

    /** With tensors already on the host; {@code modelState} null: the model declares no state tensors. */
    public static Path save(Path output, Info info, List<Safetensors.Entry> weights, List<Safetensors.Entry> optimizerState,
            List<Safetensors.Entry> modelState) throws IOException {
        Path dir = dirFor(output, info.step());
        Files.createDirectories(dir);
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "genzoo-checkpoint-" + FORMAT);
        meta.put("step", Long.toString(info.step()));
        meta.put("family", info.family());
        Files.deleteIfExists(dir.resolve(META)); // uncommit first when overwriting the same step
        Safetensors.write(dir.resolve(WEIGHTS), weights, meta);
        Map<String, String> ometa = new LinkedHashMap<>(meta);
        if (info.oneDefaultGroup()) {
            ometa.put("optimizer", info.optimizerType());
            ometa.put("optimizer.steps", Long.toString(info.optimizerSteps()));
        } else {
            for (GroupInfo g : info.groups()) {
                ometa.put("optimizer." + g.name(), g.optimizer());
                ometa.put("optimizer." + g.name() + ".steps", Long.toString(g.steps()));
            }
        }
        Safetensors.write(dir.resolve(OPTIMIZER), optimizerState, ometa);
        if (modelState != null) {
            Safetensors.write(dir.resolve(STATE), modelState, meta);
        } else {
            Files.deleteIfExists(dir.resolve(STATE));
        }
        ObjectNode json = toJson(info);
        ObjectNode files = json.putObject("files");
        files.put(WEIGHTS, sha256(dir.resolve(WEIGHTS)));
        files.put(OPTIMIZER, sha256(dir.resolve(OPTIMIZER)));
        if (modelState != null) {
            files.put(STATE, sha256(dir.resolve(STATE)));
        }
        AtomicFiles.writeString(dir.resolve(META), JobSpec.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(json));
        return dir;
    }

    static ObjectNode toJson(Info info) {
        ObjectNode j = JsonNodeFactory.instance.objectNode();
        j.put("format", FORMAT);
        j.put("step", info.step());
        j.put("epoch", info.epoch());
        ObjectNode rng = j.putObject("rng");
        info.rngCounters().entrySet().stream().sorted(Map.Entry.comparingByKey())
                .forEach(e -> rng.put(Integer.toString(e.getKey()), e.getValue()));
        ObjectNode data = j.putObject("data");
        info.data().forEach(data::put);
        j.put("specHash", info.specHash());
        j.put("trainingHash", info.trainingHash());
        j.put("family", info.family());
        j.put("optimizer", info.optimizerType());
        j.put("optimizerSteps", info.optimizerSteps());
        ObjectNode extra = j.putObject("extra");
        info.extra().forEach(extra::put);
        if (!info.oneDefaultGroup()) {
            ObjectNode groups = j.putObject("groups");
            for (GroupInfo g : info.groups()) {
                ObjectNode o = groups.putObject(g.name());
                o.put("optimizer", g.optimizer());
                o.put("steps", g.steps());
            }
        }
        if (!info.stateRng().isEmpty()) {
            ObjectNode sr = j.putObject("stateRng");
            info.stateRng().forEach((name, counters) -> {
                ObjectNode c = sr.putObject(name);
                counters.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> c.put(Integer.toString(e.getKey()), e.getValue()));
            });
        }
        return j;
    }

    static Info fromJson(JsonNode j) {
        Map<Integer, Long> rng = new LinkedHashMap<>();
        j.path("rng").fields().forEachRemaining(e -> rng.put(Integer.parseInt(e.getKey()), e.getValue().asLong()));
        Map<String, String> data = new LinkedHashMap<>();
        j.path("data").fields().forEachRemaining(e -> data.put(e.getKey(), e.getValue().asText()));
        Map<String, Double> extra = new LinkedHashMap<>();
        j.path("extra").fields().forEachRemaining(e -> extra.put(e.getKey(), e.getValue().asDouble()));
        if (j.path("format").asInt() != FORMAT || !j.hasNonNull("step")) {
            throw new IllegalArgumentException("not a format-" + FORMAT + " checkpoint record");
        }
        List<GroupInfo> groups = new ArrayList<>();
        j.path("groups").fields().forEachRemaining(e -> groups.add(new GroupInfo(e.getKey(), e.getValue().path("optimizer").asText(),
                e.getValue().path("steps").asLong())));
        Map<String, Map<Integer, Long>> stateRng = new LinkedHashMap<>();
        j.path("stateRng").fields().forEachRemaining(e -> {
            Map<Integer, Long> c = new LinkedHashMap<>();
            e.getValue().fields().forEachRemaining(f -> c.put(Integer.parseInt(f.getKey()), f.getValue().asLong()));
            stateRng.put(e.getKey(), c);
        });
        return new Info(j.get("step").asLong(), j.path("epoch").asInt(), rng, data, j.path("specHash").asText(),
                j.path("trainingHash").asText(), j.path("family").asText(), j.path("optimizer").asText(),
                j.path("optimizerSteps").asLong(), extra, groups, stateRng);
    }

    /** Committed checkpoint folders, newest first (by step in the folder name). */
    public static List<Path> list(Path output) throws IOException {
        Path root = root(output);
        if (!Files.isDirectory(root)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(root)) {
            return s.filter(p -> p.getFileName().toString().matches("step-\\d{12}") && Files.isRegularFile(p.resolve(META)))
                    .sorted(Comparator.comparing((Path p) -> p.getFileName().toString()).reversed()).toList();
        }
    }

    /**
     * Loads one checkpoint folder, checking that checkpoint.json is readable and that both tensor
     * files match the hashes it recorded.
     */
    public static Loaded load(Path dir) throws IOException {
        JsonNode j = JobSpec.mapper().readTree(Files.readString(dir.resolve(META)));
        Info info = fromJson(j);
        boolean hasState = j.path("files").has(STATE);
        for (String f : hasState ? List.of(WEIGHTS, OPTIMIZER, STATE) : List.of(WEIGHTS, OPTIMIZER)) {
            String want = j.path("files").path(f).asText();
            String got = sha256(dir.resolve(f));
            if (!want.equals(got)) {
                throw new IOException(dir.resolve(f) + " does not match its recorded SHA-256 (" + want + " != " + got + ")");
            }
        }
        return new Loaded(dir, info, Safetensors.read(dir.resolve(WEIGHTS)), Safetensors.read(dir.resolve(OPTIMIZER)),
                hasState ? Safetensors.read(dir.resolve(STATE)) : null);
    }

    /**
     * The newest checkpoint that loads cleanly; folders that fail ({@code skipped} collects why) are
     * passed over, so a torn write falls back to the previous checkpoint.
     */
    public static Optional<Loaded> latest(Path output, List<String> skipped) throws IOException {
        for (Path dir : list(output)) {
            try {
                return Optional.of(load(dir));
            } catch (IOException | RuntimeException e) {
                skipped.add(dir.getFileName() + ": " + e.getMessage());
            }
        }
        return Optional.empty();
    }

    /** Writes a checkpoint's weights into the parameters only (for evaluation; names and shapes must match). */
    public static void restoreWeights(Loaded c, List<Param> params) {
        for (Param p : params) {
            write(c.weights().get(p.name()), p.value(), c.dir());
        }
    }

    /** Writes a checkpoint's tensors into the parameters and the optimizer (shapes and names must match). */
    public static void restore(Loaded c, List<Param> params, Optimizer optimizer) {
        restore(c, params, List.of(optimizer), ModelState.none());
    }

    /**
     * Writes a checkpoint's tensors into the parameters, each group's optimizer ({@code optimizers}
     * in the order of the checkpoint's groups) and the model's declared state (see {@link #restoreState}).
     */
    public static void restore(Loaded c, List<Param> params, List<Optimizer> optimizers, ModelState modelState) {
        restoreWeights(c, params);
        List<GroupInfo> groups = c.info().groups();
        if (groups.size() != optimizers.size()) {
            throw new IllegalArgumentException(c.dir() + ": " + groups.size() + " parameter groups, the model has " + optimizers.size());
        }
        int total = 0;
        for (int g = 0; g < groups.size(); g++) {
            Optimizer opt = optimizers.get(g);
            List<Tensor> state = opt.state();
            total += state.size();
            List<String> names = optimizerStateNames(groups.get(g).optimizer(), opt.params(), state.size());
            for (int i = 0; i < state.size(); i++) {
                Safetensors.Entry e = find(c.optimizer(), names.get(i));
                if (e == null) {
                    throw new IllegalArgumentException(c.dir() + ": no optimizer state " + names.get(i) + " for group " + groups.get(g).name());
                }
                write(e, state.get(i), c.dir());
            }
            opt.setSteps(groups.get(g).steps());
        }
        if (c.optimizer().tensors().size() != total) {
            throw new IllegalArgumentException(c.dir() + ": " + c.optimizer().tensors().size() + " optimizer tensors, the optimizers have "
                    + total);
        }
        restoreState(c, modelState);
    }

    /**
     * Writes a checkpoint's model state back: every declared tensor (which must be in the checkpoint,
     * same shape) and every declared generator's counters, then runs the state's restore hooks. A
     * model that declares nothing is left alone.
     */
    public static void restoreState(Loaded c, ModelState modelState) {
        if (modelState.isEmpty()) {
            return;
        }
        for (Map.Entry<String, Tensor> e : modelState.tensors().entrySet()) {
            Safetensors.Entry saved = c.state() == null ? null : find(c.state(), e.getKey());
            if (saved == null) {
                throw new IllegalArgumentException(c.dir() + " holds no model state '" + e.getKey() + "': it was written by a model"
                        + " that did not declare it; start a new output folder");
            }
            write(saved, e.getValue(), c.dir());
        }
        for (Map.Entry<String, org.genzoo.host.ops.Rng> e : modelState.rngs().entrySet()) {
            Map<Integer, Long> counters = c.info().stateRng().get(e.getKey());
            if (counters == null) {
                throw new IllegalArgumentException(c.dir() + " holds no counters of the model's random generator '" + e.getKey()
                        + "'; start a new output folder");
            }
            e.getValue().restoreCounters(counters);
        }
        modelState.restored();
    }

    private static Safetensors.Entry find(Safetensors.Contents c, String name) {
        for (Safetensors.Entry e : c.tensors()) {
            if (e.name().equals(name)) {
                return e;
            }
        }
        return null;
    }

    private static void write(Safetensors.Entry e, Tensor t, Path dir) {
        if (e.shape().length != 2 || e.shape()[0] != t.rows() || e.shape()[1] != t.cols()) {
            throw new IllegalArgumentException(dir + ": " + e + " does not fit a " + t.shape() + " tensor");
        }
        t.write(e.data());
    }

    /** Deletes all but the newest {@code keep} committed checkpoints (0 keeps all), and uncommitted leftovers older than them. */
    public static void prune(Path output, int keep) throws IOException {
        if (keep <= 0) {
            return;
        }
        List<Path> all = list(output);
        for (int i = keep; i < all.size(); i++) {
            deleteTree(all.get(i));
        }
    }

    static void deleteTree(Path dir) throws IOException {
        // checkpoint.json first: the folder stops being a checkpoint before its tensors go.
        Files.deleteIfExists(dir.resolve(META));
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    static String sha256(Path file) throws IOException {
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), MessageDigest.getInstance("SHA-256"))) {
            byte[] buf = new byte[1 << 16];
            while (in.read(buf) >= 0) {
                // digesting
            }
            return HexFormat.of().formatHex(((DigestInputStream) in).getMessageDigest().digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
