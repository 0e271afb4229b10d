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
 * A plain line plot as PNG with java.awt (headless): axes with ticks and numbers, axis labels, a
 * title and a legend. Non-finite points are skipped. The y range is the 1st..99th percentile band
 * of all points widened by 5%, so one early spike does not flatten the curve.
 */
public final class LinePlot {
    /** One curve. {@code x} and {@code y} have equal length. */
    public record Series(String name, double[] x, double[] y) {
    }

    static final Color[] PALETTE = {new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c), new Color(0xff7f0e),
        new Color(0x9467bd), new Color(0x8c564b), new Color(0xe377c2), new Color(0x7f7f7f)};

    static {
        System.setProperty("java.awt.headless", "true");
    }

    private LinePlot() {
    }

    /** Renders and writes atomically. */
    public static void write(Path file, String title, String xLabel, String yLabel, List<Series> series) throws IOException {
        BufferedImage img = render(800, 500, title, xLabel, yLabel, series);
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
        Graphics2D g = img.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, width, height);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
            FontMetrics fm = g.getFontMetrics();
            int left = 80;
            int right = 20;
            int top = 40;
            int bottom = 55;
            int pw = width - left - right;
            int ph = height - top - bottom;

            double[] xr = range(series, true, 0, 100);
            double[] yr = range(series, false, 1, 99);
            double ypad = (yr[1] - yr[0]) * 0.05;
            yr = new double[] {yr[0] - ypad, yr[1] + ypad};

            g.setColor(Color.BLACK);
            g.setFont(g.getFont().deriveFont(Font.BOLD, 14f));
            g.drawString(title, left + (pw - g.getFontMetrics().stringWidth(title)) / 2, 24);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));

            // Grid, ticks, numbers.
            double[] xt = ticks(xr[0], xr[1]);
            double[] yt = ticks(yr[0], yr[1]);
            for (double t : xt) {
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
                String s = fmt(t);
                g.drawString(s, left - 8 - fm.stringWidth(s), py + fm.getAscent() / 2 - 1);
            }
            g.setColor(Color.BLACK);
            g.drawRect(left, top, pw, ph);
            g.drawString(xLabel, left + (pw - fm.stringWidth(xLabel)) / 2, height - 12);
            AffineTransform saved = g.getTransform();
            g.rotate(-Math.PI / 2);
            g.drawString(yLabel, -(top + (ph + fm.stringWidth(yLabel)) / 2), 16);
            g.setTransform(saved);

            // Curves, clipped to the plot area.
            g.setClip(left + 1, top + 1, pw - 1, ph - 1);
            g.setStroke(new BasicStroke(1.6f));
            for (int s = 0; s < series.size(); s++) {
                Series se = series.get(s);
                g.setColor(PALETTE[s % PALETTE.length]);
                Path2D.Double path = new Path2D.Double();
                boolean started = false;
                for (int i = 0; i < se.x().length; i++) {
                    if (!Double.isFinite(se.x()[i]) || !Double.isFinite(se.y()[i])) {
                        started = false;
                        continue;
                    }
                    double px = left + (se.x()[i] - xr[0]) / (xr[1] - xr[0]) * pw;
                    double py = top + ph - (se.y()[i] - yr[0]) / (yr[1] - yr[0]) * ph;
                    if (started) {
                        path.lineTo(px, py);
                    } else {
                        path.moveTo(px, py);
                        started = true;
                    }
                }
                g.draw(path);
                if (se.x().length == 1) {
                    int px = left + (int) ((se.x()[0] - xr[0]) / (xr[1] - xr[0]) * pw);
                    int py = top + ph - (int) ((se.y()[0] - yr[0]) / (yr[1] - yr[0]) * ph);
                    g.fillOval(px - 3, py - 3, 6, 6);
                }
            }
            g.setClip(null);

            // Legend, top right.
            int ly = top + 10;
            for (int s = 0; s < series.size(); s++) {
                String name = series.get(s).name();
                int lx = left + pw - 20 - fm.stringWidth(name) - 25;
                g.setColor(PALETTE[s % PALETTE.length]);
                g.fillRect(lx, ly + s * 16 - 5, 18, 3);
                g.setColor(Color.BLACK);
                g.drawString(name, lx + 24, ly + s * 16);
            }
        } finally {
            g.dispose();
        }
        return img;
    }

    /** [lo, hi] over finite values at the given percentiles; never empty. */
    static double[] range(List<Series> series, boolean x, double pLo, double pHi) {
        int n = 0;
        for (Series s : series) {
            n += s.x().length;
        }
        double[] v = new double[n];
        int k = 0;
        for (Series s : series) {
            for (int i = 0; i < s.x().length; i++) {
                double a = x ? s.x()[i] : s.y()[i];
                if (Double.isFinite(s.x()[i]) && Double.isFinite(s.y()[i])) {
                    v[k++] = a;
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
