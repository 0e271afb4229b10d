package org.genzoo.service.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The SQLite job store on its own: claim order, leases, fencing, recovery, idempotency under concurrency. */
class SqliteJobStoreTest {
    static final Duration LEASE = Duration.ofSeconds(30);

    @TempDir
    Path tempDir;

    /**
     * Where the database goes: a folder in /dev/shm when there is one. These tests check the store's
     * logic, not the disk; on tmpfs an fsync costs nothing, so hundreds of durable commits stay fast on
     * a busy shared disk. Elsewhere, JUnit's temp folder.
     */
    Path tmp;

    @BeforeEach
    void folder() throws IOException {
        Path shm = Path.of("/dev/shm");
        tmp = Files.isDirectory(shm) && Files.isWritable(shm) ? Files.createTempDirectory(shm, "genzoo-store-test-") : tempDir;
    }

    @AfterEach
    void removeFolder() throws IOException {
        if (!tmp.equals(tempDir)) {
            try (Stream<Path> s = Files.walk(tmp)) {
                for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }

    /** A clock the test moves by hand. */
    static final class ManualClock extends Clock {
        volatile long millis = 1_700_000_000_000L;

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(millis);
        }

        void advance(Duration d) {
            millis += d.toMillis();
        }
    }

    static JobStore.NewJob job(String name, int priority, String key) {
        return new JobStore.NewJob(name, "vae", "{\"name\": \"" + name + "\", \"device\": \"auto\"}", priority, 100, "hash-" + name,
                key);
    }

    SqliteJobStore open(ManualClock clock) {
        return SqliteJobStore.open(tmp.resolve(SqliteJobStore.DB_FILE), tmp.resolve("jobs"), clock);
    }

    @Test
    void claimsByPriorityThenSubmissionTime() {
        ManualClock clock = new ManualClock();
        try (SqliteJobStore store = open(clock)) {
            List<String> ids = new ArrayList<>();
            int[] priorities = {0, 5, -3, 5, 0, 10};
            for (int i = 0; i < priorities.length; i++) {
                ids.add(store.insert(job("p" + i, priorities[i], null)).job().id());
                clock.advance(Duration.ofMillis(1));
            }
            // 10 first, then the two 5s oldest first, then the two 0s oldest first, then -3.
            List<String> want = List.of(ids.get(5), ids.get(1), ids.get(3), ids.get(0), ids.get(4), ids.get(2));
            List<String> got = new ArrayList<>();
            Optional<Job> j;
            while ((j = store.claimNext("w", LEASE, x -> true)).isPresent()) {
                assertEquals(JobState.RUNNING, j.get().state());
                assertEquals(1, j.get().attempt());
                assertEquals("w", j.get().worker());
                got.add(j.get().id());
            }
            assertEquals(want, got);
            assertEquals(6L, store.counts().get(JobState.RUNNING));
        }
    }

    @Test
    void claimSkipsJobsTheWorkerCannotRun() {
        try (SqliteJobStore store = open(new ManualClock())) {
            String a = store.insert(job("a", 9, null)).job().id();
            String b = store.insert(job("b", 1, null)).job().id();
            assertEquals(b, store.claimNext("w", LEASE, j -> !j.id().equals(a)).orElseThrow().id());
            assertEquals(JobState.QUEUED, store.get(a).orElseThrow().state());
        }
    }

    @Test
    void staleAttemptWritesChangeNothing() {
        ManualClock clock = new ManualClock();
        try (SqliteJobStore store = open(clock)) {
            String id = store.insert(job("f", 0, null)).job().id();
            Job first = store.claimNext("w1", LEASE, x -> true).orElseThrow();
            assertEquals(1, first.attempt());
            assertTrue(store.progress(id, 1, 10, 100));
            assertEquals(JobStore.Lease.HELD, store.heartbeat(id, 1, LEASE));

            // w1 stops heartbeating; its lease runs out, the reaper requeues, w2 claims attempt 2.
            clock.advance(LEASE.plusMillis(1));
            assertEquals(1, store.reapExpired());
            assertEquals(JobState.QUEUED, store.get(id).orElseThrow().state());
            Job second = store.claimNext("w2", LEASE, x -> true).orElseThrow();
            assertEquals(2, second.attempt());
            assertEquals("w2", second.worker());
            assertEquals(10, second.step(), "progress survives the requeue");

            // Every write with attempt 1 is refused and leaves the row as it was.
            assertFalse(store.progress(id, 1, 50, 100));
            assertEquals(JobStore.Lease.LOST, store.heartbeat(id, 1, LEASE));
            assertFalse(store.finish(id, 1, JobState.FAILED, "stale"));
            assertFalse(store.requeue(id, 1));
            Job now = store.get(id).orElseThrow();
            assertEquals(JobState.RUNNING, now.state());
            assertEquals(10, now.step());
            assertEquals("w2", now.worker());
            assertEquals(null, now.error());

            assertTrue(store.progress(id, 2, 60, 100));
            assertTrue(store.finish(id, 2, JobState.SUCCEEDED, null));
            assertEquals(JobState.SUCCEEDED, store.get(id).orElseThrow().state());
            assertFalse(store.finish(id, 2, JobState.FAILED, "twice"), "a finished job takes no more writes");
            assertEquals(JobState.SUCCEEDED, store.get(id).orElseThrow().state());
        }
    }

    @Test
    void heartbeatsKeepTheLeaseAndCarryCancelRequests() {
        ManualClock clock = new ManualClock();
        try (SqliteJobStore store = open(clock)) {
            String id = store.insert(job("h", 0, null)).job().id();
            store.claimNext("w", LEASE, x -> true).orElseThrow();
            for (int i = 0; i < 5; i++) {
                clock.advance(LEASE.dividedBy(2));
                assertEquals(JobStore.Lease.HELD, store.heartbeat(id, 1, LEASE));
                assertEquals(0, store.reapExpired(), "a renewed lease is not reaped");
            }
            Job c = store.requestCancel(id).orElseThrow();
            assertEquals(JobState.RUNNING, c.state(), "a running job stops at its worker's next log point");
            assertTrue(c.cancelRequested());
            assertEquals(JobStore.Lease.CANCEL_REQUESTED, store.heartbeat(id, 1, LEASE));
            assertTrue(store.finish(id, 1, JobState.CANCELLED, null));

            String q = store.insert(job("q", 0, null)).job().id();
            assertEquals(JobState.CANCELLED, store.requestCancel(q).orElseThrow().state(), "a queued job is cancelled at once");
            assertTrue(store.claimNext("w", LEASE, x -> true).isEmpty());
            assertEquals(Optional.empty(), store.requestCancel("j-999"));
        }
    }

    @Test
    void runningJobsOfADeadProcessAreRecoveredOnOpen() {
        ManualClock clock = new ManualClock();
        String a;
        String b;
        try (SqliteJobStore store = open(clock)) {
            a = store.insert(job("a", 0, null)).job().id();
            b = store.insert(job("b", 0, null)).job().id();
            store.claimNext("dead", LEASE, x -> true).orElseThrow();
            store.claimNext("dead", LEASE, x -> true).orElseThrow();
            store.requestCancel(b);
        }
        try (SqliteJobStore store = open(clock)) {
            assertEquals(2, store.recoverRunning());
            Job ja = store.get(a).orElseThrow();
            assertEquals(JobState.QUEUED, ja.state());
            assertEquals(null, ja.worker());
            assertEquals(JobState.CANCELLED, store.get(b).orElseThrow().state(), "a cancel asked before the crash holds");
            Job again = store.claimNext("new", LEASE, x -> true).orElseThrow();
            assertEquals(a, again.id());
            assertEquals(2, again.attempt());
        }
    }

    @Test
    void idempotencyKeysUnderConcurrency() throws Exception {
        // 50 submissions from 50 threads released together: 40 distinct keys, 10 of them sent twice with the same body.
        try (SqliteJobStore store = open(new ManualClock())) {
            ExecutorService pool = Executors.newFixedThreadPool(50);
            CountDownLatch go = new CountDownLatch(1);
            List<Future<JobService.Submitted>> fs = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                int k = i < 40 ? i : i - 40;
                Callable<JobService.Submitted> c = () -> {
                    go.await();
                    return store.insert(job("n" + k, 0, "key-" + k));
                };
                fs.add(pool.submit(c));
            }
            go.countDown();
            Set<String> ids = new HashSet<>();
            int created = 0;
            for (Future<JobService.Submitted> f : fs) {
                JobService.Submitted s = f.get();
                ids.add(s.job().id());
                created += s.created() ? 1 : 0;
            }
            pool.shutdown();
            assertEquals(40, ids.size());
            assertEquals(40, created);
            assertEquals(40, store.list(Optional.empty()).size());
            for (int k = 0; k < 10; k++) {
                assertEquals(fs.get(k).get().job().id(), fs.get(40 + k).get().job().id(), "key-" + k);
            }
            IdempotencyConflictException e = assertThrows(IdempotencyConflictException.class,
                    () -> store.insert(job("different", 0, "key-3")));
            assertEquals(fs.get(3).get().job().id(), e.existingJobId());
            assertEquals(40, store.list(Optional.empty()).size());
        }
    }

    @Test
    void twoConnectionsNeverClaimTheSameJob() throws Exception {
        // Two stores on one file are two SQLite connections, as two processes would hold: BEGIN IMMEDIATE serializes claims.
        ManualClock clock = new ManualClock();
        try (SqliteJobStore a = open(clock); SqliteJobStore b = open(clock)) {
            for (int i = 0; i < 60; i++) {
                a.insert(job("c" + i, i % 3, null));
            }
            ExecutorService pool = Executors.newFixedThreadPool(4);
            CountDownLatch go = new CountDownLatch(1);
            List<Future<List<String>>> fs = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                SqliteJobStore s = t % 2 == 0 ? a : b;
                String worker = "w" + t;
                fs.add(pool.submit(() -> {
                    go.await();
                    List<String> mine = new ArrayList<>();
                    Optional<Job> j;
                    while ((j = s.claimNext(worker, LEASE, x -> true)).isPresent()) {
                        mine.add(j.get().id());
                    }
                    return mine;
                }));
            }
            go.countDown();
            List<String> all = new ArrayList<>();
            for (Future<List<String>> f : fs) {
                all.addAll(f.get());
            }
            pool.shutdown();
            assertEquals(60, all.size());
            assertEquals(60, new HashSet<>(all).size(), "no job claimed twice");
            assertTrue(b.list(Optional.of(JobState.RUNNING)).stream().allMatch(j -> j.attempt() == 1));
        }
    }
}
