package org.genzoo.models.eval;

import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.AffineTransform;
import java.awt.image.BufferedImage;
import java.util.List;
import java.util.Locale;

/**
 * Square 2-D pictures (a density on a grid, a histogram of points) side by side, each with its
 * title above it and its own axes: ticks and numbers for both coordinates on [−range, range], and
 * the axis names. Grey levels in [0, 1] as in {@link ImageGrid} (0 black, 1 white). Row r of a
 * panel is the coordinate x2 = range − (r + ½)·2·range/g (top row is the largest x2), column c is
 * x1 = −range + (c + ½)·2·range/g.
 */
public final class DensityPanels {
    static final int SCALE = 2;
    static final int LEFT = 48;
    static final int GAP = 56;
    static final int TOP = 62;
    static final int BOTTOM = 48;

    static {
        System.setProperty("java.awt.headless", "true");
    }

    private DensityPanels() {
    }

    /**
     * @param pixels  titles.size() panels of g x g grey levels, back to back
     * @param range   the panels cover [−range, range]² in the axis units
     * @param title   the figure's title, above the panels
     * @param xName   name of the horizontal coordinate (e.g. "x1")
     * @param yName   name of the vertical coordinate
     */
    public static BufferedImage render(float[] pixels, int g, double range, List<String> titles, String title, String xName,
            String yName) {
        int n = titles.size();
        if (pixels.length < (long) n * g * g) {
            throw new IllegalArgumentException(n + " panels of " + g + " x " + g + " need " + (long) n * g * g + " values, got "
                    + pixels.length);
        }
        int side = g * SCALE;
        int width = LEFT + n * side + (n - 1) * GAP + 24;
        int height = TOP + side + BOTTOM;
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D gr = img.createGraphics();
        try {
            gr.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            gr.setColor(Color.WHITE);
            gr.fillRect(0, 0, width, height);
            gr.setColor(Color.BLACK);
            gr.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
            gr.drawString(title, (width - gr.getFontMetrics().stringWidth(title)) / 2, 22);
            for (int p = 0; p < n; p++) {
                int x0 = LEFT + p * (side + GAP);
                for (int r = 0; r < g; r++) {
                    for (int c = 0; c < g; c++) {
                        int v = ImageGrid.toByte(pixels[p * g * g + r * g + c]);
                        gr.setColor(new Color(v, v, v));
                        gr.fillRect(x0 + c * SCALE, TOP + r * SCALE, SCALE, SCALE);
                    }
                }
                axes(gr, x0, side, range, titles.get(p), xName, yName);
            }
        } finally {
            gr.dispose();
        }
        return img;
    }

    private static void axes(Graphics2D gr, int x0, int side, double range, String title, String xName, String yName) {
        gr.setColor(Color.BLACK);
        gr.drawRect(x0 - 1, TOP - 1, side + 1, side + 1);
        gr.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 13));
        FontMetrics tf = gr.getFontMetrics();
        gr.drawString(title, x0 + (side - tf.stringWidth(title)) / 2, TOP - 10);
        gr.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        FontMetrics fm = gr.getFontMetrics();
        double step = range >= 4 ? 2 : range >= 2 ? 1 : 0.5;
        for (double t = -Math.floor(range / step) * step; t <= range + 1e-9; t += step) {
            String s = label(t);
            int px = x0 + (int) Math.round((t + range) / (2 * range) * side);
            gr.drawLine(px, TOP + side, px, TOP + side + 4);
            gr.drawString(s, px - fm.stringWidth(s) / 2, TOP + side + 16);
            int py = TOP + (int) Math.round((range - t) / (2 * range) * side);
            gr.drawLine(x0 - 5, py, x0 - 1, py);
            gr.drawString(s, x0 - 8 - fm.stringWidth(s), py + fm.getAscent() / 2 - 1);
        }
        gr.drawString(xName, x0 + (side - fm.stringWidth(xName)) / 2, TOP + side + 34);
        AffineTransform saved = gr.getTransform();
        gr.rotate(-Math.PI / 2);
        gr.drawString(yName, -(TOP + (side + fm.stringWidth(yName)) / 2), x0 - 30);
        gr.setTransform(saved);
    }

    static String label(double t) {
        return t == Math.rint(t) ? String.format(Locale.ROOT, "%.0f", t) : String.format(Locale.ROOT, "%.1f", t);
    }
}
