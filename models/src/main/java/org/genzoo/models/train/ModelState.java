package org.genzoo.models.train;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.genzoo.host.ops.Rng;
import org.genzoo.host.tensor.Tensor;

/**
 * What a model needs, besides its parameters, to continue bitwise after a restart: power-iteration
 * vectors, persistent Markov chains, moving averages of weights, fixed evaluation noise, the counters
 * of its own random streams. A model declares it once ({@link TrainableModel#state()}); every checkpoint
 * then saves the tensors bitwise in {@code state.safetensors} and the random-number counters in
 * {@code checkpoint.json}, under the names given here, and a resume writes them back before the first step.
 *
 * <pre>
 * ModelState s = new ModelState()
 *     .tensor("chains", chains)                  // persistent Gibbs chains, B x D
 *     .rng("chains", chainRng)                   // the chains' own noise counters
 *     .onRestore(() -> warm = true);             // after everything above was written back
 * </pre>
 *
 * Names are stable strings ([A-Za-z0-9._-]+), unique within the model; {@link #include} nests another
 * part's state under a prefix ("flow.3.iresnet." + "sn.0.u").
 */
public final class ModelState {
    private final Map<String, Tensor> tensors = new LinkedHashMap<>();
    private final Map<String, Rng> rngs = new LinkedHashMap<>();
    private final List<Runnable> restored = new ArrayList<>();

    /** No state (the default of {@link TrainableModel#state()}). */
    public static ModelState none() {
        return new ModelState();
    }

    /** A device tensor saved and restored bitwise (its shape must not change). */
    public ModelState tensor(String name, Tensor t) {
        check(name, tensors.containsKey(name));
        tensors.put(name, t);
        return this;
    }

    /** A random-number generator whose per-stream counters are saved and restored. */
    public ModelState rng(String name, Rng rng) {
        check(name, rngs.containsKey(name));
        rngs.put(name, rng);
        return this;
    }

    /** Runs after a restore wrote every tensor and counter back (to mark estimates as warm, say). */
    public ModelState onRestore(Runnable r) {
        restored.add(r);
        return this;
    }

    /** Everything {@code other} declares, its names prefixed with {@code prefix}. */
    public ModelState include(String prefix, ModelState other) {
        other.tensors.forEach((k, v) -> tensor(prefix + k, v));
        other.rngs.forEach((k, v) -> rng(prefix + k, v));
        restored.addAll(other.restored);
        return this;
    }

    public Map<String, Tensor> tensors() {
        return Collections.unmodifiableMap(tensors);
    }

    public Map<String, Rng> rngs() {
        return Collections.unmodifiableMap(rngs);
    }

    public boolean isEmpty() {
        return tensors.isEmpty() && rngs.isEmpty();
    }

    /** The counters of every declared generator, by name (sorted streams), for checkpoint.json. */
    public Map<String, Map<Integer, Long>> rngCounters() {
        Map<String, Map<Integer, Long>> out = new LinkedHashMap<>();
        rngs.forEach((k, v) -> out.put(k, v.counters()));
        return out;
    }

    /** Runs the {@link #onRestore} hooks (the trainer calls this after writing tensors and counters back). */
    public void restored() {
        for (Runnable r : restored) {
            r.run();
        }
    }

    private static void check(String name, boolean taken) {
        if (name == null || !name.matches("[A-Za-z0-9._-]+")) {
            throw new IllegalArgumentException("a model state name is [A-Za-z0-9._-]+, got '" + name + "'");
        }
        if (taken) {
            throw new IllegalArgumentException("model state '" + name + "' is declared twice");
        }
    }
}
