package org.genzoo.models.flow;

import com.fasterxml.jackson.databind.JsonNode;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.genzoo.host.Device;
import org.genzoo.host.autograd.Param;
import org.genzoo.host.autograd.Tape;
import org.genzoo.host.autograd.Var;
import org.genzoo.host.ops.Rng;
import org.genzoo.host.tensor.Tensor;
import org.genzoo.models.data.Dataset;
import org.genzoo.models.eval.DensityPanels;
import org.genzoo.models.eval.ImageGrid;
import org.genzoo.models.train.ParamGroup;
import org.genzoo.models.train.Phase;
import org.genzoo.models.train.SpecError;
import org.genzoo.models.train.SpecReader;
import org.genzoo.models.train.TrainableModel;

/**
 * A {@link Flow} under the trainer with the {@code "reverse-kl"} objective: it fits the density
 * ∝ exp(−U) of one of the built-in {@link Energies}, drawing its own samples from the base
 * distribution ({@link ReverseKl}). There is no data to fit: the family declares
 * {@link org.genzoo.models.train.DataKind#NONE}, the spec needs no data set and none is loaded; the
 * spec's batchSize is the number of draws per step. Evaluation ignores the split (null under the trainer).
 *
 * <p>{@code "annealSteps": N} (default 0) trains with the energy scaled by β rising linearly from 0.01 to 1
 * over the first N steps (Rezende &amp; Mohamed 2015), against collapse onto one mode; the training loss
 * reads E_q[log q + βU] until then, evaluation always uses β = 1.
 *
 * <p>Evaluation: {@code reverse_kl_loss} = E_q[log q + U] from {@link #EVAL_DRAWS} draws with its
 * standard error, {@code neg_log_z} = −log Z by quadrature and {@code kl} = KL(q ‖ p) = their
 * difference (≥ 0 up to Monte-Carlo error). Pictures: exp(−U) on a grid beside a histogram of
 * 20,000 flow samples.
 */
final class ReverseKlModel implements TrainableModel {
    static final int NOISE_STREAM = 0;
    static final int EVAL_DRAWS = 20000;
    static final int EVAL_CHUNK = 5000;
    static final double PLOT_RANGE = FlowModel.PLOT_RANGE;
    static final int GRID = FlowModel.GRID;

    private final Flow flow;
    private final Energies energy;
    private final Device device;
    private final Rng rng;
    private final long annealSteps;

    ReverseKlModel(Flow flow, Energies energy, long annealSteps, long seed) {
        if (flow.dim() != 2) {
            throw new IllegalArgumentException("reverse-kl: energy " + energy.specName() + " lives on R^2 but the flow has "
                    + flow.dim() + " dimensions");
        }
        this.flow = flow;
        this.energy = energy;
        this.device = flow.device();
        this.rng = new Rng(seed);
        this.annealSteps = annealSteps;
    }

    /** Layer types whose generative direction is iterative (no gradients): unusable for reverse KL. */
    static final List<String> NOT_REPARAMETERIZABLE = List.of("made", "maf", "iresnet");

    /**
     * The reverse-KL rules for a flow model object: {@code energy} is required with
     * {@code "objective": "reverse-kl"} and refused otherwise; no dequantization; every layer's
     * generative direction must be differentiable.
     */
    static void validate(JsonNode model, String pointer, String objective, String energy, Boolean dequantize,
            List<SpecError> errors) {
        boolean reverse = "reverse-kl".equals(objective);
        String at = SpecReader.pointer(pointer, "energy");
        if (reverse && energy == null && !model.has("energy")) {
            errors.add(new SpecError(at, "one of " + String.join(", ", Energies.specNames()) + " (the target of reverse-kl)", "nothing"));
        }
        if (!reverse && model.has("annealSteps")) {
            errors.add(new SpecError(SpecReader.pointer(pointer, "annealSteps"), "no annealSteps: it is used by \"objective\": \"reverse-kl\" only",
                    SpecReader.describe(model.get("annealSteps"))));
        }
        if (!reverse && model.has("energy")) {
            errors.add(new SpecError(at, "no energy: it is used by \"objective\": \"reverse-kl\" only",
                    SpecReader.describe(model.get("energy"))));
        }
        if (reverse && Boolean.TRUE.equals(dequantize)) {
            errors.add(new SpecError(SpecReader.pointer(pointer, "dequantize"), "false: reverse-kl draws its own samples",
                    "true"));
        }
        JsonNode layers = model.get("layers");
        if (reverse && layers != null && layers.isArray()) {
            for (int i = 0; i < layers.size(); i++) {
                String type = layers.get(i).path("type").asText("");
                if (NOT_REPARAMETERIZABLE.contains(type)) {
                    errors.add(new SpecError(SpecReader.pointer(pointer, "layers") + "/" + i + "/type",
                            "a layer with a differentiable generative direction for reverse-kl (planar, radial, coupling, iaf, lu,"
                                    + " actnorm, permute; " + type + " inverts iteratively)", SpecReader.describe(layers.get(i).get("type"))));
                }
            }
        }
    }

    @Override
    public String family() {
        return FlowFamily.NAME;
    }

    @Override
    public List<Param> params() {
        return flow.params();
    }

    /**
     * E_q[log q + β U] over batch.rows() fresh draws, β = {@link ReverseKl#annealedBeta} (1 after
     * {@code annealSteps}); the batch's values are not read.
     */
    @Override
    public Var loss(Tape tape, Tensor batch, long step) {
        return ReverseKl.loss(flow, energy, batch.rows(), rng, NOISE_STREAM, ReverseKl.annealedBeta(step, annealSteps));
    }

    /** One backward phase on {@code batchSize} fresh draws: the model reads no data. */
    @Override
    public List<Phase> phases() {
        return List.of(Phase.backward("loss", ParamGroup.DEFAULT, (tape, ctx) -> ReverseKl.loss(flow, energy, ctx.batchSize(), rng,
                NOISE_STREAM, ReverseKl.annealedBeta(ctx.step(), annealSteps))));
    }

    @Override
    public Map<String, Double> evaluate(Dataset split, long seed) {
        ReverseKl.Estimate e = ReverseKl.estimate(flow, energy, EVAL_DRAWS, EVAL_CHUNK, new Rng(seed), NOISE_STREAM);
        Map<String, Double> out = new LinkedHashMap<>();
        out.put("reverse_kl_loss", e.loss());
        out.put("reverse_kl_loss_stderr", e.stderr());
        out.put("neg_log_z", -e.logZ());
        out.put("kl", e.kl());
        return out;
    }

    @Override
    public void writePictures(Path dir, String tag) {
        try {
            ImageGrid.writePng(picture(tag), dir.resolve("energy-" + energy.specName() + "-" + tag + ".png"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Two titled panels with axes: the target exp(−U) on a grid, and a histogram of 20,000 samples of the flow. */
    private BufferedImage picture(String tag) {
        int g = GRID;
        float[] px = new float[2 * g * g];
        double max = 0;
        for (int r = 0; r < g; r++) {
            for (int c = 0; c < g; c++) {
                double z1 = -PLOT_RANGE + (c + 0.5) * 2 * PLOT_RANGE / g;
                double z2 = PLOT_RANGE - (r + 0.5) * 2 * PLOT_RANGE / g;
                double p = Math.exp(-energy.value(z1, z2));
                px[r * g + c] = (float) p;
                max = Math.max(max, p);
            }
        }
        for (int i = 0; i < g * g; i++) {
            px[i] = (float) (max > 0 ? px[i] / max : 0);
        }
        float[] s;
        try (Tensor t = flow.sample(EVAL_DRAWS, 1.0, new Rng(4242), 2)) {
            s = t.toArray();
        }
        FlowModel.histogram(s, px, g * g);
        String u = energy.specName().toUpperCase(java.util.Locale.ROOT);
        return DensityPanels.render(px, g, PLOT_RANGE, List.of("target exp(-" + u + "(z)), unnormalized",
                String.format(java.util.Locale.ROOT, "%,d samples of the flow", EVAL_DRAWS)),
                "reverse KL to " + u + ", " + FlowModel.figureTag(tag), "z1", "z2");
    }

    @Override
    public Rng rng() {
        return rng;
    }

    @Override
    public void close() {
        flow.close();
    }
}
