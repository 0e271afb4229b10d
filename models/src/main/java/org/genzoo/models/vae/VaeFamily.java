package org.genzoo.models.vae;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import org.genzoo.host.Device;
import org.genzoo.models.train.DataKind;
import org.genzoo.models.train.SpecError;
import org.genzoo.models.train.SpecReader;

/**
 * The spec family {@code "vae"}: one stochastic layer, with every fix of the family as a field.
 * <pre>
 * {"family": "vae", "latent": 20, "hidden": [400], "activation": "relu"|"tanh",
 *  "likelihood": "bernoulli"|"gaussian", "prior": "standard"|"mog"|"vamp", "components": 10,
 *  "objective": "elbo"|"iwae", "samples": 1, "kl": "analytic"|"sample",
 *  "beta": 1, "warmupSteps": 0, "freeBits": 0, "freeBitsGroups": G | [g_1..g_L], "capacityMax": 0, "capacitySteps": 0, "capacityGamma": 1,
 *  "posteriorFlow": {"type": "iaf", "layers": 2, "hidden": [64]}}   (optional, see IafPosterior)
 * </pre>
 * {@code /eval/metrics} takes {@code {"iwaeK": 5000}}: the number of importance samples of the
 * NLL estimate at evaluation (0 or 1: ELBO only).
 */
public final class VaeFamily extends LatentFamily<VaeConfig> {    @Override
    public String name() {
        return "vae";
    }

    @Override
    public String description() {
        return "VAE (Kingma & Welling 2014) with beta, KL annealing, free bits, capacity, IWAE bound, MoG/VampPrior priors";
    }

    static List<Integer> widths(SpecReader r, String field, List<Integer> def) {
        JsonNode v = r.raw(field);
        if (v == null) {
            return def;
        }
        List<Integer> out = new ArrayList<>();
        if (!v.isArray() || v.isEmpty()) {
            r.error(field, "a non-empty array of layer widths (integers 1..65536)", v);
            return def;
        }
        for (JsonNode w : v) {
            if (!w.canConvertToInt() || !w.isIntegralNumber() || w.asInt() < 1 || w.asInt() > 65536) {
                r.error(field, "a non-empty array of layer widths (integers 1..65536)", v);
                return def;
            }
            out.add(w.asInt());
        }
        return out;
    }

    /**
     * {@code freeBitsGroups}: an integer G (the L latent dimensions in G contiguous groups of sizes
     * differing by at most one) or an array of L group indices 0..G−1; null when absent or invalid.
     */
    static int[] freeBitsGroups(SpecReader r, int latent) {
        JsonNode v = r.raw("freeBitsGroups");
        if (v == null || latent < 1) {
            return null;
        }
        String want = "an integer 1.." + latent + " (contiguous groups) or an array of " + latent + " group indices 0..G-1";
        if (v.isIntegralNumber() && v.canConvertToInt() && v.asInt() >= 1 && v.asInt() <= latent) {
            int g = v.asInt();
            int[] out = new int[latent];
            for (int i = 0; i < latent; i++) {
                out[i] = (int) ((long) i * g / latent);
            }
            return out;
        }
        if (v.isArray() && v.size() == latent) {
            int[] out = new int[latent];
            for (int i = 0; i < latent; i++) {
                JsonNode e = v.get(i);
                if (!e.isIntegralNumber() || !e.canConvertToInt() || e.asInt() < 0 || e.asInt() >= latent) {
                    r.error("freeBitsGroups", want, v);
                    return null;
                }
                out[i] = e.asInt();
            }
            return out;
        }
        r.error("freeBitsGroups", want, v);
        return null;
    }

    private static int[] ints(List<Integer> l) {
        return l.stream().mapToInt(Integer::intValue).toArray();
    }

    @Override
    VaeConfig readConfig(JsonNode model, String pointer, int dataDim, long seed, List<SpecError> errors) {
        return read(model, pointer, dataDim, seed, errors);
    }

    /** Reads and checks the model object; returns the config, or null with errors recorded. */
    static VaeConfig read(JsonNode model, String pointer, int dataDim, long seed, List<SpecError> errors) {
        SpecReader r = new SpecReader(model, pointer, errors);
        r.string("family", null, true);
        Long latent = r.integer("latent", null, 1, 4096, true);
        List<Integer> hidden = widths(r, "hidden", List.of(400));
        String act = r.oneOf("activation", "relu", false, List.of("relu", "tanh"));
        String lik = r.oneOf("likelihood", "bernoulli", false, List.of("bernoulli", "gaussian"));
        String prior = r.oneOf("prior", "standard", false, List.of("standard", "mog", "vamp"));
        Long components = r.integer("components", null, 1, 100_000);
        String objective = r.oneOf("objective", "elbo", false, List.of("elbo", "iwae"));
        Long samples = r.integer("samples", 1L, 1, 10_000);
        String kl = r.oneOf("kl", null, false, List.of("analytic", "sample"));
        Double beta = r.number("beta", 1.0, 0, false, 1e6, false);
        Long warmup = r.integer("warmupSteps", 0L, 0, Long.MAX_VALUE);
        Double freeBits = r.number("freeBits", 0.0, 0, false, 1e6, false);
        int[] groups = freeBitsGroups(r, latent == null ? 0 : latent.intValue());
        if (groups != null && !(freeBits != null && freeBits > 0)) {
            r.error("freeBitsGroups", "no groups unless freeBits > 0", model.get("freeBitsGroups"));
        }
        Double cMax = r.number("capacityMax", 0.0, 0, false, 1e6, false);
        Long cSteps = r.integer("capacitySteps", 0L, 0, Long.MAX_VALUE);
        Double gamma = r.number("capacityGamma", 1.0, 0, true, 1e6, false);
        JsonNode flow = r.raw("posteriorFlow");
        if (flow != null) {
            errors.addAll(org.genzoo.models.flow.IafPosterior.validate(flow, r.pointer("posteriorFlow"), latent == null ? 2 : latent.intValue()));
            if (freeBits != null && freeBits > 0) {
                r.error("freeBits", "0 with a posteriorFlow (free bits need the analytic per-dimension KL)", model.get("freeBits"));
            }
        }
        r.finish();
        if (!errors.isEmpty() || latent == null) {
            return null;
        }
        VaeConfig.Builder b = VaeConfig.builder(dataDim, latent.intValue()).hidden(ints(hidden))
                .activation(act.equals("tanh") ? Activation.TANH : Activation.RELU)
                .likelihood(lik.equals("gaussian") ? Likelihood.GAUSSIAN : Likelihood.BERNOULLI).seed(seed);
        switch (prior) {
            case "mog" -> b.prior(new PriorSpec.Mixture(components == null ? 10 : components.intValue()));
            case "vamp" -> b.prior(new PriorSpec.Vamp(components == null ? 500 : components.intValue()));
            default -> b.prior(new PriorSpec.StandardNormal());
        }
        if (objective.equals("iwae")) {
            b.iwae(samples.intValue());
        } else {
            if (samples != 1) {
                r.error("samples", "1 with the ELBO objective (use \"objective\": \"iwae\" for K > 1)", model.get("samples"));
            }
            b.elbo();
        }
        if (kl != null) {
            b.kl(kl.equals("analytic") ? KlEstimator.ANALYTIC : KlEstimator.SAMPLE);
        } else if (!prior.equals("standard")) {
            b.kl(KlEstimator.SAMPLE);
        }
        if (beta != 1.0) {
            b.beta(beta.floatValue());
        }
        if (warmup > 0) {
            b.warmupSteps(warmup);
        }
        if (freeBits > 0) {
            if (groups != null) {
                b.freeBits(freeBits.floatValue(), groups);
            } else {
                b.freeBits(freeBits.floatValue());
            }
        }
        if (cMax > 0) {
            b.capacity(cMax.floatValue(), cSteps, gamma.floatValue());
        }
        try {
            return b.build();
        } catch (InvalidConfigException e) {
            for (InvalidConfigException.Violation v : e.violations()) {
                errors.add(new SpecError(SpecReader.pointer(pointer, v.field()), v.message(), "a combination the VAE does not allow"));
            }
            return null;
        }
    }

    /** A Bernoulli likelihood needs binary data in [0, 1] (binarized by default); a Gaussian one real values. */
    @Override
    public DataKind dataKind(JsonNode model) {
        return "gaussian".equals(model.path("likelihood").asText()) ? DataKind.REAL : DataKind.BINARY;
    }

    @Override
    LatentModel build(Device device, VaeConfig cfg, JsonNode model) {
        return new Vae(device, cfg, model.get("posteriorFlow"));
    }

    @Override
    boolean bernoulli(VaeConfig cfg) {
        return cfg.likelihood() == Likelihood.BERNOULLI;
    }

    @Override
    long evalRowFloats(VaeConfig cfg, int dataDim) {
        long hidden = cfg.hidden().stream().mapToLong(Integer::longValue).sum();
        long mixture = cfg.prior() instanceof PriorSpec.Vamp v ? v.pseudoInputs()
                : cfg.prior() instanceof PriorSpec.Mixture m ? m.components() : 0;
        return 6L * dataDim + 4 * hidden + 6L * cfg.latentDim() + 6 * mixture;
    }

    @Override
    long estimate(VaeConfig cfg, int dataDim, int batchSize) {
        long params = 0;
        long acts = 0;
        int prev = dataDim;
        for (int h : cfg.hidden()) {
            params += (long) prev * h + h;
            acts += h;
            prev = h;
        }
        params += (long) prev * 2 * cfg.latentDim();
        params *= 2; // encoder and a mirrored decoder
        long k = Math.max(1, cfg.samples());
        // Weights, gradients and two Adam moments; activations and their gradients per sample row.
        return 4L * (4 * params + 4 * k * batchSize * (acts * 2 + dataDim + 4L * cfg.latentDim()));
    }
}
