package org.genzoo.service.cli;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import org.genzoo.service.jobs.FleetJobService;
import org.genzoo.service.jobs.PostgresJobStore;
import picocli.CommandLine.Option;

/** The options of a fleet node ({@code genzoo worker}, {@code genzoo serve --store postgresql://...}). */
public final class FleetOptions {
    @Option(names = "--store", paramLabel = "URL", description = "The shared queue: postgresql://[user[:password]@]host[:port]/database"
            + " (PGUSER and PGPASSWORD fill in what the URL leaves out); else GENZOO_STORE.")
    public String store;

    @Option(names = "--artifacts", paramLabel = "DIR", description = "The shared artifact folder every node mounts (checkpoints, metrics,"
            + " samples, reports); else GENZOO_ARTIFACTS.")
    public Path artifacts;

    @Option(names = "--scratch", paramLabel = "DIR", description = "Local folder for running attempts (default: a folder in the system temp folder).")
    public Path scratch;

    @Option(names = "--lease", paramLabel = "SECONDS", description = "A claim's lease, renewed every third of it (default ${DEFAULT-VALUE}).")
    public double leaseSeconds = FleetJobService.DEFAULT_LEASE.toMillis() / 1000.0;

    @Option(names = "--poll", paramLabel = "SECONDS", description = "How often idle workers look at the queue besides LISTEN/NOTIFY (default ${DEFAULT-VALUE}).")
    public double pollSeconds = 5;

    @Option(names = "--max-attempts", paramLabel = "N", description = "A job whose lease expired on its N-th attempt fails (default ${DEFAULT-VALUE}).")
    public int maxAttempts = PostgresJobStore.DEFAULT_MAX_ATTEMPTS;

    @Option(names = "--node", paramLabel = "NAME", description = "This machine's name in /api/workers (default: the host name).")
    public String node;

    /** True when a store was named (option or environment). */
    public boolean fleet() {
        return storeUrl() != null;
    }

    String storeUrl() {
        return store != null ? store : System.getenv("GENZOO_STORE");
    }

    /** The node's settings; {@code workers} and {@code selector} as {@code serve} reads them (null: one worker per device). */
    public FleetJobService.Config config(String binding, String selector, Integer workers) {
        String url = storeUrl();
        if (url == null) {
            throw new IllegalArgumentException("--store is required: the PostgreSQL URL of the shared queue (postgresql://host/db)");
        }
        if (!PostgresJobStore.isUrl(url)) {
            throw new IllegalArgumentException("--store: expected a postgresql:// URL, got " + url.replaceAll(":[^@/]*@", ":***@")
                    + " (the embedded SQLite store is the default of genzoo serve, chosen with --data-dir)");
        }
        Path art = artifacts != null ? artifacts : (System.getenv("GENZOO_ARTIFACTS") != null ? Path.of(System.getenv("GENZOO_ARTIFACTS")) : null);
        if (art == null) {
            throw new IllegalArgumentException("--artifacts is required with --store: the shared folder every node mounts");
        }
        if (!(leaseSeconds >= 1)) {
            throw new IllegalArgumentException("--lease must be at least 1 second, got " + leaseSeconds);
        }
        if (!(pollSeconds > 0)) {
            throw new IllegalArgumentException("--poll must be positive, got " + pollSeconds);
        }
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("--max-attempts must be at least 1, got " + maxAttempts);
        }
        if (workers != null && workers < 0) {
            throw new IllegalArgumentException("--workers must be at least 0, got " + workers);
        }
        List<String> devices = workers != null ? Collections.nCopies(workers, selector == null ? "auto" : selector)
                : selector != null ? List.of(selector) : null;
        return FleetJobService.Config.of(url, art).with(binding, devices, Duration.ofMillis((long) (leaseSeconds * 1000)),
                Duration.ofMillis((long) (pollSeconds * 1000)), maxAttempts, node != null ? node : FleetJobService.hostName(), scratch);
    }
}
