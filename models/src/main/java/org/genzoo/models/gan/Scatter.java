package org.genzoo.models.gan;

import java.awt.image.BufferedImage;
import org.genzoo.models.eval.ImageGrid;

/**
 * 2-D points as grey histograms on [−{@link #RANGE}, {@link #RANGE}]², data beside samples (or
 * domain A, its translation, domain B for CycleGAN): one cell per point set.
 */
public final class Scatter {
    /** Half the side of the plotted square: the 25-Gaussian grid reaches ±4.15. */
    public static final double RANGE = 5;
    /** Cells per side of each histogram. */
    public static final int GRID = 160;

    private Scatter() {
    }

    /** Renders the given point sets (each row-major n x 2; a null set leaves its cell empty) side by side. */
    public static BufferedImage render(float[]... sets) {
        int g = GRID;
        float[] px = new float[sets.length * g * g];
        for (int k = 0; k < sets.length; k++) {
            if (sets[k] != null) {
                histogram(sets[k], px, k * g * g);
            }
        }
        return ImageGrid.render(px, sets.length, g, g, sets.length, new ImageGrid.Style(4, 2, 0.5f));
    }

    /** A histogram of points, normalized so a cell with a quarter of the fullest cell's count is white. */
    static void histogram(float[] pts, float[] px, int offset) {
        int g = GRID;
        int[] counts = new int[g * g];
        int max = 0;
        for (int i = 0; i + 1 < pts.length; i += 2) {
            int c = (int) Math.floor((pts[i] + RANGE) / (2 * RANGE) * g);
            int r = (int) Math.floor((RANGE - pts[i + 1]) / (2 * RANGE) * g);
            if (c >= 0 && c < g && r >= 0 && r < g) {
                max = Math.max(max, ++counts[r * g + c]);
            }
        }
        for (int i = 0; i < g * g; i++) {
            px[offset + i] = max == 0 ? 0 : (float) Math.min(1, counts[i] / (0.25 * max));
        }
    }
}
