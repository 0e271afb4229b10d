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
 * <p>Sampling: the device profiles one launch in {@code every}. A profiled launch costs an event
 * object and two profiling queries, and the device drains pending events (one queue finish) per 256
 * samples. With {@link #DEFAULT_EVERY} = 64 that is one sampled launch per 64, measured on PoCL at
 * well under 1% of step time (docs/service.md has the numbers); the counts per kernel still
 * show every kernel that runs more than a few dozen times a minute.
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
