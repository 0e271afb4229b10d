package org.genzoo.models.flow;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import org.genzoo.host.Device;
import org.genzoo.host.autograd.F;
import org.genzoo.host.autograd.Param;
import org.genzoo.host.autograd.Var;
import org.genzoo.models.train.SpecError;
import org.genzoo.models.train.SpecReader;

/**
 * An inverse autoregressive flow on a VAE's posterior (Kingma et al. 2016): z_0 ~ q_0(z|x) =
 * N(mu, diag σ²) from the encoder, then z_T = IAF_T ∘ … ∘ IAF_1(z_0), each step one parallel,
 * differentiable MADE pass, and log q(z_T|x) = log q_0(z_0|x) − Σ log|det ∂z_t/∂z_{t−1}|. The IAF
 * parameters are shared across examples (the flow does not read a context vector from the
 * encoder); the MADE orders alternate natural, reverse, ….
 * <pre>
 * "posteriorFlow": {"type": "iaf", "layers": 2, "hidden": [64], "scaleBound": 3.0}
 * </pre>
 */
public final class IafPosterior implements AutoCloseable {
    private final Flow flow;

    private IafPosterior(Flow flow) {
        this.flow = flow;
    }

    /** Problems with a posteriorFlow object; empty when valid. */
    public static List<SpecError> validate(JsonNode spec, String pointer, int latentDim) {
        List<SpecError> errors = new ArrayList<>();
        SpecReader r = new SpecReader(spec, pointer, errors);
        if (!r.isObject()) {
            return errors;
        }
        r.oneOf("type", null, true, List.of("iaf"));
        r.integer("layers", 1L, 1, 64);
        FlowLayers.widths(r, "hidden", new int[] {64});
        r.number("scaleBound", 3.0, 0, false, 100, false);
        r.finish();
        if (latentDim < 2) {
            errors.add(new SpecError(pointer, "a latent dimension of at least 2 (an IAF's MADE needs two)", String.valueOf(latentDim)));
        }
        return errors;
    }

    /** The flow a valid posteriorFlow object describes, on L latent dimensions. */
    public static IafPosterior create(Device device, JsonNode spec, int latentDim, long seed) {
        List<SpecError> errors = validate(spec, "/model/posteriorFlow", latentDim);
        if (!errors.isEmpty()) {
            throw new IllegalArgumentException("invalid posteriorFlow: " + errors);
        }
        int n = spec.path("layers").asInt(1);
        List<FlowLayer> layers = new ArrayList<>();
        try {
            for (int i = 0; i < n; i++) {
                ObjectNode l = JsonNodeFactory.instance.objectNode();
                l.put("type", "iaf");
                if (spec.has("hidden")) {
                    l.set("hidden", spec.get("hidden"));
                } else {
                    l.putArray("hidden").add(64);
                }
                l.put("order", i % 2 == 0 ? "natural" : "reverse");
                l.put("scaleBound", spec.path("scaleBound").asDouble(3.0));
                layers.add(FlowLayers.create(device, l, latentDim, seed * 31 + i, "posterior." + i));
            }
            return new IafPosterior(new Flow(device, latentDim, layers));
        } catch (RuntimeException e) {
            for (FlowLayer l : layers) {
                l.close();
            }
            throw e;
        }
    }

    /** z_T and log q(z_T|x) (B x 1) from z_0 and log q_0(z_0|x), on the active tape. */
    public Var[] apply(Var z0, Var logQ0) {
        FlowLayer.Step s = flow.inverse(z0);
        return new Var[] {s.out(), F.sub(logQ0, s.logdet())};
    }

    public List<Param> params() {
        return flow.params();
    }

    @Override
    public void close() {
        flow.close();
    }
}
