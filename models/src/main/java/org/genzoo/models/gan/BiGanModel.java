package org.genzoo.models.gan;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.genzoo.host.Device;
import org.genzoo.host.autograd.F;
import org.genzoo.host.autograd.Param;
import org.genzoo.host.autograd.Tape;
import org.genzoo.host.autograd.Var;
import org.genzoo.host.ops.Rng;
import org.genzoo.host.tensor.Tensor;
import org.genzoo.models.data.Dataset;
import org.genzoo.models.eval.ImageGrid;
import org.genzoo.models.train.ParamGroup;
import org.genzoo.models.train.Phase;
import org.genzoo.models.train.SpecError;
import org.genzoo.models.train.SpecReader;
import org.genzoo.models.train.StepContext;
import org.genzoo.models.train.TrainableModel;

/**
 * BiGAN (Donahue et al. 2017; ALI, Dumoulin et al. 2017): a generator G: z → x, an encoder E: x → z
 * and a discriminator D on pairs (x, z). D separates (x, E(x)) from (G(z), z): it minimizes
 * −log σ(D(x, E(x))) − log σ(−D(G(z), z)); G and E (one parameter group, "generator") minimize the
 * same with the labels swapped (the non-saturating form). At the optimum E inverts G, so E's
 * features carry the data's structure: {@link #evaluate} reports the 1-nearest-neighbour accuracy
 * of E(x) on the held-out split against E of the first {@link #NN_TRAIN} training examples, beside
 * the same classifier on raw pixels for context.
 *
 * <pre>
 * {"family": "bigan", "latent": 50, "generator": [512, 512], "encoder": [512, 512],
 *  "discriminator": [512, 512], "activation": "leaky-relu", "slope": 0.2, "output": "sigmoid"}
 * </pre>
 */
public final class BiGanModel implements TrainableModel {
    public static final int NN_TRAIN = 10_000;
    public static final int NN_TEST = 2_000;
    static final List<String> OUTPUTS = GanConfig.OUTPUTS;

    record Config(int latent, int[] generator, int[] encoder, int[] discriminator, GanNet.Act hidden, float slope,
            GanNet.Act output) {
    }

    private final Device device;
    private final Config config;
    private final int dim;
    private final GanNet g;
    private final GanNet e;
    private final GanNet d;
    private final Rng rng;
    private final long seed;
    private Dataset trainSplit;

    static Config read(JsonNode model, String pointer, List<SpecError> errors) {
        int before = errors.size();
        SpecReader r = new SpecReader(model, pointer, errors);
        r.string("family", "bigan", true);
        long latent = r.integer("latent", 50L, 1, 4096);
        int[] g = GanConfig.hiddenSizes(r, "generator", errors, pointer);
        int[] e = GanConfig.hiddenSizes(r, "encoder", errors, pointer);
        int[] d = GanConfig.hiddenSizes(r, "discriminator", errors, pointer);
        String act = r.oneOf("activation", "leaky-relu", false, GanNet.HIDDEN);
        double slope = r.number("slope", 0.2, 0, false, 1, false);
        String out = r.oneOf("output", "sigmoid", false, OUTPUTS);
        r.finish();
        return errors.size() > before ? null
                : new Config((int) latent, g, e, d, GanNet.Act.parse(act), (float) slope, GanNet.Act.parse(out));
    }

    BiGanModel(Device device, Config c, int dim, long seed) {
        this.device = device;
        this.config = c;
        this.dim = dim;
        this.seed = seed;
        SplittableRandom init = new SplittableRandom(seed);
        this.g = new GanNet(device, "generator", GanConfig.sizes(c.latent(), c.generator(), dim), c.hidden(), c.output(), c.slope(),
                false, init);
        this.e = new GanNet(device, "encoder", GanConfig.sizes(dim, c.encoder(), c.latent()), c.hidden(), GanNet.Act.LINEAR,
                c.slope(), false, init);
        this.d = new GanNet(device, "discriminator", GanConfig.sizes(dim + c.latent(), c.discriminator(), 1), c.hidden(),
                GanNet.Act.LINEAR, c.slope(), false, init);
        this.rng = new Rng(seed);
    }

    @Override
    public String family() {
        return "bigan";
    }

    @Override
    public List<Param> params() {
        List<Param> ps = new ArrayList<>(g.params());
        ps.addAll(e.params());
        ps.addAll(d.params());
        return ps;
    }

    @Override
    public List<ParamGroup> groups() {
        List<Param> ge = new ArrayList<>(g.params());
        ge.addAll(e.params());
        return List.of(new ParamGroup(GanConfig.GENERATOR, ge), new ParamGroup(GanConfig.DISCRIMINATOR, d.params()));
    }

    @Override
    public List<Phase> phases() {
        return List.of(Phase.backward(GanConfig.DISCRIMINATOR, GanConfig.DISCRIMINATOR, (t, ctx) -> loss(t, ctx, true)),
                Phase.backward(GanConfig.GENERATOR, GanConfig.GENERATOR, (t, ctx) -> loss(t, ctx, false)));
    }

    /**
     * −(1/B) Σ log σ(s ⊙ D([x; G(z)], [E(x); z])) with s = +1 on the encoder rows and −1 on the
     * generator rows for D, the opposite for G and E. The networks not being updated run frozen.
     */
    Var loss(Tape t, StepContext ctx, boolean discriminator) {
        Tensor x = ctx.batch();
        int b = x.rows();
        Tensor z = t.alloc(b, config.latent());
        rng.normal(z, discriminator ? GanModel.STREAM_Z_CRITIC : GanModel.STREAM_Z_GENERATOR);
        Var xv = t.constant(x);
        Var zv = t.constant(z);
        Var ex = e.forward(xv, discriminator);
        Var gz = g.forward(zv, discriminator);
        Var enc = F.concatCols(xv, ex);
        Var gen = F.concatCols(gz, zv);
        Var le = d.forward(enc, !discriminator);
        Var lg = d.forward(gen, !discriminator);
        float s = discriminator ? 1f : -1f;
        Var a = F.mean(F.logSigmoid(F.scale(le, s)));
        Var c = F.mean(F.logSigmoid(F.scale(lg, -s)));
        return F.scale(F.add(a, c), -1f);
    }

    /** E(x) of n rows (host) as doubles. */
    double[] encode(float[] x, int n) {
        double[] out = new double[n * config.latent()];
        int chunk = 1000;
        for (int from = 0; from < n; from += chunk) {
            int m = Math.min(chunk, n - from);
            try (Tape t = Tape.noGrad(device); Tensor tx = Tensor.of(device, m, dim, java.util.Arrays.copyOfRange(x, from * dim, (from + m) * dim))) {
                float[] f = e.forward(t.constant(tx), true).value().toArray();
                for (int i = 0; i < f.length; i++) {
                    out[from * config.latent() + i] = f[i];
                }
            }
        }
        return out;
    }

    /** Accuracy of the 1-nearest-neighbour classifier (Euclidean, in double) of test vectors against labelled train vectors. */
    static double nearestNeighbourAccuracy(double[] train, int[] trainLabels, int n, double[] test, int[] testLabels, int m, int d) {
        int correct = 0;
        for (int i = 0; i < m; i++) {
            double best = Double.POSITIVE_INFINITY;
            int label = -1;
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int k = 0; k < d; k++) {
                    double t = test[i * d + k] - train[j * d + k];
                    s += t * t;
                }
                if (s < best) {
                    best = s;
                    label = trainLabels[j];
                }
            }
            if (label == testLabels[i]) {
                correct++;
            }
        }
        return correct / (double) m;
    }

    private static double[] toDouble(float[] x, int n) {
        double[] d = new double[n];
        for (int i = 0; i < n; i++) {
            d[i] = x[i];
        }
        return d;
    }

    @Override
    public Map<String, Double> evaluate(Dataset split, long seed) {
        Map<String, Double> m = new LinkedHashMap<>();
        if (split == null || !split.hasLabels()) {
            return m;
        }
        Dataset train = trainSplit;
        if (train == null) {
            try {
                train = org.genzoo.models.data.Datasets.load(ImageFeatures.base(split.name()), null).train();
            } catch (IOException | RuntimeException ex) {
                return m;
            }
            trainSplit = train;
        }
        if (!train.hasLabels()) {
            return m;
        }
        int n = Math.min(NN_TRAIN, train.size());
        int k = Math.min(NN_TEST, split.size());
        double[] ftr = encode(train.x(), n);
        double[] fte = encode(split.x(), k);
        int[] ltr = java.util.Arrays.copyOf(train.labels(), n);
        int[] lte = java.util.Arrays.copyOf(split.labels(), k);
        m.put("nn1_accuracy", nearestNeighbourAccuracy(ftr, ltr, n, fte, lte, k, config.latent()));
        // Context: the same 1-NN classifier on raw pixels (what an encoder has to beat to add anything).
        m.put("nn1_accuracy_pixels", nearestNeighbourAccuracy(toDouble(train.x(), n * dim), ltr, n, toDouble(split.x(), k * dim), lte, k,
                dim));
        // Reconstruction G(E(x)) error per value, a check that E and G invert each other.
        try (Tape t = Tape.noGrad(device); Tensor tx = Tensor.of(device, k, dim, java.util.Arrays.copyOf(split.x(), k * dim))) {
            float[] rec = g.forward(e.forward(t.constant(tx), true), true).value().toArray();
            double s = 0;
            float[] x = split.x();
            for (int i = 0; i < k * dim; i++) {
                s += (rec[i] - x[i]) * (rec[i] - x[i]);
            }
            m.put("recon_mse", s / (k * (double) dim));
        }
        return m;
    }

    @Override
    public void writePictures(Path dir, String tag) {
        int side = (int) Math.round(Math.sqrt(dim));
        if (side * side != dim) {
            return;
        }
        Rng r = new Rng(seed ^ 0xb16a_11L);
        try (Tape t = Tape.noGrad(device)) {
            Tensor z = t.alloc(64, config.latent());
            r.normal(z, GanModel.STREAM_EVAL);
            float[] px = g.forward(t.constant(z), true).value().toArray();
            ImageGrid.writePng(ImageGrid.render(px, 64, side, side, 8, ImageGrid.Style.standard()), dir.resolve("samples-" + tag + ".png"));
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    @Override
    public Rng rng() {
        return rng;
    }

    @Override
    public void close() {
        g.close();
        e.close();
        d.close();
    }
}
