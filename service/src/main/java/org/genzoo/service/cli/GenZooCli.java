package org.genzoo.service.cli;

import java.util.logging.Level;
import java.util.logging.Logger;
import org.genzoo.host.NativeEnv;
import org.genzoo.service.bench.BenchCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code genzoo} command. */
@Command(name = "genzoo", mixinStandardHelpOptions = true, version = "genzoo 0.1.0",
        description = "Train deep generative models on any OpenCL device.",
        subcommands = {DevicesCommand.class, BenchCommand.class, TrainCommand.class, EvalCommand.class, ServeCommand.class, WorkerCommand.class,
                SubmitCommand.class, JobsCommand.class, StatusCommand.class, CancelCommand.class, LogsCommand.class,
                ArtifactsCommand.class, ExportCommand.class})
public final class GenZooCli implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Builds the command line with error handling that prints one clear line, not a stack trace. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new GenZooCli());
        cl.getSubcommands().get("train").getCommandSpec().usageMessage().footer(TrainCommand.familiesFooter());
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            cmd.getErr().println("genzoo: " + ex.getMessage());
            if (System.getenv("GENZOO_DEBUG") != null) {
                ex.printStackTrace(cmd.getErr());
            }
            return ExitCodes.of(ex);
        });
        return cl;
    }

    /**
     * What the {@code genzoo} launcher sets before starting Java, set here too so that
     * {@code java -jar genzoo.jar} behaves the same: PoCL's worker threads pinned to cores
     * (POCL_AFFINITY=1 unless the environment sets it). Returns a warning line, or null.
     */
    static String prepareEnvironment() {
        try {
            NativeEnv.applyPoclDefaults();
            return null;
        } catch (RuntimeException | LinkageError e) {
            return "genzoo: warning: could not set " + NativeEnv.POCL_AFFINITY + "=1 (" + e.getMessage()
                    + "); export it before starting Java for steady PoCL timings";
        }
    }

    public static void main(String[] args) {
        Logger.getLogger("").setLevel(Level.WARNING);
        String warning = prepareEnvironment();
        if (warning != null) {
            System.err.println(warning);
        }
        System.exit(commandLine().execute(args));
    }
}
