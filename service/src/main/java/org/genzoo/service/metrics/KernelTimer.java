package org.genzoo.service.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.genzoo.host.Device;

/**
 * {@code genzoo.kernel.duration{kernel,device}}: device time of sampled kernel launches, from
 * OpenCL profiling events ({@code END - START}), fed by {@link Device#setKernelTiming}.
 *
 * <p>Sampling: the device profiles one launch in {@code every}. A profiled launch costs about 2.4 µs
 * more on PoCL (an event and two profiling queries); with {@link #DEFAULT_EVERY} = 64 that is about
 * 0.01% of a quickstart-sized VAE step (docs/service.md, Metrics, has the measurement). Pending
 * samples are handed over when the device waits for its queue (see GenZooMetrics).
 */
public final class KernelTimer implements Device.KernelTimingListener {
    public static final int DEFAULT_EVERY = 64;

    private final MeterRegistry registry;
    private final String device;
    private final Map<String, Timer> timers = new ConcurrentHashMap<>();

    public KernelTimer(MeterRegistry registry, String device) {
        this.registry = registry;
        this.device = device;
    }

    @Override
    public void onKernel(String kernel, long deviceNanos) {
        timers.computeIfAbsent(kernel, k -> Timer.builder("genzoo.kernel.duration")
                .description("device time of sampled kernel launches (OpenCL profiling events)")
                .tag("kernel", k).tag("device", device).register(registry)).record(Math.max(0, deviceNanos), TimeUnit.NANOSECONDS);
    }
}
