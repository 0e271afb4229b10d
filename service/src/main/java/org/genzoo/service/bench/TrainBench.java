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
import java.util.TreeMap;
import java.util.concurrent.Callable;
import org.genzoo.host.Device;
import org.genzoo.host.autograd.Adam;
import org.genzoo.host.autograd.Tape;
import org.genzoo.host.autograd.Var;
import org.genzoo.models.data.DatasetSplits;
import org.genzoo.models.data.Datasets;
import org.genzoo.models.data.DeviceDataset;
import org.genzoo.models.flow.FlowFamily;
import org.genzoo.models.train.TrainableModel;
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
 * the same command for a side-by-side figure. {@code --model realnvp} and {@code --model maf} time
 * the flow configurations of issue #5 the same way (through the "flow" family's loss, Adam), with
 * their own PyTorch peer (flow_torch.py).
 */
@Command(name = "train", mixinStandardHelpOptions = true, description = "VAE, RealNVP, MAF, GAN or RBM training throughput (examples/s), optionally beside PyTorch.")
public final class TrainBench implements Callable<Integer> {
    @Mixin
    DeviceOptions deviceOptions;

    @Option(names = "--model", defaultValue = "vae", description = "vae (default), realnvp (8 couplings, 2-256-256-4 nets, "
            + "2-D moons, batch 512 unless --batch), maf (5 MADEs with 1,024 hidden units on dequantized MNIST, batch 128), "
            + "gan, sngan, wgan-gp (2-D, G 2-128-128-2, D 2-128-128-1, batch 256; see GanBench) or rbm "
            + "(784-500, batch 100, CD-1/CD-10/PCD-1 beside PyTorch and scikit-learn with --peer; see RbmBench).")
    String model;

    @Option(names = "--batch", description = "Batch size (default 128; 512 for realnvp).")
    Integer batchOption;

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

    @Option(names = "--peer", description = "Also run the PyTorch peer (/usr/bin/python3 with torch, or $GENZOO_PEER_PYTHON).")
    boolean peer;

    @Option(names = "--segments", defaultValue = "1", description = "vae, realnvp or maf with --peer: alternate GenZoo's timed "
            + "steps with the peer's in this many segments of the same length, so that both see the same minutes of a busy machine "
            + "(default ${DEFAULT-VALUE}: GenZoo's run, then the peer's).")
    int segments;

    /** The models whose peers can take turns with GenZoo (--segments). */
    static final List<String> INTERLEAVED = List.of("vae", "realnvp", "maf");

    @Option(names = "--peer-device", defaultValue = "cpu", description = "Where the PyTorch peer runs: cpu (default) or cuda.")
    String peerDevice;

    @Option(names = "--peer-threads", defaultValue = "1", description = "torch.set_num_threads for a CPU peer (default ${DEFAULT-VALUE}: "
            + "PyTorch's best on small machines, with a multi-threaded OpenBLAS underneath).")
    int peerThreads;

    @Option(names = "--json", description = "Print JSON (with provenance: device, driver, binding, JVM, commit, defines, date).")
    boolean json;

    @Mixin
    RbmBench.Options rbmOptions;

    @Option(names = "--out", description = "Also write the JSON to this file (input for `genzoo bench compare`).")
    Path outFile;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        batch = batchOption != null ? batchOption : model.equals("realnvp") ? 512 : GanBench.MODELS.contains(model) ? 256
                : model.equals("rbm") ? 100 : 128;
        if (!List.of("vae", "realnvp", "maf", "rbm").contains(model) && !GanBench.MODELS.contains(model)) {
            throw new IllegalArgumentException("--model must be vae, realnvp, maf, gan, sngan, wgan-gp or rbm, got " + model);
        }
        if (steps < 1 || warmup < 0 || batch < 1) {
            throw new IllegalArgumentException("--steps and --batch must be positive and --warmup not negative");
        }
        if (segments < 1 || segments > steps) {
            throw new IllegalArgumentException("--segments must be between 1 and --steps (" + steps + "), got " + segments);
        }
        if (segments > 1 && (!peer || !INTERLEAVED.contains(model))) {
            throw new IllegalArgumentException("--segments interleaves a model with its PyTorch peer: use it with --peer and --model "
                    + String.join(", ", INTERLEAVED));
        }
        if (!List.of("cpu", "cuda").contains(peerDevice) || peerThreads < 1) {
            throw new IllegalArgumentException("--peer-device must be cpu or cuda and --peer-threads positive, got " + peerDevice + ", "
                    + peerThreads);
        }
        PrintWriter out = spec.commandLine().getOut();
        Map<String, Object> result = new LinkedHashMap<>();
        if (GanBench.MODELS.contains(model)) {
            try (Device dev = Device.open(deviceOptions.binding, deviceOptions.device)) {
                result.put("kind", "train");
                result.put("provenance", Provenance.of(dev));
                GanBench.run(dev, model, batch, warmup, steps, result, run -> profile(dev, run, result));
            }
            if (peer) {
                result.put("peer", GanBench.torch(model, batch, steps, warmup, peerEnv()));
            }
            return report(out, result);
        }
        if (model.equals("rbm")) {
            Map<String, Object> r = new RbmBench(rbmOptions).run(deviceOptions, batch, steps, warmup, dataset, peer, peerEnv());
            r.put("kind", "train");
            String text = new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(r);
            if (outFile != null) {
                Files.writeString(outFile, text + "\n");
            }
            if (json) {
                out.println(text);
            } else {
                RbmBench.print(out, r);
            }
            return ExitCodes.OK;
        }
        if (!model.equals("vae")) {
            return flow(out, result);
        }
        DatasetSplits splits = Datasets.load(dataset, null);
        VaeConfig cfg = VaeConfig.builder(splits.train().dim(), latent).hidden(hidden).activation(Activation.RELU)
                .likelihood(Likelihood.BERNOULLI).elbo().seed(1).build();
        // An interleaved peer starts first: it warms up before GenZoo opens its device, then waits.
        Object session = openSession();
        try (Device dev = Device.open(deviceOptions.binding, deviceOptions.device);
             Vae vae = new Vae(dev, cfg);
             Adam adam = new Adam(dev, vae.params(), 1e-3f);
             DeviceDataset data = new DeviceDataset(dev, splits.train(), batch, 1, true)) {
            long[] step = {0};
            for (int i = 0; i < warmup; i++) {
                step(vae, adam, data, step[0]++, dev);
            }
            dev.finish();
            Runnable one = () -> step(vae, adam, data, step[0]++, dev);
            double sec = timed(dev, one, session, result);
            float loss = lastLoss(vae);
            result.put("kind", "train");
            result.put("provenance", Provenance.of(dev));
            result.put("device", dev.info().name());
            result.put("model", String.format(Locale.ROOT, "VAE %d-%d-%d-%d-%d Bernoulli, batch %d, Adam", splits.train().dim(), hidden,
                    latent, hidden, splits.train().dim(), batch));
            result.put("msPerStep", 1e3 * sec / steps);
            result.put("examplesPerSecond", batch * steps / sec);
            result.put("finalLoss", loss);
            profile(dev, one, result);
        } finally {
            closeSession(session);
        }
        addPeer(session, result);
        return report(out, result);
    }

    /** With --segments, the peer started and warmed up (or why it could not start); else null. */
    private Object openSession() throws IOException {
        return segments > 1 ? TorchPeer.Session.open(model.equals("vae") ? "vae_torch.py" : "flow_torch.py", torchArgs(), peerEnv())
                : null;
    }

    private static void closeSession(Object session) throws IOException {
        if (session instanceof TorchPeer.Session ps) {
            ps.close();
        }
    }

    /** The peer's result: from the interleaved session (already in), why it could not start, or a run of its own now. */
    private void addPeer(Object session, Map<String, Object> result) throws IOException, InterruptedException {
        if (peer && session == null) {
            result.put("peer", runTorch());
        } else if (session instanceof String why) {
            result.put("peer", why);
        }
    }

    /** Seconds of the timed steps: interleaved with the peer's when a session is open, else in one run. */
    private double timed(Device dev, Runnable one, Object session, Map<String, Object> result) throws IOException, InterruptedException {
        if (session instanceof TorchPeer.Session ps) {
            return interleave(dev, one, ps, result);
        }
        long t0 = System.nanoTime();
        for (int i = 0; i < steps; i++) {
            one.run();
        }
        dev.finish();
        return (System.nanoTime() - t0) / 1e9;
    }

    /**
     * The timed steps as {@code segments} runs of GenZoo's steps, each followed by as many of the
     * peer's: GenZoo's seconds in all; the peer's JSON (totals over its segments) goes to "peer" and
     * both sides of every segment to "interleavedSegments", with the median of their ratios.
     */
    private double interleave(Device dev, Runnable one, TorchPeer.Session ps, Map<String, Object> result)
            throws IOException, InterruptedException {
        double sec = 0;
        List<Map<String, Object>> segs = new ArrayList<>();
        long[] ratio = new long[segments];
        for (int s = 0; s < segments; s++) {
            int n = (int) ((long) steps * (s + 1) / segments - (long) steps * s / segments);
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                one.run();
            }
            dev.finish();
            double g = (System.nanoTime() - t0) / 1e9;
            sec += g;
            JsonNode answer = ps.askOrNull("run " + n);
            if (answer == null) {
                continue; // the peer stopped: GenZoo's steps still all count
            }
            double p = answer.path("seconds").asDouble();
            Map<String, Object> seg = new LinkedHashMap<>();
            seg.put("steps", n);
            seg.put("genzooMsPerStep", 1e3 * g / n);
            seg.put("peerMsPerStep", 1e3 * p / n);
            seg.put("ratio", p / g);
            segs.add(seg);
            ratio[s] = Math.round(1e6 * p / g);
        }
        if (ps.error() != null) {
            result.put("peer", ps.error());
            return sec;
        }
        result.put("peer", ps.finish());
        result.put("interleavedSegments", segs);
        result.put("medianSegmentRatio", KernelBench.median(ratio) / 1e6);
        return sec;
    }

    private int report(PrintWriter out, Map<String, Object> result) throws IOException {
        String text = new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(result);
        if (outFile != null) {
            Files.writeString(outFile, text + "\n");
        }
        if (json) {
            out.println(text);
        } else {
            out.printf(Locale.ROOT, "%s on %s%n  genzoo: %.2f ms/step, %.0f examples/s (loss %.2f after %d steps)%n", result.get("model"),
                    result.get("device"), (Double) result.get("msPerStep"), (Double) result.get("examplesPerSecond"),
                    ((Number) result.get("finalLoss")).floatValue(), warmup + steps);
            out.printf(Locale.ROOT, "  device time %.2f ms/step in %.0f launches; top kernels:%n", (Double) result.get("deviceMsPerStep"),
                    (Double) result.get("launchesPerStep"));
            @SuppressWarnings("unchecked")
            Map<String, Map<String, Double>> ks = (Map<String, Map<String, Double>>) result.get("kernels");
            ks.entrySet().stream().limit(8).forEach(e -> out.printf(Locale.ROOT, "    %-42s %8.1f us/step (%.0f launches)%n", e.getKey(),
                    e.getValue().get("microsPerStep"), e.getValue().get("launchesPerStep")));
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> seq = (List<Map<String, Object>>) result.get("launchSequence");
            if (seq != null && seq.size() <= 40) {
                out.println("  one step's launches in order (median device us; median idle us since the previous launch ended):");
                for (Map<String, Object> l : seq) {
                    Object gap = l.get("medianGapBeforeMicros");
                    out.printf(Locale.ROOT, "    %2d %-42s %8.1f %8s%n", (Integer) l.get("index"), l.get("kernel"), (Double) l.get("medianMicros"),
                            gap == null ? "" : String.format(Locale.ROOT, "%.1f", (Double) gap));
                }
            }
            if (result.get("peer") instanceof JsonNode p) {
                out.printf(Locale.ROOT, "  %s: %.2f ms/step, %.0f examples/s -> genzoo/peer throughput %.2fx%n", p.get("peer").asText(),
                        p.get("msPerStep").asDouble(), p.get("examplesPerSecond").asDouble(),
                        (Double) result.get("examplesPerSecond") / p.get("examplesPerSecond").asDouble());
                if (result.get("interleavedSegments") instanceof List<?> segs) {
                    out.printf(Locale.ROOT, "  interleaved in %d segments (GenZoo's steps, then the peer's, in turn): median segment ratio %.2fx%n",
                            segs.size(), (Double) result.get("medianSegmentRatio"));
                }
            } else if (peer) {
                out.println("  peer: " + result.get("peer"));
            }
        }
        out.flush();
        return ExitCodes.OK;
    }

    /** The flow spec of --model realnvp or maf. */
    String flowSpec() {
        if (model.equals("realnvp")) {
            return "{\"family\":\"flow\",\"repeat\":8,\"layers\":[{\"type\":\"coupling\",\"mask\":\"alternate\","
                    + "\"hidden\":[256,256],\"scaleBound\":2.0}]}";
        }
        return "{\"family\":\"flow\",\"repeat\":5,\"dequantize\":true,\"layers\":[{\"type\":\"maf\",\"hidden\":[1024],"
                + "\"scaleBound\":3.0}]}";
    }

    /** RealNVP or MAF training steps (forward KL, Adam) through the flow family, like genzoo train runs them. */
    private int flow(PrintWriter out, Map<String, Object> result) throws Exception {
        String data = model.equals("realnvp") ? "toy:moons" : dataset;
        DatasetSplits splits = Datasets.load(data, null);
        JsonNode spec = new ObjectMapper().readTree(flowSpec());
        Object session = openSession();
        try (Device dev = Device.open(deviceOptions.binding, deviceOptions.device);
             TrainableModel m = new FlowFamily().create(dev, spec, splits.train().dim(), 1);
             Adam adam = new Adam(dev, m.params(), 1e-3f);
             DeviceDataset batches = new DeviceDataset(dev, splits.train(), batch, 1, false)) {
            float[] last = {Float.NaN};
            long[] counter = {0};
            Runnable run = () -> {
                try (Tape t = Tape.record(dev)) {
                    Var loss = m.loss(t, batches.nextBatch(), counter[0]++);
                    t.backward(loss);
                    adam.step();
                    if (counter[0] == warmup + steps) { // one read-back, after the last timed step
                        last[0] = loss.value().get(0, 0);
                    }
                }
            };
            for (int i = 0; i < warmup; i++) {
                run.run();
            }
            dev.finish();
            double sec = timed(dev, run, session, result);
            result.put("kind", "train");
            result.put("provenance", Provenance.of(dev));
            result.put("device", dev.info().name());
            result.put("model", model.equals("realnvp")
                    ? String.format(Locale.ROOT, "RealNVP 8 couplings, 2-256-256-4 nets, 2-D moons, batch %d, Adam", batch)
                    : String.format(Locale.ROOT, "MAF 5 MADEs 784-1024-1568, dequantized MNIST, batch %d, Adam", batch));
            result.put("msPerStep", 1e3 * sec / steps);
            result.put("examplesPerSecond", batch * steps / sec);
            result.put("finalLoss", last[0]);
            profile(dev, run, result);
        } finally {
            closeSession(session);
        }
        addPeer(session, result);
        return report(out, result);
    }

    /** Device time per kernel over a profiled pass of up to 50 steps. */
    private void profile(Device dev, Runnable run, Map<String, Object> result) {
        Map<String, long[]> per = new TreeMap<>();
        List<String> seqNames = new ArrayList<>();
        List<long[]> seqSpans = new ArrayList<>();
        dev.setKernelTiming(new Device.KernelTimingListener() {
            @Override
            public void onKernel(String k, long ns) {
                onKernelSpan(k, 0, ns);
            }

            @Override
            public void onKernelSpan(String k, long start, long end) {
                long[] v = per.computeIfAbsent(k, q -> new long[2]);
                v[0] += end - start;
                v[1]++;
                seqNames.add(k);
                seqSpans.add(new long[] {start, end});
            }
        }, 1);
        int profiled = Math.min(steps, 50);
        for (int i = 0; i < profiled; i++) {
            run.run();
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
        List<Map<String, Object>> sequence = launchSequence(seqNames, seqSpans, profiled);
        if (!sequence.isEmpty()) {
            result.put("launchSequence", sequence);
        }
    }

    /**
     * One step's launches in order, each with its median device time over the profiled steps: which
     * of a step's eleven GEMMs is slow, where the per-kernel table only sums them. Empty when the steps
     * did not all launch the same kernels in the same order.
     */
    static List<Map<String, Object>> launchSequence(List<String> names, List<long[]> spans, int steps) {
        if (steps < 1 || names.isEmpty() || names.size() % steps != 0) {
            return List.of();
        }
        int per = names.size() / steps;
        List<Map<String, Object>> out = new ArrayList<>();
        for (int i = 0; i < per; i++) {
            long[] t = new long[steps];
            // The idle time before the launch: its start minus the previous launch's end (the first
            // launch of the first profiled step has none).
            long[] gap = new long[i == 0 ? steps - 1 : steps];
            for (int s = 0; s < steps; s++) {
                int at = s * per + i;
                if (!names.get(at).equals(names.get(i))) {
                    return List.of();
                }
                t[s] = spans.get(at)[1] - spans.get(at)[0];
                if (at > 0) {
                    gap[i == 0 ? s - 1 : s] = spans.get(at)[0] - spans.get(at - 1)[1];
                }
            }
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("index", i + 1);
            row.put("kernel", names.get(i));
            row.put("medianMicros", KernelBench.median(t) / 1e3);
            if (gap.length > 0) {
                row.put("medianGapBeforeMicros", KernelBench.median(gap) / 1e3);
            }
            out.add(row);
        }
        return out;
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
        return TorchPeer.run(model.equals("vae") ? "vae_torch.py" : "flow_torch.py", torchArgs(), peerEnv(), 10);
    }

    /** The peer script's arguments: the VAE's batch, hidden, latent, steps and warm-up, or a flow's model, batch, steps and warm-up. */
    private List<String> torchArgs() {
        return model.equals("vae")
                ? List.of(Integer.toString(batch), Integer.toString(hidden), Integer.toString(latent), Integer.toString(steps),
                        Integer.toString(warmup))
                : List.of(model, Integer.toString(batch), Integer.toString(steps), Integer.toString(warmup));
    }

    /** Where the PyTorch peer runs and with how many threads, as the peer scripts read it. */
    private Map<String, String> peerEnv() {
        return Map.of("GENZOO_PEER_DEVICE", peerDevice, "GENZOO_PEER_THREADS", Integer.toString(peerThreads));
    }
}
