package org.genzoo.service.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/** Specs and helpers shared by the job-service tests: tiny VAEs on the first MNIST digits, on the CPU device. */
final class JobFixtures {
    private JobFixtures() {
    }

    /** A tiny VAE (latent 2, one hidden layer of 16) on the first {@code limit} MNIST digits. */
    static String vaeSpec(String name, long steps, int logEvery, long checkpointEvery, long seed, int priority) {
        return String.format(Locale.ROOT, """
                {"name": "%s", "model": {"family": "vae", "latent": 2, "hidden": [16]},
                 "data": {"dataset": "mnist", "limit": 256}, "optimizer": {"type": "adam", "lr": 0.003},
                 "batchSize": 32, "budget": {"steps": %d}, "seed": %d, "logEvery": %d,
                 "eval": {"every": 0, "limit": 64}, "checkpoint": {"every": %d, "keep": 0},
                 "device": "cpu", "priority": %d}
                """, name, steps, seed, logEvery, checkpointEvery, priority);
    }

    /** Submissions made at once by {@link #submitRace}: 40 distinct keys, then the first 10 again. */
    static final int RACE_SUBMISSIONS = 50;
    static final int RACE_KEYS = 40;

    /** One submission for key index k (a store insert or a service submit; either may throw). */
    interface KeyedSubmit {
        JobService.Submitted submit(int k) throws Exception;
    }

    /**
     * Fifty submissions released together from fifty threads: submission i uses key index
     * {@code i < 40 ? i : i - 40}, so 40..49 repeat the keys (and bodies) of 0..9. Asserts that 40
     * jobs exist, each created once, and that a repeated key got its first submission's job back.
     * Returns the results in submission order.
     */
    static List<JobService.Submitted> submitRace(KeyedSubmit submitKey) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(RACE_SUBMISSIONS);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<JobService.Submitted>> fs = new ArrayList<>();
        for (int i = 0; i < RACE_SUBMISSIONS; i++) {
            int k = i < RACE_KEYS ? i : i - RACE_KEYS;
            fs.add(pool.submit(() -> {
                go.await();
                return submitKey.submit(k);
            }));
        }
        go.countDown();
        List<JobService.Submitted> out = new ArrayList<>();
        Set<String> ids = new HashSet<>();
        int created = 0;
        try {
            for (Future<JobService.Submitted> f : fs) {
                JobService.Submitted s = f.get();
                out.add(s);
                ids.add(s.job().id());
                created += s.created() ? 1 : 0;
            }
        } finally {
            pool.shutdown();
        }
        assertEquals(RACE_KEYS, ids.size());
        assertEquals(RACE_KEYS, created);
        for (int k = 0; k < RACE_SUBMISSIONS - RACE_KEYS; k++) {
            assertEquals(out.get(k).job().id(), out.get(RACE_KEYS + k).job().id(), "key-" + k);
        }
        return out;
    }

    /** A service on {@code dir} with one CPU worker and short leases. */
    static LocalJobService.Config config(Path dir) {
        return LocalJobService.Config.defaults().withDataDir(dir).withDevices(List.of("cpu")).withLease(Duration.ofSeconds(3))
                .withPoll(Duration.ofMillis(200));
    }

    /** Events of one job, in order, for a test to wait on. */
    static final class Recorder implements java.util.function.Consumer<JobEvent> {
        final BlockingQueue<JobEvent> events = new LinkedBlockingQueue<>();
        final List<JobEvent> all = new java.util.concurrent.CopyOnWriteArrayList<>();
        final java.util.Map<String, Long> firstSeenNanos = new java.util.concurrent.ConcurrentHashMap<>();

        @Override
        public void accept(JobEvent e) {
            long now = System.nanoTime();
            if (e.type().equals("state")) {
                firstSeenNanos.putIfAbsent(e.jobId() + ":" + e.data().get("state"), now);
            }
            all.add(e);
            events.add(e);
        }

        /** Waits for the first event that {@code p} accepts (events before it are consumed). */
        JobEvent await(Predicate<JobEvent> p, Duration timeout, String what) throws InterruptedException {
            long end = System.nanoTime() + timeout.toNanos();
            while (true) {
                long left = end - System.nanoTime();
                JobEvent e = left > 0 ? events.poll(left, TimeUnit.NANOSECONDS) : null;
                if (e == null) {
                    fail("no " + what + " within " + timeout + "; events so far: " + all);
                }
                if (p.test(e)) {
                    return e;
                }
            }
        }
    }

    static Predicate<JobEvent> state(String id, JobState s) {
        return e -> e.jobId().equals(id) && e.type().equals("state") && s.name().equals(e.data().get("state"));
    }
}
