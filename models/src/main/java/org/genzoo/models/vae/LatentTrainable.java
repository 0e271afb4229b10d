package org.genzoo.models.vae;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.genzoo.host.Device;
import org.genzoo.host.autograd.Param;
import org.genzoo.host.autograd.Tape;
import org.genzoo.host.autograd.Var;
import org.genzoo.host.ops.Losses;
import org.genzoo.host.ops.Rng;
import org.genzoo.host.tensor.Tensor;
import org.genzoo.models.data.Dataset;
import org.genzoo.models.train.TrainableModel;

/**
 * Runs any {@link LatentModel} under the trainer. Evaluation binarizes the split once with the
 * evaluation seed (Bernoulli models; the same held-out sample every time) and reports the mean
 * single-sample ELBO and, when asked for k > 1 samples, the importance-sampled bound
 * log (1/k) Σ w and the NLL estimate −that, in nats per example.
 */
final class LatentTrainable implements TrainableModel {
    /** Examples per evaluation batch. */
    private static final int EVAL_BATCH = 100;
    /** Importance samples per chunk (rows per chunk = EVAL_BATCH * this). */
    private static final int EVAL_CHUNK = 50;

    private final String family;
    private final LatentModel model;
    private final boolean bernoulli;
    private final int iwaeK;

    LatentTrainable(String family, LatentModel model, boolean bernoulli, int iwaeK) {
        this.family = family;
        this.model = model;
        this.bernoulli = bernoulli;
        this.iwaeK = iwaeK;
    }

    LatentModel model() {
        return model;
    }

    @Override
    public String family() {
        return family;
    }

    @Override
    public List<Param> params() {
        return model.params();
    }

    @Override
    public Var loss(Tape tape, Tensor batch, long step) {
        return model.loss(tape, batch, step);
    }

    @Override
    public Map<String, Tensor> lastTerms() {
        return model.lastTerms();
    }

    @Override
    public Map<String, Double> evaluate(Dataset split, long seed) {
        return evaluate(split, seed, iwaeK);
    }

    @Override
    public Map<String, Double> evaluate(Dataset split, long seed, com.fasterxml.jackson.databind.JsonNode options) {
        int k = options == null ? iwaeK : options.path("iwaeK").asInt(iwaeK);
        return evaluate(split, seed, k);
    }

    private Map<String, Double> evaluate(Dataset split, long seed, int k) {
        Device dev = model.device();
        int n = split.size() / EVAL_BATCH * EVAL_BATCH;
        if (n == 0) {
            throw new IllegalArgumentException("evaluation split '" + split.name() + "' has fewer than " + EVAL_BATCH + " examples");
        }
        Map<Integer, Long> saved = model.rng().counters();
        double elbo = 0;
        double bound = 0;
        Rng binarizer = new Rng(seed);
        try (Tensor all = Tensor.of(dev, n, split.dim(), java.util.Arrays.copyOf(split.x(), n * split.dim()))) {
            if (bernoulli) {
                binarizer.binarize(all, all, 1, 0);
            }
            for (int b = 0; b < n; b += EVAL_BATCH) {
                Tensor x = all.rows(b, b + EVAL_BATCH);
                elbo += sumOf(logBound(x, 1));
                if (k > 1) {
                    bound += sumOf(logBound(x, k));
                }
            }
        } finally {
            model.rng().restoreCounters(saved);
        }
        Map<String, Double> out = new LinkedHashMap<>();
        out.put("elbo", elbo / n);
        if (k > 1) {
            out.put("iwae_k" + k, bound / n);
            out.put("nll_k" + k, -bound / n);
        }
        return out;
    }

    /** Per-example log (1/k) Σ_j w_j, computed in chunks of samples and combined in log space. */
    private float[] logBound(Tensor x, int k) {
        Device dev = model.device();
        int chunks = (k + EVAL_CHUNK - 1) / EVAL_CHUNK;
        float[][] lse = new float[chunks][];
        int[] sizes = new int[chunks];
        for (int c = 0; c < chunks; c++) {
            int kc = Math.min(EVAL_CHUNK, k - c * EVAL_CHUNK);
            sizes[c] = kc;
            try (Tape t = Tape.noGrad(dev); Tensor s = Tensor.empty(dev, x.rows(), 1)) {
                Var w = model.logWeights(t, x, kc);
                Losses.logMeanExp(s, w.value());
                lse[c] = s.toArray();
            }
        }
        float[] out = new float[x.rows()];
        for (int i = 0; i < out.length; i++) {
            // log (1/k) Σ_j w_j = log Σ_c (kc/k) · meanexp_c
            double mx = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < chunks; c++) {
                mx = Math.max(mx, lse[c][i]);
            }
            double s = 0;
            for (int c = 0; c < chunks; c++) {
                s += sizes[c] / (double) k * Math.exp(lse[c][i] - mx);
            }
            out[i] = (float) (mx + Math.log(s));
        }
        return out;
    }

    private static double sumOf(float[] v) {
        double s = 0;
        for (float f : v) {
            s += f;
        }
        return s;
    }

    @Override
    public Map<Integer, Long> rngCounters() {
        return model.rng().counters();
    }

    @Override
    public void restoreRngCounters(Map<Integer, Long> counters) {
        model.rng().restoreCounters(counters);
    }

    @Override
    public void close() {
        try {
            model.close();
        } catch (Exception e) {
            throw new IllegalStateException("closing " + family, e);
        }
    }

}
