package org.genzoo.models.gan;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.genzoo.host.Device;
import org.genzoo.host.autograd.CustomOp;
import org.genzoo.host.autograd.F;
import org.genzoo.host.autograd.Param;
import org.genzoo.host.autograd.Tape;
import org.genzoo.host.autograd.Var;
import org.genzoo.host.ops.Elementwise;
import org.genzoo.host.ops.GanLoss;
import org.genzoo.host.ops.Optim;
import org.genzoo.host.ops.Rng;
import org.genzoo.host.tensor.Tensor;
import org.genzoo.models.data.Dataset;
import org.genzoo.models.data.Toys;
import org.genzoo.models.eval.ImageGrid;
import org.genzoo.models.eval.ModeCoverage;
import org.genzoo.models.train.ModelState;
import org.genzoo.models.train.ParamGroup;
import org.genzoo.models.train.Phase;
import org.genzoo.models.train.StepContext;
import org.genzoo.models.train.TrainableModel;

/**
 * GAN, WGAN, WGAN-GP and SN-GAN with MLP generator and discriminator (critic). Two parameter
 * groups, {@code generator} and {@code discriminator}, each with its own optimizer; one step runs
 * the discriminator phase {@code nCritic} times (a fresh data batch each time) and then the
 * generator phase once.
 *
 * <ul>
 * <li>gan (Goodfellow et al. 2014): D outputs a logit l. D minimizes −log σ(l_real) − log σ(−l_fake);
 *     G minimizes −log σ(l_fake) (non-saturating) or log σ(−l_fake) = log(1 − D(G(z))) (minimax).</li>
 * <li>wgan (Arjovsky et al. 2017): the critic minimizes mean f(fake) − mean f(real) with every
 *     critic parameter clamped to [−c, c]; G minimizes −mean f(fake).</li>
 * <li>wgan-gp (Gulrajani et al. 2017): as wgan without clamping, plus {@link GradientPenalty}.</li>
 * <li>gan and sngan with {@code "loss": "hinge"}: D minimizes mean max(0, 1 − l_real) + mean max(0, 1 + l_fake),
 *     G minimizes −mean l_fake.</li>
 * <li>sngan (Miyato et al. 2018): the gan losses with every discriminator weight divided by its
 *     spectral norm (one power iteration per discriminator update, u as model state).</li>
 * </ul>
 * Optionally the generator's weights are averaged (EMA, decay {@code ema}) for sampling and
 * evaluation; the average is model state.
 */
public final class GanModel implements TrainableModel {
    static final int STREAM_Z_CRITIC = 2;
    static final int STREAM_Z_GENERATOR = 3;
    static final int STREAM_ALPHA = 4;
    static final int STREAM_EVAL = 5;
    /** Samples for the mode-coverage metrics (as PacGAN). */
    public static final int EVAL_SAMPLES = 2500;

    private final Device device;
    private final GanConfig config;
    private final int dim;
    private final GanNet generator;
    private final GanNet discriminator;
    private final GanNet emaGenerator;
    private final Rng rng;
    private final long seed;
    private final Optim optim;
    private final Map<String, Tensor> terms = new LinkedHashMap<>();
    /** Mean critic output on the real rows, then on the fake rows (2 x 1; d_real and d_fake are its rows). */
    private final Tensor dMeans;
    /** B x 1 ones that seed the penalty's input gradient, filled once per batch size. */
    private Tensor ones;
    private Dataset lastSplit;
    private boolean emaStarted;

    public GanModel(Device device, GanConfig config, int dim, long seed) {
        this.device = device;
        this.config = config;
        this.dim = dim;
        this.seed = seed;
        SplittableRandom init = new SplittableRandom(seed);
        this.generator = new GanNet(device, "generator", config.generatorSizes(dim), config.hidden(), config.output(),
                config.slope(), false, config.init(), init);
        this.discriminator = new GanNet(device, "discriminator", config.discriminatorSizes(dim), config.hidden(),
                GanNet.Act.LINEAR, config.slope(), config.spectralNorm(), config.init(), init);
        this.emaGenerator = config.ema() > 0 ? new GanNet(device, "generator_ema", config.generatorSizes(dim), config.hidden(),
                config.output(), config.slope(), false, config.init(), new SplittableRandom(seed)) : null;
        if (emaGenerator != null) {
            copy(generator, emaGenerator);
        }
        this.rng = new Rng(seed);
        this.optim = Optim.on(device);
        this.dMeans = Tensor.zeros(device, 2, 1);
        terms.put("d_real", dMeans.rows(0, 1));
        terms.put("d_fake", dMeans.rows(1, 2));
        terms.put("gp", Tensor.zeros(device, 1, 1));
    }

    public GanConfig config() {
        return config;
    }

    public GanNet generator() {
        return generator;
    }

    public GanNet discriminator() {
        return discriminator;
    }

    @Override
    public String family() {
        return config.family();
    }

    @Override
    public List<Param> params() {
        List<Param> ps = new ArrayList<>(generator.params());
        ps.addAll(discriminator.params());
        return ps;
    }

    @Override
    public List<ParamGroup> groups() {
        return List.of(new ParamGroup(GanConfig.GENERATOR, generator.params()),
                new ParamGroup(GanConfig.DISCRIMINATOR, discriminator.params()));
    }

    @Override
    public List<Phase> phases() {
        return List.of(Phase.backward(GanConfig.DISCRIMINATOR, List.of(GanConfig.DISCRIMINATOR), s -> config.nCritic(),
                this::discriminatorLoss), Phase.backward(GanConfig.GENERATOR, GanConfig.GENERATOR, this::generatorLoss));
    }

    @Override
    public ModelState state() {
        ModelState s = new ModelState().include("discriminator.sn.", discriminator.state());
        if (emaGenerator != null) {
            List<Param> ps = emaGenerator.params();
            for (Param p : ps) {
                s.tensor("ema." + p.name(), p.value());
            }
            s.onRestore(() -> emaStarted = true);
        }
        return s;
    }

    /** WGAN: clamp the critic to [−c, c] before it is used (so every use follows the last update's clamp). */
    private void clampCritic() {
        if (config.clip() > 0) {
            for (Param p : discriminator.params()) {
                optim.clipWeights(p.value(), config.clip());
            }
        }
    }

    /** Draws z ~ N(0, I), B x L. */
    private Tensor noise(Tape t, int b, int stream) {
        Tensor z = t.alloc(b, config.latent());
        rng.normal(z, stream);
        return z;
    }

    Var discriminatorLoss(Tape t, StepContext ctx) {
        Tensor real = ctx.repeat() == 0 ? ctx.batch() : ctx.nextBatch();
        if (ctx.repeat() == 0) {
            updateEma();
        }
        clampCritic();
        int b = real.rows();
        Tensor fake = generator.forward(t.constant(noise(t, b, STREAM_Z_CRITIC)), true).value();
        // Real rows then fake rows through D in one pass (one power iteration per update for SN).
        Tensor both = t.alloc(2 * b, dim);
        both.rows(0, b).copyFrom(real);
        both.rows(b, 2 * b).copyFrom(fake);
        Var out = discriminator.forward(t.constant(both));
        Var gp = null;
        if (config.lambda() > 0) {
            Tensor xhat = GradientPenalty.interpolate(t, real, fake, rng, STREAM_ALPHA);
            if (ones == null || ones.rows() != b) {
                if (ones != null) {
                    ones.close();
                }
                ones = Tensor.empty(device, b, 1);
                ones.fill(1f);
            }
            // The penalty lands in the "gp" term itself (no copy).
            gp = GradientPenalty.at(t, discriminator::forward, xhat, config.lambda(), ones, terms.get("gp"));
        }
        // One launch for the loss (+ the penalty) and d_real, d_fake (the means of the real and fake rows).
        if (config.wasserstein()) {
            // mean f(fake) − mean f(real) as (1/B) Σ s ⊙ f with s = −1 on real rows, +1 on fake rows.
            return loss(t, GanLoss.Kind.LINEAR, out, b, -1f, 1f, 1f / b, dMeans, gp);
        }
        if (config.loss().equals(GanConfig.HINGE)) {
            return loss(t, GanLoss.Kind.HINGE, out, b, 1f, -1f, 1f / b, dMeans, gp);
        }
        // −(1/B) Σ log σ(s ⊙ l), s = +1 real, −1 fake.
        return loss(t, GanLoss.Kind.LOGSIG, out, b, 1f, -1f, -1f / b, dMeans, gp);
    }

    /**
     * k · Σ_i φ(s_i l_i) (+ extra) as one op ({@link GanLoss}: one launch each way), s_i = sA on the
     * first nA rows of l and sB on the rest; means (2 x 1 or null) receives the mean of l over each
     * range.
     */
    static Var loss(Tape t, GanLoss.Kind kind, Var l, int nA, float sA, float sB, float k, Tensor means, Var extra) {
        Tensor loss = t.alloc(1, 1);
        GanLoss.forward(kind, loss, means, l.value(), nA, sA, sB, k, extra == null ? null : extra.value());
        boolean ex = extra != null && extra.requiresGrad();
        Var out = CustomOp.result(loss, l.requiresGrad() || ex);
        CustomOp.onBackward(() -> {
            if (!CustomOp.hasGrad(out)) {
                return;
            }
            float betaExtra = ex ? CustomOp.gradBeta(t, extra) : 0f;
            if (l.requiresGrad()) {
                float beta = CustomOp.gradBeta(t, l);
                GanLoss.backward(kind, l.grad(), out.grad(), l.value(), nA, sA, sB, k, beta, ex ? extra.grad() : null, betaExtra);
            } else if (ex) {
                Elementwise.axpby(extra.grad(), 1f, out.grad(), betaExtra);
            }
        });
        return out;
    }

    /**
     * The hinge loss of the discriminator (Lim and Ye 2017; Miyato et al. 2018):
     * (1/B) Σ_rows max(0, 1 − s ⊙ l) = mean max(0, 1 − l_real) + mean max(0, 1 + l_fake), with
     * s = +1 on the B real rows and −1 on the B fake rows of the logits l (2B x 1); one launch each way.
     */
    static Var hingeLoss(Tape t, Var logits, int b) {
        return loss(t, GanLoss.Kind.HINGE, logits, b, 1f, -1f, 1f / b, null, null);
    }

    Var generatorLoss(Tape t, StepContext ctx) {
        clampCritic();
        int b = ctx.batchSize();
        Var fake = generator.forward(t.constant(noise(t, b, STREAM_Z_GENERATOR)));
        Var out = discriminator.forward(fake, true);
        if (config.wasserstein() || config.loss().equals(GanConfig.HINGE)) {
            // −mean l_fake (the hinge discriminator's generator loss is the Wasserstein one).
            return loss(t, GanLoss.Kind.LINEAR, out, b, 1f, 1f, -1f / b, null, null);
        }
        if (config.loss().equals(GanConfig.MINIMAX)) {
            // mean log σ(−l) = log(1 − D(G(z))).
            return loss(t, GanLoss.Kind.LOGSIG, out, b, -1f, -1f, 1f / b, null, null);
        }
        // −(1/B) Σ log σ(l), the non-saturating loss.
        return loss(t, GanLoss.Kind.LOGSIG, out, b, 1f, 1f, -1f / b, null, null);
    }

    private void updateEma() {
        if (emaGenerator == null) {
            return;
        }
        if (!emaStarted) {
            emaStarted = true;
            copy(generator, emaGenerator);
            return;
        }
        float d = (float) config.ema();
        List<Param> src = generator.params();
        List<Param> dst = emaGenerator.params();
        for (int i = 0; i < src.size(); i++) {
            Elementwise.axpby(dst.get(i).value(), 1f - d, src.get(i).value(), d);
        }
    }

    private static void copy(GanNet from, GanNet to) {
        List<Param> src = from.params();
        List<Param> dst = to.params();
        for (int i = 0; i < src.size(); i++) {
            dst.get(i).value().copyFrom(src.get(i).value());
        }
    }

    /** The generator used for sampling: the EMA copy when enabled. */
    public GanNet sampler() {
        return emaGenerator != null ? emaGenerator : generator;
    }

    /** n samples (n x D) from the sampling generator with noise from a fresh Rng(seed): host array. */
    public float[] sample(int n, long seed) {
        Rng r = new Rng(seed);
        try (Tape t = Tape.noGrad(device)) {
            Tensor z = t.alloc(n, config.latent());
            r.normal(z, STREAM_EVAL);
            return sampler().forward(t.constant(z), true).value().toArray();
        }
    }

    /** Mean critic output on x (n x D, host rows): E f(x). */
    public double criticMean(float[] x, int n) {
        try (Tape t = Tape.noGrad(device); Tensor tx = Tensor.of(device, n, dim, x)) {
            float[] out = discriminator.forward(t.constant(tx), true).value().toArray();
            double s = 0;
            for (float v : out) {
                s += v;
            }
            return s / n;
        }
    }

    @Override
    public Map<String, Tensor> lastTerms() {
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("d_real", terms.get("d_real"));
        m.put("d_fake", terms.get("d_fake"));
        if (config.lambda() > 0) {
            m.put("gp", terms.get("gp"));
        }
        return m;
    }

    @Override
    public Map<String, Double> evaluate(Dataset split, long seed) {
        lastSplit = split;
        Map<String, Double> m = new LinkedHashMap<>();
        float[] s = sample(EVAL_SAMPLES, seed);
        String name = split == null ? "" : split.name();
        String toy = name.contains("/") ? name.substring(0, name.indexOf('/')) : name;
        if (dim == 2 && Toys.hasModes(toy)) {
            ModeCoverage.Result r = ModeCoverage.of(s, Toys.modeMeans(toy), Toys.modeStd(toy));
            m.put("modes", (double) r.modesCovered());
            m.put("high_quality", r.highQuality());
            m.put("reverse_kl", r.reverseKl());
        }
        if (split != null && config.wasserstein()) {
            int n = Math.min(EVAL_SAMPLES, split.size());
            float[] real = java.util.Arrays.copyOf(split.x(), n * dim);
            m.put("critic_w1", criticMean(real, n) - criticMean(s, EVAL_SAMPLES));
        }
        if (split != null && dim == 784) {
            m.putAll(ImageFeatures.evaluate(device, split, s, EVAL_SAMPLES, seed));
        }
        return m;
    }

    @Override
    public void writePictures(Path dir, String tag) {
        try {
            if (dim == 2) {
                float[] s = sample(EVAL_SAMPLES * 4, pictureSeed());
                ImageGrid.writePng(Scatter.render(lastSplit == null ? null : lastSplit.x(), s), dir.resolve("samples-" + tag + ".png"));
            } else if (dim == 784) {
                float[] s = sample(64, pictureSeed());
                ImageGrid.writePng(ImageGrid.render(s, 64, 28, 28, 8, ImageGrid.Style.standard()), dir.resolve("samples-" + tag + ".png"));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private long pictureSeed() {
        return seed ^ 0x5eed_9a11L;
    }

    @Override
    public Rng rng() {
        return rng;
    }

    @Override
    public void close() {
        generator.close();
        discriminator.close();
        if (emaGenerator != null) {
            emaGenerator.close();
        }
        terms.get("gp").close();
        dMeans.close();
        if (ones != null) {
            ones.close();
        }
    }
}
