package org.genzoo.models.vae;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.nio.file.Path;
import org.genzoo.host.autograd.Param;
import org.genzoo.host.autograd.Tape;
import org.genzoo.host.autograd.Var;
import org.genzoo.host.ops.Rng;
import org.genzoo.host.tensor.Tensor;
import org.genzoo.models.data.Dataset;
import org.genzoo.models.eval.ActiveUnits;
import org.genzoo.models.eval.ElboSurgery;
import org.genzoo.models.eval.ImageGrid;
import org.genzoo.models.eval.ImportanceSampling;
import org.genzoo.models.eval.Pictures;
import org.genzoo.models.train.TrainableModel;

/**
 * Runs any {@link LatentModel} under the trainer. Evaluation binarizes the split once with the
 * evaluation seed (Bernoulli models: the same held-out sample every time) and reports the ELBO
 * with its reconstruction and KL terms, the importance-sampled NLL with k samples when the spec's
 * {@code /eval/metrics/iwaeK} asks for k > 1 (nats per example, with its standard error), and the
 * number of active units.
 */
final class LatentTrainable implements TrainableModel {
    private final String family;
    private final LatentModel model;
    private final boolean bernoulli;
    private final int iwaeK;
    /** Sample grids use one fixed seed, so pictures at successive evaluations are comparable. */
    private final long pictureSeed = 12345;

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

    /** The split on the device, binarized once with {@code seed} for Bernoulli models. */
    private Tensor heldOut(Dataset split, long seed) {
        Tensor grey = Tensor.of(model.device(), split.size(), split.dim(), split.x());
        if (!bernoulli) {
            return grey;
        }
        try (grey) {
            return ImportanceSampling.fixedBinarization(grey, seed);
        }
    }

    private Map<String, Double> evaluate(Dataset split, long seed, int k) {
        Map<String, Double> out = new LinkedHashMap<>();
        try (Tensor data = heldOut(split, seed)) {
            ImportanceSampling.Options o = ImportanceSampling.Options.of(Math.max(1, k)).withSeed(seed);
            ImportanceSampling.Elbo elbo = ImportanceSampling.elbo(model, data, o);
            out.put("elbo", elbo.elbo());
            out.put("recon", elbo.recon());
            out.put("kl", elbo.kl());
            if (k > 1) {
                ImportanceSampling.Report r = ImportanceSampling.evaluate(model, data, o);
                out.put("nll_k" + k, r.meanNll());
                out.put("nll_k" + k + "_stderr", r.nllStdErr());
            }
            out.put("active_units", (double) ActiveUnits.measure(model, data).active());
        }
        return out;
    }

    /**
     * Options: {@code iwaeK} (importance samples of the NLL), {@code surgeryLimit} (training examples
     * of the ELBO surgery, O(N²); 0 skips it; one-layer VAEs only), {@code pictureRows} (test
     * examples in the reconstruction and interpolation pictures).
     */
    @Override
    public Map<String, Double> evaluateRun(Dataset train, Dataset test, long seed, com.fasterxml.jackson.databind.JsonNode options,
            Path pictures) {
        int k = options == null ? iwaeK : options.path("iwaeK").asInt(iwaeK);
        int surgeryLimit = options == null ? 10_000 : options.path("surgeryLimit").asInt(10_000);
        int rows = options == null ? 8 : options.path("pictureRows").asInt(8);
        Map<String, Double> out = evaluate(test, seed, k);
        if (surgeryLimit > 0 && model instanceof Vae vae) {
            try (Tensor data = heldOut(train.subset(Math.min(surgeryLimit, train.size())), seed + 1)) {
                ElboSurgery.Result r = ElboSurgery.estimate(vae, data, ElboSurgery.Options.of(0, seed + 2));
                out.put("surgery_examples", (double) r.examples());
                out.put("surgery_avg_kl", r.avgKl());
                out.put("surgery_avg_kl_stderr", r.avgKlStdErr());
                out.put("surgery_mutual_info", r.mutualInfo());
                out.put("surgery_mutual_info_stderr", r.mutualInfoStdErr());
                out.put("surgery_log_n", r.logN());
                out.put("surgery_marginal_kl", r.marginalKl());
                out.put("surgery_marginal_kl_stderr", r.marginalKlStdErr());
                out.put("surgery_identity_gap", r.identityGap());
                out.put("surgery_identity_gap_stderr", r.identityGapStdErr());
            }
        }
        writePictures(pictures, "eval");
        int side = (int) Math.round(Math.sqrt(model.dataDim()));
        if (side * side == model.dataDim() && rows > 0) {
            int n = Math.min(rows * 8, test.size());
            try (Tensor x = heldOut(test.subset(n), seed)) {
                ImageGrid.writePng(Pictures.reconstructions(model, x, 8, side, side, ImageGrid.Style.standard()),
                        pictures.resolve("reconstructions-eval.png"));
                int pairs = Math.min(rows, n / 2);
                if (model instanceof Vae vae && pairs > 0) {
                    ImageGrid.writePng(Pictures.interpolations(vae, x.rows(0, pairs), x.rows(pairs, 2 * pairs), 10, side, side,
                            ImageGrid.Style.standard()), pictures.resolve("interpolations-eval.png"));
                }
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException("writing pictures to " + pictures, e);
            }
        }
        return out;
    }

    @Override
    public void writePictures(Path dir, String tag) {
        int side = (int) Math.round(Math.sqrt(model.dataDim()));
        if (side * side != model.dataDim()) {
            return; // not square images: nothing sensible to draw
        }
        try {
            java.nio.file.Files.createDirectories(dir);
            ImageGrid.writePng(Pictures.samples(model, 8, side, side, pictureSeed, ImageGrid.Style.standard()),
                    dir.resolve("samples-" + tag + ".png"));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("writing sample grid to " + dir, e);
        }
    }

    @Override
    public Rng rng() {
        return model.rng();
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
