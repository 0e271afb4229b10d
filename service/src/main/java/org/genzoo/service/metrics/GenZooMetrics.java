package org.genzoo.service.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.LongTaskTimer;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;
import org.genzoo.host.Device;
import org.genzoo.service.jobs.JobMetricsListener;
import org.genzoo.service.jobs.JobState;

/**
 * The job service's meters, fed by the workers through {@link JobMetricsListener}. Names are
 * lower-case and dotted, values in base units (seconds, bytes), and every tag comes from a small
 * fixed set: {@code state} (5 values), {@code model} (the registered families), {@code outcome}
 * (succeeded, failed, cancelled, requeued), {@code device} (this machine's devices), {@code kernel}
 * (the kernels in kernels/*.cl). A job id is never a tag.
 *
 * <ul>
 * <li>{@code genzoo.jobs{state}}: gauge, jobs in each state, read from the store at scrape time (at most once a second)</li>
 * <li>{@code genzoo.jobs.duration{model,outcome}}: timer, one attempt's wall time from claim to its end</li>
 * <li>{@code genzoo.jobs.active{model}}: long task timer, jobs running now and for how long</li>
 * <li>{@code genzoo.train.examples{model,device}}: counter, training examples processed</li>
 * <li>{@code genzoo.train.nonfinite{model}}: counter, jobs stopped by a NaN or infinite loss</li>
 * <li>{@code genzoo.device.memory.allocated{device}}: gauge, bytes allocated through the devices' buffer pools</li>
 * <li>{@code genzoo.checkpoint.write.duration}: timer, writing one checkpoint (tensors, fsync, rename, pruning)</li>
 * <li>{@code genzoo.kernel.duration{kernel,device}}: timer of sampled kernel launches, see {@link KernelTimer}</li>
 * </ul>
 */
public final class GenZooMetrics implements MeterBinder, JobMetricsListener {
    private final Supplier<Map<JobState, Long>> counts;
    private final int kernelSampleEvery;
    private volatile MeterRegistry registry;
    /** Running samples by model and device: one worker per device, so a (model, device) pair has at most one per worker. */
    private final Map<String, Deque<LongTaskTimer.Sample>> active = new ConcurrentHashMap<>();
    private final Map<String, List<Device>> devices = new ConcurrentHashMap<>();
    /** The device of the worker on this thread, set by {@link #workerStarted}. */
    private final ThreadLocal<Device> workerDevice = new ThreadLocal<>();
    private volatile Map<JobState, Long> lastCounts = new EnumMap<>(JobState.class);
    private volatile long lastCountNanos;
    private volatile boolean counted;

    /**
     * @param counts            jobs per state as the store knows them ({@code JobService::counts})
     * @param kernelSampleEvery profile one kernel launch in this many ({@link KernelTimer#DEFAULT_EVERY}); 0 = off
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
        checkpointTimer(r);
    }

    private static Timer checkpointTimer(MeterRegistry r) {
        return Timer.builder("genzoo.checkpoint.write.duration").description("time to write one checkpoint").register(r);
    }

    private synchronized double count(JobState s) {
        long now = System.nanoTime();
        if (!counted || now - lastCountNanos > 1_000_000_000L) {
            Map<JobState, Long> c = new EnumMap<>(JobState.class);
            c.putAll(counts.get());
            lastCounts = c;
            lastCountNanos = now;
            counted = true;
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

    @Override
    public void jobStarted(String family, String device) {
        LongTaskTimer ltt = LongTaskTimer.builder("genzoo.jobs.active").description("jobs running now")
                .tag("model", tag(family)).register(registry());
        LongTaskTimer.Sample sample = ltt.start();
        Deque<LongTaskTimer.Sample> q = active.computeIfAbsent(family + "\n" + device, k -> new ArrayDeque<>());
        synchronized (q) {
            q.addLast(sample);
        }
    }

    @Override
    public void jobFinished(String family, String device, JobState outcome, Duration duration) {
        reportKernelTimes();
        Deque<LongTaskTimer.Sample> q = active.get(family + "\n" + device);
        if (q != null) {
            LongTaskTimer.Sample s;
            synchronized (q) {
                s = q.pollFirst();
            }
            if (s != null) {
                s.stop();
            }
        }
        String o = outcome.terminal() ? tag(outcome.name()) : "requeued";
        Timer.builder("genzoo.jobs.duration").description("wall time of one attempt of a job, claim to end")
                .tag("model", tag(family)).tag("outcome", o).register(registry()).record(duration);
    }

    @Override
    public void examplesProcessed(String family, String device, long examples) {
        reportKernelTimes();
        if (examples > 0) {
            Counter.builder("genzoo.train.examples").description("training examples processed").baseUnit("examples")
                    .tag("model", tag(family)).tag("device", device).register(registry()).increment(examples);
        }
    }

    @Override
    public void nonFiniteLoss(String family, String device) {
        Counter.builder("genzoo.train.nonfinite").description("jobs stopped by a NaN or infinite loss")
                .tag("model", tag(family)).register(registry()).increment();
    }

    @Override
    public void checkpointWritten(String family, String device, Duration duration) {
        checkpointTimer(registry()).record(duration);
    }

    /**
     * Registers the device's allocated-memory gauge (summed over workers that share a device) and turns on
     * sampled kernel timing. Runs on the worker's thread, which owns the device.
     */
    @Override
    public void workerStarted(Device device) {
        String name = deviceTag(device);
        List<Device> same = devices.computeIfAbsent(name, k -> new CopyOnWriteArrayList<>());
        same.add(device);
        Gauge.builder("genzoo.device.memory.allocated", same, l -> l.stream().mapToLong(Device::allocatedBytes).sum())
                .description("device memory allocated through the buffer pool, idle pooled buffers included")
                .tag("device", name).baseUnit("bytes").strongReference(true).register(registry());
        if (kernelSampleEvery > 0) {
            device.setKernelTiming(new KernelTimer(registry(), name), kernelSampleEvery);
            workerDevice.set(device);
        }
    }

    /**
     * Hands the device's pending kernel samples to the timer. The device reports them when it waits
     * for its queue; the trainer reads its loss back (so the queue is already empty) just before each
     * progress report, which is where this runs, so the wait costs nothing extra.
     */
    private void reportKernelTimes() {
        Device d = workerDevice.get();
        if (d != null) {
            d.finish();
        }
    }

    /** The {@code device} tag of an open device: its name as the driver reports it. */
    public static String deviceTag(Device d) {
        return d.info().name();
    }

    static String tag(String s) {
        return s == null ? "unknown" : s.toLowerCase(Locale.ROOT);
    }
}
