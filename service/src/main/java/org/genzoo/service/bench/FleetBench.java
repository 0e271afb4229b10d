package org.genzoo.service.bench;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.genzoo.service.cli.ExitCodes;
import org.genzoo.service.jobs.DeviceOffer;
import org.genzoo.service.jobs.Job;
import org.genzoo.service.jobs.JobState;
import org.genzoo.service.jobs.JobStore;
import org.genzoo.service.jobs.PostgresJobStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code genzoo bench fleet}: how fast the PostgreSQL queue hands out jobs. Queues {@code --jobs}
 * empty jobs whose device selector is a fresh random name (so no real worker on the database can
 * take them), then {@code --workers} claimers, each with its own {@link PostgresJobStore} (its own
 * connections, as separate worker processes have), loop over claim (SKIP LOCKED, by device offer)
 * and finish until the queue is empty. Prints claims per second and the claim latency; checks that
 * every job was claimed exactly once; deletes its jobs at the end. Use a scratch database.
 */
@Command(name = "fleet", mixinStandardHelpOptions = true, description = "Claims per second of the PostgreSQL queue with N concurrent workers.")
public final class FleetBench implements java.util.concurrent.Callable<Integer> {
    @Option(names = "--store", required = true, paramLabel = "URL", description = "postgresql:// URL of a scratch database.")
    String store;

    @Option(names = "--workers", defaultValue = "8", description = "Concurrent claimers (default ${DEFAULT-VALUE}).")
    int workers;

    @Option(names = "--jobs", defaultValue = "4000", description = "Jobs to queue and claim (default ${DEFAULT-VALUE}).")
    int jobs;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (workers < 1 || jobs < 1) {
            throw new IllegalArgumentException("--workers and --jobs must be at least 1");
        }
        String tag = "bench-" + UUID.randomUUID();
        Path jobsRoot = Files.createTempDirectory("genzoo-bench-fleet-");
        DeviceOffer offer = new DeviceOffer("cpu", "0:0", tag, Long.MAX_VALUE / 2);
        Duration lease = Duration.ofSeconds(30);
        List<PostgresJobStore> stores = new ArrayList<>();
        try {
            for (int i = 0; i < workers; i++) {
                stores.add(PostgresJobStore.open(store, jobsRoot, PostgresJobStore.Settings.defaults()));
            }
            PostgresJobStore first = stores.get(0);
            for (int i = 0; i < jobs; i++) {
                first.insert(new JobStore.NewJob("b" + i, "bench", "{\"name\": \"b" + i + "\", \"device\": \"" + tag + "\"}", 0, 0,
                        "h", null));
            }
            ExecutorService pool = Executors.newFixedThreadPool(workers);
            CountDownLatch go = new CountDownLatch(1);
            AtomicLong claimNanos = new AtomicLong();
            List<Future<List<String>>> fs = new ArrayList<>();
            for (int w = 0; w < workers; w++) {
                PostgresJobStore s = stores.get(w);
                String name = tag + "-w" + w;
                fs.add(pool.submit(() -> {
                    go.await();
                    List<String> mine = new ArrayList<>();
                    while (true) {
                        long t = System.nanoTime();
                        Optional<Job> j = s.claimNext(name, lease, offer);
                        claimNanos.addAndGet(System.nanoTime() - t);
                        if (j.isEmpty()) {
                            return mine;
                        }
                        mine.add(j.get().id());
                        if (!s.finish(j.get().id(), j.get().attempt(), JobState.SUCCEEDED, null)) {
                            throw new IllegalStateException("finish of " + j.get().id() + " refused");
                        }
                    }
                }));
            }
            long t0 = System.nanoTime();
            go.countDown();
            List<String> all = new ArrayList<>();
            for (Future<List<String>> f : fs) {
                all.addAll(f.get());
            }
            double secs = (System.nanoTime() - t0) / 1e9;
            pool.shutdown();
            long distinct = all.stream().distinct().count();
            out.printf(Locale.ROOT, "%d jobs, %d workers: %.0f claims/s (claim + finish per job, %.2f s); mean claim %.2f ms;"
                    + " claimed %d, distinct %d%n", jobs, workers, jobs / secs, secs,
                    claimNanos.get() / 1e6 / (all.size() + workers), all.size(), distinct);
            out.flush();
            return all.size() == jobs && distinct == jobs ? ExitCodes.OK : ExitCodes.FAILURE;
        } finally {
            PostgresJobStore.Target t = PostgresJobStore.parseUrl(store, System.getenv());
            try (Connection c = DriverManager.getConnection(t.jdbcUrl(), t.properties());
                    PreparedStatement ps = c.prepareStatement("DELETE FROM genzoo_jobs WHERE device_selector = ?")) {
                ps.setString(1, tag.toLowerCase(Locale.ROOT));
                ps.executeUpdate();
            }
            stores.forEach(PostgresJobStore::close);
            Files.deleteIfExists(jobsRoot);
        }
    }
}
