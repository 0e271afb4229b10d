package org.genzoo.service.cli;

import java.util.logging.Level;
import java.util.logging.Logger;
import org.genzoo.service.bench.BenchCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code genzoo} command. */
@Command(name = "genzoo", mixinStandardHelpOptions = true, version = "genzoo 0.1.0",
        description = "Train deep generative models on any OpenCL device.",
        subcommands = {DevicesCommand.class, BenchCommand.class, TrainCommand.class, EvalCommand.class, ServeCommand.class, WorkerCommand.class,
                SubmitCommand.class, JobsCommand.class, StatusCommand.class, CancelCommand.class, LogsCommand.class,
                ArtifactsCommand.class})
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
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            cmd.getErr().println("genzoo: " + ex.getMessage());
            if (System.getenv("GENZOO_DEBUG") != null) {
                ex.printStackTrace(cmd.getErr());
            }
            return ExitCodes.of(ex);
        });
        return cl;
    }

    public static void main(String[] args) {
        Logger.getLogger("").setLevel(Level.WARNING);
        System.exit(commandLine().execute(args));
    }
}
