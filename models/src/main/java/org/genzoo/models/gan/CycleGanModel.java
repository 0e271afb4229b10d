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
import org.genzoo.models.data.DatasetSplits;
import org.genzoo.models.data.Datasets;
import org.genzoo.models.data.DeviceDataset;
import org.genzoo.models.eval.ImageGrid;
import org.genzoo.models.train.ModelState;
import org.genzoo.models.train.ParamGroup;
import org.genzoo.models.train.Phase;
import org.genzoo.models.train.SpecError;
import org.genzoo.models.train.SpecReader;
import org.genzoo.models.train.StepContext;
import org.genzoo.models.train.TrainableModel;

/**
 * CycleGAN (Zhu et al. 2017) with MLPs on unpaired domains: A is the spec's data set, B the model's
 * {@code domainB} data set (same dimension; its batches are drawn by the model from its own seeded
 * order). Generators G: A → B and F: B → A ("generator" group), discriminators D_A and D_B
 * ("discriminator" group), least-squares adversarial losses as in the paper:
 * <pre>
 *   D:    ½ mean (D_B(b) − 1)² + ½ mean D_B(G(a))² + ½ mean (D_A(a) − 1)² + ½ mean D_A(F(b))²
 *   G, F: mean (D_B(G(a)) − 1)² + mean (D_A(F(b)) − 1)²
 *         + λ_cyc (mean |F(G(a)) − a| + mean |G(F(b)) − b|) + λ_id (mean |G(b) − b| + mean |F(a) − a|)
 * </pre>
 * (|x| is leaky ReLU with slope −1.) {@link #evaluate} reports the cycle reconstruction errors on
 * the held-out splits of both domains (mean absolute error per value) and writes translation grids.
 *
 * <pre>
 * {"family": "cyclegan", "domainB": "fashion-mnist", "generator": [256, 256], "discriminator": [256],
 *  "activation": "relu", "output": "sigmoid", "cycle": 10, "identity": 5}
 * </pre>
 * Domain B's batch order (its {@link DeviceDataset.State}) is model state ({@code domain_b.order}), so a
 * resumed run draws the domain-B batches the uninterrupted one would have.
 */
public final class CycleGanModel implements TrainableModel {
    /** Held-out examples per domain for the cycle error. */
    public static final int EVAL_N = 2000;
    static final int B_SEED_SALT = 0x0b;
    /** 16-bit pieces per saved long: a float holds every integer up to 2^24 exactly. */
    private static final int PIECES = 4;
    /** The saved fields of domain B's order: seed, size, batch size, epoch, position, batches drawn, binarize counter. */
    private static final int FIELDS = 7;

    record Config(String domainB, int[] generator, int[] discriminator, GanNet.Act hidden, float slope, GanNet.Act output,
            float cycle, float identity, GanNet.Init init) {
    }

    private final Device device;
    private final Config config;
    private final int dim;
    private final GanNet gAB;
    private final GanNet gBA;
    private final GanNet dA;
    private final GanNet dB;
    private final DatasetSplits domainB;
    private final long seed;
    private DeviceDataset batchesB;
    /** Domain B's order as exact 16-bit pieces (1 x FIELDS·PIECES), kept current after every draw: model state. */
    private final Tensor orderB;
    /** A restored order waiting for the first draw (which knows the batch size). */
    private DeviceDataset.State pendingB;
    private Dataset lastSplitA;

    static Config read(JsonNode model, String pointer, List<SpecError> errors) {
        int before = errors.size();
        SpecReader r = new SpecReader(model, pointer, errors);
        r.string("family", "cyclegan", true);
        String b = r.string("domainB", null, true);
        int[] g = GanConfig.hiddenSizes(r, "generator", errors, pointer);
        int[] d = GanConfig.hiddenSizes(r, "discriminator", errors, pointer);
        String act = r.oneOf("activation", "relu", false, GanNet.HIDDEN);
        double slope = r.number("slope", 0.2, 0, false, 1, false);
        String out = r.oneOf("output", "linear", false, GanConfig.OUTPUTS);
        double cyc = r.number("cycle", 10.0, 0, false, 1e4, false);
        double id = r.number("identity", 0.0, 0, false, 1e4, false);
        String start = r.oneOf("init", "he", false, GanNet.INITS);
        r.finish();
        if (b != null && !(b.equals("mnist") || b.equals("fashion-mnist") || org.genzoo.models.data.Toys.isToy(b)
                || b.startsWith("idx:") && b.length() > 4)) {
            errors.add(new SpecError(SpecReader.pointer(pointer, "domainB"), "one of mnist, fashion-mnist, idx:<folder>, toy:<name>",
                    SpecReader.describe(model.get("domainB"))));
        }
        return errors.size() > before ? null
                : new Config(b, g, d, GanNet.Act.parse(act), (float) slope, GanNet.Act.parse(out), (float) cyc, (float) id,
                        GanNet.Init.parse(start));
    }

    CycleGanModel(Device device, Config c, int dim, long seed) {
        this.device = device;
        this.config = c;
        this.dim = dim;
        this.seed = seed;
        try {
            this.domainB = Datasets.load(c.domainB(), null);
        } catch (IOException e) {
            throw new UncheckedIOException("cyclegan: cannot load domainB " + c.domainB() + ": " + e.getMessage(), e);
        }
        if (domainB.train().dim() != dim) {
            throw new IllegalArgumentException("cyclegan: domainB " + c.domainB() + " has " + domainB.train().dim()
                    + " values per example, domain A has " + dim + ": both domains need the same dimension");
        }
        SplittableRandom init = new SplittableRandom(seed);
        this.gAB = new GanNet(device, "g_ab", GanConfig.sizes(dim, c.generator(), dim), c.hidden(), c.output(), c.slope(), false,
                c.init(), init);
        this.gBA = new GanNet(device, "g_ba", GanConfig.sizes(dim, c.generator(), dim), c.hidden(), c.output(), c.slope(), false,
                c.init(), init);
        this.dA = new GanNet(device, "d_a", GanConfig.sizes(dim, c.discriminator(), 1), c.hidden(), GanNet.Act.LINEAR, c.slope(), false,
                c.init(), init);
        this.dB = new GanNet(device, "d_b", GanConfig.sizes(dim, c.discriminator(), 1), c.hidden(), GanNet.Act.LINEAR, c.slope(), false,
                c.init(), init);
        this.orderB = Tensor.zeros(device, 1, FIELDS * PIECES);
    }

    @Override
    public ModelState state() {
        return new ModelState().tensor("domain_b.order", orderB).onRestore(() -> {
            pendingB = decode(orderB.toArray());
            if (batchesB != null) {
                batchesB.restore(pendingB);
                pendingB = null;
            }
        });
    }

    /** Domain B's order as floats, each long in PIECES exact 16-bit pieces (low first). */
    static float[] encode(DeviceDataset.State s) {
        long[] v = {s.seed(), s.size(), s.batchSize(), s.epoch(), s.position(), s.batchesDrawn(), s.binarizeCounter()};
        float[] out = new float[FIELDS * PIECES];
        for (int i = 0; i < FIELDS; i++) {
            for (int k = 0; k < PIECES; k++) {
                out[i * PIECES + k] = (v[i] >>> (16 * k)) & 0xffff;
            }
        }
        return out;
    }

    /** The inverse of {@link #encode}; null for the all-zero tensor of a run that never drew from B. */
    static DeviceDataset.State decode(float[] f) {
        long[] v = new long[FIELDS];
        boolean any = false;
        for (int i = 0; i < FIELDS; i++) {
            for (int k = 0; k < PIECES; k++) {
                long piece = (long) f[i * PIECES + k];
                if (piece < 0 || piece > 0xffff || piece != f[i * PIECES + k]) {
                    throw new IllegalArgumentException("cyclegan: the checkpoint's domain_b.order holds " + f[i * PIECES + k]
                            + ", not a 16-bit piece: the checkpoint is damaged; resume from another one or start afresh");
                }
                v[i] |= piece << (16 * k);
                any |= piece != 0;
            }
        }
        return any ? new DeviceDataset.State(v[0], (int) v[1], (int) v[2], (int) v[3], (int) v[4], v[5], v[6]) : null;
    }

    @Override
    public String family() {
        return "cyclegan";
    }

    @Override
    public List<Param> params() {
        List<Param> ps = new ArrayList<>();
        for (GanNet n : List.of(gAB, gBA, dA, dB)) {
            ps.addAll(n.params());
        }
        return ps;
    }

    @Override
    public List<ParamGroup> groups() {
        List<Param> g = new ArrayList<>(gAB.params());
        g.addAll(gBA.params());
        List<Param> d = new ArrayList<>(dA.params());
        d.addAll(dB.params());
        return List.of(new ParamGroup(GanConfig.GENERATOR, g), new ParamGroup(GanConfig.DISCRIMINATOR, d));
    }

    @Override
    public List<Phase> phases() {
        return List.of(Phase.backward(GanConfig.DISCRIMINATOR, GanConfig.DISCRIMINATOR, this::discriminatorLoss),
                Phase.backward(GanConfig.GENERATOR, GanConfig.GENERATOR, this::generatorLoss));
    }

    /** The step's domain-B batch: drawn at the discriminator phase, reused by the generator phase. */
    private Tensor batchB(StepContext ctx, boolean draw) {
        if (batchesB == null) {
            batchesB = new DeviceDataset(device, domainB.train(), ctx.batchSize(), seed ^ B_SEED_SALT, false);
            if (pendingB != null) {
                batchesB.restore(pendingB);
                pendingB = null;
            }
        }
        if (draw || lastB == null) {
            lastB = batchesB.nextBatch();
            orderB.write(encode(batchesB.state()));
        }
        return lastB;
    }

    private Tensor lastB;

    /** mean (v − target)² over all values. */
    private static Var lsq(Tape t, Var v, float target) {
        Tensor c = t.alloc(v.rows(), v.cols());
        c.fill(target);
        return F.mean(F.square(F.sub(v, t.constant(c))));
    }

    /** mean |a − b|. */
    private static Var l1(Var a, Var b) {
        return F.mean(F.leakyRelu(F.sub(a, b), -1f));
    }

    Var discriminatorLoss(Tape t, StepContext ctx) {
        Tensor a = ctx.batch();
        Tensor b = batchB(ctx, true);
        Var av = t.constant(a);
        Var bv = t.constant(b);
        Var fakeB = gAB.forward(av, true);
        Var fakeA = gBA.forward(bv, true);
        Var lossB = F.add(lsq(t, dB.forward(bv), 1f), lsq(t, dB.forward(fakeB), 0f));
        Var lossA = F.add(lsq(t, dA.forward(av), 1f), lsq(t, dA.forward(fakeA), 0f));
        return F.scale(F.add(lossA, lossB), 0.5f);
    }

    Var generatorLoss(Tape t, StepContext ctx) {
        Tensor a = ctx.batch();
        Tensor b = batchB(ctx, false);
        Var av = t.constant(a);
        Var bv = t.constant(b);
        Var fakeB = gAB.forward(av);
        Var fakeA = gBA.forward(bv);
        Var adv = F.add(lsq(t, dB.forward(fakeB, true), 1f), lsq(t, dA.forward(fakeA, true), 1f));
        Var loss = adv;
        if (config.cycle() > 0) {
            Var cyc = F.add(l1(gBA.forward(fakeB), av), l1(gAB.forward(fakeA), bv));
            loss = F.add(loss, F.scale(cyc, config.cycle()));
        }
        if (config.identity() > 0) {
            Var id = F.add(l1(gAB.forward(bv), bv), l1(gBA.forward(av), av));
            loss = F.add(loss, F.scale(id, config.identity()));
        }
        return loss;
    }

    /** x → there → back, for n rows of x (host). */
    private float[][] cycle(GanNet there, GanNet back, float[] x, int n) {
        try (Tape t = Tape.noGrad(device); Tensor tx = Tensor.of(device, n, dim, java.util.Arrays.copyOf(x, n * dim))) {
            Var y = there.forward(t.constant(tx), true);
            Var r = back.forward(y, true);
            return new float[][] {y.value().toArray(), r.value().toArray()};
        }
    }

    private static double mae(float[] a, float[] b, int n) {
        double s = 0;
        for (int i = 0; i < n; i++) {
            s += Math.abs(a[i] - b[i]);
        }
        return s / n;
    }

    @Override
    public Map<String, Double> evaluate(Dataset splitA, long seed) {
        Map<String, Double> m = new LinkedHashMap<>();
        if (splitA == null) {
            return m;
        }
        lastSplitA = splitA;
        Dataset splitB = domainB.get(splitA.name().endsWith("/validation") ? org.genzoo.models.data.Split.VALIDATION
                : org.genzoo.models.data.Split.TEST);
        int na = Math.min(EVAL_N, splitA.size());
        int nb = Math.min(EVAL_N, splitB.size());
        float[][] aba = cycle(gAB, gBA, splitA.x(), na);
        float[][] bab = cycle(gBA, gAB, splitB.x(), nb);
        m.put("cycle_mae_a", mae(aba[1], splitA.x(), na * dim));
        m.put("cycle_mae_b", mae(bab[1], splitB.x(), nb * dim));
        return m;
    }

    @Override
    public void writePictures(Path dir, String tag) {
        if (lastSplitA == null) {
            return;
        }
        Dataset splitB = domainB.test();
        try {
            if (dim == 2) {
                float[][] ab = cycle(gAB, gBA, lastSplitA.x(), Math.min(5000, lastSplitA.size()));
                float[][] ba = cycle(gBA, gAB, splitB.x(), Math.min(5000, splitB.size()));
                ImageGrid.writePng(Scatter.render(java.util.Arrays.copyOf(lastSplitA.x(), ab[0].length), ab[0], ab[1],
                        java.util.Arrays.copyOf(splitB.x(), ba[0].length), ba[0], ba[1]), dir.resolve("translation-" + tag + ".png"));
                return;
            }
            int side = (int) Math.round(Math.sqrt(dim));
            if (side * side != dim) {
                return;
            }
            // Rows of 8: a, G(a), F(G(a)), then b, F(b), G(F(b)).
            int n = 8;
            float[][] ab = cycle(gAB, gBA, lastSplitA.x(), n);
            float[][] ba = cycle(gBA, gAB, splitB.x(), n);
            float[] px = new float[6 * n * dim];
            System.arraycopy(lastSplitA.x(), 0, px, 0, n * dim);
            System.arraycopy(ab[0], 0, px, n * dim, n * dim);
            System.arraycopy(ab[1], 0, px, 2 * n * dim, n * dim);
            System.arraycopy(splitB.x(), 0, px, 3 * n * dim, n * dim);
            System.arraycopy(ba[0], 0, px, 4 * n * dim, n * dim);
            System.arraycopy(ba[1], 0, px, 5 * n * dim, n * dim);
            ImageGrid.writePng(ImageGrid.render(px, 6 * n, side, side, n, ImageGrid.Style.standard()), dir.resolve("translation-" + tag + ".png"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public Rng rng() {
        return null; // deterministic training: no noise to resume
    }

    @Override
    public void close() {
        for (GanNet n : List.of(gAB, gBA, dA, dB)) {
            n.close();
        }
        if (batchesB != null) {
            batchesB.close();
        }
        orderB.close();
    }
}
