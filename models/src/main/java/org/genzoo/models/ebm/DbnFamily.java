package org.genzoo.models.ebm;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import org.genzoo.host.Device;
import org.genzoo.models.train.ModelFamily;
import org.genzoo.models.train.SpecError;
import org.genzoo.models.train.SpecReader;
import org.genzoo.models.train.TrainableModel;

/**
 * The spec family {@code "dbn"}: a deep belief network trained greedily, one RBM per layer
 * ({@link DbnModel}).
 * <pre>
 * {"family": "dbn", "layers": [500, 500], "stepsPerLayer": 5000, "method": "cd"|"pcd"|"pt", "k": 1,
 *  "chains": 100, "temperatures": 10, "minBeta": 0.5, "initScale": 0.01}
 * </pre>
 * The training fields are the rbm family's and apply to every layer; the optimizer may be keyed by
 * group ({@code layer1}, {@code layer2}, ...).
 */
public final class DbnFamily implements ModelFamily {
    static final String NAME = "dbn";

    record Config(List<Integer> layers, long stepsPerLayer, RbmFamily.Config rbm) {
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "deep belief network, greedy layer-wise RBMs (Hinton et al. 2006), AIS variational bound";
    }

    static Config read(JsonNode model, String pointer, List<SpecError> errors) {
        SpecReader r = new SpecReader(model, pointer, errors);
        r.string("family", null, true);
        List<Integer> layers = new ArrayList<>();
        JsonNode l = r.raw("layers");
        if (l == null) {
            layers = List.of(500, 500);
        } else if (!l.isArray() || l.size() < 2 || l.size() > 8) {
            r.error("layers", "an array of 2 to 8 layer widths (hidden units per RBM), e.g. [500, 500]", l);
        } else {
            for (int i = 0; i < l.size(); i++) {
                JsonNode x = l.get(i);
                if (!x.canConvertToInt() || !x.isIntegralNumber() || x.asInt() < 1 || x.asInt() > (1 << 16)) {
                    errors.add(new SpecError(SpecReader.pointer(pointer, "layers") + "/" + i, "an integer from 1 to 65536",
                            SpecReader.describe(x)));
                } else {
                    layers.add(x.asInt());
                }
            }
        }
        Long spl = r.integer("stepsPerLayer", 5000L, 1, Long.MAX_VALUE);
        RbmFamily.Config c = RbmFamily.readTraining(r, model, pointer, errors, 1);
        r.finish();
        if (!errors.isEmpty() || c == null || spl == null) {
            return null;
        }
        return new Config(layers, spl, c);
    }

    @Override
    public List<SpecError> validate(JsonNode model, String pointer) {
        List<SpecError> errors = new ArrayList<>();
        read(model, pointer, errors);
        return errors;
    }

    @Override
    public List<String> paramGroups(JsonNode model) {
        Config c = read(model, "/model", new ArrayList<>());
        int n = c == null ? 2 : c.layers().size();
        List<String> out = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            out.add("layer" + i);
        }
        return out;
    }

    @Override
    public TrainableModel create(Device device, JsonNode model, int dataDim, long seed) {
        List<SpecError> errors = new ArrayList<>();
        Config c = read(model, "/model", errors);
        if (c == null) {
            throw new IllegalArgumentException("invalid dbn model: " + errors);
        }
        RbmFamily.Config r = c.rbm();
        return new DbnModel(device, dataDim, c.layers(), r.method(), r.k(), r.chains(), r.betas(), r.initScale(), c.stepsPerLayer(), seed);
    }

    @Override
    public long estimateDeviceBytes(JsonNode model, int dataDim, int batchSize) {
        Config c = read(model, "/model", new ArrayList<>());
        if (c == null) {
            return 0;
        }
        long total = 0;
        int in = dataDim;
        RbmFamily.Config r = c.rbm();
        long chainRows = r.method() == RbmLearner.Method.CD ? 0 : (long) r.chains() * (r.method() == RbmLearner.Method.PT ? r.betas().length : 1);
        for (int h : c.layers()) {
            long params = (long) in * h + in + h;
            total += 4L * (3 * params + (batchSize + chainRows) * 3 * (in + h));
            in = h;
        }
        return total;
    }
}
