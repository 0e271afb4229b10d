package org.genzoo.service.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.genzoo.host.Device;
import org.genzoo.host.TestDevices;
import org.genzoo.models.train.Checkpoints;
import org.genzoo.models.train.ModelFamilies;
import org.genzoo.models.train.ModelFamily;
import org.genzoo.models.train.Trainer;
import org.genzoo.service.cli.GenZooCli;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A fleet of worker processes on one real PostgreSQL ({@link PgCluster}) and one shared artifact
 * folder: exactly-once under load, SIGKILL (resume elsewhere, bitwise), SIGSTOP past the lease
 * (fencing), a database restart mid-training, and device classes no worker has.
 *
 * <p>Workers are child JVMs: {@code genzoo worker} itself ({@link GenZooCli}) for the fault tests,
 * and {@link FleetWorkerMain} (the same {@link FleetJobService}, plus the short test family) for the
 * 1,000-job test. Jobs are submitted by an API-only {@link FleetJobService} in this JVM.
 */
class FleetProcessTest {
    /**
     * The fault tests' job: the tiny VAE of the other service tests, 2,000 steps, a checkpoint every 50.
     * At about 200 steps a second here, 400 steps ran out within 2 s: a worker finished the job before
     * the SIGTERM reached it. 2,000 leave about 9 s after {@link #ACT_AFTER_STEP}.
     */
    static final long STEPS = 2000;
    static final long CHECKPOINT_EVERY = 50;
    /** Act once the job is past this step: checkpoints are on the shared folder, most of the run is still ahead. */
    static final long ACT_AFTER_STEP = 120;
    /** The fault tests' lease: the fleet default, so the SIGKILL test measures what a user gets. */
    static final Duration LEASE = FleetJobService.DEFAULT_LEASE;
    /** Slack on top of lease + reaper interval for a loaded 2-core machine: JVM pauses, the claim, the first log line. */
    static final Duration TAKEOVER_SLACK = Duration.ofSeconds(8);
    static final long CHILD_TIMEOUT_S = 240;
    /** The 1,000-job test: about 2.5 minutes on a quiet 2-core machine; twice that before it counts as stuck. */
    static final long THOUSAND_TIMEOUT_S = 330;

    @TempDir
    Path tmp;
    String url;
    Path artifacts;
    final List<Child> children = new ArrayList<>();

    @BeforeAll
    static void needsDevice() {
        TestDevices.all();
    }

    @BeforeEach
    void setUp() throws IOException {
        url = PgCluster.get().newDatabase();
        artifacts = tmp.resolve("shared");
        Files.createDirectories(artifacts);
    }

    @AfterEach
    void stopChildren() throws InterruptedException {
        for (Child c : children) {
            c.close();
        }
    }

    /** A child JVM with its stdout and stderr lines in one queue. */
    final class Child implements AutoCloseable {
        final String name;
        final Process process;
        final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        final List<String> seen = new CopyOnWriteArrayList<>();

        Child(String name, List<String> args) throws IOException {
            this.name = name;
            List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx384m",
                    "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path")));
            cmd.addAll(args);
            process = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            Thread t = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                    String l;
                    while ((l = r.readLine()) != null) {
                        seen.add(l);
                        lines.add(l);
                    }
                } catch (IOException e) {
                    lines.add("READ-ERROR " + e);
                }
                lines.add("EOF");
            }, name + "-out");
            t.setDaemon(true);
            t.start();
            children.add(this);
        }

        String await(Predicate<String> p, String what) throws InterruptedException {
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(CHILD_TIMEOUT_S);
            while (true) {
                String l = lines.poll(Math.max(1, end - System.nanoTime()), TimeUnit.NANOSECONDS);
                if (l == null || l.equals("EOF")) {
                    fail(name + ": no " + what + (l == null ? " within " + CHILD_TIMEOUT_S + " s" : " before it exited") + "; output: "
                            + tail());
                }
                if (p.test(l)) {
                    return l;
                }
            }
        }

        String tail() {
            List<String> s = new ArrayList<>(seen);
            return String.join("\n", s.subList(Math.max(0, s.size() - 40), s.size()));
        }

        void signal(String sig) throws IOException, InterruptedException {
            Process k = new ProcessBuilder("kill", "-" + sig, Long.toString(process.pid())).inheritIO().start();
            assertEquals(0, k.waitFor(), "kill -" + sig);
        }

        @Override
        public void close() throws InterruptedException {
            if (process.isAlive()) {
                try {
                    signal("CONT");
                } catch (IOException e) {
                    // destroyed below either way
                }
                process.destroyForcibly();
                process.waitFor(30, TimeUnit.SECONDS);
            }
        }
    }

    /** {@code genzoo worker} on the CPU device with the fault tests' lease. */
    Child cliWorker(String name) throws IOException {
        return new Child(name, List.of(GenZooCli.class.getName(), "worker", "--store", url, "--artifacts", artifacts.toString(),
                "--scratch", tmp.resolve("scratch-" + name).toString(), "-d", "cpu", "--lease",
                Double.toString(LEASE.toMillis() / 1000.0), "--poll", "5", "--node", name));
    }

    /** A submitter: this JVM as an API-only node (no workers). */
    FleetJobService submitter(Map<String, ModelFamily> families) throws IOException {
        FleetJobService.Config base = FleetJobService.Config.of(url, artifacts);
        return FleetJobService.start(new FleetJobService.Config(url, artifacts, tmp.resolve("scratch-submitter"), null, List.of(),
                LEASE, Duration.ofSeconds(5), 3, "submitter", JobMetricsListener.NONE, families, base.data()));
    }

    static String faultSpec(String name) {
        return JobFixtures.vaeSpec(name, STEPS, 10, CHECKPOINT_EVERY, 23, 0);
    }

    /** The uninterrupted run every fault test compares with (made once per JVM). */
    private static Path reference;

    static synchronized Path reference() throws IOException {
        if (reference == null) {
            Path ref = Files.createTempDirectory("genzoo-fleet-reference-");
            try (Device device = TestDevices.openDefault()) {
                JobRunner.Outcome o = JobRunner.run(device, JobSpecs.parse(faultSpec("ref")).withOutput(ref.toString()), null,
                        Trainer.Options.defaults());
                assertEquals(JobState.SUCCEEDED, o.state(), String.valueOf(o.error()));
            }
            reference = ref;
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    MountedArtifactStore.deleteTree(ref);
                } catch (IOException e) {
                    // best effort at exit: a leftover folder in the temp folder is harmless
                }
            }, "fleet-reference-cleanup"));
        }
        return reference;
    }

    static void assertBitwiseLikeTheReference(Path dir) throws IOException {
        Path ref = reference();
        for (String f : List.of(Checkpoints.WEIGHTS, Checkpoints.OPTIMIZER)) {
            assertEquals(-1L, Files.mismatch(Checkpoints.dirFor(ref, STEPS).resolve(f), Checkpoints.dirFor(dir, STEPS).resolve(f)),
                    f + ": bitwise the same as the uninterrupted run");
        }
        assertEquals(ServiceKillTest.losses(ref), ServiceKillTest.losses(dir), "the same loss at every log point");
    }

    Job waitFor(PostgresJobStore store, String id, Predicate<Job> p, String what) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(CHILD_TIMEOUT_S);
        while (System.nanoTime() < end) {
            try {
                Optional<Job> j = store.get(id);
                if (j.isPresent() && p.test(j.get())) {
                    return j.get();
                }
            } catch (JobStoreException e) {
                // the database is restarting; ask again
            }
            Thread.sleep(100);
        }
        fail("job " + id + ": no " + what + " within " + CHILD_TIMEOUT_S + " s; children: "
                + children.stream().map(c -> c.name + ":\n" + c.tail()).toList());
        return null;
    }

    /** The first worker holds the job past {@link #ACT_AFTER_STEP}, with a second worker idle beside it. */
    record Started(FleetJobService submitter, String id, Child holder, Child spare) {
    }

    Started startFaultJob(String name) throws Exception {
        FleetJobService sub = submitter(ModelFamilies.all());
        String id = sub.submit(faultSpec(name), null).job().id();
        Child a = cliWorker("a");
        a.await(l -> l.contains(id + " attempt 1 RUNNING"), "the claim of " + id);
        Child b = cliWorker("b");
        b.await(l -> l.contains("worker(s) serving"), "start");
        waitFor(sub.store(), id, j -> j.step() >= ACT_AFTER_STEP, "progress past step " + ACT_AFTER_STEP);
        assertTrue(!Checkpoints.list(artifacts.resolve("jobs").resolve(id)).isEmpty(), "a checkpoint is on the shared folder");
        return new Started(sub, id, a, b);
    }

    @Test
    void aSigkilledWorkersJobIsFinishedElsewhereFromItsLastCheckpointBitwise() throws Exception {
        Started s = startFaultJob("kill");
        try (FleetJobService sub = s.submitter()) {
            Path shared = artifacts.resolve("jobs").resolve(s.id());
            long published = Checkpoints.load(Checkpoints.list(shared).get(0)).info().step();
            long t0 = System.nanoTime();
            s.holder().process.destroyForcibly(); // SIGKILL: no shutdown hook, no last checkpoint, no requeue
            s.spare().await(l -> l.contains(s.id() + " attempt 2 RUNNING"), "the takeover");
            double took = (System.nanoTime() - t0) / 1e9;
            String resumed = s.spare().await(l -> l.contains(s.id() + ": resumed from"), "the resume");
            s.spare().await(l -> l.contains(s.id() + " attempt 2 SUCCEEDED"), "the end");
            System.out.printf(Locale.ROOT, "SIGKILL -> job running on another worker: %.2f s (lease %d s, reaper every %d s); %s%n",
                    took, LEASE.toSeconds(), LEASE.toSeconds() / 3, resumed);
            assertTrue(took <= LEASE.plus(LEASE.dividedBy(3)).plus(TAKEOVER_SLACK).toMillis() / 1000.0,
                    "takeover within lease + reaper interval (+ slack): " + took + " s");
            long from = Long.parseLong(resumed.replaceAll(".* at step (\\d+) of.*", "$1"));
            assertTrue(from >= published && from > 0 && from % CHECKPOINT_EVERY == 0, "resumed from the last published checkpoint: " + resumed);
            Job done = sub.get(s.id()).orElseThrow();
            assertEquals(JobState.SUCCEEDED, done.state());
            assertEquals(2, done.attempt());
            assertBitwiseLikeTheReference(shared);
            assertEquals(shared.toString(), JobSpecs.parse(Files.readString(shared.resolve("spec.json"))).output(),
                    "the shared spec.json names the job's shared folder, not a worker's scratch folder");
        }
    }

    /** docker stop: SIGTERM to {@code genzoo worker} mid-job checkpoints, requeues at once (no lease expiry) and exits 0. */
    @Test
    void aSigtermedWorkerCheckpointsRequeuesItsJobAndExitsZero() throws Exception {
        Started s = startFaultJob("term");
        try (FleetJobService sub = s.submitter()) {
            Path shared = artifacts.resolve("jobs").resolve(s.id());
            long t0 = System.nanoTime();
            s.holder().signal("TERM");
            assertTrue(s.holder().process.waitFor(60, TimeUnit.SECONDS), "the worker exits within 60 s of SIGTERM: " + s.holder().tail());
            assertEquals(0, s.holder().process.exitValue(), "exit code after SIGTERM: " + s.holder().tail());
            s.spare().await(l -> l.contains(s.id() + " attempt 2 RUNNING"), "the takeover");
            double took = (System.nanoTime() - t0) / 1e9;
            String resumed = s.spare().await(l -> l.contains(s.id() + ": resumed from"), "the resume");
            s.spare().await(l -> l.contains(s.id() + " attempt 2 SUCCEEDED"), "the end");
            System.out.printf(Locale.ROOT, "SIGTERM -> job running on another worker: %.2f s; %s%n", took, resumed);
            assertTrue(took < LEASE.toMillis() / 1000.0, "requeued by the stopping worker, not reaped after its lease: " + took + " s");
            long from = Long.parseLong(resumed.replaceAll(".* at step (\\d+) of.*", "$1"));
            assertTrue(from > ACT_AFTER_STEP, "resumed from the checkpoint the stop wrote (past step " + ACT_AFTER_STEP + "): " + resumed);
            Job done = sub.get(s.id()).orElseThrow();
            assertEquals(JobState.SUCCEEDED, done.state());
            assertEquals(2, done.attempt());
            assertBitwiseLikeTheReference(shared);
        }
    }

    @Test
    void aWorkerFrozenPastItsLeaseIsFencedOffAndTouchesNothing() throws Exception {
        Started s = startFaultJob("stop");
        try (FleetJobService sub = s.submitter()) {
            Path shared = artifacts.resolve("jobs").resolve(s.id());
            s.holder().signal("STOP");
            s.spare().await(l -> l.contains(s.id() + " attempt 2 RUNNING"), "the takeover");
            s.spare().await(l -> l.contains(s.id() + " attempt 2 SUCCEEDED"), "the end");
            Map<String, String> before = snapshot(shared);
            s.holder().signal("CONT");
            String lost = s.holder().await(l -> l.contains(s.id() + ": worker") && l.contains("lost attempt 1"), "the stale worker giving up");
            Thread.sleep(1_000); // anything it would still write has had time to land
            assertEquals(before, snapshot(shared), "the stale worker changed nothing in the shared folder; it said: " + lost);
            assertTrue(s.holder().process.isAlive(), "the stale worker lives on, idle");
            Job done = sub.get(s.id()).orElseThrow();
            assertEquals(JobState.SUCCEEDED, done.state());
            assertEquals(2, done.attempt(), "the stale worker's outcome was refused");
            assertBitwiseLikeTheReference(shared);
        }
    }

    /** Every file under {@code dir}: size, modification time (ns) and SHA-256. */
    static Map<String, String> snapshot(Path dir) throws IOException {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) {
                byte[] b = Files.readAllBytes(p);
                try {
                    out.put(dir.relativize(p).toString(), b.length + " " + Files.getLastModifiedTime(p).toInstant() + " "
                            + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b)));
                } catch (java.security.NoSuchAlgorithmException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        return out;
    }

    @Test
    void aDatabaseRestartDuringTrainingLosesNoJobAndRunsNoneTwice() throws Exception {
        try (FleetJobService sub = submitter(ModelFamilies.all())) {
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                // A checkpoint (and so a fenced publish) every 10 steps: the restarts are likely to land in the middle of one.
                ids.add(sub.submit(JobFixtures.vaeSpec("restart" + i, 200, 10, 10, 31 + i, 0), null).job().id());
            }
            Child a = cliWorker("a");
            Child b = cliWorker("b");
            a.await(l -> l.contains(" attempt 1 RUNNING"), "a claim");
            b.await(l -> l.contains(" attempt 1 RUNNING"), "a claim");
            waitFor(sub.store(), ids.get(0), j -> j.step() >= 40, "progress");
            PgCluster.get().restart();
            Thread.sleep(1_500);
            PgCluster.get().restart();
            for (String id : ids) {
                Job j = waitFor(sub.store(), id, x -> x.state().terminal(), "end");
                assertEquals(JobState.SUCCEEDED, j.state(), id + ": " + j.error());
                assertEquals(1, j.attempt(), id + " ran once: never requeued, never claimed twice");
                String log = Files.readString(artifacts.resolve("jobs").resolve(id).resolve("train.log"));
                assertEquals(1, log.lines().filter(l -> l.contains(" starting: ")).count(), id + " started once:\n" + log);
                assertTrue(log.lines().noneMatch(l -> l.contains("resumed from")), id + " never resumed:\n" + log);
            }
            // Both workers reconnected by themselves: each is still alive and claims a job submitted now.
            String late1 = sub.submit(JobFixtures.vaeSpec("late1", 20, 10, 100, 41, 0), null).job().id();
            String late2 = sub.submit(JobFixtures.vaeSpec("late2", 20, 10, 100, 42, 0), null).job().id();
            assertEquals(JobState.SUCCEEDED, waitFor(sub.store(), late1, x -> x.state().terminal(), "end").state());
            assertEquals(JobState.SUCCEEDED, waitFor(sub.store(), late2, x -> x.state().terminal(), "end").state());
            assertTrue(a.process.isAlive() && b.process.isAlive());
        }
    }

    /** The short job: {@link QuickVaeFamily} (the VAE minus pictures, term metrics and evaluation), 1 step of 32 examples. */
    static String shortSpec(int i, String device) {
        return String.format(Locale.ROOT, """
                {"name": "short%d", "model": {"family": "quickvae", "latent": 2, "hidden": [8]},
                 "data": {"dataset": "mnist", "limit": 32}, "batchSize": 32, "budget": {"steps": 1}, "seed": %d,
                 "logEvery": 1, "eval": {"every": 0, "limit": 1}, "checkpoint": {"every": 1000, "keep": 1}, "device": "%s"}
                """, i, i, device);
    }

    @Test
    void threeWorkersRunAThousandQueuedJobsExactlyOnceAndNeverAJobForAnotherDevice() throws Exception {
        final int jobs = 1000;
        Map<String, ModelFamily> fams = new TreeMap<>(ModelFamilies.all());
        fams.put("quickvae", new QuickVaeFamily());
        // The shared folder on tmpfs where there is one: this test is about the queue, not the disk's fsync rate.
        Path shm = Path.of("/dev/shm");
        if (Files.isDirectory(shm) && Files.isWritable(shm)) {
            artifacts = Files.createTempDirectory(shm, "genzoo-fleet-");
        }
        List<String> gpuJobs = new ArrayList<>();
        try (FleetJobService sub = submitter(fams)) {
            for (int i = 0; i < 5; i++) {
                // Top priority: were the device filter to let them through, they would be claimed first.
                gpuJobs.add(sub.submit(shortSpec(10_000 + i, "gpu").replace("\"seed\"", "\"priority\": 1000, \"seed\""), null).job().id());
            }
            // Submitted from 4 threads (as several clients would), all queued before any worker starts.
            java.util.concurrent.ExecutorService submitters = java.util.concurrent.Executors.newFixedThreadPool(4);
            List<java.util.concurrent.Future<JobService.Submitted>> fs = new ArrayList<>();
            for (int i = 0; i < jobs; i++) {
                String spec = shortSpec(i, "cpu");
                fs.add(submitters.submit(() -> sub.submit(spec, null)));
            }
            for (java.util.concurrent.Future<JobService.Submitted> f : fs) {
                assertTrue(f.get().created());
            }
            submitters.shutdown();
            long t0 = System.nanoTime();
            List<Child> workers = new ArrayList<>();
            for (int w = 0; w < 3; w++) {
                workers.add(new Child("w" + w, List.of(FleetWorkerMain.class.getName(), url, artifacts.toString(),
                        tmp.resolve("scratch-w" + w).toString(), Long.toString(LEASE.toMillis()))));
            }
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(THOUSAND_TIMEOUT_S);
            while (sub.counts().get(JobState.SUCCEEDED) < jobs && System.nanoTime() < end) {
                Thread.sleep(500);
            }
            double took = (System.nanoTime() - t0) / 1e9;
            Map<JobState, Long> counts = sub.counts();
            assertEquals(jobs, counts.get(JobState.SUCCEEDED), "all jobs done within " + THOUSAND_TIMEOUT_S + " s: " + counts);
            // Exactly once: one RUN line per job over all workers, and every job on its first attempt.
            Map<String, Integer> runs = new HashMap<>();
            int[] perWorker = new int[3];
            for (int w = 0; w < 3; w++) {
                for (String l : workers.get(w).seen) {
                    if (l.startsWith("RUN ")) {
                        runs.merge(l.split(" ")[1], 1, Integer::sum);
                        perWorker[w]++;
                    }
                }
            }
            assertEquals(jobs, runs.size(), "every job ran");
            assertTrue(runs.values().stream().allMatch(n -> n == 1), "no job ran twice");
            for (Job j : sub.list(Optional.of(JobState.SUCCEEDED))) {
                assertEquals(1, j.attempt(), j.id());
                assertTrue(Files.isRegularFile(artifacts.resolve("jobs").resolve(j.id()).resolve("report.json")), j.id() + " published");
            }
            for (String id : gpuJobs) {
                Job j = sub.get(id).orElseThrow();
                assertEquals(JobState.QUEUED, j.state(), "no CPU worker claimed the gpu job " + id);
                assertEquals(0, j.attempt());
            }
            System.out.printf(Locale.ROOT, "%d short jobs on 3 worker processes: %.1f s (%.1f jobs/s; per worker %d, %d, %d)%n",
                    jobs, took, jobs / took, perWorker[0], perWorker[1], perWorker[2]);
        } finally {
            stopChildren();
            if (artifacts.startsWith(shm)) {
                MountedArtifactStore.deleteTree(artifacts);
            }
        }
    }
}
