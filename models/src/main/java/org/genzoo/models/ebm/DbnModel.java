package org.genzoo.models.ebm;

import com.fasterxml.jackson.databind.JsonNode;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.genzoo.host.Device;
import org.genzoo.host.autograd.Param;
import org.genzoo.host.ops.Gemm;
import org.genzoo.host.ops.Gibbs;
import org.genzoo.host.ops.Losses;
import org.genzoo.host.ops.Rng;
import org.genzoo.host.tensor.Tensor;
import org.genzoo.models.data.Dataset;
import org.genzoo.models.eval.ImageGrid;
import org.genzoo.models.eval.ImportanceSampling;
import org.genzoo.models.train.ModelState;
import org.genzoo.models.train.ParamGroup;
import org.genzoo.models.train.Phase;
import org.genzoo.models.train.TrainableModel;

/**
 * A deep belief network (Hinton, Osindero &amp; Teh 2006) trained greedily: RBM l (groups
 * {@code layer1}, {@code layer2}, ...) trains during steps [(l−1)·S, l·S) (S = stepsPerLayer; the
 * top layer keeps training after that) on binary samples of the layer below, drawn by the up-pass
 * h_l ~ p(h_l | h_{l−1}) of the already trained RBMs. The generative model is the top RBM over
 * h_{L−1} with directed sigmoid layers down to v (each lower RBM's weights and visible bias);
 * sampling runs the top RBM's Gibbs chain and then one downward pass of means.
 *
 * <p>Evaluation: the variational lower bound on log p(v) of Salakhutdinov &amp; Murray 2008 with the
 * up-pass as q: log p(v) ≥ E_q[Σ_l log p(h_{l−1} | h_l) − F_top(h_{L−1}) − Σ_l log q(h_l | h_{l−1})]
 * − log Z_top, with one sample of q per example and log Z_top by AIS ({@code dbn_bound} with the
 * AIS band of log Z_top in {@code dbn_bound_lo}/{@code _hi}); exact when the top RBM is small enough.
 */
final class DbnModel implements TrainableModel {
    private final Device dev;
    private final List<Rbm> layers = new ArrayList<>();
    private final List<RbmLearner> learners = new ArrayList<>();
    private final Rng rng;
    private final long stepsPerLayer;
    private final List<Tensor[]> scratch = new ArrayList<>();
    private int scratchRows;

    DbnModel(Device dev, int d, List<Integer> hidden, RbmLearner.Method method, int k, int chains, double[] betas, float initScale,
            long stepsPerLayer, long seed) {
        this.dev = dev;
        this.rng = new Rng(seed);
        this.stepsPerLayer = stepsPerLayer;
        int in = d;
        Gibbs g = null;
        for (int l = 0; l < hidden.size(); l++) {
            Rbm r = new Rbm(dev, g, "layer" + (l + 1), in, hidden.get(l), Gibbs.Units.BERNOULLI);
            g = r.gibbs();
            r.init(rng, 0, initScale);
            layers.add(r);
            learners.add(new RbmLearner(r, method, k, chains, betas, rng));
            in = hidden.get(l);
        }
    }

    /** The RBMs, bottom first (tests). */
    List<Rbm> layers() {
        return layers;
    }

    @Override
    public String family() {
        return DbnFamily.NAME;
    }

    @Override
    public List<Param> params() {
        List<Param> out = new ArrayList<>();
        for (Rbm r : layers) {
            out.addAll(r.params());
        }
        return out;
    }

    @Override
    public List<ParamGroup> groups() {
        List<ParamGroup> out = new ArrayList<>();
        for (int l = 0; l < layers.size(); l++) {
            out.add(new ParamGroup("layer" + (l + 1), layers.get(l).params()));
        }
        return out;
    }

    /** The layer that trains at 0-based step s. */
    int layerAt(long s) {
        return (int) Math.min(layers.size() - 1, s / stepsPerLayer);
    }

    @Override
    public List<Phase> phases() {
        List<Phase> out = new ArrayList<>();
        for (int l = 0; l < layers.size(); l++) {
            int layer = l;
            out.add(Phase.statistics("layer" + (l + 1), List.of("layer" + (l + 1)), s -> layerAt(s) == layer ? 1 : 0, (tape, ctx) -> {
                Tensor v = upPass(ctx.batch(), layer);
                // the learner's step counter starts at 0 when its layer starts training (chain initialization)
                return learners.get(layer).step(v, ctx.step() - (long) layer * stepsPerLayer);
            }));
        }
        return out;
    }

    /** Binary samples of layer {@code upTo}'s input: the data for 0, h_{upTo} ~ up-pass otherwise. */
    private Tensor upPass(Tensor v, int upTo) {
        if (upTo == 0) {
            return v;
        }
        if (scratchRows != v.rows()) {
            for (Tensor[] t : scratch) {
                t[0].close();
                t[1].close();
            }
            scratch.clear();
            for (int l = 0; l < layers.size() - 1; l++) {
                int h = layers.get(l).hiddenUnits();
                scratch.add(new Tensor[] {Tensor.empty(dev, v.rows(), h), Tensor.empty(dev, v.rows(), h)});
            }
            scratchRows = v.rows();
        }
        Tensor x = v;
        for (int l = 0; l < upTo; l++) {
            Tensor[] t = scratch.get(l);
            layers.get(l).hiddenStep(t[0], t[1], x, 1f, null, rng, RbmLearner.POS_STREAM + 10);
            x = t[1];
        }
        return x;
    }

    @Override
    public ModelState state() {
        ModelState s = new ModelState().rng("dbn", rng);
        for (int l = 0; l < learners.size(); l++) {
            ModelState ls = new ModelState();
            ModelState full = learners.get(l).state();
            full.tensors().forEach(ls::tensor);
            s.include("layer" + (l + 1) + ".", ls);
        }
        return s;
    }

    @Override
    public Map<String, Double> evaluate(Dataset split, long seed) {
        return evaluate(split, seed, null);
    }

    @Override
    public Map<String, Double> evaluate(Dataset split, long seed, JsonNode options) {
        int temps = options == null ? LogZ.DEFAULT_TEMPERATURES : options.path("aisTemperatures").asInt(LogZ.DEFAULT_TEMPERATURES);
        int chains = options == null ? 100 : options.path("aisChains").asInt(100);
        int exactMax = options == null ? 20 : options.path("exactMaxHidden").asInt(20);
        int limit = options == null ? 0 : options.path("limit").asInt(0);
        Dataset s = limit > 0 && limit < split.size() ? split.subset(limit) : split;
        Map<String, Double> out = new LinkedHashMap<>();
        Rng er = new Rng(seed);
        int n = s.size();
        int top = layers.size() - 1;
        Rbm topRbm = layers.get(top);
        try (Tensor grey = Tensor.of(dev, n, s.dim(), s.x()); Tensor v = ImportanceSampling.fixedBinarization(grey, seed)) {
            out.put("recon_error", layers.get(0).reconstructionError(v, er, 0));
            // one q sample per example: h_1 .. h_{L-1}, accumulating Σ log p(h_{l-1}|h_l) − Σ log q(h_l|h_{l-1})
            double[] acc = new double[n];
            List<Tensor> hs = new ArrayList<>();
            Tensor x = v;
            try {
                for (int l = 0; l < top; l++) {
                    Rbm r = layers.get(l);
                    Tensor ph = Tensor.empty(dev, n, r.hiddenUnits());
                    Tensor sh = Tensor.empty(dev, n, r.hiddenUnits());
                    hs.add(ph);
                    hs.add(sh);
                    r.hiddenStep(ph, sh, x, 1f, null, er, 1);
                    try (Tensor logits = Tensor.empty(dev, n, r.hiddenUnits()); Tensor lq = Tensor.empty(dev, n, 1);
                            Tensor down = Tensor.empty(dev, n, r.visibleUnits())) {
                        r.gemm().gemm(logits, x, false, r.weights().value(), false, 1f, 0f, r.hiddenBias().value(), Gemm.Act.NONE);
                        Losses.bernoulliLogLik(lq, sh, logits);
                        float[] a = lq.toArray();
                        r.gemm().gemm(down, sh, false, r.weights().value(), true, 1f, 0f, r.visibleBias().value(), Gemm.Act.NONE);
                        Losses.bernoulliLogLik(lq, x, down);
                        float[] p = lq.toArray();
                        for (int i = 0; i < n; i++) {
                            acc[i] += p[i] - a[i];
                        }
                    }
                    x = sh;
                }
                double[] f = topRbm.freeEnergies(x);
                double mean = 0;
                for (int i = 0; i < n; i++) {
                    mean += acc[i] - f[i];
                }
                mean /= n;
                if (temps > 0) {
                    LogZ.Estimate e = LogZ.ais(topRbm, LogZ.baseRate(x), LogZ.schedule(temps), chains, seed);
                    out.put("top_ais_log_z", e.logZ());
                    out.put("dbn_bound", mean - e.logZ());
                    out.put("dbn_bound_lo", mean - e.hi());
                    out.put("dbn_bound_hi", mean - e.lo());
                }
                if (topRbm.hiddenUnits() <= Math.min(exactMax, LogZ.MAX_EXACT_HIDDEN)) {
                    out.put("dbn_bound_exact_z", mean - LogZ.exact(topRbm));
                }
            } finally {
                for (Tensor t : hs) {
                    t.close();
                }
            }
        }
        return out;
    }

    @Override
    public Map<String, Double> evaluateRun(Dataset train, Dataset test, long seed, JsonNode options, Path pictures) {
        Map<String, Double> m = evaluate(test, seed, options);
        writePictures(pictures, "eval");
        return m;
    }

    @Override
    public void writePictures(Path dir, String tag) {
        int d = layers.get(0).visibleUnits();
        int side = (int) Math.round(Math.sqrt(d));
        if (side * side != d) {
            return;
        }
        try {
            ImageGrid.writePng(RbmPictures.filters(layers.get(0), 100, side), dir.resolve("filters-" + tag + ".png"));
            ImageGrid.writePng(samples(10, 10, 100, side, new Rng(4242)), dir.resolve("samples-" + tag + ".png"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Top-RBM chains shown through the downward pass of means every {@code every} sweeps. */
    BufferedImage samples(int chains, int snapshots, int every, int side, Rng r) {
        Rbm topRbm = layers.get(layers.size() - 1);
        int d = layers.get(0).visibleUnits();
        float[] px = new float[chains * snapshots * d];
        try (Tensor v = Tensor.empty(dev, chains, topRbm.visibleUnits()); Tensor pv = Tensor.empty(dev, chains, topRbm.visibleUnits());
                Tensor ph = Tensor.empty(dev, chains, topRbm.hiddenUnits()); Tensor sh = Tensor.empty(dev, chains, topRbm.hiddenUnits())) {
            r.uniform(ph, 0);
            r.bernoulli(sh, ph, 0);
            for (int s = 0; s < snapshots; s++) {
                for (int i = 0; i < every; i++) {
                    topRbm.visibleStep(pv, v, sh, 1f, null, null, r, 1);
                    topRbm.hiddenStep(ph, sh, v, 1f, null, r, 2);
                }
                Tensor x = pv;
                List<Tensor> tmp = new ArrayList<>();
                for (int l = layers.size() - 2; l >= 0; l--) {
                    Tensor y = Tensor.empty(dev, chains, layers.get(l).visibleUnits());
                    tmp.add(y);
                    layers.get(l).visibleMean(y, x);
                    x = y;
                }
                float[] m = x.toArray();
                for (Tensor t : tmp) {
                    t.close();
                }
                for (int c = 0; c < chains; c++) {
                    System.arraycopy(m, c * d, px, (c * snapshots + s) * d, d);
                }
            }
        }
        return ImageGrid.render(px, chains * snapshots, side, side, snapshots, ImageGrid.Style.standard());
    }

    @Override
    public Rng rng() {
        return rng;
    }

    @Override
    public void close() {
        for (Tensor[] t : scratch) {
            t[0].close();
            t[1].close();
        }
        for (RbmLearner l : learners) {
            l.close();
        }
        for (int i = layers.size() - 1; i >= 0; i--) {
            layers.get(i).close();
        }
    }
}
