package org.genzoo.service.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link PostgresJobStore} against a real PostgreSQL server ({@link PgCluster}): the shared
 * {@link JobStoreContract}, then what only a shared store has: memory-aware claims, the max-attempts
 * reaper run from several nodes at once, the fenced artifact transaction, LISTEN/NOTIFY, migrations,
 * and reconnection after the server restarts.
 */
class PostgresJobStoreTest extends JobStoreContract {
    /** Leases on the server's real clock: long enough that a loaded machine renews in time, short enough to wait out. */
    static final Duration LEASE = Duration.ofMillis(1500);
    static final Path JOBS = Path.of("/tmp/genzoo-pg-test-jobs");

    String url;

    @BeforeEach
    void database() {
        url = PgCluster.get().newDatabase();
    }

    @Override
    PostgresJobStore open() {
        return PostgresJobStore.open(url, JOBS, PostgresJobStore.Settings.defaults());
    }

    PostgresJobStore open(int maxAttempts) {
        return PostgresJobStore.open(url, JOBS, PostgresJobStore.Settings.defaults().withMaxAttempts(maxAttempts));
    }

    @Override
    Duration lease() {
        return LEASE;
    }

    @Override
    void pass(Duration d) throws InterruptedException {
        Thread.sleep(d.toMillis());
    }

    static JobStore.NewJob needing(String name, long bytes) {
        JobStore.NewJob j = job(name, 0, null);
        return new JobStore.NewJob(j.name(), j.family(), j.specJson(), 0, j.totalSteps(), j.bodyHash(), null, bytes);
    }

    @Test
    void aJobIsNotClaimedByADeviceWithTooLittleFreeMemory() {
        try (PostgresJobStore store = open()) {
            String big = store.insert(needing("big", 3L << 30)).job().id();
            String small = store.insert(needing("small", 100L << 20)).job().id();
            DeviceOffer oneGiB = new DeviceOffer("CPU", "0:0", "cpu", 1L << 30);
            assertEquals(small, store.claimNext("w", LEASE, oneGiB).orElseThrow().id());
            assertTrue(store.claimNext("w", LEASE, oneGiB).isEmpty(), "3 GiB does not fit in 1 GiB");
            assertEquals(JobState.QUEUED, store.get(big).orElseThrow().state());
            DeviceOffer fourGiB = new DeviceOffer("CPU", "0:0", "cpu", 4L << 30);
            assertEquals(big, store.claimNext("w2", LEASE, fourGiB).orElseThrow().id());
        }
    }

    @Test
    void aJobWhoseLeaseExpiresOnItsLastAttemptFailsWithTheReason() throws Exception {
        try (PostgresJobStore store = open(2)) {
            String id = store.insert(job("m", 0, null)).job().id();
            assertEquals(1, store.claimNext("w1", LEASE, CPU).orElseThrow().attempt());
            pass(LEASE.plusMillis(100));
            assertEquals(1, store.reapExpired());
            assertEquals(JobState.QUEUED, store.get(id).orElseThrow().state(), "attempt 1 of 2: requeued");
            assertEquals(2, store.claimNext("w2", LEASE, CPU).orElseThrow().attempt());
            pass(LEASE.plusMillis(100));
            assertEquals(1, store.reapExpired());
            Job j = store.get(id).orElseThrow();
            assertEquals(JobState.FAILED, j.state(), "attempt 2 of 2: failed");
            assertEquals("the lease of attempt 2 expired (worker w2 stopped renewing it); gave up after 2 attempts (max attempts 2)",
                    j.error());
            assertNotNull(j.finishedAt());
            assertTrue(store.claimNext("w3", LEASE, CPU).isEmpty());
        }
    }

    @Test
    void reapersOnManyNodesAtOnceHandleEachExpiryOnce() throws Exception {
        // 4 stores (4 nodes' connection pools), 8 reaper threads released together over 100 expired leases.
        List<PostgresJobStore> nodes = new ArrayList<>();
        try {
            for (int i = 0; i < 4; i++) {
                nodes.add(open());
            }
            PostgresJobStore first = nodes.get(0);
            for (int i = 0; i < 100; i++) {
                first.insert(job("r" + i, 0, null));
            }
            while (first.claimNext("dead", LEASE, CPU).isPresent()) {
                // every job claimed once by a worker that will never renew
            }
            pass(LEASE.plusMillis(100));
            ExecutorService pool = Executors.newFixedThreadPool(8);
            CountDownLatch go = new CountDownLatch(1);
            List<Future<Integer>> fs = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                PostgresJobStore s = nodes.get(t % 4);
                fs.add(pool.submit(() -> {
                    go.await();
                    int n = 0;
                    for (int k = 0; k < 5; k++) {
                        n += s.reapExpired();
                    }
                    return n;
                }));
            }
            go.countDown();
            int total = 0;
            for (Future<Integer> f : fs) {
                total += f.get();
            }
            pool.shutdown();
            assertEquals(100, total, "each expired lease reaped exactly once across all reapers");
            assertEquals(100L, first.counts().get(JobState.QUEUED));
            assertTrue(first.list(Optional.empty()).stream().allMatch(j -> j.attempt() == 1 && j.worker() == null));
        } finally {
            nodes.forEach(PostgresJobStore::close);
        }
    }

    @Test
    void leasesAreMeasuredOnTheDatabaseClock() throws Exception {
        try (PostgresJobStore store = open(); Connection c = DriverManager.getConnection(
                PostgresJobStore.parseUrl(url, Map.of()).jdbcUrl(), PostgresJobStore.parseUrl(url, Map.of()).properties())) {
            String id = store.insert(job("clock", 0, null)).job().id();
            store.claimNext("w", Duration.ofSeconds(30), CPU).orElseThrow();
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
                    "SELECT EXTRACT(EPOCH FROM lease_until - clock_timestamp()) FROM genzoo_jobs WHERE id = '" + id + "'")) {
                rs.next();
                double left = rs.getDouble(1);
                assertTrue(left > 25 && left <= 30, "lease end is the server's now + 30 s, got " + left + " s left");
            }
            // Push the lease into the server's past: only the server's clock decides, so the reaper takes it at once.
            try (Statement s = c.createStatement()) {
                s.executeUpdate("UPDATE genzoo_jobs SET lease_until = clock_timestamp() - INTERVAL '1 millisecond' WHERE id = '" + id + "'");
            }
            assertEquals(1, store.reapExpired());
        }
    }

    @Test
    void aFencedWriteHoldsOffTheReaperAndRefusesAStaleAttempt() throws Exception {
        try (PostgresJobStore store = open(); PostgresJobStore other = open()) {
            String id = store.insert(job("fence", 0, null)).job().id();
            Job j = store.claimNext("w", Duration.ofMillis(300), CPU).orElseThrow();
            pass(Duration.ofMillis(400));
            int[] reapedInside = {-1};
            assertTrue(store.fence(id, j.attempt(), Duration.ofSeconds(10), () -> reapedInside[0] = other.reapExpired()));
            assertEquals(0, reapedInside[0], "the reaper skips a row a fenced write holds");
            assertEquals(1, other.reapExpired(), "and takes it once the write is done");
            boolean[] ran = {false};
            assertFalse(store.fence(id, j.attempt(), Duration.ofSeconds(10), () -> ran[0] = true));
            assertFalse(ran[0], "a stale attempt's write never runs");
        }
    }

    @Test
    void notificationsWakeListenersOnOtherNodes() throws Exception {
        try (PostgresJobStore a = open(); PostgresJobStore b = open()) {
            BlockingQueue<String> got = new LinkedBlockingQueue<>();
            try (AutoCloseable l = b.listen((ch, payload) -> got.add(ch + ":" + payload))) {
                assertEquals(PostgresJobStore.QUEUED_CHANNEL + ":reconnected", got.poll(10, TimeUnit.SECONDS));
                String id = a.insert(job("n", 0, null)).job().id();
                assertEquals(PostgresJobStore.QUEUED_CHANNEL + ":" + id, got.poll(5, TimeUnit.SECONDS));
                a.claimNext("w", LEASE, CPU).orElseThrow();
                a.requestCancel(id);
                assertEquals(PostgresJobStore.CANCEL_CHANNEL + ":" + id, got.poll(5, TimeUnit.SECONDS));
            }
        }
    }

    @Test
    void migrationsUpgradeAnOlderSchemaAndRefuseANewerOne() throws Exception {
        PostgresJobStore.Target t = PostgresJobStore.parseUrl(url, Map.of());
        try (Connection c = DriverManager.getConnection(t.jdbcUrl(), t.properties())) {
            // A database made by a binary that knew only step 1, holding one job.
            assertEquals(0, Migrations.applyPostgres(c, Migrations.POSTGRES.subList(0, 1)));
            try (Statement s = c.createStatement()) {
                s.executeUpdate("INSERT INTO genzoo_jobs (name, family, spec_json, body_hash, state, priority)"
                        + " VALUES ('old', 'vae', '{}', 'h', 'QUEUED', 0)");
            }
        }
        // Four nodes start at once on it: each step runs once, all open.
        ExecutorService pool = Executors.newFixedThreadPool(4);
        List<Future<PostgresJobStore>> fs = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            fs.add(pool.submit((java.util.concurrent.Callable<PostgresJobStore>) this::open));
        }
        for (Future<PostgresJobStore> f : fs) {
            try (PostgresJobStore s = f.get()) {
                assertEquals(Migrations.latest(Migrations.POSTGRES), s.schemaVersion());
                assertEquals("old", s.get("j-1").orElseThrow().name(), "the upgrade kept the job");
            }
        }
        pool.shutdown();
        try (Connection c = DriverManager.getConnection(t.jdbcUrl(), t.properties()); Statement s = c.createStatement()) {
            try (ResultSet rs = s.executeQuery("SELECT COUNT(*), MAX(version) FROM genzoo_schema")) {
                rs.next();
                assertEquals(Migrations.POSTGRES.size(), rs.getInt(1), "one row per step");
            }
            s.executeUpdate("INSERT INTO genzoo_schema (version, description) VALUES (99, 'from the future')");
        }
        JobStoreException e = assertThrows(JobStoreException.class, this::open);
        assertTrue(e.getMessage().contains("schema version 99 but this GenZoo knows versions up to "
                + Migrations.latest(Migrations.POSTGRES)), e.getMessage());
    }

    @Test
    void urls() {
        PostgresJobStore.Target t = PostgresJobStore.parseUrl("postgresql://ann:s%40cret@db.example:6543/queue?sslmode=require", Map.of());
        assertEquals("jdbc:postgresql://db.example:6543/queue", t.jdbcUrl());
        assertEquals("ann", t.properties().getProperty("user"));
        assertEquals("s@cret", t.properties().getProperty("password"));
        assertEquals("require", t.properties().getProperty("sslmode"));
        PostgresJobStore.Target env = PostgresJobStore.parseUrl("postgres://db", Map.of("PGUSER", "bob", "PGPASSWORD", "pw"));
        assertEquals("jdbc:postgresql://db/postgres", env.jdbcUrl());
        assertEquals("bob", env.properties().getProperty("user"));
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> PostgresJobStore.parseUrl("mysql://ann:hunter2@db/x", Map.of()));
        assertFalse(bad.getMessage().contains("hunter2"), "the password is not echoed: " + bad.getMessage());
        assertTrue(PostgresJobStore.isUrl("postgresql://x/y") && !PostgresJobStore.isUrl("/var/lib/genzoo"));
    }

    @Test
    void theStoreReconnectsByItselfAfterTheServerRestarts() throws Exception {
        try (PostgresJobStore store = open(); PostgresJobStore other = open()) {
            BlockingQueue<String> got = new LinkedBlockingQueue<>();
            try (AutoCloseable l = store.listen((ch, payload) -> got.add(ch + ":" + payload))) {
                assertEquals(PostgresJobStore.QUEUED_CHANNEL + ":reconnected", got.poll(10, TimeUnit.SECONDS));
                String before = store.insert(job("before", 0, null)).job().id();
                assertEquals(PostgresJobStore.QUEUED_CHANNEL + ":" + before, got.poll(5, TimeUnit.SECONDS));
                PgCluster.get().restart();
                // Pooled connections died with the server: at most one failing call per pooled connection, then fresh ones.
                long t0 = System.nanoTime();
                Optional<Job> j = Optional.empty();
                while (j.isEmpty() && System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(20)) {
                    try {
                        j = store.get(before);
                    } catch (JobStoreException e) {
                        assertTrue(PostgresJobStore.connectionLost((java.sql.SQLException) e.getCause()), e.getMessage());
                    }
                }
                assertEquals(JobState.QUEUED, j.orElseThrow().state(), "the job survived the restart");
                assertEquals(PostgresJobStore.QUEUED_CHANNEL + ":reconnected", got.poll(20, TimeUnit.SECONDS),
                        "the listener reconnected");
                String after = null;
                for (int i = 0; i < 10 && after == null; i++) {
                    try {
                        after = other.insert(job("after", 0, null)).job().id();
                    } catch (JobStoreException e) {
                        // the other store's pooled connection died too; the next try opens a fresh one
                    }
                }
                assertNotNull(after);
                assertEquals(PostgresJobStore.QUEUED_CHANNEL + ":" + after, got.poll(5, TimeUnit.SECONDS));
            }
        }
    }
}
