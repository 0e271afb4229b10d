package org.genzoo.models.ebm;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import org.genzoo.host.Device;
import org.genzoo.host.ops.Gibbs;
import org.genzoo.models.train.DataKind;
import org.genzoo.models.train.ModelFamily;
import org.genzoo.models.train.SpecError;
import org.genzoo.models.train.SpecReader;
import org.genzoo.models.train.TrainableModel;

/**
 * The spec family {@code "rbm"}: a Bernoulli-Bernoulli restricted Boltzmann machine trained by
 * CD-k, PCD-k or parallel tempering ({@link RbmLearner}); {@link Gaussian} is the same with
 * unit-variance Gaussian visible units ({@code "grbm"}, real-valued data, standardized by the model).
 * <pre>
 * {"family": "rbm", "hidden": 500, "method": "cd"|"pcd"|"pt", "k": 1, "chains": 100,
 *  "temperatures": 10, "minBeta": 0.5, "initScale": 0.01}
 * </pre>
 * {@code chains}: persistent chains (PCD; PT: per temperature); {@code temperatures}, {@code minBeta}:
 * PT's inverse temperatures, evenly spaced from 1 down to minBeta. Learning rate, momentum and
 * weight decay are the spec's {@code optimizer} ({@code "type": "sgd"}), group {@code "rbm"}.
 */
public class RbmFamily implements ModelFamily {
    private final String name;
    private final Gibbs.Units units;

    public RbmFamily() {
        this("rbm", Gibbs.Units.BERNOULLI);
    }

    RbmFamily(String name, Gibbs.Units units) {
        this.name = name;
        this.units = units;
    }

    /** {@code "grbm"}: Gaussian visible units with unit variance on standardized data. */
    public static final class Gaussian extends RbmFamily {
        public Gaussian() {
            super("grbm", Gibbs.Units.GAUSSIAN);
        }
    }

    record Config(int hidden, RbmLearner.Method method, int k, int chains, double[] betas, float initScale) {
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String description() {
        return units == Gibbs.Units.BERNOULLI ? "restricted Boltzmann machine, binary units, CD-k / PCD / parallel tempering, AIS log-likelihood"
                : "Gaussian-Bernoulli RBM (unit-variance visible units on standardized data), CD-k / PCD / parallel tempering";
    }

    static Config read(JsonNode model, String pointer, List<SpecError> errors) {
        SpecReader r = new SpecReader(model, pointer, errors);
        r.string("family", null, true);
        Long hidden = r.integer("hidden", 500L, 1, 1 << 16);
        Config c = readTraining(r, model, pointer, errors, hidden == null ? 1 : hidden.intValue());
        r.finish();
        return errors.isEmpty() ? c : null;
    }

    /** The training fields shared with the dbn family (method, k, chains, temperatures, minBeta, initScale). */
    static Config readTraining(SpecReader r, JsonNode model, String pointer, List<SpecError> errors, int hidden) {
        String method = r.oneOf("method", "cd", false, List.of("cd", "pcd", "pt"));
        Long k = r.integer("k", 1L, 1, 10_000);
        Long chains = r.integer("chains", 100L, 1, 1 << 20);
        Long temps = r.integer("temperatures", 10L, 2, 1000);
        Double minBeta = r.number("minBeta", 0.5, 0, true, 1, false);
        Double init = r.number("initScale", 0.01, 0, false, 10, false);
        if (method == null || k == null || chains == null || temps == null || minBeta == null || init == null) {
            return null;
        }
        if (!"pt".equals(method) && (model.has("temperatures") || model.has("minBeta"))) {
            String f = model.has("temperatures") ? "temperatures" : "minBeta";
            errors.add(new SpecError(SpecReader.pointer(pointer, f), "no " + f + ": it is used by \"method\": \"pt\" only",
                    SpecReader.describe(model.get(f))));
            return null;
        }
        double[] betas = new double[temps.intValue()];
        for (int i = 0; i < betas.length; i++) {
            betas[i] = 1 - (1 - minBeta) * i / (betas.length - 1);
        }
        return new Config(hidden, RbmLearner.Method.valueOf(method.toUpperCase(java.util.Locale.ROOT)), k.intValue(), chains.intValue(),
                betas, init.floatValue());
    }

    @Override
    public List<SpecError> validate(JsonNode model, String pointer) {
        List<SpecError> errors = new ArrayList<>();
        read(model, pointer, errors);
        return errors;
    }

    @Override
    public List<String> paramGroups(JsonNode model) {
        return List.of(RbmModel.GROUP);
    }

    @Override
    public DataKind dataKind(JsonNode model) {
        return units == Gibbs.Units.BERNOULLI ? DataKind.BINARY : DataKind.REAL;
    }

    @Override
    public TrainableModel create(Device device, JsonNode model, int dataDim, long seed) {
        List<SpecError> errors = new ArrayList<>();
        Config c = read(model, "/model", errors);
        if (c == null) {
            throw new IllegalArgumentException("invalid rbm model: " + errors);
        }
        return new RbmModel(device, name, dataDim, c.hidden(), units, c.method(), c.k(), c.chains(), c.betas(), c.initScale(), seed);
    }

    @Override
    public long estimateDeviceBytes(JsonNode model, int dataDim, int batchSize) {
        Config c = read(model, "/model", new ArrayList<>());
        if (c == null) {
            return 0;
        }
        long params = (long) dataDim * c.hidden() + dataDim + c.hidden();
        long chainRows = c.method() == RbmLearner.Method.CD ? 0 : (long) c.chains() * (c.method() == RbmLearner.Method.PT ? c.betas().length : 1);
        // parameters, gradients, momentum; positive phase and chains (states, probabilities, scratch)
        return 4L * (3 * params + (long) (batchSize + chainRows) * 3 * (dataDim + c.hidden()));
    }
}
