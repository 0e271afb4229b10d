package org.genzoo.service.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.genzoo.models.train.TorchExporter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code genzoo export RUN --to DIR}: writes a run's checkpoint as PyTorch modules (model.safetensors
 * under torch.nn names and genzoo_model.py, see {@link TorchExporter}). Opens no device.
 */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = {"Export a run's checkpoint for PyTorch: DIR/model.safetensors (weights under torch.nn names, the spec's"
                + " model object in the metadata) and DIR/genzoo_model.py, which builds the matching torch.nn modules and loads them:",
                "  python3 -c 'import sys; sys.path.insert(0, \"DIR\"); import genzoo_model; m = genzoo_model.load()'",
                "Exported: vae (standard-normal prior), flow (actnorm, coupling, permute layers; dequantized or not)."})
public final class ExportCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "RUN", description = "The run folder `genzoo train` printed (holds spec.json and checkpoints/).")
    Path run;

    @Option(names = "--to", paramLabel = "DIR", required = true, description = "The folder to write (created when missing).")
    Path to;

    @Option(names = "--step", paramLabel = "STEP", description = "Export this checkpoint step instead of the newest.")
    Long step;

    @Option(names = "--force", description = "Replace an earlier export in DIR.")
    boolean force;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        TorchExporter.Result r = TorchExporter.export(run, to, step, force);
        PrintWriter out = spec.commandLine().getOut();
        out.println("exported " + r.family() + " from " + run + " (step " + r.step() + ", " + r.tensors() + " tensors):");
        out.println("  " + r.weights().toAbsolutePath());
        out.println("  " + r.module().toAbsolutePath());
        out.println("load it with: import sys; sys.path.insert(0, \"" + to.toAbsolutePath() + "\"); import genzoo_model;"
                + " model = genzoo_model.load()");
        out.flush();
        return ExitCodes.OK;
    }
}
