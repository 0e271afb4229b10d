package org.genzoo.service.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.genzoo.host.Device;
import org.genzoo.host.autograd.Adam;
import org.genzoo.host.autograd.Tape;
import org.genzoo.host.autograd.Var;
import org.genzoo.models.data.DatasetSplits;
import org.genzoo.models.data.Datasets;
import org.genzoo.models.data.DeviceDataset;
import org.genzoo.models.vae.Activation;
import org.genzoo.models.vae.Likelihood;
import org.genzoo.models.vae.Vae;
import org.genzoo.models.vae.VaeConfig;
import org.genzoo.service.cli.ExitCodes;
import org.genzoo.service.cli.DeviceOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code genzoo bench train}: training throughput of the VAE 784-H-L-H-784 (ReLU, Bernoulli
 * decoder, Adam) on dynamically binarized MNIST minibatches drawn on the device. A step is the
 * whole thing: gather, binarize, forward, backward, Adam. Throughput is wall-clock examples per
 * second over {@code --steps} steps after a warm-up, with one finish at the end (no host
 * round-trips inside). A second, profiled pass gives the device time per kernel. With
 * {@code --peer}, the same step in PyTorch on the CPU (if /usr/bin/python3 has torch) runs in
 * the same command for a side-by-side figure.
 */
@Command(name = "train", mixinStandardHelpOptions = true, description = "VAE training throughput (examples/s), optionally beside PyTorch.")
public final class TrainBench implements Callable<Integer> {
    @Mixin
    DeviceOptions deviceOptions;

    @Option(names = "--batch", defaultValue = "128")
    int batch;

    @Option(names = "--hidden", defaultValue = "400")
    int hidden;

    @Option(names = "--latent", defaultValue = "20")
    int latent;

    @Option(names = "--steps", defaultValue = "300", description = "Timed steps (default ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--warmup", defaultValue = "30")
    int warmup;

    @Option(names = "--dataset", defaultValue = "mnist")
    String dataset;

    @Option(names = "--peer", description = "Also run the PyTorch CPU peer (/usr/bin/python3 with torch).")
    boolean peer;

    @Option(names = "--json")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (steps < 1 || warmup < 0 || batch < 1) {
            throw new IllegalArgumentException("--steps and --batch must be positive and --warmup not negative");
        }
        PrintWriter out = spec.commandLine().getOut();
        Map<String, Object> result = new LinkedHashMap<>();
        DatasetSplits splits = Datasets.load(dataset, null);
        VaeConfig cfg = VaeConfig.builder(splits.train().dim(), latent).hidden(hidden).activation(Activation.RELU)
                .likelihood(Likelihood.BERNOULLI).elbo().seed(1).build();
        try (Device dev = Device.open(deviceOptions.binding, deviceOptions.device);
             Vae vae = new Vae(dev, cfg);
             Adam adam = new Adam(dev, vae.params(), 1e-3f);
             DeviceDataset data = new DeviceDataset(dev, splits.train(), batch, 1, true)) {
            long step = 0;
            for (int i = 0; i < warmup; i++) {
                step(vae, adam, data, step++, dev);
            }
            dev.finish();
            long t0 = System.nanoTime();
            for (int i = 0; i < steps; i++) {
                step(vae, adam, data, step++, dev);
            }
            dev.finish();
            double sec = (System.nanoTime() - t0) / 1e9;
            float loss = lastLoss(vae);
            result.put("device", dev.info().name());
            result.put("model", String.format(Locale.ROOT, "VAE %d-%d-%d-%d-%d Bernoulli, batch %d, Adam", splits.train().dim(), hidden,
                    latent, hidden, splits.train().dim(), batch));
            result.put("msPerStep", 1e3 * sec / steps);
            result.put("examplesPerSecond", batch * steps / sec);
            result.put("finalLoss", loss);
            Map<String, long[]> per = new TreeMap<>();
            dev.setKernelTiming((k, ns) -> {
                long[] v = per.computeIfAbsent(k, q -> new long[2]);
                v[0] += ns;
                v[1]++;
            }, 1);
            int profiled = Math.min(steps, 50);
            for (int i = 0; i < profiled; i++) {
                step(vae, adam, data, step++, dev);
            }
            dev.finish();
            dev.setKernelTiming(null, 0);
            Map<String, Object> kernels = new LinkedHashMap<>();
            long total = 0;
            long launches = 0;
            for (long[] v : per.values()) {
                total += v[0];
                launches += v[1];
            }
            per.entrySet().stream().sorted((a, b) -> Long.compare(b.getValue()[0], a.getValue()[0]))
                    .forEach(e -> kernels.put(e.getKey(), Map.of("microsPerStep", e.getValue()[0] / 1e3 / profiled,
                            "launchesPerStep", e.getValue()[1] / (double) profiled)));
            result.put("deviceMsPerStep", total / 1e6 / profiled);
            result.put("launchesPerStep", launches / (double) profiled);
            result.put("kernels", kernels);
        }
        if (peer) {
            result.put("peer", runTorch());
        }
        if (json) {
            out.println(new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(result));
        } else {
            out.printf(Locale.ROOT, "%s on %s%n  genzoo: %.2f ms/step, %.0f examples/s (loss %.2f after %d steps)%n", result.get("model"),
                    result.get("device"), (Double) result.get("msPerStep"), (Double) result.get("examplesPerSecond"),
                    (Float) result.get("finalLoss"), warmup + steps);
            out.printf(Locale.ROOT, "  device time %.2f ms/step in %.0f launches; top kernels:%n", (Double) result.get("deviceMsPerStep"),
                    (Double) result.get("launchesPerStep"));
            @SuppressWarnings("unchecked")
            Map<String, Map<String, Double>> ks = (Map<String, Map<String, Double>>) result.get("kernels");
            ks.entrySet().stream().limit(8).forEach(e -> out.printf(Locale.ROOT, "    %-42s %8.1f us/step (%.0f launches)%n", e.getKey(),
                    e.getValue().get("microsPerStep"), e.getValue().get("launchesPerStep")));
            if (result.get("peer") instanceof JsonNode p) {
                out.printf(Locale.ROOT, "  %s: %.2f ms/step, %.0f examples/s -> genzoo/peer throughput %.2fx%n", p.get("peer").asText(),
                        p.get("msPerStep").asDouble(), p.get("examplesPerSecond").asDouble(),
                        (Double) result.get("examplesPerSecond") / p.get("examplesPerSecond").asDouble());
            } else if (peer) {
                out.println("  peer: " + result.get("peer"));
            }
        }
        out.flush();
        return ExitCodes.OK;
    }

    private static void step(Vae vae, Adam adam, DeviceDataset data, long step, Device dev) {
        try (Tape t = Tape.record(dev)) {
            Var loss = vae.loss(t, data.nextBatch(), step);
            t.backward(loss);
            adam.step();
        }
    }

    private static float lastLoss(Vae vae) {
        return vae.lastMetrics().getOrDefault("loss", Float.NaN);
    }

    /** Runs the bundled PyTorch script; returns its JSON, or a string saying why it could not run. */
    private Object runTorch() throws IOException, InterruptedException {
        Path script = Files.createTempFile("genzoo-vae-torch", ".py");
        try (InputStream in = TrainBench.class.getResourceAsStream("vae_torch.py")) {
            if (in == null) {
                return "bundled vae_torch.py missing";
            }
            Files.write(script, in.readAllBytes());
        }
        try {
            Process p = new ProcessBuilder("/usr/bin/python3", script.toString(), Integer.toString(batch), Integer.toString(hidden),
                    Integer.toString(latent), Integer.toString(steps), Integer.toString(warmup)).redirectErrorStream(true).start();
            String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
                return "PyTorch peer failed (install python3-torch for /usr/bin/python3): " + text;
            }
            List<String> lines = text.lines().toList();
            return new ObjectMapper().readTree(lines.get(lines.size() - 1));
        } finally {
            Files.deleteIfExists(script);
        }
    }
}
