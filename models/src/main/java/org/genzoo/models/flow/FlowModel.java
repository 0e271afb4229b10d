package org.genzoo.models.flow;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.genzoo.host.Device;
import org.genzoo.host.autograd.F;
import org.genzoo.host.autograd.Param;
import org.genzoo.host.autograd.Tape;
import org.genzoo.host.autograd.Var;
import org.genzoo.host.ops.Elementwise;
import org.genzoo.host.ops.Reduce;
import org.genzoo.host.ops.Rng;
import org.genzoo.host.tensor.Tensor;
import org.genzoo.models.data.Dataset;
import org.genzoo.models.eval.DensityPanels;
import org.genzoo.models.eval.ImageGrid;
import org.genzoo.models.train.ModelState;
import org.genzoo.models.train.TrainableModel;

/**
 * A {@link Flow} under the trainer, trained by maximum likelihood (forward KL). For image data
 * with {@code dequantize}, each batch is dequantized and logit-transformed on the device (see
 * {@link FlowFamily}); the loss is then the negative log-density of the dequantized pixels in
 * [0, 256)^D, nats per example, so it reads directly as bits/dim after / (D ln 2).
 *
 * <p>Evaluation: {@code nll} (nats per example, mean over the split, with {@code nll_stderr}), and
 * for dequantized images {@code bits_per_dim} (one uniform dequantization sample per image, drawn
 * from the evaluation seed). Pictures: for 2-D data the model density on a grid beside a histogram
 * of the last evaluated split and a scatter of samples; for square images sample grids at each
 * temperature of the spec.
 */
final class FlowModel implements TrainableModel {
    static final int NOISE_STREAM = 0;
    static final int SAMPLE_STREAM = 2;
    /** Rows per evaluation chunk. */
    static final int EVAL_CHUNK = 1000;
    /** The 2-D pictures cover [−PLOT_RANGE, PLOT_RANGE]² (every FFJORD toy fits). */
    static final double PLOT_RANGE = 4.5;
    static final int GRID = 160;
    /** Grid points per log-density call when drawing: bounds the picture's working set. */
    static final int PICTURE_ROWS = 2048;

    private final Flow flow;
    private final FlowFamily.Config config;
    private final Device device;
    private final Rng rng;
    private final long pictureSeed = 4242;
    private boolean initialized;
    private Dataset lastSplit;

    FlowModel(Flow flow, FlowFamily.Config config, long seed) {
        this.flow = flow;
        this.config = config;
        this.device = flow.device();
        this.rng = new Rng(seed);
    }

    Flow flow() {
        return flow;
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
     * The model's input for a batch in [0, 1] and the per-row log-det of the preprocessing
     * (B x 1; null without dequantization), on the active tape.
     *  y = (255·x + u)/256, p = α + (1 − 2α)·y, w = log p − log(1 − p);
     *  log|dw/dv| per pixel = log(1 − 2α) − log p − log(1 − p) − log 256.
     */
    private Var[] preprocess(Tape t, Tensor batch, Rng noise, int stream) {
        if (!config.dequantize()) {
            return new Var[] {t.constant(batch), null};
        }
        int b = batch.rows();
        int d = batch.cols();
        double a = config.logitAlpha();
        Tensor y = t.alloc(b, d);
        noise.uniform(y, stream);
        Elementwise.axpby(y, 255f / 256f, batch, 1f / 256f);
        Tensor p = t.alloc(b, d);
        Tensor q = t.alloc(b, d);
        Tensor row = t.alloc(1, d);
        row.fill((float) a);
        Elementwise.scale(p, y, (float) (1 - 2 * a));
        Elementwise.addRow(p, p, row);
        row.fill(1f);
        Elementwise.scale(q, p, -1f);
        Elementwise.addRow(q, q, row);
        Elementwise.log(p, p);
        Elementwise.log(q, q);
        Tensor w = t.alloc(b, d);
        Elementwise.sub(w, p, q);
        Tensor s = t.alloc(b, d);
        Elementwise.add(s, p, q);
        Tensor ld = t.alloc(b, 1);
        Reduce.rows(Reduce.Op.SUM, ld, s);
        Tensor shift = t.alloc(b, 1);
        shift.fill((float) (d * (Math.log(1 - 2 * a) - Math.log(256))));
        Elementwise.axpby(ld, 1f, shift, -1f);
        return new Var[] {t.constant(w), t.constant(ld)};
    }

    /** log p per example (B x 1) of a batch in data space (dequantized pixels in [0, 256)^D for images). */
    private Var logProb(Tape t, Tensor batch, Rng noise, int stream) {
        Var[] in = preprocess(t, batch, noise, stream);
        Var lp = flow.logProb(in[0]);
        return in[1] == null ? lp : F.add(lp, in[1]);
    }

    @Override
    public Var loss(Tape tape, Tensor batch, long step) {
        if (!initialized) {
            if (step == 0) {
                try (Tape t = Tape.noGrad(device)) {
                    flow.initialize(preprocess(t, batch, new Rng(rng.seed() + 1), NOISE_STREAM)[0].value());
                }
            }
            initialized = true;
        }
        return F.scale(F.mean(logProb(tape, batch, rng, NOISE_STREAM)), -1f);
    }

    @Override
    public Map<String, Double> evaluate(Dataset split, long seed) {
        lastSplit = split;
        int n = split.size();
        int d = split.dim();
        Rng noise = new Rng(seed);
        double sum = 0;
        double sq = 0;
        for (int from = 0; from < n; from += EVAL_CHUNK) {
            int to = Math.min(n, from + EVAL_CHUNK);
            float[] rows = java.util.Arrays.copyOfRange(split.x(), from * d, to * d);
            try (Tape t = Tape.noGrad(device); Tensor x = Tensor.of(device, to - from, d, rows)) {
                float[] lp = logProb(t, x, noise, 0).value().toArray();
                for (float v : lp) {
                    sum -= v;
                    sq += (double) v * v;
                }
            }
        }
        double mean = sum / n;
        Map<String, Double> out = new LinkedHashMap<>();
        out.put("nll", mean);
        out.put("nll_stderr", Math.sqrt(Math.max(0, sq / n - mean * mean) / n));
        if (config.dequantize()) {
            out.put("bits_per_dim", mean / (d * Math.log(2)));
        }
        return out;
    }

    @Override
    public void writePictures(Path dir, String tag) {
        try {
            if (flow.dim() == 2) {
                ImageGrid.writePng(picture2d(tag), dir.resolve("density-" + tag + ".png"));
                return;
            }
            int side = (int) Math.round(Math.sqrt(flow.dim()));
            if (side * side != flow.dim()) {
                return;
            }
            boolean sequential = flow.layers().stream().anyMatch(l -> l instanceof AutoregressiveLayer a && !a.isIaf());
            int count = sequential ? 25 : 64;
            int columns = sequential ? 5 : 8;
            for (double temp : config.temperatures()) {
                float[] px;
                try (Tensor s = flow.sample(count, temp, new Rng(pictureSeed), SAMPLE_STREAM)) {
                    px = s.toArray();
                }
                if (config.dequantize()) {
                    double a = config.logitAlpha();
                    for (int i = 0; i < px.length; i++) {
                        double p = 1 / (1 + Math.exp(-px[i]));
                        px[i] = (float) Math.min(1, Math.max(0, (p - a) / (1 - 2 * a)));
                    }
                }
                ImageGrid.writePng(ImageGrid.render(px, count, side, side, columns, ImageGrid.Style.standard()),
                        dir.resolve(String.format(Locale.ROOT, "samples-T%.2f-%s.png", temp, tag)));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Three titled panels with axes: model density on a grid, histogram of the last evaluated split, 2,000 samples. */
    private BufferedImage picture2d(String tag) {
        int g = GRID;
        float[] px = new float[3 * g * g];
        float[] grid = new float[g * g * 2];
        for (int r = 0; r < g; r++) {
            for (int c = 0; c < g; c++) {
                grid[2 * (r * g + c)] = (float) (-PLOT_RANGE + (c + 0.5) * 2 * PLOT_RANGE / g);
                grid[2 * (r * g + c) + 1] = (float) (PLOT_RANGE - (r + 0.5) * 2 * PLOT_RANGE / g);
            }
        }
        // The grid in slices of PICTURE_ROWS points: a flow's log-density holds its intermediates for every row
        // at once (an i-ResNet's series terms on all 25,600 points were about 800 MiB of host memory).
        float[] lp = new float[g * g];
        for (int from = 0; from < g * g; from += PICTURE_ROWS) {
            int n = Math.min(PICTURE_ROWS, g * g - from);
            try (Tape t = Tape.noGrad(device);
                    Tensor x = Tensor.of(device, n, 2, java.util.Arrays.copyOfRange(grid, 2 * from, 2 * (from + n)))) {
                System.arraycopy(flow.logProb(t.constant(x)).value().toArray(), 0, lp, from, n);
            }
        }
        // Grey level p / p_99.5% (clipped): a few sharp spikes would otherwise leave the rest black.
        double[] dens = new double[g * g];
        for (int i = 0; i < dens.length; i++) {
            dens[i] = Math.exp(lp[i]);
        }
        double[] sorted = dens.clone();
        java.util.Arrays.sort(sorted);
        double top = sorted[(int) (0.995 * (sorted.length - 1))];
        for (int i = 0; i < g * g; i++) {
            px[i] = (float) (top > 0 ? Math.min(1, dens[i] / top) : 0);
        }
        if (lastSplit != null) {
            histogram(lastSplit.x(), px, g * g);
        }
        float[] s;
        try (Tensor t = flow.sample(2000, 1.0, new Rng(pictureSeed), SAMPLE_STREAM)) {
            s = t.toArray();
        }
        histogram(s, px, 2 * g * g);
        return DensityPanels.render(px, g, PLOT_RANGE, List.of("model density p(x)", lastSplit == null ? "data: none evaluated yet"
                : "data: " + lastSplit.size() + " of " + lastSplit.name(), "2,000 samples of the model"),
                "flow density, " + figureTag(tag), "x1", "x2");
    }

    /** "step 500" for the trainer's "step-00000500" tags, else the tag. */
    static String figureTag(String tag) {
        return tag.matches("step-\\d+") ? "step " + Long.parseLong(tag.substring(5)) : tag;
    }

    /** A normalized 2-D histogram of points (x, y pairs) on the plot grid into px[offset, offset + GRID²). */
    static void histogram(float[] pts, float[] px, int offset) {
        int g = GRID;
        int[] counts = new int[g * g];
        int max = 0;
        for (int i = 0; i + 1 < pts.length; i += 2) {
            int c = (int) Math.floor((pts[i] + PLOT_RANGE) / (2 * PLOT_RANGE) * g);
            int r = (int) Math.floor((PLOT_RANGE - pts[i + 1]) / (2 * PLOT_RANGE) * g);
            if (c >= 0 && c < g && r >= 0 && r < g) {
                max = Math.max(max, ++counts[r * g + c]);
            }
        }
        for (int i = 0; i < g * g; i++) {
            px[offset + i] = max == 0 ? 0 : (float) Math.min(1, counts[i] / (0.5 * max));
        }
    }

    /** The i-ResNet blocks' power-iteration vectors and Hutchinson counters (other layers hold no state). */
    @Override
    public ModelState state() {
        ModelState s = new ModelState();
        for (FlowLayer l : flow.layers()) {
            if (l instanceof IResNet r) {
                s.include("", r.state());
            }
        }
        return s;
    }

    @Override
    public Rng rng() {
        return rng;
    }

    @Override
    public void restoreRngCounters(Map<Integer, Long> counters) {
        TrainableModel.super.restoreRngCounters(counters);
        initialized = true;
    }

    @Override
    public void close() {
        flow.close();
    }
}
