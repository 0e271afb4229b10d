package org.genzoo.service.bench;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code genzoo bench ...}: measurements that back every speed claim. */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Benchmarks (device times from profiling events).",
        subcommands = {LaunchBench.class, KernelBench.class, PeaksBench.class, SuiteBench.class, TrainBench.class, TuneBench.class, FleetBench.class, CompareBench.class})
public final class BenchCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
