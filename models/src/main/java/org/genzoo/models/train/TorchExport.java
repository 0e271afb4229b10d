package org.genzoo.models.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;

/**
 * How one model family's checkpoint becomes PyTorch modules (registered with {@link ServiceLoader},
 * like {@link ModelFamily}): the weights renamed to the {@code state_dict} names of the equivalent
 * {@code torch.nn} modules (weights [out, in] as {@code nn.Linear} keeps them, biases as vectors),
 * and an architecture object that the exported Python module ({@code genzoo_model.py}, a classpath
 * resource beside this class's package) reads to build those modules. {@link TorchExporter} writes both.
 */
public interface TorchExport {
    /** The family name as in the spec. */
    String family();

    /** What the exporter hands to Python: the architecture (read by genzoo_model.py) and the renamed tensors. */
    record Exported(ObjectNode architecture, List<Safetensors.Entry> tensors) {
    }

    /**
     * The export of one checkpoint's weights for the spec's {@code model} object.
     *
     * @throws IllegalArgumentException a setting the PyTorch side does not build yet, named with its JSON pointer
     */
    Exported export(JsonNode model, long seed, Safetensors.Contents weights);

    /** A weight of the checkpoint by name, or null. */
    static Safetensors.Entry find(Safetensors.Contents weights, String name) {
        for (Safetensors.Entry e : weights.tensors()) {
            if (e.name().equals(name)) {
                return e;
            }
        }
        return null;
    }

    /** A weight of the checkpoint by name, or an error saying the checkpoint does not match the spec. */
    static Safetensors.Entry require(Safetensors.Contents weights, String name) {
        Safetensors.Entry e = find(weights, name);
        if (e == null) {
            throw new IllegalArgumentException("the checkpoint has no tensor " + name + ": it does not match the run's spec");
        }
        return e;
    }

    /** {@code e}'s values under a new name and shape (same count). */
    static Safetensors.Entry rename(Safetensors.Entry e, String name, int... shape) {
        return new Safetensors.Entry(name, shape, e.data());
    }

    /** A [rows, cols] weight as is, and a [1, n] bias as an n-vector, under {@code prefix}.weight / .bias. */
    static void linear(List<Safetensors.Entry> out, Safetensors.Contents w, String from, String to) {
        Safetensors.Entry weight = require(w, from + ".weight");
        Safetensors.Entry bias = require(w, from + ".bias");
        out.add(rename(weight, to + ".weight", weight.shape()));
        out.add(rename(bias, to + ".bias", bias.data().length));
    }

    /** Every registered export, by family name. */
    static Map<String, TorchExport> all() {
        Map<String, TorchExport> out = new TreeMap<>();
        for (TorchExport e : ServiceLoader.load(TorchExport.class, TorchExport.class.getClassLoader())) {
            out.put(e.family(), e);
        }
        return Collections.unmodifiableMap(out);
    }
}
