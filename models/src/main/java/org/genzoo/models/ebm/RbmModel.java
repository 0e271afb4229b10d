package org.genzoo.models.ebm;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.genzoo.host.Device;
import org.genzoo.host.autograd.Param;
import org.genzoo.host.ops.Elementwise;
import org.genzoo.host.ops.Gibbs;
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
 * An {@link Rbm} under the trainer: one parameter group {@value #GROUP}, one statistics phase (CD,
 * PCD or PT, {@link RbmLearner}) per step. Gaussian visible units (family {@code grbm}) see each
 * example standardized per unit with the mean and standard deviation of the first training batch
 * (kept as model state; the deviation floored at {@link #MIN_STD} so constant border pixels stay finite).
 *
 * <p>Evaluation ({@link #evaluate(Dataset, long, JsonNode)}) on the held-out split (binary units:
 * binarized once with the evaluation seed): {@code recon_error}, {@code free_energy},
 * {@code pseudo_ll} (binary), and the log-likelihood: AIS ({@code ais_log_z} with
 * {@code ais_log_z_lo}/{@code _hi}, the ±3 s.d. band; {@code test_ll} with its band) for binary
 * and Gaussian units (Gaussian base model, {@link LogZ}), and exact ({@code exact_log_z}, {@code exact_test_ll}) whenever H ≤ {@code exactMaxHidden}.
 * Options: {@code aisTemperatures} (default 14,500), {@code aisChains} (100), {@code exactMaxHidden}
 * (20), {@code limit} (examples evaluated, default all).
 */
final class RbmModel implements TrainableModel {
    static final String GROUP = "rbm";
    static final float MIN_STD = 0.1f;
    static final int INIT_STREAM = 0;
    static final int EVAL_STREAM = 0;

    private final String family;
    private final Rbm rbm;
    private final RbmLearner learner;
    private final Rng rng;
    // Gaussian units: standardization (1 x D each, state), and 1/std replicated over the batch rows
    private final Tensor mean;
    private final Tensor std;
    private final Tensor negMean;
    private Tensor invStdRows;
    private Tensor standardized;

    RbmModel(Device device, String family, int d, int h, Gibbs.Units units, RbmLearner.Method method, int k, int chains,
            double[] betas, float initScale, long seed) {
        this.family = family;
        this.rng = new Rng(seed);
        this.rbm = new Rbm(device, null, "rbm", d, h, units);
        rbm.init(rng, INIT_STREAM, initScale);
        this.learner = new RbmLearner(rbm, method, k, chains, betas, rng);
        if (units == Gibbs.Units.GAUSSIAN) {
            mean = Tensor.zeros(device, 1, d);
            std = Tensor.zeros(device, 1, d);
            negMean = Tensor.zeros(device, 1, d);
        } else {
            mean = std = negMean = null;
        }
    }

    Rbm rbm() {
        return rbm;
    }

    RbmLearner learner() {
        return learner;
    }

    @Override
    public String family() {
        return family;
    }

    @Override
    public List<Param> params() {
        return rbm.params();
    }

    @Override
    public List<ParamGroup> groups() {
        return List.of(new ParamGroup(GROUP, rbm.params()));
    }

    @Override
    public List<Phase> phases() {
        return List.of(Phase.statistics(learner.method().name().toLowerCase(java.util.Locale.ROOT), GROUP, (tape, ctx) -> {
            Tensor v = ctx.batch();
            if (rbm.gaussian()) {
                if (ctx.step() == 0) {
                    fitStandardization(v);
                }
                if (invStdRows == null || invStdRows.rows() != v.rows()) {
                    replicateInverseStd(v.rows());
                }
                Elementwise.addRow(standardized, v, negMean);
                Elementwise.mul(standardized, standardized, invStdRows);
                v = standardized;
            }
            return learner.step(v, ctx.step());
        }));
    }

    /** mean and std per unit from the first batch (read back once), std ≥ MIN_STD. */
    private void fitStandardization(Tensor v) {
        int d = v.cols();
        int n = v.rows();
        float[] x = v.toArray();
        float[] mu = new float[d];
        float[] sd = new float[d];
        float[] nm = new float[d];
        for (int j = 0; j < d; j++) {
            double s = 0;
            for (int i = 0; i < n; i++) {
                s += x[i * d + j];
            }
            double m = s / n;
            double q = 0;
            for (int i = 0; i < n; i++) {
                q += (x[i * d + j] - m) * (x[i * d + j] - m);
            }
            mu[j] = (float) m;
            nm[j] = (float) -m;
            sd[j] = (float) Math.max(MIN_STD, Math.sqrt(q / n));
        }
        mean.write(mu);
        std.write(sd);
        negMean.write(nm);
        replicateInverseStd(n);
    }

    /** 1/std over {@code rows} rows (after the fit, after a resume, or for a new batch size). */
    private void replicateInverseStd(int rows) {
        if (invStdRows != null) {
            invStdRows.close();
            standardized.close();
        }
        int d = std.cols();
        float[] sd = std.toArray();
        float[] inv = new float[rows * d];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < d; j++) {
                inv[i * d + j] = 1f / sd[j];
            }
        }
        invStdRows = Tensor.of(std.device(), rows, d, inv);
        standardized = Tensor.empty(std.device(), rows, d);
    }

    @Override
    public ModelState state() {
        ModelState s = learner.state();
        if (mean != null) {
            s.tensor("standardize.mean", mean).tensor("standardize.std", std).tensor("standardize.negmean", negMean);
        }
        return s;
    }

    @Override
    public Map<String, Tensor> lastTerms() {
        return Map.of();
    }

    /** The held-out data as the model sees it: binarized once (binary units) or standardized (Gaussian). */
    Tensor heldOut(Dataset split, long seed, int limit) {
        Dataset s = limit > 0 && limit < split.size() ? split.subset(limit) : split;
        if (!rbm.gaussian()) {
            try (Tensor grey = Tensor.of(rbm.device(), s.size(), s.dim(), s.x())) {
                return ImportanceSampling.fixedBinarization(grey, seed);
            }
        }
        float[] x = s.x().clone();
        float[] mu = mean.toArray();
        float[] sd = std.toArray();
        int d = s.dim();
        for (int i = 0; i < x.length; i++) {
            x[i] = (x[i] - mu[i % d]) / sd[i % d];
        }
        return Tensor.of(rbm.device(), s.size(), d, x);
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
        Map<String, Double> out = new LinkedHashMap<>();
        Rng er = new Rng(seed);
        try (Tensor data = heldOut(split, seed, limit)) {
            double[] f = rbm.freeEnergies(data);
            double meanNegF = 0;
            for (double x : f) {
                meanNegF -= x;
            }
            meanNegF /= f.length;
            out.put("recon_error", rbm.reconstructionError(data, er, EVAL_STREAM));
            out.put("free_energy", -meanNegF);
            if (!rbm.gaussian()) {
                out.put("pseudo_ll", rbm.pseudoLogLikelihood(data, er, EVAL_STREAM + 1));
            }
            if (temps > 0) {
                LogZ.Estimate e = LogZ.ais(rbm, LogZ.base(rbm, data), LogZ.schedule(temps), chains, seed);
                out.put("ais_log_z", e.logZ());
                out.put("ais_log_z_lo", e.lo());
                out.put("ais_log_z_hi", e.hi());
                out.put("test_ll", meanNegF - e.logZ());
                out.put("test_ll_lo", meanNegF - e.hi());
                out.put("test_ll_hi", meanNegF - e.lo());
            }
            if (rbm.hiddenUnits() <= Math.min(exactMax, LogZ.MAX_EXACT_HIDDEN)) {
                double lz = LogZ.exact(rbm);
                out.put("exact_log_z", lz);
                out.put("exact_test_ll", meanNegF - lz);
                if (rbm.gaussian()) {
                    // density of the raw data: subtract log of the standardization's Jacobian
                    double logStd = 0;
                    for (float s : std.toArray()) {
                        logStd += Math.log(s);
                    }
                    out.put("exact_test_ll_raw", meanNegF - lz - logStd);
                }
            }
        }
        double[] rates = learner.swapRates();
        if (rates.length > 0) {
            double s = 0;
            for (double r : rates) {
                s += r;
            }
            out.put("pt_swap_rate", s / rates.length);
            out.put("pt_swap_rate_min", java.util.Arrays.stream(rates).min().orElse(Double.NaN));
        }
        return out;
    }

    @Override
    public Map<String, Double> evaluateRun(Dataset train, Dataset test, long seed, JsonNode options, Path pictures) {
        Map<String, Double> m = evaluate(test, seed, options);
        writePictures(pictures, "eval");
        if (!rbm.gaussian()) {
            try (Tensor data = heldOut(test, seed, 10)) {
                ImageGrid.writePng(RbmPictures.fillIn(rbm, data, 500, new Rng(seed + 1)), pictures.resolve("fill-in-eval.png"));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return m;
    }

    @Override
    public void writePictures(Path dir, String tag) {
        int side = (int) Math.round(Math.sqrt(rbm.visibleUnits()));
        if (side * side != rbm.visibleUnits()) {
            return;
        }
        try {
            ImageGrid.writePng(RbmPictures.filters(rbm, 100, side), dir.resolve("filters-" + tag + ".png"));
            ImageGrid.writePng(RbmPictures.chains(rbm, 10, 10, 100, side, new Rng(4242), mean, std), dir.resolve("samples-" + tag + ".png"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public Rng rng() {
        return rng;
    }

    @Override
    public void close() {
        learner.close();
        rbm.close();
        for (Tensor t : new Tensor[] {mean, std, negMean, invStdRows, standardized}) {
            if (t != null) {
                t.close();
            }
        }
    }
}
