package org.genzoo.service.bench;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.genzoo.host.Device;
import org.genzoo.host.DeviceBuffer;
import org.genzoo.host.Kernel;

/**
 * The device's own ceilings, measured rather than taken from a data sheet. FMA throughput is the
 * best of several shapes of runtime.cl:fma_peak (independent FMA chains; vector width, chains
 * per work-item and work-group size vary, because PoCL vectorizes across the work-items of a
 * group while a GPU wants many scalar work-items), each the best of several timed runs;
 * {@link #fmaHow} says which shape won. Streaming bandwidth is a float4 copy of up to 256 MiB
 * (runtime.cl:stream_copy).
 */
public record Peaks(double gflops, double gbps, String fmaHow, String bandwidthHow) {
    static final int ITERS = 4096;

    /** One probe shape: FMA_VEC, FMA_CHAINS and the work-group size (0 = the device's maximum, capped at 256). */
    record Shape(int vec, int chains, int local) {
    }

    /** The shapes tried, in order. Every one is valid on any device whose max work-group size is at least 64. */
    static final List<Shape> SHAPES = List.of(
            new Shape(1, 8, 0), new Shape(1, 16, 0), new Shape(4, 8, 64), new Shape(8, 8, 64), new Shape(16, 8, 64),
            new Shape(16, 8, 1), new Shape(16, 12, 1), new Shape(8, 12, 1));

    /**
     * With {@code quick}, a token measurement (few work-items and iterations: for simulators such
     * as Oclgrind, where only the plumbing is being checked, not the figure).
     */
    public static Peaks measure(Device dev, boolean quick) {
        int iters = quick ? 16 : ITERS;
        int cus = Math.max(1, dev.info().computeUnits());
        boolean gpu = dev.info().type().contains("gpu");
        double best = 0;
        String how = "";
        for (Shape s : SHAPES) {
            long local = s.local() > 0 ? s.local() : Math.min(256, dev.info().maxWorkGroupSize());
            if (local > dev.info().maxWorkGroupSize()) {
                continue;
            }
            // Enough work-items to fill every compute unit several times over; fewer for wide CPU shapes.
            long items = quick ? 64 : (gpu ? 8192L : (s.vec() >= 8 ? 512L : 8192L)) * cus;
            items = (items + local - 1) / local * local;
            double gf = fmaRun(dev, s, items, local, iters);
            if (gf > best) {
                best = gf;
                how = String.format(Locale.ROOT, "fma_peak float%s x %d chains, %d work-items in groups of %d",
                        s.vec() == 1 ? "" : Integer.toString(s.vec()), s.chains(), items, local);
            }
        }
        long n4 = quick ? 4096 : Math.min(dev.info().maxAllocBytes() / 16, 16L << 20) / 2; // float4 count per buffer
        double gbps;
        try (DeviceBuffer x = dev.allocate(n4 * 16); DeviceBuffer y = dev.allocate(n4 * 16)) {
            Kernel k = dev.kernel("runtime.cl", "stream_copy").args(y, x, (int) n4);
            long[] t = new long[quick ? 1 : 7];
            for (int i = 0; i < t.length; i++) {
                t[i] = dev.launchTimed(k, new long[] {n4}, new long[] {64});
            }
            long bestT = Arrays.stream(t).min().orElseThrow();
            gbps = 2.0 * 16 * n4 / bestT;
        }
        return new Peaks(best, gbps, how + (quick ? ", quick (token) probe" : ", best of 5 runs per shape"),
                String.format(Locale.ROOT, "stream_copy of %d KiB float4, best of %d runs", n4 * 16 >> 10, quick ? 1 : 7));
    }

    private static double fmaRun(Device dev, Shape s, long items, long local, int iters) {
        try (DeviceBuffer out = dev.allocate(items * 4)) {
            Kernel k = dev.kernel("runtime.cl", "fma_peak", Map.of("PEAK_ITERS", Integer.toString(iters),
                    "FMA_VEC", Integer.toString(s.vec()), "FMA_CHAINS", Integer.toString(s.chains()))).args(out, 0.999f, 1e-4f);
            dev.launchTimed(k, new long[] {items}, new long[] {local}); // warm-up (and first-run compile)
            long[] t = new long[iters < ITERS ? 1 : 5];
            for (int i = 0; i < t.length; i++) {
                t[i] = dev.launchTimed(k, new long[] {items}, new long[] {local});
            }
            long bestT = Arrays.stream(t).min().orElseThrow();
            return items * (double) iters * s.chains() * s.vec() * 2 / bestT;
        }
    }
}
