package org.genzoo.service.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import org.genzoo.host.Device;
import org.genzoo.host.autograd.Adam;
import org.genzoo.host.autograd.Optimizer;
import org.genzoo.host.autograd.Param;
import org.genzoo.host.autograd.Tape;
import org.genzoo.host.autograd.Var;
import org.genzoo.host.tensor.Tensor;
import org.genzoo.models.data.DeviceDataset;
import org.genzoo.models.data.Toys;
import org.genzoo.models.gan.GanFamily;
import org.genzoo.models.gan.GanModel;
import org.genzoo.models.train.ParamGroup;
import org.genzoo.models.train.Phase;
import org.genzoo.models.train.StepContext;

/**
 * {@code genzoo bench train --model gan|sngan|wgan-gp}: one GAN training step on the ring of 8
 * Gaussians, G 2-128-128-2 and D 2-128-128-1 with ReLU, batch 256 unless {@code --batch}, Adam
 * (1e-4, β = (0.5, 0.9)) per group: one discriminator update (real and fake rows in one pass; for
 * wgan-gp plus the gradient penalty with λ = 10 through the double backward), then one generator
 * update, run through the model's phases as the trainer runs them. The PyTorch peer
 * (gan_torch.py) is the same step.
 */
final class GanBench {
    static final List<String> MODELS = List.of("gan", "sngan", "wgan-gp");

    private GanBench() {
    }

    static String spec(String model) {
        return "{\"family\": \"" + model + "\", \"latent\": 2, \"generator\": [128, 128], \"discriminator\": [128, 128],"
                + " \"activation\": \"relu\", \"nCritic\": 1" + (model.equals("wgan-gp") ? ", \"lambda\": 10" : "") + "}";
    }

    /** Times the step; fills result with device, model, msPerStep, examplesPerSecond, finalLoss and the profile. */
    static void run(Device dev, String model, int batch, int warmup, int steps, Map<String, Object> result,
            Consumer<Runnable> profile) throws IOException {
        JsonNode spec = new ObjectMapper().readTree(spec(model));
        GanFamily fam = switch (model) {
            case "gan" -> new GanFamily.Gan();
            case "sngan" -> new GanFamily.SnGan();
            default -> new GanFamily.WganGp();
        };
        Map<String, Optimizer> opts = new LinkedHashMap<>();
        try (GanModel m = (GanModel) fam.create(dev, spec, 2, 1);
                DeviceDataset data = new DeviceDataset(dev, Toys.load("toy:ring8").train(), batch, 1, false)) {
            for (ParamGroup g : m.groups()) {
                opts.put(g.name(), new Adam(dev, g.params(), 1e-4f, 0.5f, 0.9f, 1e-8f, 0f, 0f));
            }
            List<Phase> phases = m.phases();
            float[] last = {Float.NaN};
            long[] counter = {0};
            Runnable step = () -> {
                long s = counter[0]++;
                Tensor[] b = {data.nextBatch()};
                int[] rep = {0};
                StepContext ctx = new StepContext() {
                    public long step() {
                        return s;
                    }

                    public int repeat() {
                        return rep[0];
                    }

                    public int batchSize() {
                        return batch;
                    }

                    public Tensor batch() {
                        return b[0];
                    }

                    public Tensor nextBatch() {
                        b[0] = data.nextBatch();
                        return b[0];
                    }
                };
                for (Phase ph : phases) {
                    for (rep[0] = 0; rep[0] < ph.repeats(s); rep[0]++) {
                        try (Tape t = Tape.record(dev)) {
                            Var loss = ph.backward().loss(t, ctx);
                            t.backward(loss);
                            if (counter[0] == warmup + steps && ph.groups().contains("generator")) {
                                last[0] = loss.value().get(0, 0);
                            }
                        }
                        for (String g : ph.groups()) {
                            opts.get(g).step();
                        }
                    }
                }
            };
            for (int i = 0; i < warmup; i++) {
                step.run();
            }
            dev.finish();
            long t0 = System.nanoTime();
            for (int i = 0; i < steps; i++) {
                step.run();
            }
            dev.finish();
            double sec = (System.nanoTime() - t0) / 1e9;
            result.put("device", dev.info().name());
            result.put("model", String.format(Locale.ROOT, "%s, G 2-128-128-2, D 2-128-128-1 ReLU%s, ring of 8, batch %d, Adam, 1 D + 1 G update",
                    model, model.equals("wgan-gp") ? ", penalty λ 10" : model.equals("sngan") ? ", W/σ" : "", batch));
            result.put("msPerStep", 1e3 * sec / steps);
            result.put("examplesPerSecond", batch * steps / sec);
            result.put("finalLoss", last[0]);
            profile.accept(step);
        } finally {
            for (Optimizer o : opts.values()) {
                o.close();
            }
        }
    }

    /**
     * Runs gan_torch.py; its JSON, or a string saying why it could not run. {@code peerEnv} holds
     * GENZOO_PEER_DEVICE and GENZOO_PEER_THREADS (see TrainBench's --peer-device, --peer-threads).
     */
    static Object torch(String model, int batch, int steps, int warmup, Map<String, String> peerEnv)
            throws IOException, InterruptedException {
        return TorchPeer.run("gan_torch.py", List.of(model, Integer.toString(batch), Integer.toString(steps), Integer.toString(warmup)),
                peerEnv, 10);
    }
}
