package org.genzoo.service.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MockClock;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.genzoo.host.Device;
import org.genzoo.host.TestDevices;
import org.genzoo.host.ops.Elementwise;
import org.genzoo.host.tensor.Tensor;
import org.genzoo.service.jobs.JobState;
import org.junit.jupiter.api.Test;

/** The meter binder on a SimpleMeterRegistry with a MockClock, and kernel sampling on the real device. */
class GenZooMetricsTest {
    /** Tag keys any GenZoo meter may carry: bounded sets only. */
    static final Set<String> ALLOWED_TAGS = Set.of("state", "model", "outcome", "device", "kernel");

    final MockClock clock = new MockClock();
    final SimpleMeterRegistry registry = new SimpleMeterRegistry(SimpleConfig.DEFAULT, clock);
    final Map<JobState, Long> counts = new EnumMap<>(Map.of(JobState.QUEUED, 3L, JobState.RUNNING, 1L, JobState.SUCCEEDED, 7L));

    GenZooMetrics bound(int every) {
        GenZooMetrics m = new GenZooMetrics(() -> counts, every);
        m.bindTo(registry);
        return m;
    }

    @Test
    void jobGaugesReadTheStoreCounts() {
        bound(0);
        assertEquals(3.0, registry.get("genzoo.jobs").tag("state", "queued").gauge().value());
        assertEquals(1.0, registry.get("genzoo.jobs").tag("state", "running").gauge().value());
        assertEquals(7.0, registry.get("genzoo.jobs").tag("state", "succeeded").gauge().value());
        assertEquals(0.0, registry.get("genzoo.jobs").tag("state", "failed").gauge().value(), "absent states read 0");
        assertEquals(5, registry.get("genzoo.jobs").gauges().size(), "one gauge per state");
    }

    @Test
    void activeJobsAndDurationsFollowTheClock() {
        GenZooMetrics m = bound(0);
        m.jobStarted("vae", "cpu0");
        m.jobStarted("vae", "cpu1");
        clock.add(Duration.ofSeconds(4));
        var active = registry.get("genzoo.jobs.active").tag("model", "vae").longTaskTimer();
        assertEquals(2, active.activeTasks());
        assertEquals(8.0, active.duration(TimeUnit.SECONDS), 1e-9, "two jobs, 4 s each");
        m.jobFinished("vae", "cpu0", JobState.SUCCEEDED, Duration.ofSeconds(4));
        assertEquals(1, active.activeTasks());
        m.jobFinished("vae", "cpu1", JobState.FAILED, Duration.ofMillis(4500));
        assertEquals(0, active.activeTasks());
        Timer ok = registry.get("genzoo.jobs.duration").tags("model", "vae", "outcome", "succeeded").timer();
        assertEquals(1, ok.count());
        assertEquals(4.0, ok.totalTime(TimeUnit.SECONDS), 1e-9);
        assertEquals(4.5, registry.get("genzoo.jobs.duration").tags("model", "vae", "outcome", "failed").timer()
                .totalTime(TimeUnit.SECONDS), 1e-9);
        m.jobStarted("hvae", "cpu0");
        m.jobFinished("hvae", "cpu0", JobState.QUEUED, Duration.ofSeconds(1));
        assertEquals(1, registry.get("genzoo.jobs.duration").tags("model", "hvae", "outcome", "requeued").timer().count());
    }

    @Test
    void trainingCountersAndCheckpointTimer() {
        GenZooMetrics m = bound(0);
        m.examplesProcessed("vae", "cpu0", 1280);
        m.examplesProcessed("vae", "cpu0", 640);
        m.examplesProcessed("vae", "cpu0", 0);
        assertEquals(1920.0, registry.get("genzoo.train.examples").tags("model", "vae", "device", "cpu0").counter().count());
        m.nonFiniteLoss("vae", "cpu0");
        assertEquals(1.0, registry.get("genzoo.train.nonfinite").tag("model", "vae").counter().count());
        m.checkpointWritten("vae", "cpu0", Duration.ofMillis(250));
        m.checkpointWritten("vae", "cpu0", Duration.ofMillis(750));
        Timer ck = registry.get("genzoo.checkpoint.write.duration").timer();
        assertEquals(2, ck.count());
        assertEquals(0.5, ck.mean(TimeUnit.SECONDS), 1e-9);
        assertTagsBounded();
    }

    @Test
    void deviceMemoryAndSampledKernelTimes() {
        GenZooMetrics m = bound(4);
        try (Device device = TestDevices.openDefault()) {
            m.workerStarted(device);
            String dev = GenZooMetrics.deviceTag(device);
            int n = 1000;
            try (Tensor a = Tensor.zeros(device, 1, n); Tensor b = Tensor.zeros(device, 1, n); Tensor y = Tensor.zeros(device, 1, n)) {
                assertEquals((double) device.allocatedBytes(),
                        registry.get("genzoo.device.memory.allocated").tag("device", dev).gauge().value());
                assertTrue(device.allocatedBytes() >= 3L * 4 * n);
                device.finish();
                int before = launches(dev);
                for (int i = 0; i < 40; i++) {
                    Elementwise.add(y, a, b);
                }
                device.finish();
                // Any 40 consecutive launches hold exactly ten whose index is a multiple of 4.
                assertEquals(10, launches(dev) - before, "one launch in 4 is profiled");
                for (Timer t : registry.find("genzoo.kernel.duration").timers()) {
                    assertTrue(t.max(TimeUnit.NANOSECONDS) > 0, "profiling events give positive times: " + t.getId());
                }
            }
        }
        assertTagsBounded();
    }

    private int launches(String dev) {
        return registry.find("genzoo.kernel.duration").tag("device", dev).timers().stream().mapToInt(t -> (int) t.count()).sum();
    }

    @Test
    void prometheusNamesCarryBaseUnits() {
        PrometheusMeterRegistry p = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        GenZooMetrics m = new GenZooMetrics(() -> counts, 0);
        m.bindTo(p);
        m.jobStarted("vae", "cpu0");
        m.jobFinished("vae", "cpu0", JobState.SUCCEEDED, Duration.ofSeconds(2));
        m.examplesProcessed("vae", "cpu0", 128);
        String text = p.scrape();
        assertTrue(text.contains("genzoo_jobs_jobs{state=\"queued\"} 3.0") || text.contains("genzoo_jobs{state=\"queued\"} 3.0"), text);
        assertTrue(text.contains("genzoo_jobs_duration_seconds_count{model=\"vae\",outcome=\"succeeded\"} 1"), text);
        assertTrue(text.contains("genzoo_train_examples_total{device=\"cpu0\",model=\"vae\"} 128.0"), text);
        assertTrue(text.contains("genzoo_checkpoint_write_duration_seconds_count 0"), text);
    }

    private void assertTagsBounded() {
        for (Meter meter : registry.getMeters()) {
            for (Tag t : meter.getId().getTags()) {
                assertTrue(ALLOWED_TAGS.contains(t.getKey()), meter.getId() + " has tag " + t.getKey());
            }
        }
    }
}
