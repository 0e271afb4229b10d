package org.genzoo.models.vae;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.genzoo.models.train.Safetensors;
import org.genzoo.models.train.SpecError;
import org.genzoo.models.train.TorchExport;

/**
 * The one-layer VAE as PyTorch modules (see genzoo_model.py):
 * <pre>
 * encoder.trunk   nn.Sequential(Linear, act, Linear, act, ...)   D -> hidden...   (GenZoo encoder.trunk.i -> encoder.trunk.2i)
 * encoder.head    nn.Linear(hidden[-1], 2L): [mu | logvar]
 * decoder         bernoulli: nn.Sequential(Linear, act, ..., Linear) L -> reversed hidden... -> D logits (decoder.i -> decoder.2i)
 *                 gaussian:  decoder.trunk + decoder.head -> [mean | logvar] of x
 * </pre>
 * The standard-normal prior only: the mixture and VampPrior priors and the IAF posterior have no
 * PyTorch counterpart here yet and are refused with their pointer.
 */
public final class VaeTorchExport implements TorchExport {
    @Override
    public String family() {
        return "vae";
    }

    @Override
    public Exported export(JsonNode model, long seed, Safetensors.Contents w) {
        if (model.hasNonNull("posteriorFlow")) {
            throw new IllegalArgumentException("/model/posteriorFlow: the IAF posterior has no PyTorch export yet;"
                    + " export a VAE with the Gaussian posterior");
        }
        String first = TorchExport.find(w, "encoder.trunk.0.weight") != null ? "encoder.trunk.0.weight" : "encoder.head.weight";
        int dataDim = TorchExport.require(w, first).shape()[1];
        List<SpecError> errors = new ArrayList<>();
        VaeConfig c = VaeFamily.read(model, "/model", dataDim, seed, errors);
        if (c == null) {
            throw new IllegalArgumentException("the run's model object is invalid: " + errors);
        }
        if (!(c.prior() instanceof PriorSpec.StandardNormal)) {
            throw new IllegalArgumentException("/model/prior: only the standard-normal prior has a PyTorch export yet, got "
                    + model.path("prior").asText());
        }
        List<Safetensors.Entry> out = new ArrayList<>();
        int n = c.hidden().size();
        for (int i = 0; i < n; i++) {
            TorchExport.linear(out, w, "encoder.trunk." + i, "encoder.trunk." + 2 * i);
        }
        TorchExport.linear(out, w, "encoder.head", "encoder.head");
        if (c.likelihood() == Likelihood.BERNOULLI) {
            for (int i = 0; i <= n; i++) {
                TorchExport.linear(out, w, "decoder." + i, "decoder." + 2 * i);
            }
        } else {
            for (int i = 0; i < n; i++) {
                TorchExport.linear(out, w, "decoder.trunk." + i, "decoder.trunk." + 2 * i);
            }
            TorchExport.linear(out, w, "decoder.head", "decoder.head");
        }
        if (out.size() != w.tensors().size()) {
            throw new IllegalArgumentException("the checkpoint has " + w.tensors().size() + " tensors, the VAE of the spec "
                    + out.size() + ": it does not match the run's spec");
        }
        ObjectNode a = JsonNodeFactory.instance.objectNode();
        a.put("family", family());
        a.put("dataDim", dataDim);
        a.put("latent", c.latentDim());
        c.hidden().forEach(a.putArray("hidden")::add);
        a.put("activation", c.activation().name().toLowerCase(Locale.ROOT));
        a.put("likelihood", c.likelihood().name().toLowerCase(Locale.ROOT));
        a.put("prior", "standard");
        return new Exported(a, out);
    }
}
