package org.genzoo.models.train;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.AffineTransform;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import javax.imageio.stream.MemoryCacheImageOutputStream;

/**
 * Line plots as PNG with java.awt (headless): axes with ticks and numbers, axis labels, a title, and
 * a legend beside the plot (never over the lines). The y range covers every finite point, the first
 * ones included, widened by 5%; when all values are positive and span a factor of
 * {@value #LOG_RATIO} or more the y axis is logarithmic; the x range has 2% of air on each side, so an early spike does not flatten the rest.
 * {@link #writePanels} gives each series its own panel and axes (metrics of different units).
 */
public final class LinePlot {
    /** One curve. {@code x} and {@code y} have equal length; {@code err} (or null) is a ± band around y. */
    public record Series(String name, double[] x, double[] y, double[] err) {
        public Series(String name, double[] x, double[] y) {
            this(name, x, y, null);
        }
    }

    /** max/min of all-positive values from which the y axis is logarithmic. */
    static final double LOG_RATIO = 30;

    static final Color[] PALETTE = {new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c), new Color(0xff7f0e),
        new Color(0x9467bd), new Color(0x8c564b), new Color(0xe377c2), new Color(0x7f7f7f)};

    static {
        System.setProperty("java.awt.headless", "true");
    }

    private LinePlot() {
    }

    /** Renders all series on one pair of axes and writes atomically. */
    public static void write(Path file, String title, String xLabel, String yLabel, List<Series> series) throws IOException {
        writePng(file, render(800, 500, title, xLabel, yLabel, series));
    }

    /** One panel per series, each with its own y axis and the series name as its title, in a grid; writes atomically. */
    public static void writePanels(Path file, String title, String xLabel, List<Series> series) throws IOException {
        writePng(file, renderPanels(title, xLabel, series));
    }

    static void writePng(Path file, BufferedImage img) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        // An in-memory image stream: ImageIO's default for an OutputStream is a file cache whose first use
        // registers a JVM shutdown hook, which throws when a plot is drawn while the process is stopping.
        try (MemoryCacheImageOutputStream png = new MemoryCacheImageOutputStream(bytes)) {
            if (!ImageIO.write(img, "png", png)) {
                throw new IOException("no PNG writer available");
            }
        }
        AtomicFiles.writeBytes(file, bytes.toByteArray());
    }

    public static BufferedImage render(int width, int height, String title, String xLabel, String yLabel, List<Series> series) {
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = start(img);
        try {
            draw(g, 0, 0, width, height, title, 14f, xLabel, yLabel, series, series.size() > 1);
        } finally {
            g.dispose();
        }
        return img;
    }

    /** Panels of 420 x 270 pixels, two columns (three from five series on), under a figure title. */
    public static BufferedImage renderPanels(String title, String xLabel, List<Series> series) {
        int n = Math.max(1, series.size());
        int cols = n == 1 ? 1 : n <= 4 ? 2 : 3;
        int rows = (n + cols - 1) / cols;
        int pw = 420;
        int ph = 270;
        int head = 34;
        BufferedImage img = new BufferedImage(cols * pw, head + rows * ph, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = start(img);
        try {
            g.setColor(Color.BLACK);
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
            g.drawString(title, (img.getWidth() - g.getFontMetrics().stringWidth(title)) / 2, 22);
            for (int i = 0; i < series.size(); i++) {
                Series se = series.get(i);
                Series one = new Series(se.name(), se.x(), se.y(), se.err());
                draw(g, (i % cols) * pw, head + (i / cols) * ph, pw, ph, se.name(), 13f, xLabel, null, List.of(one), false);
            }
        } finally {
            g.dispose();
        }
        return img;
    }

    private static Graphics2D start(BufferedImage img) {
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, img.getWidth(), img.getHeight());
        return g;
    }

    /**
     * Where one set of axes goes in a box: the plot frame, the legend beside it (empty without one),
     * the data ranges (y in log10 units when {@code log}) and the y ticks.
     */
    record Layout(java.awt.Rectangle plot, java.awt.Rectangle legend, double[] xr, double[] yr, boolean log, double[] yTicks) {
        double px(double x) {
            return plot.x + (x - xr[0]) / (xr[1] - xr[0]) * plot.width;
        }

        double py(double y) {
            double v = log ? Math.log10(y) : y;
            return plot.y + plot.height - (v - yr[0]) / (yr[1] - yr[0]) * plot.height;
        }
    }

    static Layout layout(FontMetrics fm, int x0, int y0, int width, int height, List<Series> series, boolean legend, boolean yLabel) {
        int legendWidth = 0;
        if (legend) {
            for (Series se : series) {
                legendWidth = Math.max(legendWidth, fm.stringWidth(se.name()));
            }
            legendWidth += 40;
        }
        double[] xr = range(series, true, 0, 100);
        double xpad = (xr[1] - xr[0]) * 0.02; // the first and last points sit inside the frame, not on it
        xr = new double[] {xr[0] - xpad, xr[1] + xpad};
        double[] yr = range(series, false, 0, 100);
        boolean log = yr[0] > 0 && yr[1] / yr[0] >= LOG_RATIO;
        if (log) {
            yr = new double[] {Math.log10(yr[0]), Math.log10(yr[1])};
        }
        double ypad = (yr[1] - yr[0]) * 0.05;
        yr = new double[] {yr[0] - ypad, yr[1] + ypad};
        double[] yt = log ? logTicks(yr[0], yr[1]) : ticks(yr[0], yr[1]);
        int yTickWidth = 0;
        for (double t : yt) {
            yTickWidth = Math.max(yTickWidth, fm.stringWidth(fmt(log ? Math.pow(10, t) : t)));
        }
        int left = x0 + yTickWidth + (yLabel ? 36 : 18);
        int top = y0 + 40;
        int pw = x0 + width - left - 20 - legendWidth;
        int ph = y0 + height - top - 50;
        java.awt.Rectangle plot = new java.awt.Rectangle(left, top, pw, ph);
        java.awt.Rectangle leg = legend ? new java.awt.Rectangle(left + pw + 14, top, legendWidth - 14, 18 * series.size())
                : new java.awt.Rectangle();
        return new Layout(plot, leg, xr, yr, log, yt);
    }

    /** One set of axes in the box (x0, y0, width, height) of {@code g}. */
    private static void draw(Graphics2D g, int x0, int y0, int width, int height, String title, float titleSize, String xLabel,
            String yLabel, List<Series> series, boolean legend) {
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        FontMetrics fm = g.getFontMetrics();
        Layout lay = layout(fm, x0, y0, width, height, series, legend, yLabel != null);
        double[] xr = lay.xr();
        double[] yr = lay.yr();
        boolean log = lay.log();
        double[] yt = lay.yTicks();
        int left = lay.plot().x;
        int top = lay.plot().y;
        int pw = lay.plot().width;
        int ph = lay.plot().height;

        g.setColor(Color.BLACK);
        g.setFont(g.getFont().deriveFont(Font.BOLD, titleSize));
        g.drawString(title, left + (pw - g.getFontMetrics().stringWidth(title)) / 2, y0 + 26);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));

        for (double t : ticks(xr[0], xr[1])) {
            int px = left + (int) Math.round((t - xr[0]) / (xr[1] - xr[0]) * pw);
            g.setColor(new Color(0xe6e6e6));
            g.drawLine(px, top, px, top + ph);
            g.setColor(Color.BLACK);
            g.drawLine(px, top + ph, px, top + ph + 5);
            String s = fmt(t);
            g.drawString(s, px - fm.stringWidth(s) / 2, top + ph + 18);
        }
        for (double t : yt) {
            int py = top + ph - (int) Math.round((t - yr[0]) / (yr[1] - yr[0]) * ph);
            g.setColor(new Color(0xe6e6e6));
            g.drawLine(left, py, left + pw, py);
            g.setColor(Color.BLACK);
            g.drawLine(left - 5, py, left, py);
            String s = fmt(log ? Math.pow(10, t) : t);
            g.drawString(s, left - 8 - fm.stringWidth(s), py + fm.getAscent() / 2 - 1);
        }
        g.setColor(Color.BLACK);
        g.drawRect(left, top, pw, ph);
        g.drawString(xLabel, left + (pw - fm.stringWidth(xLabel)) / 2, y0 + height - 14);
        if (yLabel != null) {
            String yl = log ? yLabel + " (log scale)" : yLabel;
            AffineTransform saved = g.getTransform();
            g.rotate(-Math.PI / 2);
            g.drawString(yl, -(top + (ph + fm.stringWidth(yl)) / 2), x0 + 16);
            g.setTransform(saved);
        } else if (log) {
            g.drawString("log scale", left + pw - fm.stringWidth("log scale") - 4, top - 4);
        }

        // Curves (and ± bands), clipped to the plot area.
        java.awt.Shape clip = g.getClip();
        g.setClip(left + 1, top + 1, pw - 1, ph - 1);
        g.setStroke(new BasicStroke(1.6f));
        for (int s = 0; s < series.size(); s++) {
            Series se = series.get(s);
            Color c = PALETTE[s % PALETTE.length];
            int count = 0;
            Path2D.Double path = new Path2D.Double();
            boolean started = false;
            for (int i = 0; i < se.x().length; i++) {
                if (!Double.isFinite(se.x()[i]) || !Double.isFinite(se.y()[i]) || (log && se.y()[i] <= 0)) {
                    started = false;
                    continue;
                }
                double px = lay.px(se.x()[i]);
                double py = lay.py(se.y()[i]);
                if (se.err() != null && Double.isFinite(se.err()[i])) {
                    double hi = yPixel(se.y()[i] + se.err()[i], log, yr, top, ph);
                    double lo = yPixel(Math.max(se.y()[i] - se.err()[i], log ? se.y()[i] * 1e-3 : -Double.MAX_VALUE), log, yr, top, ph);
                    g.setColor(c);
                    g.drawLine((int) px - 4, (int) hi, (int) px + 4, (int) hi);
                    g.drawLine((int) px, (int) hi, (int) px, (int) lo);
                    g.drawLine((int) px - 4, (int) lo, (int) px + 4, (int) lo);
                }
                if (started) {
                    path.lineTo(px, py);
                } else {
                    path.moveTo(px, py);
                    started = true;
                }
                count++;
            }
            g.setColor(c);
            g.draw(path);
            if (count <= 3) {
                // Few points: mark them, with their values, so a single evaluation reads as a number.
                for (int i = 0; i < se.x().length; i++) {
                    if (Double.isFinite(se.x()[i]) && Double.isFinite(se.y()[i]) && !(log && se.y()[i] <= 0)) {
                        int px = left + (int) ((se.x()[i] - xr[0]) / (xr[1] - xr[0]) * pw);
                        int py = (int) yPixel(se.y()[i], log, yr, top, ph);
                        g.fillOval(px - 3, py - 3, 6, 6);
                        String v = fmt(se.y()[i]);
                        g.drawString(v, Math.min(px + 7, left + pw - fm.stringWidth(v) - 2), py - 6 - fm.getAscent() < top
                                ? py + 6 + fm.getAscent() : py - 6);
                    }
                }
            }
        }
        g.setClip(clip);

        if (legend) {
            int lx = left + pw + 14;
            for (int s = 0; s < series.size(); s++) {
                int ly = top + 10 + s * 18;
                g.setColor(PALETTE[s % PALETTE.length]);
                g.fillRect(lx, ly - 5, 18, 3);
                g.setColor(Color.BLACK);
                g.drawString(series.get(s).name(), lx + 24, ly);
            }
        }
    }

    private static double yPixel(double y, boolean log, double[] yr, int top, int ph) {
        double v = log ? Math.log10(y) : y;
        return top + ph - (v - yr[0]) / (yr[1] - yr[0]) * ph;
    }

    /** Ticks for a log10 axis spanning [lo, hi] (in log10 units): decades, with 2 and 5 between when it spans few. */
    static double[] logTicks(double lo, double hi) {
        List<Double> t = new java.util.ArrayList<>();
        double[] mult = hi - lo <= 2.5 ? new double[] {1, 2, 5} : new double[] {1};
        for (int e = (int) Math.floor(lo); e <= (int) Math.ceil(hi); e++) {
            for (double m : mult) {
                double v = e + Math.log10(m);
                if (v >= lo && v <= hi) {
                    t.add(v);
                }
            }
        }
        if (t.size() < 2) {
            return ticks(lo, hi);
        }
        return t.stream().mapToDouble(Double::doubleValue).toArray();
    }

    /** [lo, hi] over finite values at the given percentiles (y: error bands included); never empty. */
    static double[] range(List<Series> series, boolean x, double pLo, double pHi) {
        int n = 0;
        for (Series s : series) {
            n += 3 * s.x().length;
        }
        double[] v = new double[n];
        int k = 0;
        for (Series s : series) {
            for (int i = 0; i < s.x().length; i++) {
                double a = x ? s.x()[i] : s.y()[i];
                if (Double.isFinite(s.x()[i]) && Double.isFinite(s.y()[i])) {
                    v[k++] = a;
                    if (!x && s.err() != null && Double.isFinite(s.err()[i])) {
                        v[k++] = a + s.err()[i];
                        if (a - s.err()[i] > 0 || a <= 0) {
                            v[k++] = a - s.err()[i];
                        }
                    }
                }
            }
        }
        if (k == 0) {
            return new double[] {0, 1};
        }
        double[] f = java.util.Arrays.copyOf(v, k);
        java.util.Arrays.sort(f);
        double lo = f[(int) Math.floor(pLo / 100 * (k - 1))];
        double hi = f[(int) Math.ceil(pHi / 100 * (k - 1))];
        if (hi <= lo) {
            double w = Math.max(Math.abs(lo) * 0.05, 1e-6);
            return new double[] {lo - w, hi + w};
        }
        return new double[] {lo, hi};
    }

    /** About 5-8 round ticks in [lo, hi]. */
    static double[] ticks(double lo, double hi) {
        double span = hi - lo;
        double raw = span / 6;
        double mag = Math.pow(10, Math.floor(Math.log10(raw)));
        double step = mag;
        for (double m : new double[] {1, 2, 5, 10}) {
            if (m * mag >= raw) {
                step = m * mag;
                break;
            }
        }
        double first = Math.ceil(lo / step) * step;
        int count = (int) Math.floor((hi - first) / step + 1e-9) + 1;
        double[] t = new double[Math.max(0, count)];
        for (int i = 0; i < t.length; i++) {
            t[i] = first + i * step;
        }
        return t;
    }

    static String fmt(double v) {
        double a = Math.abs(v);
        if (a == 0) {
            return "0";
        }
        if (a >= 1e5 || a < 1e-3) {
            return String.format(Locale.ROOT, "%.1e", v);
        }
        if (a == Math.rint(a)) {
            return String.format(Locale.ROOT, "%.0f", v);
        }
        return String.format(Locale.ROOT, "%.4g", v).replaceAll("0+$", "").replaceAll("\\.$", "");
    }
}
