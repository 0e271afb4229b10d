package org.genzoo.service.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * The {@link JobStore} contract, run against every implementation: {@link SqliteJobStoreContractTest}
 * (a manual clock; it also holds the SQLite store's own tests) and {@link PostgresJobStoreTest} (a real PostgreSQL server, whose clock runs for
 * real, so its leases are short and the test sleeps).
 */
abstract class JobStoreContract {
    /** A new store on this test's database (a second call: a second connection to the same database). */
    abstract JobStore open();

    /** The lease the tests claim with. */
    abstract Duration lease();

    /** Lets {@code d} pass on the store's clock. */
    abstract void pass(Duration d) throws InterruptedException;

    static JobStore.NewJob job(String name, int priority, String key) {
        return job(name, priority, key, "auto");
    }

    static JobStore.NewJob job(String name, int priority, String key, String device) {
        return new JobStore.NewJob(name, "vae", "{\"name\": \"" + name + "\", \"device\": \"" + device + "\"}", priority, 100,
                "hash-" + name, key);
    }

    /** A CPU device at 0:0 named like PoCL's, with 1 GiB free. */
    static final DeviceOffer CPU = new DeviceOffer("CPU", "0:0", "pthread-skylake-avx512-AMD EPYC", 1L << 30);

    @Test
    void claimsByPriorityThenSubmissionTime() throws Exception {
        try (JobStore store = open()) {
            List<String> ids = new ArrayList<>();
            int[] priorities = {0, 5, -3, 5, 0, 10};
            for (int i = 0; i < priorities.length; i++) {
                ids.add(store.insert(job("p" + i, priorities[i], null)).job().id());
                pass(Duration.ofMillis(2));
            }
            // 10 first, then the two 5s oldest first, then the two 0s oldest first, then -3.
            List<String> want = List.of(ids.get(5), ids.get(1), ids.get(3), ids.get(0), ids.get(4), ids.get(2));
            List<String> got = new ArrayList<>();
            Optional<Job> j;
            while ((j = store.claimNext("w", lease(), x -> true)).isPresent()) {
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
        try (JobStore store = open()) {
            String a = store.insert(job("a", 9, null)).job().id();
            String b = store.insert(job("b", 1, null)).job().id();
            assertEquals(b, store.claimNext("w", lease(), j -> !j.id().equals(a)).orElseThrow().id());
            assertEquals(JobState.QUEUED, store.get(a).orElseThrow().state());
        }
    }

    @Test
    void aDeviceOfferNeverClaimsAJobForAnotherDevice() {
        try (JobStore store = open()) {
            // Highest priority first, so each incompatible job would be claimed first if the filter let it through.
            String gpu = store.insert(job("gpu", 9, null, "gpu")).job().id();
            String other = store.insert(job("other", 8, null, "0:1")).job().id();
            String acc = store.insert(job("acc", 7, null, "accelerator")).job().id();
            String nvidia = store.insert(job("nvidia", 6, null, "NVIDIA")).job().id();
            String cpu = store.insert(job("cpu", 5, null, "cpu")).job().id();
            String mine = store.insert(job("mine", 4, null, "0:0")).job().id();
            String byName = store.insert(job("byname", 3, null, "Pthread")).job().id();
            String auto = store.insert(job("auto", 2, null, "auto")).job().id();
            List<String> got = new ArrayList<>();
            Optional<Job> j;
            while ((j = store.claimNext("w", lease(), CPU)).isPresent()) {
                got.add(j.get().id());
            }
            assertEquals(List.of(cpu, mine, byName, auto), got);
            for (String id : List.of(gpu, other, acc, nvidia)) {
                assertEquals(JobState.QUEUED, store.get(id).orElseThrow().state(), id + " is for another device");
            }
            DeviceOffer aGpu = new DeviceOffer("GPU", "1:0", "NVIDIA H100", 80L << 30);
            assertEquals(gpu, store.claimNext("g", lease(), aGpu).orElseThrow().id());
            assertEquals(nvidia, store.claimNext("g", lease(), aGpu).orElseThrow().id());
            assertTrue(store.claimNext("g", lease(), aGpu).isEmpty(), "0:1 and accelerator jobs are not for 1:0");
        }
    }

    @Test
    void staleAttemptWritesChangeNothing() throws Exception {
        try (JobStore store = open()) {
            String id = store.insert(job("f", 0, null)).job().id();
            Job first = store.claimNext("w1", lease(), x -> true).orElseThrow();
            assertEquals(1, first.attempt());
            assertTrue(store.progress(id, 1, 10, 100));
            assertEquals(JobStore.Lease.HELD, store.heartbeat(id, 1, lease()));

            // w1 stops heartbeating; its lease runs out, the reaper requeues, w2 claims attempt 2.
            pass(lease().plusMillis(50));
            assertEquals(1, store.reapExpired());
            assertEquals(JobState.QUEUED, store.get(id).orElseThrow().state());
            Job second = store.claimNext("w2", lease(), x -> true).orElseThrow();
            assertEquals(2, second.attempt());
            assertEquals("w2", second.worker());
            assertEquals(10, second.step(), "progress survives the requeue");

            // Every write with attempt 1 is refused and leaves the row as it was.
            assertFalse(store.progress(id, 1, 50, 100));
            assertEquals(JobStore.Lease.LOST, store.heartbeat(id, 1, lease()));
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
    void heartbeatsKeepTheLeaseAndCarryCancelRequests() throws Exception {
        try (JobStore store = open()) {
            String id = store.insert(job("h", 0, null)).job().id();
            store.claimNext("w", lease(), x -> true).orElseThrow();
            for (int i = 0; i < 4; i++) {
                pass(lease().dividedBy(2));
                assertEquals(JobStore.Lease.HELD, store.heartbeat(id, 1, lease()));
                assertEquals(0, store.reapExpired(), "a renewed lease is not reaped");
            }
            Job c = store.requestCancel(id).orElseThrow();
            assertEquals(JobState.RUNNING, c.state(), "a running job stops at its worker's next log point");
            assertTrue(c.cancelRequested());
            assertEquals(JobStore.Lease.CANCEL_REQUESTED, store.heartbeat(id, 1, lease()));
            assertTrue(store.finish(id, 1, JobState.CANCELLED, null));

            String q = store.insert(job("q", 0, null)).job().id();
            assertEquals(JobState.CANCELLED, store.requestCancel(q).orElseThrow().state(), "a queued job is cancelled at once");
            assertTrue(store.claimNext("w", lease(), x -> true).isEmpty());
            assertEquals(Optional.empty(), store.requestCancel("j-999"));
        }
    }

    @Test
    void anExpiredLeaseWithACancelRequestEndsCancelled() throws Exception {
        try (JobStore store = open()) {
            String id = store.insert(job("x", 0, null)).job().id();
            store.claimNext("w", lease(), x -> true).orElseThrow();
            store.requestCancel(id);
            pass(lease().plusMillis(50));
            assertEquals(1, store.reapExpired());
            Job j = store.get(id).orElseThrow();
            assertEquals(JobState.CANCELLED, j.state());
            assertEquals(null, j.worker());
            assertTrue(store.claimNext("w", lease(), x -> true).isEmpty());
        }
    }

    @Test
    void refusals() {
        try (JobStore store = open()) {
            assertEquals(Optional.empty(), store.get("j-12345"));
            assertThrows(IllegalArgumentException.class, () -> store.insert(job("e", 0, "")));
            String id = store.insert(job("r", 0, null)).job().id();
            store.claimNext("w", lease(), x -> true).orElseThrow();
            assertThrows(IllegalArgumentException.class, () -> store.finish(id, 1, JobState.QUEUED, null));
            assertFalse(store.progress("j-12345", 1, 1, 1));
            assertEquals(JobStore.Lease.LOST, store.heartbeat("j-12345", 1, lease()));
            assertTrue(store.reachable());
            assertEquals(1L, store.counts().get(JobState.RUNNING));
            assertEquals(0L, store.counts().get(JobState.FAILED));
        }
    }

    @Test
    void idempotencyKeysUnderConcurrency() throws Exception {
        // 50 submissions from 50 threads released together: 40 distinct keys, 10 of them sent twice with the same body.
        try (JobStore store = open()) {
            List<JobService.Submitted> fs = JobFixtures.submitRace(k -> store.insert(job("n" + k, 0, "key-" + k)));
            assertEquals(40, store.list(Optional.empty()).size());
            IdempotencyConflictException e = assertThrows(IdempotencyConflictException.class,
                    () -> store.insert(job("different", 0, "key-3")));
            assertEquals(fs.get(3).job().id(), e.existingJobId());
            assertEquals(40, store.list(Optional.empty()).size());
        }
    }

    @Test
    void twoConnectionsNeverClaimTheSameJob() throws Exception {
        // Two stores on one database are two connections, as two processes would hold; half the claimers offer a device.
        try (JobStore a = open(); JobStore b = open()) {
            for (int i = 0; i < 60; i++) {
                a.insert(job("c" + i, i % 3, null));
            }
            ExecutorService pool = Executors.newFixedThreadPool(4);
            CountDownLatch go = new CountDownLatch(1);
            List<Future<List<String>>> fs = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                JobStore s = t % 2 == 0 ? a : b;
                String worker = "w" + t;
                boolean offer = t >= 2;
                fs.add(pool.submit(() -> {
                    go.await();
                    List<String> mine = new ArrayList<>();
                    Optional<Job> j;
                    while ((j = offer ? s.claimNext(worker, lease(), CPU) : s.claimNext(worker, lease(), x -> true)).isPresent()) {
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
