package org.genzoo.service.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.genzoo.host.Device;
import org.genzoo.host.DeviceBuffer;
import org.genzoo.host.Kernel;

/**
 * The device's own ceilings, measured rather than taken from a data sheet. FMA throughput is the
 * best of several shapes of runtime.cl:fma_peak (independent FMA chains; vector width, chains
 * per work-item and work-group size vary, because PoCL vectorizes across the work-items of a
 * group while a GPU wants many scalar work-items), each the best of several timed runs;
 * {@link #fmaHow} says which shape won and {@link #shapes} gives every shape's figure. Streaming
 * bandwidth is a float4 copy of up to 256 MiB (runtime.cl:stream_copy).
 *
 * <p>On a CPU device the same ceiling is also measured without OpenCL ({@link CLoop}): the plain C
 * loop of independent FMA chains in fma-peak.c, compiled at run time with
 * {@code gcc -O3 -march=native -fopenmp} and run on as many threads as the device has compute
 * units. The probe is honest when it reaches that loop; kernel fractions of peak use the higher
 * of the two ({@link #ceiling}), so no kernel can look faster than the cores.
 */
public record Peaks(double gflops, double gbps, String fmaHow, String bandwidthHow, List<ShapeResult> shapes, CLoop cLoop) {
    static final int ITERS = 4096;

    /** One probe shape: FMA_VEC, FMA_CHAINS and the work-group size (0 = the device's maximum, capped at 256). */
    record Shape(int vec, int chains, int local) {
    }

    /** What one shape reached: GFLOP/s over {@code items} work-items in groups of {@code local}. */
    record ShapeResult(Shape shape, long items, long local, double gflops) {
        String describe() {
            return String.format(Locale.ROOT, "fma_peak float%s x %d chains, %d work-items in groups of %d",
                    shape.vec() == 1 ? "" : Integer.toString(shape.vec()), shape.chains(), items, local);
        }
    }

    /**
     * The C loop's figures, or why there are none ({@code gflops} NaN): GFLOP/s of all threads
     * together by the wall clock (the same method as the OpenCL probe, which it is compared with),
     * the sum of every thread's own best rate (the cores' ceiling when a loaded machine rarely gives
     * every thread a core at once), the thread count, and how it was measured.
     */
    record CLoop(double gflops, double perThreadGflops, int threads, String how) {
        boolean measured() {
            return !Double.isNaN(gflops);
        }
    }

    /**
     * The shapes tried, in order. Every one is valid on any device whose max work-group size is at
     * least 64. The wide, many-chain shapes with one work-item per group are the CPU ones: PoCL
     * runs each group as one loop on one core, so a float16 x 12 chain work-item is the C loop.
     */
    static final List<Shape> SHAPES = List.of(
            new Shape(1, 8, 0), new Shape(1, 16, 0), new Shape(4, 8, 64), new Shape(8, 8, 64), new Shape(16, 8, 64),
            new Shape(16, 8, 1), new Shape(16, 12, 1), new Shape(8, 12, 1));

    /** The ceiling kernel fractions are taken of: the best the device was seen to do. */
    public double ceiling() {
        return cLoop != null && cLoop.measured() ? Math.max(gflops, Math.max(cLoop.gflops(), cLoop.perThreadGflops())) : gflops;
    }

    /** Says where {@link #ceiling} comes from. */
    public String ceilingHow() {
        if (cLoop == null || !cLoop.measured()) {
            return "OpenCL probe (" + fmaHow + ")" + (cLoop == null ? "" : "; C loop: " + cLoop.how());
        }
        return String.format(Locale.ROOT, "max of OpenCL probe %.1f GFLOP/s (%s), C loop %.1f GFLOP/s all threads and %.1f GFLOP/s "
                + "summed per thread (%s); probe/C loop %.2f", gflops, fmaHow, cLoop.gflops(), cLoop.perThreadGflops(), cLoop.how(),
                gflops / cLoop.gflops());
    }

    /**
     * With {@code quick}, a token measurement (few work-items and iterations: for simulators such
     * as Oclgrind, where only the plumbing is being checked, not the figure), and no C loop.
     */
    public static Peaks measure(Device dev, boolean quick) {
        int iters = quick ? 16 : ITERS;
        int cus = Math.max(1, dev.info().computeUnits());
        boolean gpu = dev.info().type().contains("gpu");
        List<ShapeResult> results = new ArrayList<>();
        for (Shape s : SHAPES) {
            long local = s.local() > 0 ? s.local() : Math.min(256, dev.info().maxWorkGroupSize());
            if (local > dev.info().maxWorkGroupSize()) {
                continue;
            }
            // Enough work to fill every compute unit several times over: on a CPU, groups of one wide
            // work-item are whole loops, so 64 per core keeps the cores busy without per-group overhead.
            long items = quick ? 64 : gpu ? 8192L * cus : s.local() == 1 ? 64L * cus : (s.vec() >= 8 ? 512L : 8192L) * cus;
            items = (items + local - 1) / local * local;
            int it = quick ? iters : s.local() == 1 && !gpu ? 16 * iters : iters;
            results.add(new ShapeResult(s, items, local, fmaRun(dev, s, items, local, it, quick)));
        }
        ShapeResult best = results.stream().max(Comparator.comparingDouble(ShapeResult::gflops)).orElseThrow();
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
        CLoop c = quick || gpu ? new CLoop(Double.NaN, Double.NaN, 0, quick ? "not run (quick probe)" : "not run (GPU device)") : cLoop(cus);
        return new Peaks(best.gflops(), gbps, best.describe() + (quick ? ", quick (token) probe" : ", best of " + PROBE_RUNS + " runs per shape"),
                String.format(Locale.ROOT, "stream_copy of %d KiB float4, best of %d runs", n4 * 16 >> 10, quick ? 1 : 7), results, c);
    }

    private static double fmaRun(Device dev, Shape s, long items, long local, int iters, boolean quick) {
        try (DeviceBuffer out = dev.allocate(items * 4)) {
            Kernel k = dev.kernel("runtime.cl", "fma_peak", Map.of("PEAK_ITERS", Integer.toString(iters),
                    "FMA_VEC", Integer.toString(s.vec()), "FMA_CHAINS", Integer.toString(s.chains()))).args(out, 0.999f, 1e-4f);
            dev.launchTimed(k, new long[] {items}, new long[] {local}); // warm-up (and first-run compile)
            long[] t = new long[quick ? 1 : PROBE_RUNS];
            for (int i = 0; i < t.length; i++) {
                t[i] = dev.launchTimed(k, new long[] {items}, new long[] {local});
            }
            long bestT = Arrays.stream(t).min().orElseThrow();
            return items * (double) iters * s.chains() * s.vec() * 2 / bestT;
        }
    }

    /** The C compiler command line fma-peak.c is built with. */
    static final List<String> CC = List.of("gcc", "-O3", "-march=native", "-fopenmp");
    /**
     * Iterations per thread and timed runs of the C loop: about 10 ms per run at 80 GFLOP/s per
     * core, best of many short runs (on a loaded machine the best is the one that had the cores).
     */
    static final long C_ITERS = 2_000_000L;
    static final int C_RUNS = 40;
    /** Timed runs per probe shape (each a few ms), best kept, for the same reason. */
    static final int PROBE_RUNS = 15;

    /**
     * Builds and runs fma-peak.c on {@code threads} OpenMP threads (OMP_NUM_THREADS); a CLoop with
     * NaN and the reason when there is no compiler or the run fails.
     */
    static CLoop cLoop(int threads) {
        Path dir = null;
        try {
            dir = Files.createTempDirectory("genzoo-fma-peak");
            Path src = dir.resolve("fma-peak.c");
            try (InputStream in = Peaks.class.getResourceAsStream("fma-peak.c")) {
                if (in == null) {
                    return new CLoop(Double.NaN, Double.NaN, threads, "not run: bundled fma-peak.c missing");
                }
                Files.write(src, in.readAllBytes());
            }
            Path exe = dir.resolve("fma-peak");
            List<String> cc = new ArrayList<>(CC);
            cc.addAll(List.of("-o", exe.toString(), src.toString()));
            String ccOut = run(new ProcessBuilder(cc), 120);
            if (ccOut != null) {
                return new CLoop(Double.NaN, Double.NaN, threads, "not run: " + String.join(" ", CC) + " failed (install gcc): " + ccOut);
            }
            ProcessBuilder pb = new ProcessBuilder(exe.toString(), Long.toString(C_ITERS), Integer.toString(C_RUNS));
            pb.environment().put("OMP_NUM_THREADS", Integer.toString(threads));
            pb.environment().put("OMP_PROC_BIND", "false");
            Path outFile = dir.resolve("out.json");
            pb.redirectOutput(outFile.toFile());
            String err = run(pb, 300);
            if (err != null) {
                return new CLoop(Double.NaN, Double.NaN, threads, "not run: fma-peak failed: " + err);
            }
            JsonNode j = new ObjectMapper().readTree(Files.readString(outFile));
            return new CLoop(j.path("gflops").asDouble(), j.path("perThreadGflops").asDouble(), j.path("threads").asInt(),
                    String.format(Locale.ROOT, "fma-peak.c, %s, OMP_NUM_THREADS=%d: %d independent float%d FMA chains per thread, "
                    + "%d iterations, best of %d runs",
                    String.join(" ", CC), j.path("threads").asInt(), j.path("chains").asInt(), j.path("width").asInt(),
                    j.path("iters").asLong(), j.path("runs").asInt()));
        } catch (IOException e) {
            return new CLoop(Double.NaN, Double.NaN, threads, "not run: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new CLoop(Double.NaN, Double.NaN, threads, "not run: interrupted");
        } finally {
            if (dir != null) {
                try (var files = Files.list(dir)) {
                    for (Path f : files.toList()) {
                        Files.deleteIfExists(f);
                    }
                    Files.deleteIfExists(dir);
                } catch (IOException e) {
                    // a leftover temp folder is harmless; the figure stands
                }
            }
        }
    }

    /** Runs a process; null on success, else its exit status and output. */
    private static String run(ProcessBuilder pb, int timeoutSeconds) throws IOException, InterruptedException {
        if (pb.redirectOutput().type() == ProcessBuilder.Redirect.Type.PIPE) {
            pb.redirectErrorStream(true);
        }
        Process p = pb.start();
        byte[] text = (pb.redirectErrorStream() ? p.getInputStream() : p.getErrorStream()).readAllBytes();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return "timed out after " + timeoutSeconds + " s";
        }
        return p.exitValue() == 0 ? null : "exit " + p.exitValue() + ": " + new String(text, StandardCharsets.UTF_8).strip();
    }
}
