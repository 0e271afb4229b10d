package org.genzoo.service.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.LongTaskTimer;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.genzoo.host.Device;
import org.genzoo.service.jobs.JobState;

/**
 * The job service's meters. Names are lower-case and dotted, values in base units (seconds,
 * bytes), and every tag comes from a small fixed set: {@code state} (5 values), {@code model} (the
 * registered families), {@code outcome} (succeeded, failed, cancelled), {@code device} (the devices
 * of this machine), {@code kernel} (the kernels in kernels/*.cl). A job id is never a tag: the
 * per-job bookkeeping below keys Java maps by job id, not meters.
 *
 * <ul>
 * <li>{@code genzoo.jobs{state}}: gauge, jobs in each state, read from the store at scrape time</li>
 * <li>{@code genzoo.jobs.duration{model,outcome}}: timer, wall time from start to a final state</li>
 * <li>{@code genzoo.jobs.active{model}}: long task timer, jobs running now and for how long</li>
 * <li>{@code genzoo.train.examples{model,device}}: counter, training examples processed</li>
 * <li>{@code genzoo.train.nonfinite{model}}: counter, jobs stopped by a NaN or infinite loss</li>
 * <li>{@code genzoo.device.memory.allocated{device}}: gauge, bytes allocated through the device's buffer pool</li>
 * <li>{@code genzoo.checkpoint.write.duration}: timer, writing one checkpoint (tensors, fsync, rename)</li>
 * <li>{@code genzoo.kernel.duration{kernel,device}}: timer of sampled kernel launches, see {@link KernelTimer}</li>
 * </ul>
 */
public final class GenZooMetrics implements MeterBinder {
    private final Supplier<Map<JobState, Long>> counts;
    private final int kernelSampleEvery;
    private volatile MeterRegistry registry;
    private final Map<String, LongTaskTimer.Sample> active = new ConcurrentHashMap<>();
    private final Map<String, Long> examplesSeen = new ConcurrentHashMap<>();
    private volatile Map<JobState, Long> lastCounts = new EnumMap<>(JobState.class);
    private volatile long lastCountNanos = Long.MIN_VALUE;

    /**
     * @param counts            jobs per state, as the store knows them (called at scrape time, at most once a second)
     * @param kernelSampleEvery profile one kernel launch in this many (see {@link KernelTimer#DEFAULT_EVERY}); 0 = off
     */
    public GenZooMetrics(Supplier<Map<JobState, Long>> counts, int kernelSampleEvery) {
        if (kernelSampleEvery < 0) {
            throw new IllegalArgumentException("kernel sampling must be 0 (off) or a positive launch count, got " + kernelSampleEvery);
        }
        this.counts = counts;
        this.kernelSampleEvery = kernelSampleEvery;
    }

    @Override
    public void bindTo(MeterRegistry r) {
        this.registry = r;
        for (JobState s : JobState.values()) {
            Gauge.builder("genzoo.jobs", this, m -> m.count(s)).description("jobs in each state")
                    .tag("state", tag(s.name())).baseUnit("jobs").register(r);
        }
        Timer.builder("genzoo.checkpoint.write.duration").description("time to write one checkpoint").register(r);
    }

    private double count(JobState s) {
        long now = System.nanoTime();
        if (lastCountNanos == Long.MIN_VALUE || now - lastCountNanos > 1_000_000_000L) {
            Map<JobState, Long> c = new EnumMap<>(JobState.class);
            c.putAll(counts.get());
            lastCounts = c;
            lastCountNanos = now;
        }
        return lastCounts.getOrDefault(s, 0L);
    }

    private MeterRegistry registry() {
        MeterRegistry r = registry;
        if (r == null) {
            throw new IllegalStateException("GenZooMetrics is not bound to a registry yet: call bindTo first");
        }
        return r;
    }

    /** A job began running: starts its {@code genzoo.jobs.active} sample. */
    public void jobStarted(String jobId, String model) {
        LongTaskTimer ltt = LongTaskTimer.builder("genzoo.jobs.active").description("jobs running now")
                .tag("model", tag(model)).register(registry());
        LongTaskTimer.Sample old = active.put(jobId, ltt.start());
        if (old != null) {
            old.stop();
        }
        examplesSeen.remove(jobId);
    }

    /**
     * A job reached a final state after running for {@code ran}.
     *
     * @param outcome SUCCEEDED, FAILED or CANCELLED
     */
    public void jobFinished(String jobId, String model, JobState outcome, Duration ran) {
        LongTaskTimer.Sample s = active.remove(jobId);
        if (s != null) {
            s.stop();
        }
        examplesSeen.remove(jobId);
        Timer.builder("genzoo.jobs.duration").description("job run time, start to final state")
                .tag("model", tag(model)).tag("outcome", tag(outcome.name())).register(registry()).record(ran);
    }

    /**
     * A progress report: {@code step} optimizer steps of {@code batchSize} done so far. Counts the examples
     * since the job's previous report (a resumed job starts counting at its first report).
     */
    public void progress(String jobId, String model, String device, long step, long batchSize) {
        Long prev = examplesSeen.put(jobId, step);
        long delta = prev == null ? step : step - prev;
        if (delta > 0) {
            examples(model, device, delta * batchSize);
        }
    }

    public void examples(String model, String device, long n) {
        Counter.builder("genzoo.train.examples").description("training examples processed").baseUnit("examples")
                .tag("model", tag(model)).tag("device", device).register(registry()).increment(n);
    }

    /** A job stopped on a NaN or infinite loss. */
    public void nonFinite(String model) {
        Counter.builder("genzoo.train.nonfinite").description("jobs stopped by a non-finite loss")
                .tag("model", tag(model)).register(registry()).increment();
    }

    public void checkpointWritten(Duration took) {
        Timer.builder("genzoo.checkpoint.write.duration").register(registry()).record(took);
    }

    /**
     * A worker opened {@code device}: registers its allocated-memory gauge (held weakly: it goes
     * to NaN once the device is gone) and starts sampled kernel timing. Call on the thread that owns
     * the device.
     */
    public void deviceOpened(Device device) {
        String name = deviceTag(device);
        Gauge.builder("genzoo.device.memory.allocated", device, Device::allocatedBytes)
                .description("device memory allocated through the buffer pool, idle pooled buffers included")
                .tag("device", name).baseUnit("bytes").register(registry());
        if (kernelSampleEvery > 0) {
            device.setKernelTiming(new KernelTimer(registry(), name), kernelSampleEvery);
        }
    }

    /** The {@code device} tag of an open device: its name as the driver reports it. */
    public static String deviceTag(Device d) {
        return d.info().name().strip();
    }

    static String tag(String s) {
        return s == null ? "unknown" : s.toLowerCase(Locale.ROOT);
    }
}
