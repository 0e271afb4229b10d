package org.genzoo.service.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.genzoo.host.TestDevices;
import org.genzoo.service.cli.ExitCodes;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `bench suite` and `bench peaks` on the real CPU device with tiny step counts: the structure of
 * the tables, that the PyTorch peer ran in its best configuration (as it read it back), and that
 * the peaks carry both the OpenCL probe and the C loop. Speed itself is never asserted here (speed
 * claims come from the bench commands, on a quiet machine).
 */
class SuiteBenchTest {
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path tmp;

    @BeforeAll
    static void device() {
        TestDevices.all();
    }

    /** Skips (fails under CI=true) without /usr/bin/python3 and torch: the suite's point is the peer. */
    static void requireTorch() throws Exception {
        Process p = new ProcessBuilder("/usr/bin/python3", "-c", "import torch, threadpoolctl").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            String why = "/usr/bin/python3 cannot import torch and threadpoolctl (" + out.strip()
                    + "); install python3-torch python3-threadpoolctl";
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                fail("CI=true and " + why);
            }
            assumeTrue(false, why);
        }
    }

    @Test
    void suiteWritesTablesWithThePeerBesideEveryFigure() throws Exception {
        requireTorch();
        Path dir = tmp.resolve("suite");
        BenchCommandsTest.Run r = BenchCommandsTest.genzoo("bench", "suite", "--out", dir.toString(), "--models", "vae,gan",
                "--steps", "2", "--warmup", "0", "--repeat", "1", "--gemm-max", "1024", "--gemm-reps", "1", "--skip", "peaks");
        assertEquals(ExitCodes.OK, r.code(), r.err() + r.out());
        String md = Files.readString(dir.resolve("suite.md"));
        for (String h : List.of("# GenZoo speed suite", "## Training steps beside PyTorch", "## GEMM beside torch.mm")) {
            assertTrue(md.contains(h), "missing " + h + ":\n" + md);
        }
        assertFalse(md.contains("## Peaks"), "--skip peaks leaves the peaks out:\n" + md);
        // One train row per model, each with a peer time, a ratio and the peer's configuration as read back.
        for (String model : List.of("vae", "gan")) {
            String row = md.lines().filter(l -> l.startsWith("| " + model + " | 1 |")).findFirst()
                    .orElseThrow(() -> new AssertionError("no row for " + model + ":\n" + md));
            String[] cells = row.split("\\|");
            assertEquals(9, cells.length, "8 columns: " + row);
            assertTrue(cells[4].strip().matches("\\d+\\.\\d\\d"), "peer ms/step: " + row);
            assertTrue(cells[5].strip().matches("\\d+\\.\\d\\dx"), "ratio: " + row);
            assertTrue(cells[6].strip().equals(model.equals("vae") ? "1.50x" : "1.20x"), "target: " + row);
            assertTrue(cells[7].strip().equals("met") || cells[7].strip().equals("**missed**"), row);
            assertTrue(cells[8].contains("torch threads 1") && cells[8].contains("denormals flushed") && cells[8].contains("openblas"),
                    "the peer's best configuration, read back: " + row);
        }
        JsonNode doc = JSON.readTree(dir.resolve("suite.json").toFile());
        assertEquals("suite", doc.path("kind").asText());
        assertTrue(doc.path("provenance").has("commit"));
        assertEquals(2, doc.path("train").size());
        JsonNode vae = doc.path("train").get(0).path("rows").get(0);
        double ratio = vae.path("examplesPerSecond").asDouble() / vae.path("peerExamplesPerSecond").asDouble();
        assertEquals(ratio, vae.path("ratio").asDouble(), 1e-9 * ratio, "ratio is GenZoo over peer throughput");
        JsonNode cfg = vae.path("peerConfig");
        assertEquals(1, cfg.path("threads").asInt(), cfg.toString());
        assertTrue(cfg.path("flushDenormal").asBoolean(), cfg.toString());
        assertEquals(Runtime.getRuntime().availableProcessors(), cfg.path("blasThreads").asInt(), "OpenBLAS on every core: " + cfg);
        assertTrue(Files.isRegularFile(dir.resolve("train-vae-1.json")), "per-run JSON for bench compare");
        // GEMM: 1024^2 and the eight VAE products, each validated, timed and beside torch.mm.
        JsonNode gemm = doc.path("gemm");
        assertEquals(9, gemm.size(), gemm.toString());
        for (JsonNode g : gemm) {
            assertTrue(g.path("wallMicros").asDouble() > 0 && g.path("peerMicros").asDouble() > 0, g.toString());
            assertEquals(g.path("peerMicros").asDouble() / g.path("wallMicros").asDouble(), g.path("ratio").asDouble(), 1e-9);
        }
        assertEquals(9, md.lines().filter(l -> l.startsWith("| gemm ") && l.contains(" | 1 | ")).count(), "GEMM table rows:\n" + md);
        assertEquals(18, md.lines().filter(l -> l.startsWith("| gemm ") && l.contains("(product ")).count(),
                "summary rows (one product waited for, and a stream, per product):\n" + md);
        for (JsonNode g : gemm) {
            assertTrue(g.path("streamMicros").asDouble() > 0 && g.path("peerStreamMicros").asDouble() > 0, g.toString());
            assertEquals(g.path("peerStreamMicros").asDouble() / g.path("streamMicros").asDouble(), g.path("streamRatio").asDouble(), 1e-9);
        }
    }

    @Test
    void badSuiteArgumentsAreRefused() {
        BenchCommandsTest.Run r = BenchCommandsTest.genzoo("bench", "suite", "--out", tmp.resolve("x").toString(), "--models", "vae,nope");
        assertNotEquals(ExitCodes.OK, r.code());
        assertTrue(r.err().contains("unknown model 'nope'"), r.err());
        r = BenchCommandsTest.genzoo("bench", "suite", "--out", tmp.resolve("x").toString(), "--baseline-jar", tmp.resolve("no.jar").toString());
        assertNotEquals(ExitCodes.OK, r.code());
        assertTrue(r.err().contains("is not a file"), r.err());
    }

    @Test
    void peaksReportTheProbeBesideTheCLoop() throws Exception {
        Path f = tmp.resolve("peaks.json");
        BenchCommandsTest.Run r = BenchCommandsTest.genzoo("bench", "peaks", "--out", f.toString());
        assertEquals(ExitCodes.OK, r.code(), r.err());
        assertTrue(r.out().contains("OpenCL probe peak:") && r.out().contains("C loop peak:") && r.out().contains("probe / C loop:"), r.out());
        JsonNode p = JSON.readTree(f.toFile());
        assertEquals(Peaks.SHAPES.size(), p.path("probeShapes").size());
        assertTrue(p.path("probeGflops").asDouble() > 0);
        if (p.path("cLoopGflops").isNull()) {
            String why = "C loop not measured: " + p.path("cLoopHow").asText();
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                fail("CI=true and " + why + " (install gcc)");
            }
            assumeTrue(false, why);
        }
        assertTrue(p.path("cLoopHow").asText().contains("gcc -O3 -march=native -fopenmp"), p.path("cLoopHow").asText());
        assertTrue(p.path("cLoopGflops").asDouble() > 0);
        double ceiling = p.path("ceilingGflops").asDouble();
        assertTrue(ceiling >= p.path("probeGflops").asDouble() && ceiling >= p.path("cLoopGflops").asDouble()
                && ceiling >= p.path("cLoopPerThreadGflops").asDouble(), p.toString());
    }

    /** A row map from alternating keys and values. */
    private static java.util.Map<String, Object> map(Object... kv) {
        java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    @Test
    void theSummaryTakesEachComparisonsMedianOverTheRuns() {
        // Two runs: a train row (1.2, 1.7: median 1.45), a run without a peer (NaN left out), two GEMM products that share
        // a case name (kept apart by their place in the run) and the baseline VAE.
        java.util.Map<String, Object> doc = map(
                "train", List.of(
                        map("run", 1, "rows", List.of(map("label", "vae", "ratio", 1.2, "target", 1.5))),
                        map("run", 2, "rows", List.of(map("label", "vae", "ratio", 1.7, "target", 1.5))),
                        map("run", 1, "rows", List.of(map("label", "gan", "target", 1.2))),
                        map("run", 2, "rows", List.of(map("label", "gan", "ratio", 1.3, "target", 1.2)))),
                "gemm", List.of(
                        map("run", 1, "case", "gemm NN M=8", "ratio", 0.8, "streamRatio", 0.95, "target", 0.9),
                        map("run", 1, "case", "gemm NN M=8", "ratio", 1.0, "streamRatio", 1.0, "target", 0.9),
                        map("run", 2, "case", "gemm NN M=8", "ratio", 0.9, "streamRatio", 0.93, "target", 0.9),
                        map("run", 2, "case", "gemm NN M=8", "ratio", 1.2, "streamRatio", 1.1, "target", 0.9)),
                "baseline", List.of(map("run", 1, "baselineCommit", "abc", "ratio", 0.9, "target", 0.95),
                        map("run", 2, "baselineCommit", "abc", "ratio", 1.1, "target", 0.95)));
        List<java.util.Map<String, Object>> sum = SuiteBench.summary(doc);
        assertEquals(List.of("train vae", "train gan", "gemm NN M=8 (product 1, one waited)", "gemm NN M=8 (product 1, stream)",
                "gemm NN M=8 (product 2, one waited)", "gemm NN M=8 (product 2, stream)", "vae beside abc"),
                sum.stream().map(r -> r.get("comparison")).toList());
        double[] medians = {1.45, 1.3, 0.85, 0.94, 1.1, 1.05, 1.0};
        for (int i = 0; i < medians.length; i++) {
            assertEquals(medians[i], (Double) sum.get(i).get("median"), 1e-12, sum.get(i).toString());
        }
        doc.put("summary", sum);
        doc.put("provenance", map("device", "d", "binding", "jocl", "driver", "1", "jvm", "j", "commit", "c", "date", "now"));
        doc.put("repeat", 2);
        String md = SuiteBench.markdown(doc);
        assertTrue(md.contains("| train vae | 1.20x, 1.70x | 1.45x | 1.50x | **missed** |"), md);
        assertTrue(md.contains("| train gan | n/a, 1.30x | 1.30x | 1.20x | met |"), md);
        assertTrue(md.contains("| gemm NN M=8 (product 1, one waited) | 0.80x, 0.90x | 0.85x | 0.90x | **missed** |"), md);
        assertTrue(md.contains("| gemm NN M=8 (product 1, stream) | 0.95x, 0.93x | 0.94x | 0.90x | met |"), md);
    }
}
