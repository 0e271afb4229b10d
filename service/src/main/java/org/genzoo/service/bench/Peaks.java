package org.genzoo.service.bench;

import java.util.Arrays;
import java.util.Map;
import org.genzoo.host.Device;
import org.genzoo.host.DeviceBuffer;
import org.genzoo.host.Kernel;

/**
 * The device's own ceilings, measured rather than taken from a data sheet: FMA throughput from a
 * kernel of independent float16 FMA chains (runtime.cl:fma_peak), and streaming bandwidth from a
 * float4 copy of 256 MiB (runtime.cl:stream_copy). Each is the best of several timed runs.
 */
public record Peaks(double gflops, double gbps) {
    static final int ITERS = 4096;

    public static Peaks measure(Device dev) {
        long items = Math.max(1, dev.info().computeUnits()) * 1024L;
        double gflops;
        try (DeviceBuffer out = dev.allocate(items * 4)) {
            Kernel k = dev.kernel("runtime.cl", "fma_peak", Map.of("PEAK_ITERS", Integer.toString(ITERS))).args(out, 0.999f, 1e-4f);
            long[] t = new long[7];
            for (int i = 0; i < t.length; i++) {
                t[i] = dev.launchTimed(k, new long[] {items}, new long[] {64});
            }
            long best = Arrays.stream(t).min().orElseThrow();
            gflops = items * (double) ITERS * 8 * 16 * 2 / best;
        }
        long n4 = Math.min(dev.info().maxAllocBytes() / 16, 16L << 20) / 2; // float4 count per buffer
        double gbps;
        try (DeviceBuffer x = dev.allocate(n4 * 16); DeviceBuffer y = dev.allocate(n4 * 16)) {
            Kernel k = dev.kernel("runtime.cl", "stream_copy").args(y, x, (int) n4);
            long[] t = new long[7];
            for (int i = 0; i < t.length; i++) {
                t[i] = dev.launchTimed(k, new long[] {n4}, new long[] {64});
            }
            long best = Arrays.stream(t).min().orElseThrow();
            gbps = 2.0 * 16 * n4 / best;
        }
        return new Peaks(gflops, gbps);
    }
}
