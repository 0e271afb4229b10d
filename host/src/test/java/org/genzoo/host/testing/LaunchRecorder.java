package org.genzoo.host.testing;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.genzoo.host.Device;
import org.genzoo.host.Kernel;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Records every kernel launched in this JVM (by name, with the defines of each variant) from the
 * first test class on, and the process CPU time and wall time each test class took. Registered by
 * auto-detection (META-INF/services) in the simulated-GPU pass, where
 * {@code OclgrindKernelCoverage} checks at the end that every kernel of kernels/*.cl ran, and each
 * class appends "class cpu_s wall_s" to {@code <genzoo.simgpu.out>/simgpu-times.txt} (the CPU time
 * is what the pass costs on an idle machine: Oclgrind simulates on one thread in this process);
 * the launches so far go to {@code <genzoo.simgpu.out>/simgpu-launched.txt} ({@link KernelCoverage}).
 */
public final class LaunchRecorder implements BeforeAllCallback, AfterAllCallback {
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(LaunchRecorder.class);
    /** Kernel name (without its file) to the define sets it was launched with. */
    private static final Map<String, Set<String>> LAUNCHED = new TreeMap<>();

    @Override
    public void beforeAll(ExtensionContext ctx) {
        Device.observeLaunches(LaunchRecorder::record);
        ctx.getStore(NS).put("cpu", cpuNanos());
        ctx.getStore(NS).put("wall", System.nanoTime());
    }

    @Override
    public void afterAll(ExtensionContext ctx) throws IOException {
        String dir = System.getProperty("genzoo.simgpu.out");
        if (dir == null || dir.isBlank()) {
            return;
        }
        double cpu = (cpuNanos() - ctx.getStore(NS).get("cpu", Long.class)) * 1e-9;
        double wall = (System.nanoTime() - ctx.getStore(NS).get("wall", Long.class)) * 1e-9;
        KernelCoverage.save(launched(), Path.of(dir, KernelCoverage.LAUNCHED_FILE));
        Path out = Path.of(dir, "simgpu-times.txt");
        Files.createDirectories(out.getParent());
        Files.writeString(out, String.format(Locale.ROOT, "%s %.1f %.1f%n", ctx.getRequiredTestClass().getName(), cpu, wall),
                StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    private static long cpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    private static void record(Kernel k) {
        String name = k.name().substring(k.name().indexOf(':') + 1);
        String file = k.name().substring(0, Math.max(0, k.name().indexOf(':')));
        synchronized (LAUNCHED) {
            LAUNCHED.computeIfAbsent(name, n -> new TreeSet<>()).add(file + " " + k.defines());
        }
    }

    /** A copy of what was launched so far: kernel name to "file {defines}" of each variant. */
    public static Map<String, Set<String>> launched() {
        synchronized (LAUNCHED) {
            Map<String, Set<String>> copy = new TreeMap<>();
            LAUNCHED.forEach((k, v) -> copy.put(k, new TreeSet<>(v)));
            return copy;
        }
    }
}
