package org.genzoo.models.eval;

import java.awt.image.BufferedImage;
import org.genzoo.host.Device;
import org.genzoo.host.autograd.Tape;
import org.genzoo.host.tensor.Tensor;
import org.genzoo.models.vae.LatentModel;
import org.genzoo.models.vae.Vae;

/**
 * The usual pictures of a latent-variable model, as {@link ImageGrid}s of h x w grey images
 * (D = h·w): samples, reconstructions and latent interpolations. Bernoulli models show their
 * probabilities as grey levels (the decoder mean), not binary draws. Write them with
 * {@link ImageGrid#writePng}. Sampling noise is pinned to the given seed ({@link EvalNoise}).
 */
public final class Pictures {
    private Pictures() {
    }

    /** An n x n grid of {@link LatentModel#sample} images. */
    public static BufferedImage samples(LatentModel model, int n, int h, int w, long seed, ImageGrid.Style style) {
        checkShape(model, h, w);
        if (n < 1) {
            throw new IllegalArgumentException("grid side must be positive, got " + n);
        }
        float[] px;
        try (EvalNoise noise = new EvalNoise(model.rng(), seed); Tensor x = model.sample(n * n)) {
            px = x.toArray();
        }
        return ImageGrid.render(px, n * n, h, w, n, style);
    }

    /**
     * Originals and their reconstructions ({@link LatentModel#reconstruct}, the decoder mean at the
     * posterior mean) in pairs of rows: a row of {@code columns} originals, then the row of their
     * reconstructions, and so on for all B rows of {@code x} (B x D).
     */
    public static BufferedImage reconstructions(LatentModel model, Tensor x, int columns, int h, int w, ImageGrid.Style style) {
        checkShape(model, h, w);
        if (columns < 1) {
            throw new IllegalArgumentException("columns must be positive, got " + columns);
        }
        int b = x.rows();
        int d = h * w;
        float[] orig = x.toArray();
        float[] rec;
        try (Tensor r = model.reconstruct(x)) {
            rec = r.toArray();
        }
        int pairs = (b + columns - 1) / columns;
        float[] px = new float[2 * pairs * columns * d];
        java.util.Arrays.fill(px, style.background());
        for (int i = 0; i < b; i++) {
            int row = i / columns;
            int col = i % columns;
            System.arraycopy(orig, i * d, px, ((2 * row) * columns + col) * d, d);
            System.arraycopy(rec, i * d, px, ((2 * row + 1) * columns + col) * d, d);
        }
        return ImageGrid.render(px, 2 * pairs * columns, h, w, columns, style);
    }

    /**
     * One row per pair (from[i], to[i]): the decoder mean at z = (1 − t)·E q(z|from) + t·E q(z|to)
     * for {@code steps} values of t evenly from 0 to 1 (both ends included).  from, to: P x D.
     */
    public static BufferedImage interpolations(Vae model, Tensor from, Tensor to, int steps, int h, int w, ImageGrid.Style style) {
        checkShape(model, h, w);
        from.requireShape(to, "interpolation endpoints");
        if (steps < 2) {
            throw new IllegalArgumentException("an interpolation needs at least 2 steps, got " + steps);
        }
        int p = from.rows();
        int l = model.latentDim();
        float[] za;
        float[] zb;
        try (Tensor a = model.encodeMean(from); Tensor b = model.encodeMean(to)) {
            za = a.toArray();
            zb = b.toArray();
        }
        float[] z = new float[p * steps * l];
        for (int i = 0; i < p; i++) {
            for (int s = 0; s < steps; s++) {
                double t = s / (double) (steps - 1);
                for (int u = 0; u < l; u++) {
                    z[(i * steps + s) * l + u] = (float) ((1 - t) * za[i * l + u] + t * zb[i * l + u]);
                }
            }
        }
        Device dev = model.device();
        float[] px;
        try (Tensor zt = Tensor.of(dev, p * steps, l, z); Tape t = Tape.noGrad(dev)) {
            px = model.decoder().mean(t.constant(zt)).value().toArray();
        }
        return ImageGrid.render(px, p * steps, h, w, steps, style);
    }

    private static void checkShape(LatentModel model, int h, int w) {
        if (h < 1 || w < 1 || h * w != model.dataDim()) {
            throw new IllegalArgumentException("images of " + h + " x " + w + " do not match the model's D = " + model.dataDim());
        }
    }
}
