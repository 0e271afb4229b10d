package org.genzoo.service.cli;

import java.io.PrintWriter;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.genzoo.host.cl.ClDeviceInfo;
import org.genzoo.service.jobs.FleetJobService;
import org.genzoo.service.jobs.JobEvent;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code genzoo worker}: this machine's workers for a fleet, without HTTP. Claims from the shared
 * PostgreSQL queue, keeps artifacts in the shared folder, prints its devices, then one line per job
 * start and end, until Ctrl-C or SIGTERM (running jobs checkpoint, publish and go back to the queue).
 */
@Command(name = "worker", mixinStandardHelpOptions = true, description = {
        "Run workers for a fleet: claim jobs from the shared PostgreSQL queue (--store), keep their artifacts in the shared"
                + " folder (--artifacts), one worker per device (or --workers N on the -d device). No HTTP.",
        "Ctrl-C or SIGTERM stops: running jobs checkpoint and go back to the queue."})
public final class WorkerCommand implements Callable<Integer> {
    @Option(names = "--workers", paramLabel = "N", description = "Run N workers on the --device device (default: one worker per device).")
    Integer workers;

    @Mixin
    FleetOptions fleet;

    @Mixin
    DeviceOptions deviceOptions;

    @Spec
    CommandSpec spec;

    private final CountDownLatch stop = new CountDownLatch(1);

    public void stop() {
        stop.countDown();
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter err = spec.commandLine().getErr();
        if (workers != null && workers < 1) {
            throw new IllegalArgumentException("--workers must be at least 1, got " + workers);
        }
        String selector = deviceOptions.device != null ? deviceOptions.device : System.getenv("GENZOO_DEVICE");
        FleetJobService.Config cfg = fleet.config(deviceOptions.binding, selector, workers);
        CountDownLatch closed = new CountDownLatch(1);
        try (FleetJobService node = FleetJobService.start(cfg)) {
            Thread hook = new Thread(() -> {
                stop();
                try {
                    closed.await(120, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "genzoo-worker-stop");
            Runtime.getRuntime().addShutdownHook(hook);
            // SIGTERM (docker stop) stops the workers without starting the JVM's shutdown (see StopSignals).
            try (StopSignals signals = StopSignals.install(sig -> {
                err.println("genzoo: " + sig + " received");
                err.flush();
                stop();
            }); AutoCloseable sub = node.subscribeAll(e -> line(err, e))) {
                printBanner(err, node);
                err.println("genzoo: Ctrl-C stops (running jobs checkpoint and go back to the queue)");
                err.flush();
                stop.await();
                err.println("genzoo: stopping");
                err.flush();
            } finally {
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (IllegalStateException shuttingDown) {
                    // the hook itself is what stopped us
                }
            }
        } finally {
            closed.countDown();
        }
        return ExitCodes.OK;
    }

    /** The node, store, artifact folder and devices served: the first lines every fleet node prints. */
    static void printBanner(PrintWriter err, FleetJobService node) {
        err.println("genzoo: node " + node.node() + "; queue " + node.store().describe() + " (schema " + node.store().schemaVersion()
                + "); artifacts " + node.artifacts().describe());
        StringBuilder sb = new StringBuilder();
        for (ClDeviceInfo d : node.devices()) {
            sb.append(sb.length() == 0 ? "" : ", ").append(d.name()).append(" (").append(d.type().toLowerCase(java.util.Locale.ROOT))
                    .append(' ').append(d.selector()).append(')');
        }
        err.println("genzoo: " + node.devices().size() + " worker(s) serving: " + (node.devices().isEmpty() ? "none (API only)" : sb));
    }

    /** One line per job state change and per lost attempt. */
    private static void line(PrintWriter err, JobEvent e) {
        Map<String, Object> d = e.data();
        String text = null;
        if (e.type().equals("state") && d.get("attempt") != null) {
            text = e.jobId() + " attempt " + d.get("attempt") + " " + d.get("state") + " on " + d.get("worker")
                    + (d.get("error") != null ? ": " + d.get("error") : "");
        } else if (e.type().equals("log") && String.valueOf(d.get("line")).contains("lost attempt")) {
            text = e.jobId() + ": " + d.get("line");
        } else if (e.type().equals("log") && String.valueOf(d.get("line")).startsWith("resumed from")) {
            text = e.jobId() + ": " + d.get("line");
        }
        if (text != null) {
            synchronized (err) {
                err.println("genzoo: " + text);
                err.flush();
            }
        }
    }
}
