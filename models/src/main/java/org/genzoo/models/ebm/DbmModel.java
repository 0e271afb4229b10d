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
import org.genzoo.host.ops.Elementwise;
import org.genzoo.host.ops.Gemm;
import org.genzoo.host.ops.Reduce;
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
 * A two-layer {@link Dbm} under the trainer (Salakhutdinov &amp; Hinton 2009).
 *
 * <p>Greedy pretraining (when S = pretrainSteps &gt; 0): during steps [0, S) the bottom RBM (group
 * {@code layer1}, v–h1) trains by CD-1 with its hidden step doubled, σ(2·(vW1 + c)); during [S, 2S) the
 * top RBM ({@code layer2}, h1–h2) trains by CD-1 on samples of that doubled up-pass, with its visible
 * (h1) step doubled, σ(2·(h2W2ᵀ + b')). From step 2S on the DBM (group {@code dbm}) trains jointly; its
 * first step takes W1, W2 and the biases from the two RBMs ({@link Dbm#fromRbms}). With S = 0 the DBM
 * starts from random weights.
 *
 * <p>Joint training, one statistics phase per step: the positive phase is mean field with
 * {@code meanFieldIters} fixed-point rounds on the batch; the negative phase continues C persistent
 * chains (v, h1, h2) by k sweeps (v and h2 given h1, then h1 given v and h2); the statistics use the
 * chains' v, h2 and p(h1 | v, h2). Chains and random counters are model state (bitwise resume). The
 * logged loss is the squared reconstruction error of the mean field, Σ|v − σ(μ1W1ᵀ + b)|², on the
 * batch's first {@link RbmLearner#MONITOR_ROWS} rows (pretraining: the RBMs' own monitors).
 *
 * <p>Evaluation: the variational lower bound on the test log-likelihood, mean-field q with
 * {@code meanFieldIters} rounds (evaluation option, default {@link #EVAL_MEAN_FIELD_ITERS}) and log Z
 * by AIS ({@link DbmLogZ}); exact log Z by enumerating h1 when H1 ≤ {@code exactMaxHidden}.
 */
final class DbmModel implements TrainableModel {
    static final String GROUP = "dbm";
    /** Mean-field rounds of the bound unless the evaluation options say otherwise. */
    static final int EVAL_MEAN_FIELD_ITERS = 30;
    static final int INIT_STREAM = 0;
    static final int UP_STREAM = 20;
    static final int V_STREAM = 21;
    static final int H1_STREAM = 22;
    static final int H2_STREAM = 23;
    static final int CHAIN_INIT_STREAM = 24;

    private final Device dev;
    private final Rng rng;
    private final Dbm dbm;
    private final Rbm bottom;
    private final Rbm top;
    private final RbmLearner bottomLearner;
    private final RbmLearner topLearner;
    private final long pretrain;
    private final int iters;
    private final int k;
    private final int chains;
    // persistent chains: C rows
    private final Tensor chainV;
    private final Tensor chainPv;
    private final Tensor chainH1;
    private final Tensor chainP1;
    private final Tensor chainX;
    private final Tensor chainH2;
    private final Tensor chainP2;
    private final Tensor monitor;
    // per-batch scratch
    private int batch;
    private Tensor mu1;
    private Tensor mu2;
    private Tensor x;
    private Tensor upP;
    private Tensor upS;
    private Tensor s1;
    private Tensor diff;

    DbmModel(Device dev, int d, int h1, int h2, long pretrainSteps, int meanFieldIters, int k, int chains, float initScale, long seed) {
        if (k < 1 || chains < 1 || meanFieldIters < 1) {
            throw new IllegalArgumentException("a DBM needs k >= 1, chains >= 1 and meanFieldIters >= 1, got " + k + ", " + chains + ", "
                    + meanFieldIters);
        }
        this.dev = dev;
        this.rng = new Rng(seed);
        this.pretrain = pretrainSteps;
        this.iters = meanFieldIters;
        this.k = k;
        this.chains = chains;
        this.dbm = new Dbm(dev, null, "dbm", d, h1, h2);
        dbm.init(rng, INIT_STREAM, initScale);
        if (pretrainSteps > 0) {
            bottom = new Rbm(dev, dbm.gibbs(), "layer1", d, h1, org.genzoo.host.ops.Gibbs.Units.BERNOULLI);
            bottom.init(rng, INIT_STREAM, initScale);
            bottom.scales(2f, 1f);
            top = new Rbm(dev, dbm.gibbs(), "layer2", h1, h2, org.genzoo.host.ops.Gibbs.Units.BERNOULLI);
            top.init(rng, INIT_STREAM, initScale);
            top.scales(1f, 2f);
            bottomLearner = new RbmLearner(bottom, RbmLearner.Method.CD, 1, 0, null, rng);
            topLearner = new RbmLearner(top, RbmLearner.Method.CD, 1, 0, null, rng);
        } else {
            bottom = top = null;
            bottomLearner = topLearner = null;
        }
        chainV = Tensor.zeros(dev, chains, d);
        chainPv = Tensor.empty(dev, chains, d);
        chainH1 = Tensor.zeros(dev, chains, h1);
        chainP1 = Tensor.zeros(dev, chains, h1);
        chainX = Tensor.empty(dev, chains, h1);
        chainH2 = Tensor.zeros(dev, chains, h2);
        chainP2 = Tensor.empty(dev, chains, h2);
        monitor = Tensor.zeros(dev, 1, 1);
    }

    Dbm dbm() {
        return dbm;
    }

    /**
     * The DBM from two RBMs' weights (each {W, b, c}, bottom v–h1, top h1–h2), composed as after greedy
     * pretraining ({@link Dbm#fromRbms}); for a model without pretraining steps.
     */
    void loadPretrained(float[][] bottomWeights, float[][] topWeights) {
        if (bottom != null) {
            throw new IllegalStateException("pretrained RBMs replace the greedy pretraining; this model has pretrainSteps " + pretrain);
        }
        try (Rbm lo = new Rbm(dev, dbm.gibbs(), "pre1", dbm.visibleUnits(), dbm.hidden1(), org.genzoo.host.ops.Gibbs.Units.BERNOULLI);
                Rbm hi = new Rbm(dev, dbm.gibbs(), "pre2", dbm.hidden1(), dbm.hidden2(), org.genzoo.host.ops.Gibbs.Units.BERNOULLI)) {
            for (int i = 0; i < 3; i++) {
                lo.params().get(i).value().write(bottomWeights[i]);
                hi.params().get(i).value().write(topWeights[i]);
            }
            dbm.fromRbms(lo, hi);
        }
    }

    /** The chains' states (v, h1, h2; h1 as p(h1 | v, h2) is {@link #chainH1Probabilities}). */
    Tensor[] chainStates() {
        return new Tensor[] {chainV, chainH1, chainH2};
    }

    Tensor chainH1Probabilities() {
        return chainP1;
    }

    @Override
    public String family() {
        return DbmFamily.NAME;
    }

    @Override
    public List<Param> params() {
        List<Param> out = new ArrayList<>(dbm.params());
        if (bottom != null) {
            out.addAll(bottom.params());
            out.addAll(top.params());
        }
        return out;
    }

    @Override
    public List<ParamGroup> groups() {
        List<ParamGroup> out = new ArrayList<>();
        if (bottom != null) {
            out.add(new ParamGroup("layer1", bottom.params()));
            out.add(new ParamGroup("layer2", top.params()));
        }
        out.add(new ParamGroup(GROUP, dbm.params()));
        return out;
    }

    @Override
    public List<Phase> phases() {
        List<Phase> out = new ArrayList<>();
        if (bottom != null) {
            out.add(Phase.statistics("layer1", List.of("layer1"), s -> s < pretrain ? 1 : 0,
                    (tape, ctx) -> bottomLearner.step(ctx.batch(), ctx.step())));
            out.add(Phase.statistics("layer2", List.of("layer2"), s -> s >= pretrain && s < 2 * pretrain ? 1 : 0, (tape, ctx) -> {
                ensureScratch(ctx.batch().rows());
                bottom.hiddenStep(upP, upS, ctx.batch(), 1f, null, rng, UP_STREAM);
                return topLearner.step(upS, ctx.step() - pretrain);
            }));
        }
        long start = 2 * pretrain;
        out.add(Phase.statistics(GROUP, List.of(GROUP), s -> s >= start ? 1 : 0, (tape, ctx) -> step(ctx.batch(), ctx.step() - start)));
        return out;
    }

    /**
     * One joint step on batch v (B x D): writes the DBM's gradients, returns the monitor. {@code step}
     * is 0-based from the start of joint training (0 takes the pretrained weights and starts the chains).
     */
    Tensor step(Tensor v, long step) {
        ensureScratch(v.rows());
        if (step == 0 && bottom != null) {
            dbm.fromRbms(bottom, top);
        }
        dbm.meanField(mu1, mu2, x, v, iters);
        if (step == 0) {
            // chains start at h1 ~ q(h1 | v) of the first batch's rows (cycled)
            rng.bernoulli(s1, mu1, CHAIN_INIT_STREAM);
            for (int r0 = 0; r0 < chains; r0 += batch) {
                int m = Math.min(batch, chains - r0);
                chainH1.rows(r0, r0 + m).copyFrom(s1.rows(0, m));
            }
        }
        sweeps(k);
        dbm.accumulateGradients(v, mu1, mu2, chainV, chainP1, chainH2);
        int m = diff.rows();
        dbm.gemm().gemm(diff, mu1.rows(0, m), false, dbm.w1().value(), true, 1f, 0f, dbm.b().value(), Gemm.Act.SIGMOID);
        Elementwise.sub(diff, v.rows(0, m), diff);
        Elementwise.square(diff, diff);
        Reduce.sumAll(monitor, diff);
        Elementwise.scale(monitor, monitor, 1f / m);
        return monitor;
    }

    /** n Gibbs sweeps of the persistent chains: v, h2 ~ p(· | h1), then h1 ~ p(h1 | v, h2) (probabilities kept). */
    void sweeps(int n) {
        for (int i = 0; i < n; i++) {
            dbm.visibleStep(chainPv, chainV, chainH1, 1f, null, rng, V_STREAM);
            dbm.h2Step(chainP2, chainH2, chainH1, 1f, rng, H2_STREAM);
            dbm.h1Step(chainP1, chainH1, chainX, chainV, chainH2, 1f, rng, H1_STREAM);
        }
    }

    private void ensureScratch(int rows) {
        if (rows == batch && mu1 != null) {
            return;
        }
        closeScratch();
        batch = rows;
        mu1 = Tensor.empty(dev, rows, dbm.hidden1());
        mu2 = Tensor.empty(dev, rows, dbm.hidden2());
        x = Tensor.empty(dev, rows, dbm.hidden1());
        s1 = Tensor.empty(dev, rows, dbm.hidden1());
        upP = Tensor.empty(dev, rows, dbm.hidden1());
        upS = Tensor.empty(dev, rows, dbm.hidden1());
        diff = Tensor.empty(dev, Math.min(RbmLearner.MONITOR_ROWS, rows), dbm.visibleUnits());
    }

    private void closeScratch() {
        for (Tensor t : new Tensor[] {mu1, mu2, x, s1, upP, upS, diff}) {
            if (t != null) {
                t.close();
            }
        }
        mu1 = mu2 = x = s1 = upP = upS = diff = null;
    }

    @Override
    public ModelState state() {
        return new ModelState().rng("dbm", rng).tensor("chains.v", chainV).tensor("chains.h1", chainH1).tensor("chains.h2", chainH2);
    }

    @Override
    public Map<String, Double> evaluate(Dataset split, long seed) {
        return evaluate(split, seed, null);
    }

    @Override
    public Map<String, Double> evaluate(Dataset split, long seed, JsonNode options) {
        int temps = options == null ? LogZ.DEFAULT_TEMPERATURES : options.path("aisTemperatures").asInt(LogZ.DEFAULT_TEMPERATURES);
        int aisChains = options == null ? 100 : options.path("aisChains").asInt(100);
        int exactMax = options == null ? 20 : options.path("exactMaxHidden").asInt(20);
        int limit = options == null ? 0 : options.path("limit").asInt(0);
        int mf = options == null ? EVAL_MEAN_FIELD_ITERS : options.path("meanFieldIters").asInt(EVAL_MEAN_FIELD_ITERS);
        Dataset s = limit > 0 && limit < split.size() ? split.subset(limit) : split;
        Map<String, Double> out = new LinkedHashMap<>();
        try (Tensor grey = Tensor.of(dev, s.size(), s.dim(), s.x()); Tensor v = ImportanceSampling.fixedBinarization(grey, seed)) {
            double[] t = DbmLogZ.meanFieldTerms(dbm, v, mf);
            double mean = 0;
            for (double x : t) {
                mean += x;
            }
            mean /= t.length;
            out.put("mean_field_terms", mean);
            if (temps > 0) {
                LogZ.Estimate e = DbmLogZ.ais(dbm, LogZ.baseRate(v), LogZ.schedule(temps), aisChains, seed);
                out.put("dbm_ais_log_z", e.logZ());
                out.put("dbm_ais_log_z_lo", e.lo());
                out.put("dbm_ais_log_z_hi", e.hi());
                out.put("dbm_bound", mean - e.logZ());
                out.put("dbm_bound_lo", mean - e.hi());
                out.put("dbm_bound_hi", mean - e.lo());
            }
            if (dbm.hidden1() <= Math.min(exactMax, DbmLogZ.MAX_EXACT_HIDDEN)) {
                double lz = DbmLogZ.exact(dbm);
                out.put("dbm_exact_log_z", lz);
                out.put("dbm_bound_exact_z", mean - lz);
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
        int d = dbm.visibleUnits();
        int side = (int) Math.round(Math.sqrt(d));
        if (side * side != d) {
            return;
        }
        try (Rbm view = new Rbm(dev, dbm.gibbs(), "view", d, dbm.hidden1(), org.genzoo.host.ops.Gibbs.Units.BERNOULLI)) {
            view.weights().value().copyFrom(dbm.w1().value());
            ImageGrid.writePng(RbmPictures.filters(view, 100, side), dir.resolve("filters-" + tag + ".png"));
            ImageGrid.writePng(samples(10, 10, 100, side, new Rng(4242)), dir.resolve("samples-" + tag + ".png"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code n} chains from uniform h1, the visible probabilities every {@code every} sweeps. */
    BufferedImage samples(int n, int snapshots, int every, int side, Rng r) {
        int d = dbm.visibleUnits();
        float[] px = new float[n * snapshots * d];
        try (Tensor v = Tensor.empty(dev, n, d); Tensor pv = Tensor.empty(dev, n, d); Tensor p1 = Tensor.empty(dev, n, dbm.hidden1());
                Tensor h1 = Tensor.empty(dev, n, dbm.hidden1()); Tensor xx = Tensor.empty(dev, n, dbm.hidden1());
                Tensor p2 = Tensor.empty(dev, n, dbm.hidden2()); Tensor h2 = Tensor.empty(dev, n, dbm.hidden2())) {
            p1.fill(0.5f);
            r.bernoulli(h1, p1, 0);
            for (int s = 0; s < snapshots; s++) {
                for (int i = 0; i < every; i++) {
                    dbm.visibleStep(pv, v, h1, 1f, null, r, 1);
                    dbm.h2Step(p2, h2, h1, 1f, r, 2);
                    dbm.h1Step(p1, h1, xx, v, h2, 1f, r, 3);
                }
                float[] m = pv.toArray();
                for (int c = 0; c < n; c++) {
                    System.arraycopy(m, c * d, px, (c * snapshots + s) * d, d);
                }
            }
        }
        return ImageGrid.render(px, n * snapshots, side, side, snapshots, ImageGrid.Style.standard());
    }

    @Override
    public Rng rng() {
        return rng;
    }

    @Override
    public void close() {
        closeScratch();
        for (Tensor t : new Tensor[] {chainV, chainPv, chainH1, chainP1, chainX, chainH2, chainP2, monitor}) {
            t.close();
        }
        if (bottomLearner != null) {
            bottomLearner.close();
            topLearner.close();
            top.close();
            bottom.close();
        }
        dbm.close();
    }
}
