package org.genzoo.service.bench;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * A horizontal grouped bar chart as PNG (java.awt, headless): one group per row label, one bar per
 * series, each bar labelled with its own text. Values are plotted on a linear axis from 0; a NaN
 * value draws no bar and the label "n/a".
 */
final class BarChart {
    static final Color[] PALETTE = {new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c), new Color(0xd62728),
        new Color(0x9467bd), new Color(0x8c564b), new Color(0xe377c2), new Color(0x7f7f7f)};

    static {
        System.setProperty("java.awt.headless", "true");
    }

    /** values[row][series]; labels[row][series] is written at the end of each bar. */
    record Data(String title, String axis, List<String> rows, List<String> series, double[][] values, String[][] labels) {
    }

    private BarChart() {
    }

    static void write(Path file, Data d) throws IOException {
        int barH = 14;
        int groupGap = 10;
        int rowsH = d.rows().size() * (d.series().size() * barH + groupGap);
        int legendH = 18 * d.series().size() + 10;
        int top = 40 + legendH;
        int width = 1100;
        int height = top + rowsH + 50;
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, width, height);
            g.setColor(Color.BLACK);
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
            g.drawString(d.title(), 10, 22);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
            FontMetrics fm = g.getFontMetrics();
            for (int s = 0; s < d.series().size(); s++) {
                int y = 36 + 18 * s;
                g.setColor(PALETTE[s % PALETTE.length]);
                g.fillRect(10, y, 12, 12);
                g.setColor(Color.BLACK);
                g.drawString(d.series().get(s), 28, y + 10);
            }
            int labelW = 10;
            for (String r : d.rows()) {
                labelW = Math.max(labelW, fm.stringWidth(r));
            }
            labelW = Math.min(labelW, 380);
            int x0 = 15 + labelW;
            int plotW = width - x0 - 140;
            double max = 0;
            for (double[] row : d.values()) {
                for (double v : row) {
                    if (Double.isFinite(v)) {
                        max = Math.max(max, v);
                    }
                }
            }
            if (max <= 0) {
                max = 1;
            }
            int y = top;
            for (int r = 0; r < d.rows().size(); r++) {
                g.setColor(Color.BLACK);
                String label = d.rows().get(r);
                while (fm.stringWidth(label) > labelW && label.length() > 4) {
                    label = label.substring(0, label.length() - 2);
                }
                int groupH = d.series().size() * barH;
                g.drawString(label, 10, y + groupH / 2 + fm.getAscent() / 2);
                for (int s = 0; s < d.series().size(); s++) {
                    double v = d.values()[r][s];
                    int w = Double.isFinite(v) ? (int) Math.round(plotW * v / max) : 0;
                    g.setColor(PALETTE[s % PALETTE.length]);
                    g.fillRect(x0, y + s * barH + 1, Math.max(w, 0), barH - 2);
                    g.setColor(Color.DARK_GRAY);
                    String text = Double.isFinite(v) ? d.labels()[r][s] : "n/a";
                    g.drawString(text, x0 + Math.max(w, 0) + 4, y + s * barH + barH - 3);
                }
                y += groupH + groupGap;
            }
            g.setColor(Color.BLACK);
            g.setStroke(new BasicStroke(1));
            g.drawLine(x0, top - 4, x0, y);
            g.drawLine(x0, y, x0 + plotW, y);
            for (int t = 0; t <= 4; t++) {
                int x = x0 + plotW * t / 4;
                g.drawLine(x, y, x, y + 4);
                String tick = String.format(Locale.ROOT, "%.3g", max * t / 4);
                g.drawString(tick, x - fm.stringWidth(tick) / 2, y + 16);
            }
            g.drawString(d.axis(), x0 + plotW / 2 - fm.stringWidth(d.axis()) / 2, y + 32);
        } finally {
            g.dispose();
        }
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        ImageIO.write(img, "png", tmp.toFile());
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
