package org.genzoo.service.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.genzoo.host.Device;
import org.genzoo.models.train.JobSpec;
import org.genzoo.models.train.RunEvaluator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code genzoo eval <run>}: evaluates a trained run from its checkpoint (test NLL by importance
 * sampling, ELBO terms, active units, ELBO surgery over the training set, reconstructions and
 * interpolations) and writes eval.json and eval/*.png into the run folder.
 */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = "Evaluate a trained run from its newest checkpoint; writes eval.json and eval/*.png into the run folder.")
public final class EvalCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "RUN", description = "The run folder `genzoo train` printed (holds spec.json and checkpoints/).")
    Path run;

    @Mixin
    DeviceOptions deviceOptions;

    @Option(names = "--split", description = "train, validation or test (default: the spec's eval split).")
    String split;

    @Option(names = "--limit", paramLabel = "N", description = "Evaluate on the first N examples of the split.")
    Integer limit;

    @Option(names = "--k", paramLabel = "K", description = "Importance samples per example for the NLL (default: the spec's iwaeK; 0 or 1 skips the NLL).")
    Integer k;

    @Option(names = "--surgery-limit", paramLabel = "N", description = "Training examples for ELBO surgery (O(N²)); 0 skips it. Default 10000.")
    Integer surgeryLimit;

    @Option(names = "--ais-temperatures", paramLabel = "N", description = "AIS temperatures for log Z of energy-based models (default: the spec's aisTemperatures, else 14500; 0 skips AIS).")
    Integer aisTemperatures;

    @Option(names = "--ais-chains", paramLabel = "M", description = "AIS chains for energy-based models (default: the spec's aisChains, else 100).")
    Integer aisChains;

    @Option(names = "--step", paramLabel = "STEP", description = "Evaluate this checkpoint step instead of the newest.")
    Long step;

    @Option(names = "--seed", description = "Evaluation seed (binarization and importance samples). Default ${DEFAULT-VALUE}.", defaultValue = "7")
    long seed;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if ((k != null && k < 0) || (surgeryLimit != null && surgeryLimit < 0) || (limit != null && limit < 1)) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "--k and --surgery-limit take 0 or more, --limit 1 or more; got --k " + k + ", --surgery-limit " + surgeryLimit
                            + ", --limit " + limit);
        }
        ObjectNode metrics = JobSpec.mapper().createObjectNode();
        if (k != null) {
            metrics.put("iwaeK", k);
        }
        if (surgeryLimit != null) {
            metrics.put("surgeryLimit", surgeryLimit);
        }
        if ((aisTemperatures != null && aisTemperatures < 0) || (aisChains != null && aisChains < 1)) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "--ais-temperatures takes 0 (skip) or 3 or more, --ais-chains 1 or more; got " + aisTemperatures + ", " + aisChains);
        }
        if (aisTemperatures != null) {
            metrics.put("aisTemperatures", aisTemperatures);
        }
        if (aisChains != null) {
            metrics.put("aisChains", aisChains);
        }
        try (Device device = Device.open(deviceOptions.binding, deviceOptions.device)) {
            RunEvaluator.Result r = RunEvaluator.evaluate(device, run,
                    new RunEvaluator.Options(split, limit, step, metrics, seed, null));
            out.print(RunEvaluator.format(r));
            out.println("wrote " + r.evalJson().toAbsolutePath() + " and " + run.resolve("eval").toAbsolutePath() + "/");
            out.flush();
        }
        return ExitCodes.OK;
    }
}
