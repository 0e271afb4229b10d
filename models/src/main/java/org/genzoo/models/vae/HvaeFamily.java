package org.genzoo.models.vae;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.genzoo.host.Device;
import org.genzoo.models.train.SpecError;
import org.genzoo.models.train.SpecReader;

/**
 * The spec family {@code "hvae"}: the two-stochastic-layer VAE of the IWAE paper.
 * <pre>
 * {"family": "hvae", "latent1": 100, "latent2": 50, "hidden1": [200, 200], "hidden2": [100, 100],
 *  "activation": "tanh"|"relu", "objective": "elbo"|"iwae", "samples": 1, "beta": 1, "warmupSteps": 0}
 * </pre>
 */
public final class HvaeFamily extends LatentFamily<HvaeConfig> {
    @Override
    public String name() {
        return "hvae";
    }

    @Override
    public String description() {
        return "two-stochastic-layer VAE (Burda et al. 2016), ELBO or IWAE bound";
    }

    @Override
    HvaeConfig readConfig(JsonNode model, String pointer, int dataDim, long seed, List<SpecError> errors) {
        return read(model, pointer, dataDim, seed, errors);
    }

    /** Reads and checks the model object; returns the config, or null with errors recorded. */
    static HvaeConfig read(JsonNode model, String pointer, int dataDim, long seed, List<SpecError> errors) {
        SpecReader r = new SpecReader(model, pointer, errors);
        r.string("family", null, true);
        Long l1 = r.integer("latent1", 100L, 1, 4096);
        Long l2 = r.integer("latent2", 50L, 1, 4096);
        List<Integer> h1 = VaeFamily.widths(r, "hidden1", List.of(200, 200));
        List<Integer> h2 = VaeFamily.widths(r, "hidden2", List.of(100, 100));
        String act = r.oneOf("activation", "tanh", false, List.of("relu", "tanh"));
        String objective = r.oneOf("objective", "elbo", false, List.of("elbo", "iwae"));
        Long samples = r.integer("samples", 1L, 1, 10_000);
        Double beta = r.number("beta", 1.0, 0, false, 1e6, false);
        Long warmup = r.integer("warmupSteps", 0L, 0, Long.MAX_VALUE);
        r.finish();
        if (!errors.isEmpty()) {
            return null;
        }
        try {
            return new HvaeConfig(dataDim, h1, l1.intValue(), h2, l2.intValue(), act.equals("relu") ? Activation.RELU : Activation.TANH,
                    Likelihood.BERNOULLI, objective.equals("iwae") ? Objective.IWAE : Objective.ELBO, samples.intValue(),
                    beta.floatValue(), warmup, seed);
        } catch (InvalidConfigException e) {
            for (InvalidConfigException.Violation v : e.violations()) {
                errors.add(new SpecError(SpecReader.pointer(pointer, v.field()), v.message(), "a combination the model does not allow"));
            }
            return null;
        }
    }

    @Override
    LatentModel build(Device device, HvaeConfig cfg, JsonNode model) {
        return new HierarchicalVae(device, cfg);
    }

    @Override
    boolean bernoulli(HvaeConfig cfg) {
        return true;
    }

    @Override
    long evalRowFloats(HvaeConfig cfg, int dataDim) {
        long hidden = cfg.hidden1().stream().mapToLong(Integer::longValue).sum() + cfg.hidden2().stream().mapToLong(Integer::longValue).sum();
        // Two latent layers, each with its posterior and its prior's parameters and densities.
        return 6L * dataDim + 4 * hidden + 8L * (cfg.latent1() + cfg.latent2());
    }

    @Override
    long estimate(HvaeConfig cfg, int dataDim, int batchSize) {
        long params = 0;
        int prev = dataDim;
        for (int h : cfg.hidden1()) {
            params += (long) prev * h;
            prev = h;
        }
        params += (long) prev * 2 * cfg.latent1();
        prev = cfg.latent1();
        for (int h : cfg.hidden2()) {
            params += (long) prev * h;
            prev = h;
        }
        params *= 2;
        long rows = (long) Math.max(1, cfg.samples()) * batchSize;
        return 4L * (4 * params + 8 * rows * (dataDim + 1024));
    }
}
