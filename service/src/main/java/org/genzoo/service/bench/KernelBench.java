package org.genzoo.service.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import org.genzoo.host.Device;
import org.genzoo.service.cli.ExitCodes;
import org.genzoo.service.cli.DeviceOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code genzoo bench kernels}: every kernel family at representative shapes. Each case is first
 * validated against its plain-Java reference, then run {@code --reps} times after a warm-up; the
 * time of a run is the sum of the device times (profiling events) of the kernels it launched, and
 * the table gives the median with GFLOP/s, GB/s and the fraction of the measured device peaks (the FMA
 * ceiling is the higher of the OpenCL probe and, on a CPU, the plain C loop of fma-peak.c: see Peaks).
 */
@Command(name = "kernels", mixinStandardHelpOptions = true, description = "Time every kernel family; GEMM side by side with CLBlast.")
public final class KernelBench implements Callable<Integer> {
    @Mixin
    DeviceOptions deviceOptions;

    @Option(names = "--only", description = "Regular expression on case names, e.g. 'gemm'.")
    String only;

    @Option(names = "--reps", defaultValue = "9", description = "Timed runs per case (default ${DEFAULT-VALUE}).")
    int reps;

    @Option(names = "--json", description = "Print JSON (with provenance: device, driver, binding, JVM, commit, defines, date).")
    boolean json;

    @Option(names = "--out", description = "Also write the JSON to this file (input for `genzoo bench compare`).")
    java.nio.file.Path outFile;

    @Option(names = "--quick", description = "Token peak probes (for simulators such as Oclgrind, where only correctness matters).")
    boolean quick;

    @Spec
    CommandSpec spec;

    /** The cases, in report order. */
    static List<BenchCase> cases() {
        List<BenchCase> list = new ArrayList<>();
        for (int s : new int[] {256, 512, 1024, 2048}) {
            list.add(new GemmCase("square", s, s, s, false, false));
        }
        // An MLP VAE step, batch 128, 784-400: forward products and the transposed products of backward.
        list.add(new GemmCase("VAE fwd 784->400", 128, 400, 784, false, true));
        list.add(new GemmCase("VAE fwd 400->784", 128, 784, 400, false, true));
        list.add(new GemmCase("VAE fwd, W stored KxN", 128, 400, 784, false, false));
        list.add(new GemmCase("VAE fwd, W stored KxN", 128, 784, 400, false, false));
        list.add(new GemmCase("VAE bwd dW = dY^T X", 784, 400, 128, true, false));
        list.add(new GemmCase("VAE bwd dW = dY^T X", 400, 784, 128, true, false));
        list.add(new GemmCase("VAE bwd dX = dY W", 128, 784, 400, false, false));
        list.add(new GemmCase("VAE bwd dX = dY W^T", 128, 784, 400, false, true));
        // The same step's small products, 400-20 (the latent's mean and log-variance: 40 outputs) and 20-400.
        list.add(new GemmCase("VAE fwd 400->40", 128, 40, 400, false, true));
        list.add(new GemmCase("VAE fwd 20->400", 128, 400, 20, false, true));
        list.add(new GemmCase("VAE bwd dW 400->40", 40, 400, 128, true, false));
        list.add(new GemmCase("VAE bwd dX 400->40", 128, 400, 40, false, false));
        list.add(new GemmCase("VAE bwd dW 20->400", 400, 20, 128, true, false));
        list.add(new GemmCase("VAE bwd dX 20->400", 128, 20, 400, false, false));
        // A RealNVP coupling net 2-256-256-4 at batch 512 (bench train --model realnvp; W stored out x in): forward
        // y = x W^T, backward dW = dY^T X and dX = dY W. The 2- and 4-column outputs run gemm_thin on a CPU.
        int[][] nvp = {{2, 256}, {256, 256}, {256, 4}};
        for (int[] l : nvp) {
            String io = l[0] + "->" + l[1];
            list.add(new GemmCase("RealNVP fwd " + io, 512, l[1], l[0], false, true));
            list.add(new GemmCase("RealNVP bwd dW " + io, l[1], l[0], 512, true, false));
            list.add(new GemmCase("RealNVP bwd dX " + io, 512, l[0], l[1], false, false));
        }
        list.addAll(OpCases.all());
        list.addAll(SpectralCases.all());
        list.addAll(GanCases.all());
        list.addAll(FlowCases.all());
        list.addAll(GibbsCases.all());
        return list;
    }

    @Override
    public Integer call() throws Exception {
        if (reps < 1) {
            throw new IllegalArgumentException("--reps must be at least 1, got " + reps);
        }
        PrintWriter out = spec.commandLine().getOut();
        List<BenchCase> chosen = select(cases(), only);
        if (chosen.isEmpty()) {
            PrintWriter err = spec.commandLine().getErr();
            err.println("genzoo: --only '" + only + "' matches no case (a regular expression searched in the case names); the cases are:");
            for (String n : new java.util.LinkedHashSet<>(cases().stream().map(BenchCase::name).toList())) {
                err.println("  " + n);
            }
            err.flush();
            return ExitCodes.USAGE;
        }
        List<Map<String, Object>> rows = new ArrayList<>();
        try (Device dev = Device.open(deviceOptions.binding, deviceOptions.device)) {
            Peaks peaks = Peaks.measure(dev, quick);
            if (!json) {
                out.printf(Locale.ROOT, "device: %s (%s binding)%nmeasured peaks: FMA %.0f GFLOP/s (%s), stream copy %.1f GB/s (%s)%n",
                        dev.info().name(), dev.api().name(), peaks.gflops(), peaks.fmaHow(), peaks.gbps(), peaks.bandwidthHow());
                out.printf(Locale.ROOT, "C loop of FMA chains: %s%nFMA ceiling for %% of peak: %.0f GFLOP/s (%s)%n",
                        peaks.cLoop().measured() ? String.format(Locale.ROOT, "%.0f GFLOP/s (%s)", peaks.cLoop().gflops(), peaks.cLoop().how())
                                : peaks.cLoop().how(), peaks.ceiling(), peaks.ceilingHow());
                out.flush();
            }
            long[] sum = new long[1];
            if (dev.info().type().contains("gpu") && (only == null || Pattern.compile(only).matcher("gemm NN M=4096 N=4096 K=4096 (square)").find())) {
                // The size at which a GPU GEMM is compared with PyTorch's FP32 matmul (scripts/gpu-bench.sh).
                chosen = new ArrayList<>(chosen);
                chosen.add(0, new GemmCase("square", 4096, 4096, 4096, false, false));
            }
            for (BenchCase c : chosen) {
                c.setup(dev);
                try {
                    dev.setKernelTiming(null, 0);
                    c.validate();
                    dev.finish();
                    dev.setKernelTiming((kernel, ns) -> sum[0] += ns, 1);
                    c.run();
                    dev.finish(); // warm-up
                    long[] t = new long[reps];
                    for (int i = 0; i < reps; i++) {
                        sum[0] = 0;
                        c.run();
                        dev.finish();
                        t[i] = sum[0];
                    }
                    dev.setKernelTiming(null, 0);
                    double ours = median(t);
                    double peer = -1;
                    if (c.peerRunNanos() >= 0) {
                        long[] p = new long[reps];
                        for (int i = 0; i < reps; i++) {
                            p[i] = c.peerRunNanos();
                        }
                        peer = median(p);
                    }
                    rows.add(row(c, ours, peer, peaks));
                    // the fastest run beside the median: on a loaded machine the median of a 2-work-group kernel
                    // swings with how the neighbours' threads share the cores, the fastest much less
                    rows.get(rows.size() - 1).put("minMicros", Arrays.stream(t).min().getAsLong() / 1e3);
                    if (!json) {
                        Map<String, Object> r = rows.get(rows.size() - 1);
                        out.println(line(r));
                        out.flush();
                    }
                } finally {
                    c.close();
                }
            }
            if (json || outFile != null) {
                Map<String, Object> doc = new LinkedHashMap<>();
                doc.put("kind", "kernels");
                doc.put("provenance", Provenance.of(dev));
                doc.put("device", dev.info().name());
                doc.put("binding", dev.api().name());
                doc.put("peakGflops", peaks.gflops());
                doc.put("peakHow", peaks.fmaHow());
                doc.put("cLoopGflops", peaks.cLoop().measured() ? peaks.cLoop().gflops() : null);
                doc.put("cLoopPerThreadGflops", peaks.cLoop().measured() ? peaks.cLoop().perThreadGflops() : null);
                doc.put("cLoopHow", peaks.cLoop().how());
                doc.put("ceilingGflops", peaks.ceiling());
                doc.put("ceilingHow", peaks.ceilingHow());
                doc.put("peakGBps", peaks.gbps());
                doc.put("bandwidthHow", peaks.bandwidthHow());
                doc.put("cases", rows);
                String text = new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(doc);
                if (json) {
                    out.println(text);
                }
                if (outFile != null) {
                    java.nio.file.Files.writeString(outFile, text + "\n");
                }
            }
        }
        out.flush();
        return ExitCodes.OK;
    }

    /** The cases whose names {@code only} finds (all when null); a malformed expression is a usage error. */
    static List<BenchCase> select(List<BenchCase> all, String only) {
        if (only == null) {
            return all;
        }
        Pattern filter;
        try {
            filter = Pattern.compile(only);
        } catch (java.util.regex.PatternSyntaxException e) {
            throw new IllegalArgumentException("--only '" + only + "' is not a regular expression: " + e.getDescription());
        }
        return all.stream().filter(c -> filter.matcher(c.name()).find()).toList();
    }

    /** The median of the values (the mean of the middle two for an even count); {@code t} is left as it is. */
    static double median(long[] t) {
        long[] s = t.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2.0;
    }

    private static Map<String, Object> row(BenchCase c, double ns, double peerNs, Peaks peaks) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("case", c.name());
        r.put("family", c.family());
        r.put("medianMicros", ns / 1e3);
        double gflops = c.cost().flops() / ns;
        double gbps = c.cost().bytes() / ns;
        r.put("gflops", gflops);
        r.put("gbps", gbps);
        r.put("pctPeakFlops", 100 * gflops / peaks.ceiling());
        r.put("pctPeakBandwidth", 100 * gbps / peaks.gbps());
        if (peerNs >= 0) {
            r.put("peer", c.peerName());
            r.put("peerMicros", peerNs / 1e3);
            r.put("peerGflops", c.cost().flops() / peerNs);
            r.put("speedupVsPeer", peerNs / ns);
        }
        return r;
    }

    private static String line(Map<String, Object> r) {
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%-58s %10.1f us %8.1f GFLOP/s %7.1f GB/s  %5.1f%% FMA peak %5.1f%% BW peak",
                r.get("case"), (Double) r.get("medianMicros"), (Double) r.get("gflops"), (Double) r.get("gbps"),
                (Double) r.get("pctPeakFlops"), (Double) r.get("pctPeakBandwidth")));
        if (r.containsKey("minMicros")) {
            sb.append(String.format(Locale.ROOT, " (fastest %.1f us)", (Double) r.get("minMicros")));
        }
        if (r.containsKey("peer")) {
            sb.append(String.format(Locale.ROOT, " | %s %10.1f us %8.1f GFLOP/s | ours %.2fx", r.get("peer"), (Double) r.get("peerMicros"),
                    (Double) r.get("peerGflops"), (Double) r.get("speedupVsPeer")));
        }
        return sb.toString();
    }

}
