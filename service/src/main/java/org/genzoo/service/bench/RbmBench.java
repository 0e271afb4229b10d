package org.genzoo.service.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.genzoo.host.Device;
import org.genzoo.host.tensor.Tensor;
import org.genzoo.models.data.Dataset;
import org.genzoo.models.data.Datasets;
import org.genzoo.models.ebm.RbmBenchStep;
import org.genzoo.models.eval.ImportanceSampling;
import org.genzoo.service.cli.DeviceOptions;
import picocli.CommandLine.Option;

/**
 * {@code genzoo bench train --model rbm}: RBM training throughput (examples/s) for CD-k and PCD-k
 * configurations on the same binarized MNIST batches, optionally beside PyTorch (same step,
 * {@code torch.set_num_threads(--torch-threads)}) and scikit-learn's BernoulliRBM (PCD-1 only), all
 * in one run. The data is binarized once and handed to the peers as a file, so every side trains on
 * the same examples in the same order.
 */
public final class RbmBench {
    /** The rbm options TrainBench mixes in. */
    public static final class Options {
        @Option(names = "--rbm-hidden", defaultValue = "500", description = "RBM hidden units (default ${DEFAULT-VALUE}).")
        int hidden;

        @Option(names = "--rbm-configs", defaultValue = "cd1,cd10,pcd1",
                description = "RBM training configurations, method and k (default ${DEFAULT-VALUE}).")
        String configs;

        @Option(names = "--torch-threads", defaultValue = "1", description = "torch.set_num_threads of the PyTorch peer (default ${DEFAULT-VALUE}).")
        int torchThreads;
    }

    record Config(String method, int k) {
        String label() {
            return method.toUpperCase(Locale.ROOT) + "-" + k;
        }
    }

    private final Options o;

    public RbmBench(Options o) {
        this.o = o;
    }

    static List<Config> parse(String s) {
        List<Config> out = new ArrayList<>();
        for (String part : s.split(",")) {
            String p = part.strip().toLowerCase(Locale.ROOT);
            String m = p.startsWith("pcd") ? "pcd" : p.startsWith("cd") ? "cd" : null;
            if (m == null) {
                throw new IllegalArgumentException("--rbm-configs: each entry is cd<k> or pcd<k> (cd1, cd10, pcd1), got '" + part + "'");
            }
            try {
                int k = Integer.parseInt(p.substring(m.length()));
                if (k < 1) {
                    throw new NumberFormatException();
                }
                out.add(new Config(m, k));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--rbm-configs: k must be a positive integer in '" + part + "'");
            }
        }
        return out;
    }

    /**
     * Runs every configuration (and the peers); returns the result map TrainBench reports.
     * {@code torchEnv} goes to the PyTorch peer (GENZOO_PEER_DEVICE: cpu or cuda); scikit-learn runs on the CPU.
     */
    public Map<String, Object> run(DeviceOptions dopt, int batch, int steps, int warmup, String dataset, boolean peer,
            Map<String, String> torchEnv) throws IOException, InterruptedException {
        List<Config> configs = parse(o.configs);
        Dataset train = Datasets.load(dataset, null).train();
        int n = train.size();
        int d = train.dim();
        if (n < batch) {
            throw new IllegalArgumentException("--batch " + batch + " is larger than the training set (" + n + ")");
        }
        Map<String, Object> result = new LinkedHashMap<>();
        List<Map<String, Object>> rows = new ArrayList<>();
        List<Object> torch = new ArrayList<>();
        Path file = peer ? Files.createTempFile("genzoo-rbm-data", ".f32") : null;
        try (Device dev = Device.open(dopt.binding, dopt.device)) {
            result.put("provenance", Provenance.of(dev));
            result.put("device", dev.info().name());
            result.put("model", String.format(Locale.ROOT, "RBM %d-%d, batch %d, SGD lr 0.05 momentum 0.5 wd 1e-4, %s", d, o.hidden, batch,
                    dataset));
            try (Tensor grey = Tensor.of(dev, n, d, train.x()); Tensor data = ImportanceSampling.fixedBinarization(grey, 1)) {
                if (peer) {
                    float[] bin = data.toArray();
                    ByteBuffer buf = ByteBuffer.allocate(bin.length * 4).order(ByteOrder.LITTLE_ENDIAN);
                    buf.asFloatBuffer().put(bin);
                    Files.write(file, buf.array());
                }
                // each configuration is timed, then its peers right away, so a changing load hits both sides alike
                for (Config c : configs) {
                    rows.add(timeGenzoo(dev, data, d, batch, c, steps, warmup));
                    if (peer) {
                        torch.add(runPeer("torch", file, n, d, batch, c, steps, warmup, torchEnv));
                        if (c.method().equals("pcd") && c.k() == 1) {
                            result.put("sklearn", runPeer("sklearn", file, n, d, batch, c, steps, warmup, Map.of()));
                        }
                    }
                }
            }
        } finally {
            if (file != null) {
                Files.deleteIfExists(file);
            }
        }
        result.put("genzoo", rows);
        if (peer) {
            result.put("pytorch", torch);
            if (!result.containsKey("sklearn")) {
                result.put("sklearn", "scikit-learn runs beside a pcd1 configuration only");
            }
        }
        return result;
    }

    /** Times one configuration (warm-up, timed steps, then a profiled pass for the per-kernel device times). */
    private Map<String, Object> timeGenzoo(Device dev, Tensor data, int d, int batch, Config c, int steps, int warmup) {
        int n = data.rows();
        try (RbmBenchStep s = new RbmBenchStep(dev, d, o.hidden, c.method(), c.k(), batch, 1)) {
            int batches = n / batch;
            for (int i = 0; i < warmup; i++) {
                s.step(data.rows((i % batches) * batch, (i % batches + 1) * batch));
            }
            dev.finish();
            long t0 = System.nanoTime();
            for (int i = 0; i < steps; i++) {
                s.step(data.rows((i % batches) * batch, (i % batches + 1) * batch));
            }
            dev.finish();
            double sec = (System.nanoTime() - t0) / 1e9;
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("config", c.label());
            row.put("msPerStep", 1e3 * sec / steps);
            row.put("examplesPerSecond", batch * steps / sec);
            row.put("reconError", s.monitor());
            // a profiled pass: device time per kernel (each launch waited for, so not part of the timing above)
            Map<String, long[]> per = new java.util.TreeMap<>();
            dev.setKernelTiming((kname, ns) -> {
                long[] v = per.computeIfAbsent(kname, q -> new long[2]);
                v[0] += ns;
                v[1]++;
            }, 1);
            int profiled = Math.min(steps, 20);
            for (int i = 0; i < profiled; i++) {
                s.step(data.rows((i % batches) * batch, (i % batches + 1) * batch));
            }
            dev.finish();
            dev.setKernelTiming(null, 0);
            Map<String, Object> kernels = new LinkedHashMap<>();
            per.entrySet().stream().sorted((a, b) -> Long.compare(b.getValue()[0], a.getValue()[0]))
                    .forEach(e -> kernels.put(e.getKey(), Map.of("microsPerStep", e.getValue()[0] / 1e3 / profiled,
                            "launchesPerStep", e.getValue()[1] / (double) profiled)));
            row.put("deviceMsPerStep", per.values().stream().mapToLong(v -> v[0]).sum() / 1e6 / profiled);
            row.put("kernels", kernels);
            return row;
        }
    }

    private Object runPeer(String which, Path data, int n, int d, int batch, Config c, int steps, int warmup, Map<String, String> env)
            throws IOException, InterruptedException {
        List<String> args = List.of(which, data.toString(), Integer.toString(n), Integer.toString(d), Integer.toString(o.hidden),
                Integer.toString(batch), Integer.toString(c.k()), c.method(), Integer.toString(steps), Integer.toString(warmup),
                Integer.toString(o.torchThreads));
        Object j = TorchPeer.run("rbm_peer.py", args, env, 20);
        if (j instanceof com.fasterxml.jackson.databind.node.ObjectNode on && which.equals("torch")) {
            on.put("config", c.label());
        }
        return j;
    }

    /** The side-by-side table. */
    @SuppressWarnings("unchecked")
    static void print(PrintWriter out, Map<String, Object> r) {
        out.printf(Locale.ROOT, "%s on %s%n", r.get("model"), r.get("device"));
        List<Map<String, Object>> rows = (List<Map<String, Object>>) r.get("genzoo");
        List<Object> torch = (List<Object>) r.get("pytorch");
        for (int i = 0; i < rows.size(); i++) {
            Map<String, Object> g = rows.get(i);
            double gz = (double) g.get("examplesPerSecond");
            out.printf(Locale.ROOT, "  %-7s genzoo %8.0f examples/s (%.2f ms/step)", g.get("config"), gz, (double) g.get("msPerStep"));
            if (torch != null && torch.get(i) instanceof JsonNode t && t.has("examplesPerSecond")) {
                double pt = t.get("examplesPerSecond").asDouble();
                out.printf(Locale.ROOT, " | %s %8.0f examples/s -> %.2fx", t.get("peer").asText(), pt, gz / pt);
            } else if (torch != null) {
                out.print(" | " + torch.get(i));
            }
            out.println();
            if (g.get("kernels") instanceof Map<?, ?> ks) {
                out.printf(Locale.ROOT, "          device %.2f ms/step (profiled pass):", (double) g.get("deviceMsPerStep"));
                ks.entrySet().stream().limit(6).forEach(e -> {
                    Map<String, Object> v = (Map<String, Object>) e.getValue();
                    out.printf(Locale.ROOT, " %s %.0f us x%.0f;", e.getKey(), (double) v.get("microsPerStep"), (double) v.get("launchesPerStep"));
                });
                out.println();
            }
        }
        Object sk = r.get("sklearn");
        if (sk instanceof JsonNode s && s.has("examplesPerSecond")) {
            double ps = s.get("examplesPerSecond").asDouble();
            out.printf(Locale.ROOT, "  %s %8.0f examples/s", s.get("peer").asText(), ps);
            rows.stream().filter(g -> "PCD-1".equals(g.get("config"))).findFirst().ifPresent(
                    g -> out.printf(Locale.ROOT, " -> genzoo PCD-1 %.2fx", (double) g.get("examplesPerSecond") / ps));
            out.println();
        } else if (sk != null) {
            out.println("  " + sk);
        }
    }
}
