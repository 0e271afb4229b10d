package org.genzoo.models.train;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code genzoo export RUN --to DIR}: a run's checkpoint as PyTorch modules. Writes
 * <pre>
 * DIR/model.safetensors  the weights under the torch.nn state_dict names ({@link TorchExport}), biases as
 *                        vectors; metadata: format, family, the spec's model object, the architecture the
 *                        Python side builds, data set, step, seed, GenZoo version
 * DIR/genzoo_model.py    builds the matching torch.nn modules and loads the weights:
 *                        {@code import genzoo_model; m = genzoo_model.load()}
 * </pre>
 * Both files go through {@link AtomicFiles}; existing ones are replaced only when asked.
 */
public final class TorchExporter {
    public static final String WEIGHTS = "model.safetensors";
    public static final String MODULE = "genzoo_model.py";
    public static final String FORMAT = "genzoo-torch-1";
    static final String MODULE_RESOURCE = "/org/genzoo/models/export/genzoo_model.py";

    /** What was written. */
    public record Result(Path weights, Path module, String family, long step, int tensors) {
    }

    private TorchExporter() {
    }

    /**
     * Exports the checkpoint at {@code step} (null: the newest) of {@code run} into {@code to}.
     *
     * @param overwrite replace model.safetensors and genzoo_model.py when {@code to} already holds them
     */
    public static Result export(Path run, Path to, Long step, boolean overwrite) throws IOException {
        JobSpec spec = RunEvaluator.readSpec(run);
        String family = spec.model().family();
        TorchExport ex = TorchExport.all().get(family);
        if (ex == null) {
            throw new IllegalArgumentException("no PyTorch export for model family '" + family + "' yet; families with one: "
                    + String.join(", ", TorchExport.all().keySet()));
        }
        Checkpoints.Loaded ckpt = RunEvaluator.loadCheckpoint(run, spec, step);
        TorchExport.Exported e = ex.export(spec.model().config(), spec.seed(), ckpt.weights());
        if (Files.exists(to) && !Files.isDirectory(to)) {
            throw new IllegalArgumentException(to + " is a file; --to takes a folder");
        }
        Path weights = to.resolve(WEIGHTS);
        Path module = to.resolve(MODULE);
        if (!overwrite && (Files.exists(weights) || Files.exists(module))) {
            throw new IllegalArgumentException(to + " already holds an export (" + WEIGHTS + " or " + MODULE
                    + "); pass --force to replace it or choose another folder");
        }
        Files.createDirectories(to);
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", FORMAT);
        meta.put("family", family);
        meta.put("model", json(spec.model().config()));
        meta.put("architecture", json(e.architecture()));
        meta.put("dataset", spec.data().dataset());
        meta.put("run", spec.name());
        meta.put("step", Long.toString(ckpt.info().step()));
        meta.put("seed", Long.toString(spec.seed()));
        meta.put("genzooVersion", Trainer.version());
        Safetensors.write(weights, e.tensors(), meta);
        String py;
        try (InputStream in = TorchExporter.class.getResourceAsStream(MODULE_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + MODULE_RESOURCE + " (a broken build)");
            }
            py = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        String header = "# Exported by GenZoo " + Trainer.version() + " from run '" + spec.name() + "' (" + family + "), step "
                + ckpt.info().step() + ".\n";
        AtomicFiles.writeString(module, header + py);
        return new Result(weights, module, family, ckpt.info().step(), e.tensors().size());
    }

    private static String json(Object node) {
        try {
            return JobSpec.mapper().writeValueAsString(node);
        } catch (JsonProcessingException ex) {
            throw new IllegalStateException("cannot write JSON", ex);
        }
    }
}
