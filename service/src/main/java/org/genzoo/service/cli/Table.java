package org.genzoo.service.cli;

import java.util.List;
import java.util.Locale;

/** Plain-text tables for terminal output. */
public final class Table {
    private Table() {
    }

    public static String render(List<String> header, List<List<String>> rows) {
        int[] w = new int[header.size()];
        for (int i = 0; i < w.length; i++) {
            w[i] = header.get(i).length();
        }
        for (List<String> r : rows) {
            for (int i = 0; i < w.length; i++) {
                w[i] = Math.max(w[i], r.get(i).length());
            }
        }
        StringBuilder sb = new StringBuilder();
        line(sb, header, w);
        StringBuilder rule = new StringBuilder();
        for (int i = 0; i < w.length; i++) {
            rule.append("-".repeat(w[i])).append(i + 1 < w.length ? "  " : "");
        }
        sb.append(rule).append('\n');
        for (List<String> r : rows) {
            line(sb, r, w);
        }
        return sb.toString();
    }

    private static void line(StringBuilder sb, List<String> cells, int[] w) {
        for (int i = 0; i < w.length; i++) {
            String c = cells.get(i);
            sb.append(c);
            if (i + 1 < w.length) {
                sb.append(" ".repeat(w[i] - c.length() + 2));
            }
        }
        sb.append('\n');
    }

    public static String bytes(long b) {
        if (b >= 1L << 30) {
            return String.format(Locale.ROOT, "%.1f GiB", b / (double) (1L << 30));
        }
        if (b >= 1L << 20) {
            return String.format(Locale.ROOT, "%.1f MiB", b / (double) (1L << 20));
        }
        return String.format(Locale.ROOT, "%d KiB", b >> 10);
    }
}
