package org.genzoo.models.flow;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.genzoo.models.train.Safetensors;
import org.genzoo.models.train.SpecError;
import org.genzoo.models.train.TorchExport;

/**
 * Flows as PyTorch modules (see genzoo_model.py): {@code flow} is an {@code nn.ModuleList} with
 * one module per layer after {@code repeat}, in the data direction over N(0, I):
 * <pre>
 * actnorm    parameters flow.i.bias, flow.i.log_scale (vectors): z = (x + bias)·exp(log_scale)
 * coupling   flow.i.net = nn.Sequential(Linear, ReLU, ..., Linear) (GenZoo net.j -> net.2j); the 0/1 mask and the
 *            log-scale bound S are in the architecture: s = S·tanh(raw/S), z = m·x + (1 − m)·(x·exp(s) + t)
 * permute    no parameters; the order (z[j] = x[perm[j]]) is in the architecture
 * </pre>
 * With {@code dequantize} the architecture carries it and {@code logitAlpha}, and the Python side
 * has the pixel-space density (log_prob_pixels, bits_per_dim). Layers without a PyTorch
 * counterpart here yet (MADE/MAF/IAF, LU, planar, radial, i-ResNet) are refused with their pointer.
 */
public final class FlowTorchExport implements TorchExport {
    static final List<String> EXPORTED = List.of("actnorm", "coupling", "permute");

    @Override
    public String family() {
        return FlowFamily.NAME;
    }

    @Override
    public Exported export(JsonNode model, long seed, Safetensors.Contents w) {
        List<SpecError> errors = new ArrayList<>();
        FlowFamily.Config c = FlowFamily.read(model, "/model", errors);
        if (c == null) {
            throw new IllegalArgumentException("the run's model object is invalid: " + errors);
        }
        int given = model.path("layers").size();
        int dim = -1;
        for (int i = 0; i < c.layers().size(); i++) {
            String type = c.layers().get(i).path("type").asText();
            if (!EXPORTED.contains(type)) {
                throw new IllegalArgumentException("/model/layers/" + (i % given) + ": flow layers of type " + type
                        + " have no PyTorch export yet (exported: " + String.join(", ", EXPORTED) + ")");
            }
            Safetensors.Entry e = TorchExport.find(w, "flow." + i + ".actnorm.actnorm.bias");
            if (e == null) {
                e = TorchExport.find(w, "flow." + i + ".coupling.net.0.weight");
            }
            if (e != null && dim < 0) {
                dim = e.shape()[1];
            }
        }
        if (dim < 0) {
            throw new IllegalArgumentException("/model/layers: a flow of permutations only has no weights to export");
        }
        List<Safetensors.Entry> out = new ArrayList<>();
        ObjectNode a = JsonNodeFactory.instance.objectNode();
        a.put("family", family());
        a.put("dataDim", dim);
        a.put("objective", c.objective());
        a.put("dequantize", c.dequantize());
        a.put("logitAlpha", c.logitAlpha());
        ArrayNode layers = a.putArray("layers");
        for (int i = 0; i < c.layers().size(); i++) {
            JsonNode l = c.layers().get(i);
            String type = l.path("type").asText();
            ObjectNode o = layers.addObject();
            o.put("type", type);
            String from = "flow." + i + "." + type;
            String to = "flow." + i;
            switch (type) {
                case "actnorm" -> {
                    Safetensors.Entry b = TorchExport.require(w, from + ".actnorm.bias");
                    Safetensors.Entry s = TorchExport.require(w, from + ".actnorm.logScale");
                    out.add(TorchExport.rename(b, to + ".bias", dim));
                    out.add(TorchExport.rename(s, to + ".log_scale", dim));
                }
                case "coupling" -> {
                    List<Integer> hidden = new ArrayList<>();
                    int j = 0;
                    for (; TorchExport.find(w, from + ".net." + (j + 1) + ".weight") != null; j++) {
                        hidden.add(TorchExport.require(w, from + ".net." + j + ".weight").shape()[0]);
                    }
                    for (int k = 0; k <= j; k++) {
                        TorchExport.linear(out, w, from + ".net." + k, to + ".net." + 2 * k);
                    }
                    float[] mask = AffineCouplingLayer.mask(l.path("mask").asText("alternate"), l.path("parity").asInt(0), dim);
                    ArrayNode m = o.putArray("mask");
                    for (float v : mask) {
                        m.add((int) v);
                    }
                    hidden.forEach(o.putArray("hidden")::add);
                    o.put("scaleBound", l.path("scaleBound").asDouble(2.0));
                }
                case "permute" -> {
                    int[] perm = new int[dim];
                    if ("random".equals(l.path("kind").asText("reverse"))) {
                        perm = Permutation.randomOrder(dim, new SplittableRandom(seed * 1_000_003L + i));
                    } else {
                        for (int j = 0; j < dim; j++) {
                            perm[j] = dim - 1 - j;
                        }
                    }
                    ArrayNode p = o.putArray("perm");
                    for (int v : perm) {
                        p.add(v);
                    }
                }
                default -> throw new IllegalStateException("unhandled exported layer " + type);
            }
        }
        if (out.size() != w.tensors().size()) {
            throw new IllegalArgumentException("the checkpoint has " + w.tensors().size() + " tensors, the flow of the spec "
                    + out.size() + ": it does not match the run's spec");
        }
        return new Exported(a, out);
    }
}
