package org.genzoo.service.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.genzoo.service.cli.ExitCodes;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code genzoo bench compare a.json b.json ...}: results of `bench kernels --out` and `bench train
 * --out` from different machines (or commits) side by side: one Markdown document (provenance
 * of every input, then a kernel table and a training table) and one PNG bar chart per kind, with
 * every bar relative to the first input that has the row. The kernel table also gives each
 * case's share of its own device's measured peak.
 */
@Command(name = "compare", mixinStandardHelpOptions = true,
        description = "Markdown table and PNG bar chart from benchmark JSON files (bench kernels/train --out).")
public final class CompareBench implements Callable<Integer> {
    @Parameters(arity = "1..*", paramLabel = "FILE", description = "JSON files written by `bench kernels --out` or `bench train --out`.")
    List<Path> files;

    @Option(names = {"-o", "--output"}, defaultValue = "bench-compare", description = "Output prefix: PREFIX.md, PREFIX-kernels.png, "
            + "PREFIX-train.png (default ${DEFAULT-VALUE}).")
    String prefix;

    @Option(names = "--no-png", description = "Markdown only (for a Java runtime without java.desktop).")
    boolean noPng;

    @Spec
    CommandSpec spec;

    /** One input file. */
    record Input(Path file, String label, JsonNode doc) {
        String kind() {
            return doc.path("kind").asText(doc.has("cases") ? "kernels" : "train");
        }
    }

    @Override
    public Integer call() throws IOException {
        List<Input> inputs = read(files);
        Path md = Path.of(prefix + ".md");
        List<Input> kernels = inputs.stream().filter(i -> i.kind().equals("kernels")).toList();
        List<Input> train = inputs.stream().filter(i -> i.kind().equals("train")).toList();
        StringBuilder sb = new StringBuilder();
        sb.append("# Benchmark comparison\n\n").append(provenanceTable(inputs));
        List<Path> written = new ArrayList<>();
        if (!kernels.isEmpty()) {
            Path png = noPng ? null : Path.of(prefix + "-kernels.png");
            sb.append("\n## Kernels\n\n").append(kernelTable(kernels, png));
            if (png != null) {
                written.add(png);
            }
        }
        if (!train.isEmpty()) {
            Path png = noPng ? null : Path.of(prefix + "-train.png");
            sb.append("\n## Training steps\n\n").append(trainTable(train, png));
            if (png != null) {
                written.add(png);
            }
        }
        Files.writeString(md, sb.toString());
        written.add(0, md);
        PrintWriter out = spec.commandLine().getOut();
        out.print(sb);
        out.println();
        for (Path p : written) {
            out.println("wrote " + p);
        }
        out.flush();
        return ExitCodes.OK;
    }

    static List<Input> read(List<Path> files) throws IOException {
        ObjectMapper om = new ObjectMapper();
        List<Input> inputs = new ArrayList<>();
        Map<String, Integer> seen = new LinkedHashMap<>();
        for (Path f : files) {
            if (!Files.isRegularFile(f)) {
                throw new IllegalArgumentException(f + " is not a file: give JSON files written by `genzoo bench kernels --out F` "
                        + "or `genzoo bench train --out F`");
            }
            JsonNode doc;
            try {
                doc = om.readTree(f.toFile());
            } catch (IOException e) {
                throw new IllegalArgumentException(f + " is not valid JSON (" + e.getMessage().lines().findFirst().orElse("") + ")");
            }
            if (doc == null || !doc.isObject() || !(doc.has("cases") || doc.has("examplesPerSecond") || doc.path("genzoo").isArray())) {
                throw new IllegalArgumentException(f + " is not a GenZoo benchmark result: expected the JSON of `bench kernels --out` "
                        + "(with \"cases\") or `bench train --out` (with \"examplesPerSecond\", or per-configuration \"genzoo\" rows for the RBM)");
            }
            JsonNode p = doc.path("provenance");
            String base = p.path("device").asText(doc.path("device").asText("?")) + " @ " + p.path("commit").asText("?");
            int n = seen.merge(base, 1, Integer::sum);
            inputs.add(new Input(f, n == 1 ? base : base + " #" + n, doc));
        }
        return inputs;
    }

    static String provenanceTable(List<Input> inputs) {
        StringBuilder sb = new StringBuilder("| input | file | device | type | driver | binding | JVM | commit | date | FMA peak | bandwidth peak | tuning |\n");
        sb.append("|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (Input in : inputs) {
            JsonNode p = in.doc().path("provenance");
            JsonNode d = in.doc();
            String peak = d.has("peakGflops") ? String.format(Locale.ROOT, "%.0f GFLOP/s (%s)", d.path("peakGflops").asDouble(),
                    d.path("peakHow").asText("?")) : "";
            String bw = d.has("peakGBps") ? String.format(Locale.ROOT, "%.1f GB/s", d.path("peakGBps").asDouble()) : "";
            sb.append("| ").append(in.label()).append(" | ").append(in.file().getFileName()).append(" | ").append(p.path("device").asText("?"))
                    .append(" | ").append(p.path("type").asText("?")).append(" | ").append(p.path("driver").asText("?")).append(" | ")
                    .append(p.path("binding").asText("?")).append(" | ").append(p.path("jvm").asText("?")).append(" | ")
                    .append(p.path("commit").asText("?"))
                    .append(" | ").append(p.path("date").asText("?")).append(" | ").append(peak).append(" | ").append(bw).append(" | ")
                    .append(p.path("defines").toString().replace("|", "/")).append(" |\n");
        }
        return sb.toString();
    }

    /** Kernel cases: median time and throughput per input; the chart shows throughput relative to the first input. */
    static String kernelTable(List<Input> inputs, Path png) throws IOException {
        List<String> rows = new ArrayList<>();
        Map<String, JsonNode[]> byCase = new LinkedHashMap<>();
        for (int i = 0; i < inputs.size(); i++) {
            for (JsonNode c : inputs.get(i).doc().path("cases")) {
                String key = c.path("case").asText();
                JsonNode[] cells = byCase.computeIfAbsent(key, k -> {
                    rows.add(k);
                    return new JsonNode[inputs.size()];
                });
                cells[i] = c;
            }
        }
        StringBuilder sb = new StringBuilder("| case |");
        for (Input in : inputs) {
            sb.append(' ').append(in.label()).append(" |");
        }
        sb.append(" ratio to first |\n|---|");
        sb.append("---|".repeat(inputs.size() + 1)).append('\n');
        double[][] values = new double[rows.size()][inputs.size()];
        String[][] labels = new String[rows.size()][inputs.size()];
        for (int r = 0; r < rows.size(); r++) {
            JsonNode[] cells = byCase.get(rows.get(r));
            boolean flopsBound = first(cells).path("pctPeakFlops").asDouble() >= first(cells).path("pctPeakBandwidth").asDouble();
            sb.append("| ").append(rows.get(r)).append(" |");
            double base = Double.NaN;
            List<String> ratios = new ArrayList<>();
            for (int i = 0; i < inputs.size(); i++) {
                JsonNode c = cells[i];
                if (c == null) {
                    sb.append(" — |");
                    values[r][i] = Double.NaN;
                    continue;
                }
                double tput = flopsBound ? c.path("gflops").asDouble() : c.path("gbps").asDouble();
                String unit = flopsBound ? "GFLOP/s" : "GB/s";
                double pct = flopsBound ? c.path("pctPeakFlops").asDouble() : c.path("pctPeakBandwidth").asDouble();
                sb.append(String.format(Locale.ROOT, " %.1f µs, %.1f %s (%.0f%% of peak) |", c.path("medianMicros").asDouble(), tput, unit, pct));
                if (Double.isNaN(base)) {
                    base = tput;
                }
                values[r][i] = tput / base;
                labels[r][i] = String.format(Locale.ROOT, "%.2fx (%.1f %s)", tput / base, tput, unit);
                ratios.add(String.format(Locale.ROOT, "%.2fx", tput / base));
            }
            sb.append(' ').append(String.join(" / ", ratios)).append(" |\n");
        }
        if (png != null) {
            BarChart.write(png, new BarChart.Data("Kernel throughput relative to " + inputs.get(0).label(), "throughput / first input's",
                    rows, inputs.stream().map(Input::label).toList(), values, labels));
        }
        return sb.toString();
    }

    /** Training steps: ms/step and examples/s per input, with each input's own peer beside it. */
    static String trainTable(List<Input> inputs, Path png) throws IOException {
        StringBuilder sb = new StringBuilder("| input | model | GenZoo ms/step | GenZoo examples/s | peer | peer examples/s | GenZoo / peer |\n");
        sb.append("|---|---|---|---|---|---|---|\n");
        List<String> rows = new ArrayList<>();
        List<double[]> vals = new ArrayList<>();
        List<String[]> labs = new ArrayList<>();
        for (Input in : inputs) {
            for (TrainRow r : trainRows(in.doc())) {
                double ours = r.ours().path("examplesPerSecond").asDouble();
                JsonNode peer = r.peer();
                boolean hasPeer = peer.isObject() && peer.has("examplesPerSecond");
                double theirs = hasPeer ? peer.path("examplesPerSecond").asDouble() : Double.NaN;
                sb.append(String.format(Locale.ROOT, "| %s | %s | %.2f | %.0f | %s | %s | %s |\n", in.label(), r.model(),
                        r.ours().path("msPerStep").asDouble(), ours,
                        hasPeer ? peer.path("peer").asText() : (peer.isMissingNode() ? "not run" : peer.asText()),
                        hasPeer ? String.format(Locale.ROOT, "%.0f", theirs) : "—",
                        hasPeer ? String.format(Locale.ROOT, "%.2fx", ours / theirs) : "—"));
                rows.add(r.model() + " · " + in.label());
                vals.add(new double[] {ours, theirs});
                labs.add(new String[] {String.format(Locale.ROOT, "%.0f ex/s", ours), String.format(Locale.ROOT, "%.0f ex/s", theirs)});
            }
        }
        if (png != null) {
            BarChart.write(png, new BarChart.Data("Training throughput (examples/s)", "examples per second", rows,
                    List.of("GenZoo", "peer (PyTorch)"), vals.toArray(new double[0][]), labs.toArray(new String[0][])));
        }
        return sb.toString();
    }

    /** One training comparison: our figures (msPerStep, examplesPerSecond) and the peer's result (missing when not run). */
    record TrainRow(String model, JsonNode ours, JsonNode peer) {
    }

    /**
     * The rows of one `bench train --out` file: the file itself, or for the RBM bench one row per
     * configuration: "genzoo" row j beside "pytorch" entry j (the bench runs each configuration's
     * peer right after it; an entry is the peer's JSON or the text saying why it did not run).
     */
    static List<TrainRow> trainRows(JsonNode d) {
        String model = d.path("model").asText("?");
        if (!d.path("genzoo").isArray()) {
            return List.of(new TrainRow(model, d, d.path("peer")));
        }
        List<TrainRow> out = new ArrayList<>();
        JsonNode rows = d.path("genzoo");
        for (int j = 0; j < rows.size(); j++) {
            out.add(new TrainRow(model + " " + rows.get(j).path("config").asText("?"), rows.get(j), d.path("pytorch").path(j)));
        }
        return out;
    }

    private static JsonNode first(JsonNode[] cells) {
        for (JsonNode c : cells) {
            if (c != null) {
                return c;
            }
        }
        throw new IllegalStateException("a row with no cell");
    }
}
