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
import org.genzoo.host.autograd.F;
import org.genzoo.host.autograd.Param;
import org.genzoo.host.autograd.Tape;
import org.genzoo.host.autograd.Var;
import org.genzoo.host.ops.Elementwise;
import org.genzoo.host.ops.Optim;
import org.genzoo.host.ops.Reduce;
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
    /** The per-row loss weights of the discriminator update (2B x 1), filled once per batch size. */
    private Tensor sign;
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
        if (sign == null || sign.rows() != 2 * b) {
            if (sign != null) {
                sign.close();
            }
            sign = Tensor.empty(device, 2 * b, 1);
            if (config.wasserstein()) {
                sign.rows(0, b).fill(-1f / b);
                sign.rows(b, 2 * b).fill(1f / b);
            } else {
                sign.rows(0, b).fill(1f);
                sign.rows(b, 2 * b).fill(-1f);
            }
        }
        Var loss;
        if (config.wasserstein()) {
            // mean f(fake) − mean f(real) as Σ w ⊙ f with w = −1/B on real rows, +1/B on fake rows.
            loss = F.sum(F.mul(out, t.constant(sign)));
        } else {
            loss = config.loss().equals(GanConfig.HINGE) ? hingeLoss(t, out, t.constant(sign), b)
                    // −(1/B) Σ log σ(s ⊙ l), s = +1 real, −1 fake.
                    : F.scale(F.sum(F.logSigmoid(F.mul(out, t.constant(sign)))), -1f / b);
        }
        // d_real and d_fake: the 2B x 1 output read as 2 x B, one row mean each (one launch).
        Tensor o = out.value();
        if (o.ld() == 1) {
            Reduce.rows(Reduce.Op.MEAN, dMeans, Tensor.wrap(o.buffer(), o.offset(), 2, b, b));
        } else {
            for (int h = 0; h < 2; h++) {
                Tensor m = dMeans.rows(h, h + 1);
                Reduce.sumAll(m, o.rows(h * b, (h + 1) * b));
                Elementwise.scale(m, m, 1f / b);
            }
        }
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
            Var gp = GradientPenalty.at(t, discriminator::forward, xhat, config.lambda(), ones, terms.get("gp"));
            loss = F.add(loss, gp);
        }
        return loss;
    }

    /**
     * The hinge loss of the discriminator (Lim and Ye 2017; Miyato et al. 2018):
     * (1/B) Σ_rows max(0, 1 − s ⊙ l) = mean max(0, 1 − l_real) + mean max(0, 1 + l_fake), with
     * s = +1 on the B real rows and −1 on the B fake rows of the logits l (2B x 1).
     */
    static Var hingeLoss(Tape t, Var logits, Var sign, int b) {
        Tensor one = t.alloc(logits.value().rows(), 1);
        one.fill(1f);
        return F.scale(F.sum(F.relu(F.sub(t.constant(one), F.mul(logits, sign)))), 1f / b);
    }

    Var generatorLoss(Tape t, StepContext ctx) {
        clampCritic();
        int b = ctx.batchSize();
        Var fake = generator.forward(t.constant(noise(t, b, STREAM_Z_GENERATOR)));
        Var out = discriminator.forward(fake, true);
        if (config.wasserstein() || config.loss().equals(GanConfig.HINGE)) {
            // −mean l_fake (the hinge discriminator's generator loss is the Wasserstein one), as one
            // scale of the sum by −1/B: bitwise −(sum·(1/B)), one launch (and its backward) fewer.
            return F.scale(F.sum(out), -1f / b);
        }
        if (config.loss().equals(GanConfig.MINIMAX)) {
            return F.mean(F.logSigmoid(F.scale(out, -1f)));
        }
        return F.scale(F.sum(F.logSigmoid(out)), -1f / b);
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
    public Map<Integer, Long> rngCounters() {
        return rng.counters();
    }

    @Override
    public void restoreRngCounters(Map<Integer, Long> counters) {
        rng.restoreCounters(counters);
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
        if (sign != null) {
            sign.close();
        }
        if (ones != null) {
            ones.close();
        }
    }
}
