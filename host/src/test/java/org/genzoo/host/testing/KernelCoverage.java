package org.genzoo.host.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Predicate;

/**
 * The simulated-GPU pass's kernel coverage: which kernels of kernels/*.cl (from
 * {@link KernelInventory}) some test of the pass launched (from {@link LaunchRecorder}), written as
 * a report, and the launches of one module saved to a file so a later module's check can add
 * them to its own (the energies.cl kernels are launched by the models module's tests only).
 */
public final class KernelCoverage {
    /** The file, under a module's genzoo.simgpu.out folder, that holds the launches of that module's pass. */
    public static final String LAUNCHED_FILE = "simgpu-launched.txt";

    private KernelCoverage() {
    }

    /**
     * Writes the report (each kernel with the define sets it ran with, or NOT LAUNCHED) to
     * {@code out} and returns the kernels that {@code required} selects (by kernel name and its
     * files) and that did not run, each as "name (files)".
     */
    public static Set<String> report(Map<String, Set<String>> defined, Map<String, Set<String>> launched,
            Predicate<Map.Entry<String, Set<String>>> required, Path out) throws IOException {
        StringBuilder report = new StringBuilder("# kernel: variants launched in the simulated-GPU pass (file {defines})\n");
        Set<String> missing = new TreeSet<>();
        for (Map.Entry<String, Set<String>> e : defined.entrySet()) {
            Set<String> v = launched.getOrDefault(e.getKey(), Set.of());
            report.append(e.getKey()).append(" (").append(String.join(", ", e.getValue())).append("): ")
                    .append(v.isEmpty() ? "NOT LAUNCHED" : v.size() + " variants").append('\n');
            for (String s : v) {
                report.append("    ").append(s).append('\n');
            }
            if (v.isEmpty() && required.test(e)) {
                missing.add(e.getKey() + " (" + String.join(", ", e.getValue()) + ")");
            }
        }
        Files.createDirectories(out.toAbsolutePath().getParent());
        Files.writeString(out, report);
        return missing;
    }

    /** Saves {@code launched} (kernel name to "file {defines}" of each variant) as tab-separated lines. */
    public static void save(Map<String, Set<String>> launched, Path file) throws IOException {
        StringBuilder sb = new StringBuilder();
        launched.forEach((k, vs) -> vs.forEach(v -> sb.append(k).append('\t').append(v).append('\n')));
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.writeString(file, sb, StandardCharsets.UTF_8);
    }

    /** What {@link #save} wrote. */
    public static Map<String, Set<String>> load(Path file) throws IOException {
        Map<String, Set<String>> out = new TreeMap<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            int tab = line.indexOf('\t');
            if (tab > 0) {
                out.computeIfAbsent(line.substring(0, tab), k -> new TreeSet<>()).add(line.substring(tab + 1));
            }
        }
        return out;
    }

    /** {@code a} and {@code b} together. */
    public static Map<String, Set<String>> union(Map<String, Set<String>> a, Map<String, Set<String>> b) {
        Map<String, Set<String>> out = new TreeMap<>();
        for (Map<String, Set<String>> m : java.util.List.of(a, b)) {
            m.forEach((k, v) -> out.computeIfAbsent(k, x -> new TreeSet<>()).addAll(v));
        }
        return out;
    }
}
