package org.genzoo.models.train;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * metrics.csv: one row per logged step, columns in order of first appearance ({@code step} first).
 * A row is appended in place; a row that brings a new column (the first evaluation, say) rewrites the
 * file atomically with the wider header, leaving earlier rows blank there. Kept in memory too, for
 * the plots. Values never contain commas (numbers and plain names).
 */
public final class MetricsCsv {
    private final Path file;
    private final Set<String> columns = new LinkedHashSet<>();
    private final List<Map<String, String>> rows = new ArrayList<>();

    private MetricsCsv(Path file) {
        this.file = file;
    }

    /** A new, empty file (an existing one is replaced). */
    public static MetricsCsv create(Path file) throws IOException {
        MetricsCsv m = new MetricsCsv(file);
        m.rewrite();
        return m;
    }

    /** Continues an existing file, dropping rows after {@code lastStep} (they belong to a run past the resumed checkpoint). */
    public static MetricsCsv resume(Path file, long lastStep) throws IOException {
        MetricsCsv m = new MetricsCsv(file);
        if (Files.isRegularFile(file)) {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            if (!lines.isEmpty()) {
                List<String> header = Arrays.asList(lines.get(0).split(",", -1));
                m.columns.addAll(header);
                for (String line : lines.subList(1, lines.size())) {
                    if (line.isBlank()) {
                        continue;
                    }
                    String[] cells = line.split(",", -1);
                    Map<String, String> row = new LinkedHashMap<>();
                    for (int i = 0; i < header.size() && i < cells.length; i++) {
                        if (!cells[i].isEmpty()) {
                            row.put(header.get(i), cells[i]);
                        }
                    }
                    String step = row.get("step");
                    if (step != null && Long.parseLong(step) <= lastStep) {
                        m.rows.add(row);
                    }
                }
            }
        }
        m.rewrite();
        return m;
    }

    /** Appends a row (values formatted with {@link String#valueOf}); null values are left blank. */
    public void append(Map<String, ?> values) throws IOException {
        Map<String, String> row = new LinkedHashMap<>();
        boolean widened = false;
        for (Map.Entry<String, ?> e : values.entrySet()) {
            if (e.getKey().contains(",") || e.getKey().contains("\n")) {
                throw new IllegalArgumentException("metric name '" + e.getKey() + "' holds a comma or newline");
            }
            if (e.getValue() != null) {
                row.put(e.getKey(), String.valueOf(e.getValue()));
            }
            widened |= columns.add(e.getKey());
        }
        rows.add(row);
        if (widened) {
            rewrite();
        } else {
            try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.APPEND)) {
                w.write(line(row));
            }
        }
    }

    public List<String> columns() {
        return List.copyOf(columns);
    }

    public List<Map<String, String>> rows() {
        return Collections.unmodifiableList(rows);
    }

    /** (step, value) pairs of one column, skipping blank cells. */
    public double[][] series(String column) {
        List<double[]> pts = new ArrayList<>();
        for (Map<String, String> r : rows) {
            String v = r.get(column);
            String s = r.get("step");
            if (v != null && s != null) {
                try {
                    pts.add(new double[] {Double.parseDouble(s), Double.parseDouble(v)});
                } catch (NumberFormatException e) {
                    // non-numeric cell: not plotted
                }
            }
        }
        double[][] out = new double[2][pts.size()];
        for (int i = 0; i < pts.size(); i++) {
            out[0][i] = pts.get(i)[0];
            out[1][i] = pts.get(i)[1];
        }
        return out;
    }

    private String line(Map<String, String> row) {
        StringBuilder sb = new StringBuilder();
        for (String c : columns) {
            if (sb.length() > 0) {
                sb.append(',');
            }
            sb.append(row.getOrDefault(c, ""));
        }
        return sb.append('\n').toString();
    }

    private void rewrite() throws IOException {
        StringBuilder sb = new StringBuilder(String.join(",", columns)).append('\n');
        for (Map<String, String> r : rows) {
            sb.append(line(r));
        }
        AtomicFiles.writeString(file, sb.toString());
    }
}
