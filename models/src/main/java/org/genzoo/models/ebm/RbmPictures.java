package org.genzoo.models.ebm;

import java.awt.image.BufferedImage;
import org.genzoo.host.ops.Rng;
import org.genzoo.host.tensor.Tensor;
import org.genzoo.models.eval.ImageGrid;

/** PNG grids of an RBM over square images: learned filters, sample chains, conditional fill-in. */
final class RbmPictures {
    private RbmPictures() {
    }

    /** The first {@code count} hidden units' weight vectors, each scaled to [0, 1] by its own range. */
    static BufferedImage filters(Rbm rbm, int count, int side) {
        int d = rbm.visibleUnits();
        int h = rbm.hiddenUnits();
        int n = Math.min(count, h);
        float[] w = rbm.weights().value().toArray();
        float[] px = new float[n * d];
        for (int j = 0; j < n; j++) {
            float lo = Float.POSITIVE_INFINITY;
            float hi = Float.NEGATIVE_INFINITY;
            for (int i = 0; i < d; i++) {
                lo = Math.min(lo, w[i * h + j]);
                hi = Math.max(hi, w[i * h + j]);
            }
            for (int i = 0; i < d; i++) {
                px[j * d + i] = hi > lo ? (w[i * h + j] - lo) / (hi - lo) : 0.5f;
            }
        }
        return ImageGrid.render(px, n, side, side, (int) Math.ceil(Math.sqrt(n)), ImageGrid.Style.standard());
    }

    /**
     * {@code chains} rows, each a Gibbs chain from a random binary start shown as the visible means
     * after every {@code every} sweeps, {@code snapshots} columns. Gaussian units are shown mapped
     * back through the standardization and clamped to [0, 1].
     */
    static BufferedImage chains(Rbm rbm, int chains, int snapshots, int every, int side, Rng rng, Tensor mean, Tensor std) {
        int d = rbm.visibleUnits();
        int h = rbm.hiddenUnits();
        float[] px = new float[chains * snapshots * d];
        try (Tensor v = Tensor.empty(rbm.device(), chains, d); Tensor pv = Tensor.empty(rbm.device(), chains, d);
                Tensor ph = Tensor.empty(rbm.device(), chains, h); Tensor sh = Tensor.empty(rbm.device(), chains, h)) {
            rng.uniform(ph, 0);
            rng.bernoulli(sh, ph, 0);
            for (int s = 0; s < snapshots; s++) {
                for (int i = 0; i < every; i++) {
                    rbm.visibleStep(pv, v, sh, 1f, null, null, rng, 1);
                    rbm.hiddenStep(ph, sh, v, 1f, null, rng, 2);
                }
                float[] m = pv.toArray();
                float[] mu = mean == null ? null : mean.toArray();
                float[] sd = std == null ? null : std.toArray();
                for (int c = 0; c < chains; c++) {
                    for (int i = 0; i < d; i++) {
                        float x = m[c * d + i];
                        if (mu != null) {
                            x = Math.max(0f, Math.min(1f, x * sd[i] + mu[i]));
                        }
                        px[(c * snapshots + s) * d + i] = x;
                    }
                }
            }
        }
        return ImageGrid.render(px, chains * snapshots, side, side, snapshots, ImageGrid.Style.standard());
    }

    /**
     * Conditional sampling: each test image's top half is clamped, the bottom half starts at 0.5 noise
     * and is filled by {@code sweeps} Gibbs sweeps. Columns: the image, the masked input, the fill-in (means).
     */
    static BufferedImage fillIn(Rbm rbm, Tensor data, int sweeps, Rng rng) {
        int n = data.rows();
        int d = rbm.visibleUnits();
        int h = rbm.hiddenUnits();
        int side = (int) Math.round(Math.sqrt(d));
        int top = (side / 2) * side;
        float[] px = new float[n * 3 * d];
        float[] x = data.toArray();
        try (Tensor v = Tensor.empty(rbm.device(), n, d); Tensor pv = Tensor.empty(rbm.device(), n, d);
                Tensor ph = Tensor.empty(rbm.device(), n, h); Tensor sh = Tensor.empty(rbm.device(), n, h)) {
            rng.uniform(pv, 0);
            Tensor half = Tensor.empty(rbm.device(), n, d);
            half.fill(0.5f);
            rng.bernoulli(v, half, 0);
            half.close();
            v.cols(0, top).copyFrom(data.cols(0, top));
            for (int i = 0; i < sweeps; i++) {
                rbm.hiddenStep(ph, sh, v, 1f, null, rng, 1);
                rbm.visibleStep(pv, v, sh, 1f, null, null, rng, 2);
                v.cols(0, top).copyFrom(data.cols(0, top));
            }
            float[] m = pv.toArray();
            for (int r = 0; r < n; r++) {
                for (int i = 0; i < d; i++) {
                    px[(r * 3) * d + i] = x[r * d + i];
                    px[(r * 3 + 1) * d + i] = i < top ? x[r * d + i] : 0.5f;
                    px[(r * 3 + 2) * d + i] = i < top ? x[r * d + i] : m[r * d + i];
                }
            }
        }
        return ImageGrid.render(px, n * 3, side, side, 6, ImageGrid.Style.standard());
    }
}
