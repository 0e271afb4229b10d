package org.genzoo.models.ebm;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import org.genzoo.host.Device;
import org.genzoo.models.train.Checkpoints;
import org.genzoo.models.train.ModelFamily;
import org.genzoo.models.train.Safetensors;
import org.genzoo.models.train.SpecError;
import org.genzoo.models.train.SpecReader;
import org.genzoo.models.train.TrainableModel;

/**
 * The spec family {@code "dbm"}: a deep Boltzmann machine with two hidden layers ({@link DbmModel}).
 * <pre>
 * {"family": "dbm", "layers": [500, 1000], "pretrainSteps": 2000, "meanFieldIters": 10, "k": 1,
 *  "chains": 100, "initScale": 0.01}
 * </pre>
 * {@code pretrainSteps}: steps of CD-1 for each of the two doubled RBMs before joint training (0:
 * joint training from random weights); {@code meanFieldIters}: fixed-point rounds of the positive
 * phase; {@code k}: Gibbs sweeps of the {@code chains} persistent chains per step. Groups
 * {@code layer1}, {@code layer2} (pretraining; absent when pretrainSteps is 0) and {@code dbm}.
 * {@code "pretrained": {"layer1": dir, "layer2": dir}} instead takes the two RBMs from rbm-family
 * checkpoints (v–h1 and h1–h2) and composes them as the greedy pretraining would.
 */
public final class DbmFamily implements ModelFamily {
    static final String NAME = "dbm";

    record Config(int h1, int h2, long pretrainSteps, int meanFieldIters, int k, int chains, float initScale, String bottom, String top) {
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "deep Boltzmann machine, two hidden layers, mean-field + persistent chains (Salakhutdinov & Hinton 2009), AIS lower bound";
    }

    static Config read(JsonNode model, String pointer, List<SpecError> errors) {
        SpecReader r = new SpecReader(model, pointer, errors);
        r.string("family", null, true);
        int[] layers = {500, 1000};
        JsonNode l = r.raw("layers");
        if (l != null) {
            if (!l.isArray() || l.size() != 2) {
                r.error("layers", "an array of the two hidden layer widths, e.g. [500, 1000]", l);
            } else {
                for (int i = 0; i < 2; i++) {
                    JsonNode x = l.get(i);
                    if (!x.isIntegralNumber() || !x.canConvertToInt() || x.asInt() < 1 || x.asInt() > (1 << 16)) {
                        errors.add(new SpecError(SpecReader.pointer(pointer, "layers") + "/" + i, "an integer from 1 to 65536",
                                SpecReader.describe(x)));
                    } else {
                        layers[i] = x.asInt();
                    }
                }
            }
        }
        String bottom = null;
        String top = null;
        JsonNode pt = r.raw("pretrained");
        if (pt != null) {
            if (!pt.isObject() || !pt.path("layer1").isTextual() || !pt.path("layer2").isTextual() || pt.size() != 2) {
                r.error("pretrained", "an object {\"layer1\": RBM checkpoint (v-h1), \"layer2\": RBM checkpoint (h1-h2)}, each a checkpoint "
                        + "directory or a run's output folder of the rbm family", pt);
            } else if (model.has("pretrainSteps")) {
                r.error("pretrainSteps", "no pretrainSteps with \"pretrained\": the named RBM checkpoints replace the greedy pretraining",
                        model.get("pretrainSteps"));
            } else {
                bottom = pt.get("layer1").asText();
                top = pt.get("layer2").asText();
            }
        }
        Long pre = r.integer("pretrainSteps", pt != null ? 0L : 1000L, 0, Long.MAX_VALUE / 4);
        Long mf = r.integer("meanFieldIters", 10L, 1, 1000);
        Long k = r.integer("k", 1L, 1, 10_000);
        Long chains = r.integer("chains", 100L, 1, 1 << 20);
        Double init = r.number("initScale", 0.01, 0, false, 10, false);
        r.finish();
        if (!errors.isEmpty() || pre == null || mf == null || k == null || chains == null || init == null) {
            return null;
        }
        return new Config(layers[0], layers[1], pre, mf.intValue(), k.intValue(), chains.intValue(), init.floatValue(), bottom, top);
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
        return c != null && c.pretrainSteps() == 0 ? List.of(DbmModel.GROUP) : List.of("layer1", "layer2", DbmModel.GROUP);
    }

    @Override
    public TrainableModel create(Device device, JsonNode model, int dataDim, long seed) {
        List<SpecError> errors = new ArrayList<>();
        Config c = read(model, "/model", errors);
        if (c == null) {
            throw new IllegalArgumentException("invalid dbm model: " + errors);
        }
        DbmModel m = new DbmModel(device, dataDim, c.h1(), c.h2(), c.pretrainSteps(), c.meanFieldIters(), c.k(), c.chains(), c.initScale(), seed);
        if (c.bottom() != null) {
            try {
                m.loadPretrained(rbmWeights(c.bottom(), "/model/pretrained/layer1", dataDim, c.h1()),
                        rbmWeights(c.top(), "/model/pretrained/layer2", c.h1(), c.h2()));
            } catch (RuntimeException e) {
                m.close();
                throw e;
            }
        }
        return m;
    }

    /**
     * W, b, c of an rbm-family checkpoint (a checkpoint directory, or a run folder: its latest
     * checkpoint), checked to be d x h.
     */
    static float[][] rbmWeights(String where, String pointer, int d, int h) {
        java.nio.file.Path p = java.nio.file.Path.of(where);
        Checkpoints.Loaded l;
        try {
            if (java.nio.file.Files.isRegularFile(p.resolve("weights.safetensors"))) {
                l = Checkpoints.load(p);
            } else {
                l = Checkpoints.latest(p, new ArrayList<>()).orElseThrow(() -> new IllegalArgumentException(pointer + ": no checkpoint in "
                        + where + " (name a checkpoint directory or the output folder of an rbm run)"));
            }
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException(pointer + ": cannot read the RBM checkpoint " + where + ": " + e.getMessage(), e);
        }
        Safetensors.Entry w = l.weights().get("rbm.W");
        Safetensors.Entry b = l.weights().get("rbm.b");
        Safetensors.Entry c = l.weights().get("rbm.c");
        if (w == null || b == null || c == null) {
            throw new IllegalArgumentException(pointer + ": " + where + " is not an rbm checkpoint (no rbm.W, rbm.b, rbm.c)");
        }
        if (w.shape().length != 2 || w.shape()[0] != d || w.shape()[1] != h) {
            throw new IllegalArgumentException(pointer + ": the RBM in " + where + " is " + java.util.Arrays.toString(w.shape())
                    + ", this layer of the DBM needs [" + d + ", " + h + "]");
        }
        return new float[][] {w.data(), b.data(), c.data()};
    }

    @Override
    public long estimateDeviceBytes(JsonNode model, int dataDim, int batchSize) {
        Config c = read(model, "/model", new ArrayList<>());
        if (c == null) {
            return 0;
        }
        long params = (long) dataDim * c.h1() + (long) c.h1() * c.h2() + dataDim + c.h1() + c.h2();
        long pre = c.pretrainSteps() > 0 ? (long) dataDim * c.h1() + (long) c.h1() * c.h2() + dataDim + 2L * c.h1() + c.h2() : 0;
        long rows = batchSize + c.chains();
        // parameters (DBM and pretraining RBMs), gradients, momentum; batch and chain states, probabilities, scratch
        return 4L * (3 * (params + pre) + rows * 3 * (dataDim + 2L * c.h1() + c.h2()));
    }
}
