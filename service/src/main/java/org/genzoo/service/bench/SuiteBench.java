package org.genzoo.service.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.genzoo.host.Device;
import org.genzoo.service.cli.DeviceOptions;
import org.genzoo.service.cli.ExitCodes;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code genzoo bench suite}: the whole side-by-side speed check of issue #10 in one run, every
 * figure beside its peer measured in the same process run, {@code --repeat} times (on a loaded
 * machine the ratios of one run still mean something; two runs show how much they move):
 * <ul>
 * <li>every {@code bench train} model (vae, realnvp, maf, gan, sngan, wgan-gp, rbm) beside its
 * PyTorch peer in its best CPU configuration (TorchPeer: torch threads 1, multi-threaded OpenBLAS,
 * denormals flushed; the configuration each peer read back is in the JSON and the table); the
 * VAE's, RealNVP's and MAF's steps and their peers' take turns in {@link #SEGMENTS} segments
 * (bench train --segments);</li>
 * <li>GEMM against torch.mm at 1024², 2048² and the VAE step's shapes: our product validated
 * against the double reference first, then timed by the wall clock (enqueue to finish) like the
 * peer, with the device time from profiling events beside it;</li>
 * <li>with {@code --baseline-jar}, the VAE bench of that jar (the previous commit's build) and of
 * this build, each a separate JVM, alternating (odd runs start with the baseline, even runs with this build);</li>
 * <li>the FMA probe beside the plain C loop (Peaks).</li>
 * </ul>
 * Writes suite.json (everything, with provenance), suite.md (the tables with ratios and targets)
 * and the JSON of every train run (input for {@code bench compare}) into {@code --out}.
 */
@Command(name = "suite", mixinStandardHelpOptions = true,
        description = "Every bench-train model beside PyTorch, GEMM beside torch.mm, VAE beside a previous jar, peaks: JSON + Markdown.")
public final class SuiteBench implements Callable<Integer> {
    /** Every model `bench train` knows, in report order. */
    static final List<String> MODELS = List.of("vae", "realnvp", "maf", "gan", "sngan", "wgan-gp", "rbm");
    /** Throughput target against the PyTorch peer (issue #10): every model, and the VAE's own. */
    static final double TRAIN_TARGET = 1.2;
    static final double VAE_TARGET = 1.5;
    /** GEMM against torch.mm, and the VAE against the previous commit's jar. */
    static final double GEMM_TARGET = 0.9;
    static final double BASELINE_TARGET = 0.95;
    /** Streams of --gemm-reps products per shape (median taken). */
    static final int STREAMS = 3;
    /** Segments in which the waited GEMM products alternate with torch.mm's (all of --gemm-reps in each side). */
    static final int GEMM_SEGMENTS = 3;
    /** The honest-peak target: the OpenCL probe against the C loop on the same cores. */
    static final double PROBE_TARGET = 0.9;

    /** The products timed beside torch.mm: squares, then the VAE 784-400-20 step's (batch 128), as in bench kernels. */
    static final List<int[]> GEMM_SHAPES = List.of(
            new int[] {1024, 1024, 1024, 0, 0}, new int[] {2048, 2048, 2048, 0, 0},
            new int[] {128, 400, 784, 0, 1}, new int[] {128, 784, 400, 0, 1},
            new int[] {128, 400, 784, 0, 0}, new int[] {128, 784, 400, 0, 0},
            new int[] {784, 400, 128, 1, 0}, new int[] {400, 784, 128, 1, 0},
            new int[] {128, 784, 400, 0, 0}, new int[] {128, 784, 400, 0, 1});

    @Mixin
    DeviceOptions deviceOptions;

    @Option(names = "--out", required = true, description = "Folder for suite.json, suite.md and the per-run JSON (created).")
    Path outDir;

    @Option(names = "--models", split = ",", description = "Models to run (default: all of vae, realnvp, maf, gan, sngan, wgan-gp, rbm).")
    List<String> models;

    @Option(names = "--steps", description = "Timed steps of every train run (default per model: vae 1000, GANs 200, realnvp and rbm 100, maf 20).")
    Integer steps;

    @Option(names = "--warmup", description = "Warm-up steps of every train run (default 10; vae 50, maf 3).")
    Integer warmup;

    @Option(names = "--repeat", defaultValue = "2", description = "Runs of every comparison (default ${DEFAULT-VALUE}).")
    int repeat;

    @Option(names = "--gemm-reps", defaultValue = "21", description = "Timed products per GEMM shape and side (default ${DEFAULT-VALUE}; median).")
    int gemmReps;

    @Option(names = "--gemm-max", defaultValue = "2048", description = "Largest square GEMM (default ${DEFAULT-VALUE}).")
    int gemmMax;

    @Option(names = "--baseline-jar", description = "A previous build's genzoo.jar: its VAE bench beside this build's, alternating.")
    Path baselineJar;

    @Option(names = "--skip", split = ",", description = "Parts to leave out: train, gemm, baseline, peaks.")
    List<String> skip = new ArrayList<>();

    @Spec
    CommandSpec spec;

    private static final ObjectMapper JSON = new ObjectMapper();

    @Override
    public Integer call() throws Exception {
        List<String> chosen = models == null ? MODELS : models;
        for (String m : chosen) {
            if (!MODELS.contains(m)) {
                throw new IllegalArgumentException("--models: unknown model '" + m + "'; bench train knows " + String.join(", ", MODELS));
            }
        }
        for (String s : skip) {
            if (!List.of("train", "gemm", "baseline", "peaks").contains(s)) {
                throw new IllegalArgumentException("--skip: unknown part '" + s + "'; the parts are train, gemm, baseline, peaks");
            }
        }
        if (repeat < 1 || gemmReps < 1 || (steps != null && steps < 1) || (warmup != null && warmup < 0)) {
            throw new IllegalArgumentException("--repeat, --gemm-reps and --steps must be positive and --warmup not negative");
        }
        if (baselineJar != null && !Files.isRegularFile(baselineJar)) {
            throw new IllegalArgumentException("--baseline-jar " + baselineJar + " is not a file: give the genzoo.jar of the build to compare with "
                    + "(e.g. build the previous commit and copy its service/target/genzoo.jar)");
        }
        Files.createDirectories(outDir);
        PrintWriter out = spec.commandLine().getOut();
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("kind", "suite");
        doc.put("repeat", repeat);
        Map<String, Object> peaks = null;
        try (Device dev = Device.open(deviceOptions.binding, deviceOptions.device)) {
            doc.put("provenance", Provenance.of(dev));
            doc.put("device", dev.info().name());
            if (!skip.contains("peaks")) {
                progress(out, "peaks: OpenCL FMA probe and the C loop");
                peaks = PeaksBench.toJson(Peaks.measure(dev, false));
                doc.put("peaks", peaks);
            }
        }
        List<Map<String, Object>> train = new ArrayList<>();
        if (!skip.contains("train")) {
            for (String m : chosen) {
                for (int r = 1; r <= repeat; r++) {
                    progress(out, "train " + m + " beside PyTorch, run " + r + " of " + repeat);
                    train.add(trainRun(m, r));
                }
            }
        }
        doc.put("train", train);
        List<Map<String, Object>> gemm = new ArrayList<>();
        if (!skip.contains("gemm")) {
            for (int r = 1; r <= repeat; r++) {
                progress(out, "gemm beside torch.mm, run " + r + " of " + repeat);
                gemm.addAll(gemmRun(r));
            }
        }
        doc.put("gemm", gemm);
        List<Map<String, Object>> base = new ArrayList<>();
        if (baselineJar != null && !skip.contains("baseline")) {
            for (int r = 1; r <= repeat; r++) {
                progress(out, "vae: " + baselineJar + " beside this build, run " + r + " of " + repeat);
                base.add(baselineRun(r));
            }
        }
        doc.put("baseline", base);
        doc.put("summary", summary(doc));
        String md = markdown(doc);
        Files.writeString(outDir.resolve("suite.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(doc) + "\n");
        Files.writeString(outDir.resolve("suite.md"), md);
        out.print(md);
        out.printf(Locale.ROOT, "wrote %s and %s%n", outDir.resolve("suite.json"), outDir.resolve("suite.md"));
        out.flush();
        return ExitCodes.OK;
    }

    private static void progress(PrintWriter out, String what) {
        out.println("# " + what);
        out.flush();
    }

    private int stepsFor(String m) {
        return steps != null ? steps : switch (m) {
            case "maf" -> 20;
            case "realnvp", "rbm" -> 100;
            case "vae" -> 1000; // a few ms a step: a longer run steadies the ratio on a noisy machine
            default -> 200;
        };
    }

    private int warmupFor(String m) {
        return warmup != null ? warmup : switch (m) {
            case "maf" -> 3;
            case "vae" -> 50;
            default -> 10;
        };
    }

    private List<String> deviceArgs() {
        List<String> a = new ArrayList<>();
        if (deviceOptions.binding != null) {
            a.addAll(List.of("--binding", deviceOptions.binding));
        }
        if (deviceOptions.device != null) {
            a.addAll(List.of("--device", deviceOptions.device));
        }
        return a;
    }

    /** Segments in which the timed steps of the VAE and the flows alternate with their peers' (bench train --segments). */
    static final int SEGMENTS = 10;

    /** One `bench train --model m --peer` in this JVM; its JSON, with the ratios pulled out. */
    private Map<String, Object> trainRun(String m, int run) throws IOException {
        Path file = outDir.resolve("train-" + m + "-" + run + ".json");
        List<String> args = new ArrayList<>(List.of("--model", m, "--steps", Integer.toString(stepsFor(m)), "--warmup",
                Integer.toString(warmupFor(m)), "--peer", "--out", file.toString()));
        if (TrainBench.INTERLEAVED.contains(m)) { // the two sides take turns in SEGMENTS segments
            args.addAll(List.of("--segments", Integer.toString(Math.min(SEGMENTS, stepsFor(m)))));
        }
        args.addAll(deviceArgs());
        StringWriter o = new StringWriter();
        StringWriter e = new StringWriter();
        CommandLine cl = new CommandLine(new TrainBench());
        cl.setOut(new PrintWriter(o, true));
        cl.setErr(new PrintWriter(e, true));
        int code = cl.execute(args.toArray(String[]::new));
        if (code != ExitCodes.OK) {
            throw new IllegalStateException("bench train " + String.join(" ", args) + " failed (exit " + code + "): " + e + o);
        }
        JsonNode j = JSON.readTree(file.toFile());
        List<Map<String, Object>> rows = new ArrayList<>();
        if (m.equals("rbm")) {
            JsonNode torch = j.path("pytorch");
            for (int i = 0; i < j.path("genzoo").size(); i++) {
                JsonNode g = j.path("genzoo").get(i);
                rows.add(row(m + " " + g.path("config").asText(), g.path("msPerStep").asDouble(), g.path("examplesPerSecond").asDouble(),
                        torch.path(i), TRAIN_TARGET));
            }
        } else {
            rows.add(row(m, j.path("msPerStep").asDouble(), j.path("examplesPerSecond").asDouble(), j.path("peer"),
                    m.equals("vae") ? VAE_TARGET : TRAIN_TARGET));
            rows.get(0).put("deviceMsPerStep", j.path("deviceMsPerStep").asDouble());
        }
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("model", m);
        r.put("run", run);
        r.put("description", j.path("model").asText());
        r.put("rows", rows);
        r.put("file", file.getFileName().toString());
        r.put("result", j);
        return r;
    }

    private static Map<String, Object> row(String label, double ms, double eps, JsonNode peer, double target) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("label", label);
        row.put("msPerStep", ms);
        row.put("examplesPerSecond", eps);
        if (peer.has("examplesPerSecond")) {
            row.put("peer", peer.path("peer").asText());
            row.put("peerMsPerStep", peer.path("msPerStep").asDouble());
            row.put("peerExamplesPerSecond", peer.path("examplesPerSecond").asDouble());
            row.put("ratio", eps / peer.path("examplesPerSecond").asDouble());
            row.put("peerConfig", peer.path("peerConfig"));
        } else {
            row.put("peerError", peer.isMissingNode() ? "no peer result" : peer.asText());
        }
        row.put("target", target);
        return row;
    }

    /**
     * Our GEMM (validated, then wall clock and device time per product) and torch.mm at every shape,
     * taking turns: the waited products in {@link #GEMM_SEGMENTS} segments, each ours then the
     * peer's, and each of the {@link #STREAMS} streams ours then the peer's.
     */
    private List<Map<String, Object>> gemmRun(int run) throws IOException, InterruptedException {
        List<int[]> shapes = GEMM_SHAPES.stream().filter(s -> s[0] <= gemmMax && s[1] <= gemmMax && s[2] <= gemmMax).toList();
        List<String> args = new ArrayList<>();
        for (int[] s : shapes) {
            args.add(s[0] + "," + s[1] + "," + s[2] + "," + s[3] + "," + s[4]);
        }
        Object session = TorchPeer.Session.open("matmul_torch.py", args, Map.of());
        TorchPeer.Session peer = session instanceof TorchPeer.Session ps ? ps : null;
        List<Map<String, Object>> rows = new ArrayList<>();
        Object peerInfo = session;
        try (Device dev = Device.open(deviceOptions.binding, deviceOptions.device)) {
            for (int si = 0; si < shapes.size(); si++) {
                int[] s = shapes.get(si);
                GemmCase c = new GemmCase("", s[0], s[1], s[2], s[3] == 1, s[4] == 1);
                c.setup(dev);
                try {
                    c.validate();
                    dev.finish();
                    c.run();
                    dev.finish(); // warm-up
                    // One product waited for, timed without profiling events (torch.mm's clock has none).
                    long[] wall = new long[gemmReps];
                    List<Double> peerWall = new ArrayList<>();
                    for (int seg = 0; seg < GEMM_SEGMENTS; seg++) {
                        int from = gemmReps * seg / GEMM_SEGMENTS;
                        int to = gemmReps * (seg + 1) / GEMM_SEGMENTS;
                        for (int i = from; i < to; i++) {
                            long t0 = System.nanoTime();
                            c.run();
                            dev.finish();
                            wall[i] = System.nanoTime() - t0;
                        }
                        JsonNode answer = peer != null && to > from ? peer.askOrNull("wait " + si + " " + (to - from)) : null;
                        if (answer != null) {
                            answer.path("micros").forEach(x -> peerWall.add(x.asDouble()));
                        }
                    }
                    // The same loop again with profiling events for the device time, which the wall clock never includes.
                    long[] device = new long[gemmReps];
                    long[] sum = new long[1];
                    dev.setKernelTiming((k, ns) -> sum[0] += ns, 1);
                    for (int i = 0; i < gemmReps; i++) {
                        sum[0] = 0;
                        c.run();
                        dev.finish();
                        device[i] = sum[0];
                    }
                    dev.setKernelTiming(null, 0);
                    // A stream: gemmReps products enqueued back to back and one wait, as a training step runs them
                    // (the rows above wait for each product, so they also count the queue's round trip).
                    long[] stream = new long[STREAMS];
                    long[] peerStream = new long[STREAMS];
                    for (int i = 0; i < STREAMS; i++) {
                        long t0 = System.nanoTime();
                        for (int j = 0; j < gemmReps; j++) {
                            c.run();
                        }
                        dev.finish();
                        stream[i] = (System.nanoTime() - t0) / gemmReps;
                        JsonNode answer = peer != null ? peer.askOrNull("stream " + si + " " + gemmReps) : null;
                        if (answer != null) {
                            peerStream[i] = Math.round(1e3 * answer.path("micros").path(0).asDouble());
                        }
                    }
                    Map<String, Object> row = new LinkedHashMap<>();
                    row.put("case", c.name());
                    row.put("run", run);
                    row.put("m", s[0]);
                    row.put("n", s[1]);
                    row.put("k", s[2]);
                    row.put("ta", s[3] == 1);
                    row.put("tb", s[4] == 1);
                    row.put("wallMicros", KernelBench.median(wall) / 1e3);
                    row.put("deviceMicros", KernelBench.median(device) / 1e3);
                    row.put("streamMicros", KernelBench.median(stream) / 1e3);
                    row.put("gflops", 2.0 * s[0] * s[1] * s[2] / KernelBench.median(wall));
                    row.put("target", GEMM_TARGET);
                    if (peer != null && peer.error() == null) {
                        double pw = KernelBench.median(peerWall.stream().mapToLong(x -> Math.round(1e3 * x)).toArray()) / 1e3;
                        double ps = KernelBench.median(peerStream) / 1e3;
                        row.put("peerMicros", pw);
                        row.put("ratio", pw / (Double) row.get("wallMicros"));
                        row.put("peerStreamMicros", ps);
                        row.put("streamRatio", ps / (Double) row.get("streamMicros"));
                    }
                    rows.add(row);
                } finally {
                    c.close();
                }
            }
            if (peer != null) { // a peer that stopped answering leaves GenZoo's rows without ratios
                peerInfo = peer.error() != null ? peer.error() : peer.finish();
            }
        } finally {
            if (peer != null) {
                peer.close();
            }
        }
        for (Map<String, Object> row : rows) {
            if (peerInfo instanceof JsonNode p) {
                row.put("peer", p.path("peer").asText());
                row.put("peerConfig", p.path("peerConfig"));
            } else {
                row.remove("peerMicros");
                row.remove("ratio");
                row.remove("peerStreamMicros");
                row.remove("streamRatio");
                row.put("peerError", String.valueOf(peerInfo));
            }
        }
        return rows;
    }

    /** The VAE bench of the baseline jar and of this build, each in its own JVM; odd runs start with the baseline. */
    private Map<String, Object> baselineRun(int run) throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> bench = new ArrayList<>(List.of("bench", "train", "--model", "vae", "--steps", Integer.toString(stepsFor("vae")),
                "--warmup", Integer.toString(warmupFor("vae")), "--json"));
        bench.addAll(deviceArgs());
        List<String> base = new ArrayList<>(List.of(java, "-jar", baselineJar.toString()));
        base.addAll(bench);
        List<String> ours = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path"), "org.genzoo.service.cli.GenZooCli"));
        ours.addAll(bench);
        // Odd runs start with the baseline, even ones with this build, so that a machine that slows
        // down (or speeds up) within a pair does not favour one side in every run.
        boolean baseFirst = run % 2 == 1;
        JsonNode b = baseFirst ? jsonOf(base) : null;
        JsonNode o = jsonOf(ours);
        if (!baseFirst) {
            b = jsonOf(base);
        }
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("run", run);
        r.put("first", baseFirst ? "baseline" : "this build");
        r.put("baselineJar", baselineJar.toString());
        r.put("baselineCommit", b.path("provenance").path("commit").asText("unknown"));
        r.put("baselineMsPerStep", b.path("msPerStep").asDouble());
        r.put("baselineExamplesPerSecond", b.path("examplesPerSecond").asDouble());
        r.put("msPerStep", o.path("msPerStep").asDouble());
        r.put("examplesPerSecond", o.path("examplesPerSecond").asDouble());
        r.put("ratio", o.path("examplesPerSecond").asDouble() / b.path("examplesPerSecond").asDouble());
        r.put("target", BASELINE_TARGET);
        return r;
    }

    /** Runs a genzoo command line in its own JVM and reads the JSON it prints. */
    private static JsonNode jsonOf(List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(20, TimeUnit.MINUTES) || p.exitValue() != 0 || text.indexOf('{') < 0) {
            throw new IllegalStateException(String.join(" ", cmd) + " failed: " + text.strip());
        }
        return JSON.readTree(text.substring(text.indexOf('{'), text.lastIndexOf('}') + 1));
    }

    // ---- the Markdown report ----

    private static String fmt(double v, String f) {
        return Double.isNaN(v) ? "n/a" : String.format(Locale.ROOT, f, v);
    }

    private static String verdict(double ratio, double target) {
        return Double.isNaN(ratio) ? "no peer" : ratio >= target ? "met" : "**missed**";
    }

    @SuppressWarnings("unchecked")
    static String markdown(Map<String, Object> doc) {
        StringBuilder md = new StringBuilder();
        Map<String, Object> prov = (Map<String, Object>) doc.get("provenance");
        md.append("# GenZoo speed suite\n\n");
        md.append(String.format(Locale.ROOT, "Device %s (%s), driver %s, %s, commit %s, %s; %d run(s) of every comparison. "
                + "Ratios > 1 mean GenZoo is faster.%n%n", prov.get("device"), prov.get("binding"), prov.get("driver"), prov.get("jvm"),
                prov.get("commit"), prov.get("date"), (Integer) doc.get("repeat")));
        List<Map<String, Object>> summary = (List<Map<String, Object>>) doc.get("summary");
        if (summary != null && !summary.isEmpty()) {
            md.append("## Median over the runs\n\n");
            md.append("Each comparison's ratios from the runs below and their median (the machine's neighbours move single runs by tens of percent).\n\n");
            md.append("| comparison | ratios per run | median | target | verdict |\n|---|---|---:|---:|---|\n");
            for (Map<String, Object> r : summary) {
                List<Double> ratios = (List<Double>) r.get("ratios");
                md.append(String.format(Locale.ROOT, "| %s | %s | %s | %.2fx | %s |%n", r.get("comparison"),
                        String.join(", ", ratios.stream().map(v -> fmt(v, "%.2fx")).toList()), fmt((Double) r.get("median"), "%.2fx"),
                        (Double) r.get("target"), verdict((Double) r.get("median"), (Double) r.get("target"))));
            }
            md.append('\n');
        }
        Map<String, Object> peaks = (Map<String, Object>) doc.get("peaks");
        if (peaks != null) {
            md.append("## Peaks\n\n| measure | GFLOP/s | how |\n|---|---:|---|\n");
            md.append(String.format(Locale.ROOT, "| OpenCL FMA probe | %.1f | %s |%n", (Double) peaks.get("probeGflops"), peaks.get("probeHow")));
            Double c = (Double) peaks.get("cLoopGflops");
            md.append(String.format(Locale.ROOT, "| C loop, all threads | %s | %s |%n", c == null ? "n/a" : fmt(c, "%.1f"), peaks.get("cLoopHow")));
            Double pt = (Double) peaks.get("cLoopPerThreadGflops");
            md.append(String.format(Locale.ROOT, "| C loop, summed per thread | %s | each thread's own best run |%n",
                    pt == null ? "n/a" : fmt(pt, "%.1f")));
            md.append(String.format(Locale.ROOT, "| probe / C loop (target >= %.2f) | %s | %s |%n%n", PROBE_TARGET,
                    c == null ? "n/a" : fmt((Double) peaks.get("probeOverCLoop"), "%.2f"),
                    c == null ? "not measured" : verdict((Double) peaks.get("probeOverCLoop"), PROBE_TARGET)));
        }
        List<Map<String, Object>> train = (List<Map<String, Object>>) doc.get("train");
        if (!train.isEmpty()) {
            md.append("## Training steps beside PyTorch\n\n");
            md.append("The VAE's, RealNVP's and MAF's steps take turns with their peers' in " + SEGMENTS
                    + " segments (`bench train --segments`; the ratio is over the totals); the GANs and the RBM run GenZoo's steps,"
                    + " then the peer's.\n\n");
            md.append("| model | run | GenZoo ms/step | PyTorch ms/step | ratio (examples/s) | target | verdict | peer configuration |\n");
            md.append("|---|---:|---:|---:|---:|---:|---|---|\n");
            for (Map<String, Object> t : train) {
                for (Map<String, Object> row : (List<Map<String, Object>>) t.get("rows")) {
                    double ratio = row.containsKey("ratio") ? (Double) row.get("ratio") : Double.NaN;
                    md.append(String.format(Locale.ROOT, "| %s | %d | %.2f | %s | %s | %.2fx | %s | %s |%n", row.get("label"), (Integer) t.get("run"),
                            (Double) row.get("msPerStep"), row.containsKey("peerMsPerStep") ? fmt((Double) row.get("peerMsPerStep"), "%.2f") : "n/a",
                            fmt(ratio, "%.2fx"), (Double) row.get("target"), verdict(ratio, (Double) row.get("target")),
                            row.containsKey("peerConfig") ? peerConfig((JsonNode) row.get("peerConfig")) : cell(row.get("peerError"))));
                }
            }
            md.append('\n');
        }
        List<Map<String, Object>> gemm = (List<Map<String, Object>>) doc.get("gemm");
        if (!gemm.isEmpty()) {
            md.append("## GEMM beside torch.mm (wall clock per product, median)\n\n");
            md.append("One product waited for (the queue's round trip included; timed without profiling events, the device time in "
                    + "brackets from a second pass with them), and a stream of products enqueued back to back with one "
                    + "wait (as a training step runs them; torch.mm the same products in a loop).\n\n");
            md.append("| product | run | GenZoo us (device us) | GenZoo GFLOP/s | torch.mm us | ratio | verdict | stream: GenZoo us | torch.mm us"
                    + " | ratio | verdict | target |\n");
            md.append("|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---|---:|\n");
            for (Map<String, Object> g : gemm) {
                double ratio = g.containsKey("ratio") ? (Double) g.get("ratio") : Double.NaN;
                double sRatio = g.containsKey("streamRatio") ? (Double) g.get("streamRatio") : Double.NaN;
                double target = (Double) g.get("target");
                md.append(String.format(Locale.ROOT, "| %s | %d | %.1f (%.1f) | %.1f | %s | %s | %s | %.1f | %s | %s | %s | %.2fx |%n",
                        g.get("case"), (Integer) g.get("run"), (Double) g.get("wallMicros"), (Double) g.get("deviceMicros"),
                        (Double) g.get("gflops"), g.containsKey("peerMicros") ? fmt((Double) g.get("peerMicros"), "%.1f") : cell(g.get("peerError")),
                        fmt(ratio, "%.2fx"), verdict(ratio, target), (Double) g.get("streamMicros"),
                        g.containsKey("peerStreamMicros") ? fmt((Double) g.get("peerStreamMicros"), "%.1f") : "n/a", fmt(sRatio, "%.2fx"),
                        verdict(sRatio, target), target));
            }
            md.append('\n');
        }
        List<Map<String, Object>> base = (List<Map<String, Object>>) doc.get("baseline");
        if (!base.isEmpty()) {
            md.append("## VAE beside the baseline jar\n\n");
            md.append("| run | first | baseline (commit) ms/step | this build ms/step | ratio (examples/s) | target | verdict |\n");
            md.append("|---:|---|---:|---:|---:|---:|---|\n");
            for (Map<String, Object> b : base) {
                md.append(String.format(Locale.ROOT, "| %d | %s | %.2f (%s) | %.2f | %.2fx | %.2fx | %s |%n", (Integer) b.get("run"),
                        b.get("first"), (Double) b.get("baselineMsPerStep"), b.get("baselineCommit"), (Double) b.get("msPerStep"),
                        (Double) b.get("ratio"), (Double) b.get("target"), verdict((Double) b.get("ratio"), (Double) b.get("target"))));
            }
            md.append('\n');
        }
        return md.toString();
    }

    /**
     * One entry per comparison (a training row, a GEMM product, the baseline VAE) with its ratio from
     * every run, in run order, their median (NaN where a run had no peer) and the target.
     */
    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> summary(Map<String, Object> doc) {
        Map<String, Map<String, Object>> byKey = new LinkedHashMap<>();
        for (Map<String, Object> t : (List<Map<String, Object>>) doc.getOrDefault("train", List.of())) {
            for (Map<String, Object> row : (List<Map<String, Object>>) t.get("rows")) {
                add(byKey, "train " + row.get("label"), row.get("ratio"), (Double) row.get("target"));
            }
        }
        Map<Integer, Integer> seen = new java.util.HashMap<>();
        for (Map<String, Object> g : (List<Map<String, Object>>) doc.getOrDefault("gemm", List.of())) {
            int i = seen.merge((Integer) g.get("run"), 1, Integer::sum); // the same products in the same order every run
            add(byKey, String.format(Locale.ROOT, "%s (product %d, one waited)", g.get("case"), i), g.get("ratio"), (Double) g.get("target"));
            add(byKey, String.format(Locale.ROOT, "%s (product %d, stream)", g.get("case"), i), g.get("streamRatio"), (Double) g.get("target"));
        }
        for (Map<String, Object> b : (List<Map<String, Object>>) doc.getOrDefault("baseline", List.of())) {
            add(byKey, "vae beside " + b.get("baselineCommit"), b.get("ratio"), (Double) b.get("target"));
        }
        List<Map<String, Object>> out = new ArrayList<>();
        for (Map<String, Object> r : byKey.values()) {
            List<Double> ratios = (List<Double>) r.get("ratios");
            List<Double> sorted = ratios.stream().filter(v -> !Double.isNaN(v)).sorted().toList();
            int n = sorted.size();
            r.put("median", n == 0 ? Double.NaN : n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2);
            out.add(r);
        }
        return out;
    }

    private static void add(Map<String, Map<String, Object>> byKey, String key, Object ratio, double target) {
        Map<String, Object> r = byKey.computeIfAbsent(key, k -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("comparison", k);
            m.put("ratios", new ArrayList<Double>());
            m.put("target", target);
            return m;
        });
        @SuppressWarnings("unchecked")
        List<Double> ratios = (List<Double>) r.get("ratios");
        ratios.add(ratio instanceof Double d ? d : Double.NaN);
    }

    /** Text for one table cell: one line, no column bars, the end of a long message (where the reason is). */
    static String cell(Object o) {
        String s = String.valueOf(o).strip().replace('\n', ' ').replace("|", "\\|");
        return s.length() > 240 ? "..." + s.substring(s.length() - 240) : s;
    }

    /** The peer's configuration as it read it back: torch threads, BLAS and its threads, denormals. */
    static String peerConfig(JsonNode c) {
        if (c == null || c.isMissingNode() || c.isNull()) {
            return "not reported";
        }
        String blas = c.path("blas").asText("?");
        int slash = blas.lastIndexOf('/');
        return String.format(Locale.ROOT, "torch threads %s, %s %s x%s, denormals %s", c.path("threads").asText("?"),
                slash >= 0 ? blas.substring(slash + 1) : blas, c.path("blasThreading").asText(""), c.path("blasThreads").asText("?"),
                c.path("flushDenormal").asBoolean() ? "flushed" : "NOT flushed");
    }
}
