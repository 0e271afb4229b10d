package org.genzoo.models.gan;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.genzoo.models.train.SpecError;
import org.genzoo.models.train.SpecReader;

/**
 * The model object of the families gan, wgan, wgan-gp and sngan:
 * <pre>
 * {"family": "wgan-gp", "latent": 2, "generator": [128, 128], "discriminator": [128, 128],
 *  "activation": "relu", "slope": 0.2, "output": "linear", "nCritic": 5, "lambda": 10, "ema": 0, "init": "uniform"}
 * </pre>
 * {@code loss} ("non-saturating", "minimax" or "hinge") belongs to gan and sngan, {@code clip} to wgan,
 * {@code lambda} to wgan-gp. {@code output}: the generator's last activation (linear for 2-D
 * points, sigmoid for images in [0, 1]). {@code init}: {@link GanNet.Init} ("uniform", PyTorch's default,
 * or "he", He/Glorot weights with zero biases).
 */
public record GanConfig(String family, int latent, int[] generatorHidden, int[] discriminatorHidden, GanNet.Act hidden,
        float slope, GanNet.Act output, String loss, int nCritic, float clip, float lambda, double ema, GanNet.Init init) {
    public static final String GENERATOR = "generator";
    public static final String DISCRIMINATOR = "discriminator";
    public static final String NON_SATURATING = "non-saturating";
    public static final String MINIMAX = "minimax";
    public static final String HINGE = "hinge";
    public static final List<String> LOSSES = List.of(NON_SATURATING, MINIMAX, HINGE);
    public static final List<String> OUTPUTS = List.of("linear", "sigmoid", "tanh");

    public boolean wasserstein() {
        return family.equals("wgan") || family.equals("wgan-gp");
    }

    public boolean spectralNorm() {
        return family.equals("sngan");
    }

    public int[] generatorSizes(int dim) {
        return sizes(latent, generatorHidden, dim);
    }

    public int[] discriminatorSizes(int dim) {
        return sizes(dim, discriminatorHidden, 1);
    }

    static int[] sizes(int in, int[] hidden, int out) {
        int[] s = new int[hidden.length + 2];
        s[0] = in;
        System.arraycopy(hidden, 0, s, 1, hidden.length);
        s[s.length - 1] = out;
        return s;
    }

    /** Reads and checks a model object; null (with errors) when invalid. */
    public static GanConfig read(JsonNode model, String pointer, List<SpecError> errors) {
        int before = errors.size();
        SpecReader r = new SpecReader(model, pointer, errors);
        String family = r.string("family", "gan", true);
        boolean wgan = family.equals("wgan");
        boolean gp = family.equals("wgan-gp");
        boolean w = wgan || gp;
        long latent = r.integer("latent", 2L, 1, 4096);
        int[] g = hiddenSizes(r, "generator", errors, pointer);
        int[] d = hiddenSizes(r, "discriminator", errors, pointer);
        String act = r.oneOf("activation", "relu", false, GanNet.HIDDEN);
        double slope = r.number("slope", 0.2, 0, false, 1, false);
        String out = r.oneOf("output", "linear", false, OUTPUTS);
        String loss = NON_SATURATING;
        if (!w) {
            loss = r.oneOf("loss", NON_SATURATING, false, LOSSES);
        } else if (r.raw("loss") != null) {
            r.error("loss", "no loss field: " + family + " has the Wasserstein loss", r.raw("loss"));
        }
        long nCritic = r.integer("nCritic", w ? 5L : 1L, 1, 1000);
        double clip = 0;
        if (wgan) {
            clip = r.number("clip", 0.01, 0, true, 100, false);
        } else if (r.raw("clip") != null) {
            r.error("clip", "no clip field: weight clipping belongs to family wgan", r.raw("clip"));
        }
        double lambda = 0;
        if (gp) {
            lambda = r.number("lambda", 10.0, 0, true, 1e6, false);
        } else if (r.raw("lambda") != null) {
            r.error("lambda", "no lambda field: the gradient penalty belongs to family wgan-gp", r.raw("lambda"));
        }
        double ema = r.number("ema", 0.0, 0, false, 0.99999, false);
        String init = r.oneOf("init", "uniform", false, GanNet.INITS);
        r.finish();
        if (errors.size() > before) {
            return null;
        }
        return new GanConfig(family, (int) latent, g, d, GanNet.Act.parse(act), (float) slope, GanNet.Act.parse(out), loss,
                (int) nCritic, (float) clip, (float) lambda, ema,
                GanNet.Init.parse(init));
    }

    /** An array of 1..8 hidden sizes in [1, 8192], default [128, 128]. */
    static int[] hiddenSizes(SpecReader r, String field, List<SpecError> errors, String pointer) {
        JsonNode v = r.raw(field);
        if (v == null) {
            return new int[] {128, 128};
        }
        String what = "an array of 1..8 hidden-layer sizes, each an integer in [1, 8192]";
        if (!v.isArray() || v.isEmpty() || v.size() > 8) {
            errors.add(new SpecError(SpecReader.pointer(pointer, field), what, SpecReader.describe(v)));
            return new int[0];
        }
        int[] s = new int[v.size()];
        for (int i = 0; i < s.length; i++) {
            JsonNode e = v.get(i);
            if (!e.canConvertToInt() || !e.isIntegralNumber() || e.asInt() < 1 || e.asInt() > 8192) {
                errors.add(new SpecError(SpecReader.pointer(pointer, field) + "/" + i, "an integer in [1, 8192]", SpecReader.describe(e)));
                return new int[0];
            }
            s[i] = e.asInt();
        }
        return s;
    }
}
