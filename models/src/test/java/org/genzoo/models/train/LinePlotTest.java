package org.genzoo.models.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.image.BufferedImage;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Plots a person can read: every point inside the frame (the first ones too), legends beside the lines, one panel per metric. */
class LinePlotTest {
    /** Antialiasing blends a 1.6-pixel line with the background; its centre pixel stays within this of the pure colour. */
    static final int COLOUR_TOL = 60;

    static FontMetrics metrics() {
        BufferedImage img = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
        return img.createGraphics().getFontMetrics(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
    }

    /** A training loss that starts high: 1000 at step 10, then 100 falling to about 10. */
    static LinePlot.Series spikyLoss() {
        int n = 50;
        double[] x = new double[n];
        double[] y = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = 10 * (i + 1);
            y[i] = i == 0 ? 1000 : 100 * Math.pow(0.95, i);
        }
        return new LinePlot.Series("loss", x, y);
    }

    static boolean near(int rgb, Color c) {
        Color p = new Color(rgb);
        return Math.abs(p.getRed() - c.getRed()) + Math.abs(p.getGreen() - c.getGreen()) + Math.abs(p.getBlue() - c.getBlue())
                <= COLOUR_TOL;
    }

    @Test
    void theFirstPointsAreDrawnInsideTheFrame() {
        LinePlot.Series s = spikyLoss();
        LinePlot.Layout lay = LinePlot.layout(metrics(), 0, 0, 800, 500, List.of(s), false, true);
        assertTrue(lay.log(), "1000 / 9 spans more than " + LinePlot.LOG_RATIO + ": log axis");
        for (int i = 0; i < s.x().length; i++) {
            double px = lay.px(s.x()[i]);
            double py = lay.py(s.y()[i]);
            assertTrue(px > lay.plot().x + 2 && px < lay.plot().x + lay.plot().width - 2, "x of point " + i + ": " + px);
            assertTrue(py > lay.plot().y + 2 && py < lay.plot().y + lay.plot().height - 2, "y of point " + i + ": " + py);
        }
        BufferedImage img = LinePlot.render(800, 500, "t", "step", "loss", List.of(s));
        int px = (int) Math.round(lay.px(s.x()[0]));
        int py = (int) Math.round(lay.py(s.y()[0]));
        boolean drawn = false;
        for (int dy = -1; dy <= 1; dy++) {
            for (int dx = -1; dx <= 1; dx++) {
                drawn |= near(img.getRGB(px + dx, py + dy), LinePlot.PALETTE[0]);
            }
        }
        assertTrue(drawn, "the first point (step 10, loss 1000) is drawn at " + px + ", " + py);
    }

    @Test
    void aLinearAxisWhenTheRangeIsNarrow() {
        LinePlot.Series s = new LinePlot.Series("nll", new double[] {1, 2, 3}, new double[] {3.3, 3.0, 2.9});
        LinePlot.Layout lay = LinePlot.layout(metrics(), 0, 0, 800, 500, List.of(s), false, true);
        assertFalse(lay.log());
        assertTrue(lay.yr()[0] < 2.9 && lay.yr()[1] > 3.3, "the whole range, padded");
    }

    @Test
    void theLegendSitsBesideThePlotNotOverIt() {
        double[] x = {0, 100, 200, 300};
        List<LinePlot.Series> two = List.of(new LinePlot.Series("train loss with a long name", x, new double[] {1, 2, 3, 4}),
                new LinePlot.Series("validation", x, new double[] {4, 3, 2, 1}));
        LinePlot.Layout lay = LinePlot.layout(metrics(), 0, 0, 800, 500, two, true, true);
        assertFalse(lay.legend().isEmpty());
        assertFalse(lay.legend().intersects(lay.plot()), lay.legend() + " overlaps " + lay.plot());
        assertTrue(lay.legend().x + lay.legend().width <= 800, "inside the image");
    }

    @Test
    void panelsGiveEachMetricItsOwnAxes() {
        double[] x = {100, 200, 300};
        List<LinePlot.Series> m = List.of(new LinePlot.Series("active_units", x, new double[] {4, 4, 4}),
                new LinePlot.Series("elbo", x, new double[] {-222, -202, -190}),
                new LinePlot.Series("nll", x, new double[] {217, 199, 186}, new double[] {3, 4, 3}));
        BufferedImage img = LinePlot.renderPanels("eval", "step", m);
        assertEquals(2 * 420, img.getWidth(), "two columns");
        assertEquals(34 + 2 * 270, img.getHeight(), "two rows");
        LinePlot.Layout units = LinePlot.layout(metrics(), 0, 34, 420, 270, List.of(m.get(0)), false, false);
        assertTrue(units.yr()[0] > 3 && units.yr()[1] < 5, "active units on their own axis: " + units.yr()[0] + ".." + units.yr()[1]);
    }
}
