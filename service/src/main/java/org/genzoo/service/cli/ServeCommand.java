package org.genzoo.service.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.genzoo.host.cl.ClDeviceInfo;
import org.genzoo.service.api.ApiConfig;
import org.genzoo.service.api.BearerToken;
import org.genzoo.service.api.FleetServer;
import org.genzoo.service.api.GenZooServer;
import org.genzoo.service.jobs.LocalJobService;
import org.genzoo.service.metrics.KernelTimer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code genzoo serve}: the job service with its HTTP API, dashboard and metrics, until Ctrl-C (or
 * SIGTERM), which stops the workers (running jobs checkpoint and go back to the queue) and the server.
 */
@Command(name = "serve", mixinStandardHelpOptions = true, description = {
        "Run the job service: a queue in the data folder, one worker per device, the HTTP API, the dashboard at /"
                + " and Prometheus metrics at /metrics.",
        "Binds 127.0.0.1 unless --host says otherwise; any other address needs a bearer token (--token-file or GENZOO_TOKEN)."})
public final class ServeCommand implements Callable<Integer> {
    @Option(names = "--host", paramLabel = "ADDRESS", description = "Address to bind (default ${DEFAULT-VALUE}).")
    String host = ApiConfig.DEFAULT_HOST;

    @Option(names = "--port", paramLabel = "PORT", description = "TCP port (default ${DEFAULT-VALUE}; 0 picks a free one).")
    int port = ApiConfig.DEFAULT_PORT;

    @Option(names = "--data-dir", paramLabel = "DIR", description = "Job store and artifacts; else GENZOO_DATA_DIR, else ~/.local/share/genzoo.")
    Path dataDir;

    @Option(names = "--workers", paramLabel = "N", description = "Run N workers on the --device device (default: one worker per device;"
            + " with --store, 0 runs the API only).")
    Integer workers;

    @Option(names = "--token-file", paramLabel = "FILE", description = "File whose first line is the bearer token; else GENZOO_TOKEN.")
    Path tokenFile;

    @Option(names = "--max-body-bytes", paramLabel = "BYTES", description = "Largest request body (default ${DEFAULT-VALUE}).")
    long maxBody = ApiConfig.DEFAULT_MAX_BODY_BYTES;

    @Option(names = "--allow-host", paramLabel = "NAME", split = ",", description = "A host name clients may use in the Host"
            + " header besides the bound address, localhost and IP literals (repeatable; * allows any). Guards against DNS rebinding.")
    java.util.List<String> allowHosts = new ArrayList<>();

    @Option(names = "--max-event-streams", paramLabel = "N", description = "Open event streams in all (default ${DEFAULT-VALUE}); more get 503.")
    int maxStreams = ApiConfig.DEFAULT_MAX_STREAMS;

    @Option(names = "--max-event-streams-per-client", paramLabel = "N", description = "Open event streams per client address"
            + " (default ${DEFAULT-VALUE}); more get 429.")
    int maxStreamsPerClient = ApiConfig.DEFAULT_MAX_STREAMS_PER_CLIENT;

    @Option(names = "--kernel-sampling", paramLabel = "N", description = "Profile one kernel launch in N for genzoo.kernel.duration (default ${DEFAULT-VALUE}; 0 = off).")
    int kernelSampling = KernelTimer.DEFAULT_EVERY;

    @Mixin
    DeviceOptions deviceOptions;

    @Mixin
    FleetOptions fleet;

    @Spec
    CommandSpec spec;

    private final CountDownLatch stop = new CountDownLatch(1);
    private final CountDownLatch closed = new CountDownLatch(1);
    private volatile GenZooServer running;

    /** The server once started (null before), for tests that run the command in a thread. */
    public GenZooServer server() {
        return running;
    }

    /** Ends a running {@link #call()} as Ctrl-C would. */
    public void stop() {
        stop.countDown();
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter err = spec.commandLine().getErr();
        BearerToken token = BearerToken.resolve(tokenFile, System.getenv(BearerToken.ENV));
        ApiConfig http = new ApiConfig(host, port, token, maxBody, java.util.Set.copyOf(allowHosts), maxStreams, maxStreamsPerClient);
        http.checkExposure();
        if (workers != null && workers < (fleet.fleet() ? 0 : 1)) {
            throw new IllegalArgumentException("--workers must be at least " + (fleet.fleet() ? "0 (API only)" : "1") + ", got " + workers);
        }
        if (fleet.fleet()) {
            return serveFleet(err, http, token != null);
        }
        LocalJobService.Config cfg = LocalJobService.Config.defaults().withBinding(deviceOptions.binding);
        if (dataDir != null) {
            cfg = cfg.withDataDir(dataDir);
        }
        String selector = deviceOptions.device != null ? deviceOptions.device : System.getenv("GENZOO_DEVICE");
        if (workers != null) {
            cfg = cfg.withDevices(Collections.nCopies(workers, selector == null ? "auto" : selector));
        } else if (selector != null) {
            cfg = cfg.withDevices(List.of(selector));
        }
        GenZooServer server = GenZooServer.start(cfg, http, kernelSampling);
        running = server;
        Thread hook = new Thread(() -> {
            stop();
            try {
                closed.await(120, java.util.concurrent.TimeUnit.SECONDS); // running jobs write their checkpoints
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "genzoo-serve-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        // Ctrl-C and SIGTERM stop the service without starting the JVM's shutdown (see StopSignals), so the
        // running jobs write their checkpoints and go back to the queue while everything still works.
        StopSignals signals = StopSignals.install(sig -> {
            err.println("genzoo: " + sig + " received");
            err.flush();
            stop();
        });
        try (signals) {
            List<String> devs = new ArrayList<>();
            for (ClDeviceInfo d : server.jobs().devices()) {
                devs.add(d.name());
            }
            err.println("genzoo: listening on " + host + ":" + server.api().port() + "; dashboard " + server.baseUrl()
                    + "/, API at /api, metrics at /metrics" + (token != null ? "; bearer token required" : ""));
            err.println("genzoo: data folder " + server.jobs().dataDir() + "; " + devs.size() + " worker(s): " + String.join(", ", devs));
            if (server.jobs().recoveredOnStart() > 0) {
                err.println("genzoo: requeued " + server.jobs().recoveredOnStart() + " job(s) a stopped service left running");
            }
            err.println("genzoo: Ctrl-C stops (running jobs checkpoint and resume on the next start)");
            err.flush();
            stop.await();
            err.println("genzoo: stopping");
            err.flush();
        } finally {
            running = null;
            try {
                server.close();
            } finally {
                closed.countDown();
            }
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook itself is what stopped us
            }
        }
        return ExitCodes.OK;
    }

    /** {@code --store postgresql://...}: this node of a fleet behind the API (--workers 0: API only). */
    private Integer serveFleet(PrintWriter err, ApiConfig http, boolean tokenRequired) throws Exception {
        String selector = deviceOptions.device != null ? deviceOptions.device : System.getenv("GENZOO_DEVICE");
        FleetServer server = FleetServer.start(fleet.config(deviceOptions.binding, selector, workers), http, kernelSampling);
        Thread hook = new Thread(() -> {
            stop();
            try {
                closed.await(120, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "genzoo-serve-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        // As in the embedded mode: SIGTERM (docker stop) stops the node without starting the JVM's shutdown.
        try (StopSignals signals = StopSignals.install(sig -> {
            err.println("genzoo: " + sig + " received");
            err.flush();
            stop();
        })) {
            err.println("genzoo: listening on " + host + ":" + server.api().port() + "; dashboard " + server.baseUrl()
                    + "/, API at /api, metrics at /metrics" + (tokenRequired ? "; bearer token required" : ""));
            WorkerCommand.printBanner(err, server.jobs());
            err.println("genzoo: Ctrl-C stops (running jobs checkpoint and go back to the queue)");
            err.flush();
            stop.await();
            err.println("genzoo: stopping");
            err.flush();
        } finally {
            try {
                server.close();
            } finally {
                closed.countDown();
            }
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook itself is what stopped us
            }
        }
        return ExitCodes.OK;
    }
}
