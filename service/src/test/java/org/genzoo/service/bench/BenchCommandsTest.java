package org.genzoo.service.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.genzoo.host.TestDevices;
import org.genzoo.service.cli.ExitCodes;
import org.genzoo.service.cli.GenZooCli;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * `bench kernels --out`, `bench train --out` and `bench compare` on the real CPU device: the JSON
 * carries its provenance, and compare turns two results into a Markdown table and PNG charts.
 */
class BenchCommandsTest {
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path tmp;

    record Run(int code, String out, String err) {
    }

    static Run genzoo(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = GenZooCli.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    @BeforeAll
    static void device() {
        TestDevices.all();
    }

    static Path kernels(String name) {
        Path f = tmp.resolve(name);
        Run r = genzoo("bench", "kernels", "--only", "^tanh 128x400$", "--reps", "1", "--quick", "--out", f.toString());
        assertEquals(ExitCodes.OK, r.code(), r.err());
        return f;
    }

    @Test
    void kernelJsonCarriesProvenance() throws Exception {
        JsonNode doc = JSON.readTree(kernels("k.json").toFile());
        assertEquals("kernels", doc.path("kind").asText());
        JsonNode p = doc.path("provenance");
        for (String field : new String[] {"device", "vendor", "driver", "binding", "jvm", "commit", "date", "defines"}) {
            assertTrue(p.has(field), "provenance lacks " + field + ": " + p);
        }
        assertFalse(p.path("device").asText().isBlank());
        assertTrue(p.path("date").asText().matches("\\d{4}-\\d\\d-\\d\\dT.*Z"), p.path("date").asText());
        assertTrue(doc.path("peakHow").asText().contains("fma_peak"), "says how the FMA peak was measured: " + doc.path("peakHow"));
        assertEquals(1, doc.path("cases").size());
        JsonNode c = doc.path("cases").get(0);
        assertEquals("tanh 128x400", c.path("case").asText());
        assertTrue(c.path("medianMicros").asDouble() > 0);
    }

    @Test
    void launchSequenceTakesEachPositionsMedian() {
        // three steps of (gemm, adam) back to back: device medians 20 and 5 us; idle before adam 1, 3, 2 us
        // (median 2), before the gemm of steps 2 and 3 4 and 8 us (median 6); a step that launched in
        // another order gives none
        var names = java.util.List.of("gemm.cl:gemm", "optim.cl:adam_step", "gemm.cl:gemm", "optim.cl:adam_step", "gemm.cl:gemm",
                "optim.cl:adam_step");
        long[][] at = {{0, 10_000}, {11_000, 16_000}, {20_000, 40_000}, {43_000, 47_000}, {55_000, 145_000}, {147_000, 153_000}};
        var spans = java.util.Arrays.asList(at);
        var seq = TrainBench.launchSequence(names, spans, 3);
        assertEquals(2, seq.size());
        assertEquals("gemm.cl:gemm", seq.get(0).get("kernel"));
        assertEquals(20.0, (Double) seq.get(0).get("medianMicros"), 1e-9);
        assertEquals(5.0, (Double) seq.get(1).get("medianMicros"), 1e-9);
        assertEquals(6.0, (Double) seq.get(0).get("medianGapBeforeMicros"), 1e-9);
        assertEquals(2.0, (Double) seq.get(1).get("medianGapBeforeMicros"), 1e-9);
        assertEquals(2, seq.get(1).get("index"));
        var swapped = java.util.List.of("gemm.cl:gemm", "optim.cl:adam_step", "optim.cl:adam_step", "gemm.cl:gemm");
        assertTrue(TrainBench.launchSequence(swapped, java.util.Arrays.asList(at).subList(0, 4), 2).isEmpty());
        assertTrue(TrainBench.launchSequence(names, spans, 4).isEmpty(), "6 launches are not 4 equal steps");
    }

    @Test
    void compareWritesMarkdownAndCharts() throws Exception {
        Path a = kernels("a.json");
        Path b = kernels("b.json");
        Path t = tmp.resolve("t.json");
        Run tr = genzoo("bench", "train", "--model", "realnvp", "--batch", "16", "--steps", "2", "--warmup", "0", "--out", t.toString());
        assertEquals(ExitCodes.OK, tr.code(), tr.err());
        JsonNode train = JSON.readTree(t.toFile());
        assertEquals("train", train.path("kind").asText());
        // one step's launches in order: as many as the per-step count, with positive device times
        JsonNode seq = train.path("launchSequence");
        assertTrue(seq.isArray() && seq.size() > 0, "launchSequence in " + train);
        double perStep = train.path("launchesPerStep").asDouble();
        assertEquals(perStep, seq.size(), 1e-9, "one entry per launch of a step");
        for (JsonNode l : seq) {
            assertTrue(l.path("medianMicros").asDouble() > 0 && l.path("kernel").asText().contains(".cl:"), l.toString());
        }
        String prefix = tmp.resolve("cmp").toString();
        Run r = genzoo("bench", "compare", a.toString(), b.toString(), t.toString(), "-o", prefix);
        assertEquals(ExitCodes.OK, r.code(), r.err());
        String md = Files.readString(Path.of(prefix + ".md"));
        assertTrue(md.contains("## Kernels") && md.contains("## Training steps"), md);
        // One provenance row per input (the two kernel runs are told apart by a suffix), one kernel row with two cells.
        assertTrue(md.contains("| a.json |") && md.contains("| b.json |") && md.contains("| t.json |"), md);
        assertTrue(md.contains(" #2 "), "second run of the same device and commit gets a suffix: " + md);
        String row = md.lines().filter(l -> l.startsWith("| tanh 128x400 |")).findFirst().orElseThrow(() -> new AssertionError(md));
        assertEquals(2, row.split("GB/s").length - 1, row);
        assertTrue(row.endsWith("1.00x / " + row.substring(row.lastIndexOf("/ ") + 2)), row);
        assertTrue(md.contains("RealNVP"), md);
        for (String png : new String[] {"-kernels.png", "-train.png"}) {
            BufferedImage img = ImageIO.read(Path.of(prefix + png).toFile());
            assertEquals(1100, img.getWidth());
            assertTrue(img.getHeight() > 100);
        }
    }

    @Test
    void compareTakesTheRbmBenchPerConfigurationAndEveryTrainJsonCarriesProvenance() throws Exception {
        SuiteBenchTest.requireTorch();
        Path rbm = tmp.resolve("rbm.json");
        Run r = genzoo("bench", "train", "--model", "rbm", "--batch", "10", "--steps", "2", "--warmup", "0", "--rbm-hidden", "8",
                "--rbm-configs", "cd1,pcd1", "--peer", "--out", rbm.toString());
        assertEquals(ExitCodes.OK, r.code(), r.err());
        Path gan = tmp.resolve("gan.json");
        Run g = genzoo("bench", "train", "--model", "gan", "--batch", "8", "--steps", "2", "--warmup", "0", "--peer", "--out", gan.toString());
        assertEquals(ExitCodes.OK, g.code(), g.err());
        for (Path f : new Path[] {rbm, gan}) {
            JsonNode doc = JSON.readTree(f.toFile());
            assertEquals("train", doc.path("kind").asText(), f.toString());
            assertFalse(doc.path("provenance").path("commit").asText().isBlank(), f + " carries provenance: " + doc.path("provenance"));
        }
        JsonNode g0 = JSON.readTree(gan.toFile()).path("peer");
        assertTrue(g0.path("msPerStep").asDouble() > 0, "the GAN peer ran: " + g0);
        assertEquals("cpu", g0.path("peerConfig").path("device").asText(), g0.toString());
        String prefix = tmp.resolve("cmp-rbm").toString();
        Run c = genzoo("bench", "compare", "--no-png", rbm.toString(), gan.toString(), "-o", prefix);
        assertEquals(ExitCodes.OK, c.code(), c.err());
        String md = Files.readString(Path.of(prefix + ".md"));
        // one row per RBM configuration, each with its own PyTorch peer and a ratio, and the GAN's row
        for (String config : new String[] {"CD-1", "PCD-1"}) {
            String row = md.lines().filter(l -> l.contains("RBM 784-8") && l.contains(" " + config + " |")).findFirst()
                    .orElseThrow(() -> new AssertionError(config + " row missing:\n" + md));
            assertTrue(row.contains("pytorch") && row.matches(".*\\| \\d+\\.\\d\\dx \\|$"), row);
        }
        assertTrue(md.lines().anyMatch(l -> l.contains("| gan, G 2-128-128-2") && l.endsWith("x |")), md);
        assertFalse(md.contains("@ ?"), "every input names its commit: " + md);
    }

    @Test
    void theVaeAndItsPeerInterleaveSegmentBySegment() throws Exception {
        SuiteBenchTest.requireTorch();
        Path f = tmp.resolve("vae-seg.json");
        Run r = genzoo("bench", "train", "--model", "vae", "--batch", "16", "--hidden", "32", "--steps", "13", "--warmup", "1", "--peer",
                "--segments", "3", "--out", f.toString());
        assertEquals(ExitCodes.OK, r.code(), r.err());
        assertTrue(r.out().contains("interleaved in 3 segments"), r.out());
        JsonNode doc = JSON.readTree(f.toFile());
        JsonNode segs = doc.path("interleavedSegments");
        assertEquals(3, segs.size(), doc.toString());
        // 13 steps in segments of 4, 4 and 5; GenZoo's ms/step is the segments' total over all steps
        double genzooMs = 0;
        double[] ratios = new double[3];
        for (int i = 0; i < 3; i++) {
            JsonNode s = segs.get(i);
            assertEquals(i < 2 ? 4 : 5, s.path("steps").asInt(), s.toString());
            genzooMs += s.path("genzooMsPerStep").asDouble() * s.path("steps").asInt();
            ratios[i] = s.path("ratio").asDouble();
            assertEquals(s.path("peerMsPerStep").asDouble() / s.path("genzooMsPerStep").asDouble(), ratios[i], 1e-6 * ratios[i], s.toString());
        }
        assertEquals(genzooMs / 13, doc.path("msPerStep").asDouble(), 1e-6 * genzooMs, "GenZoo's time is the segments' sum");
        java.util.Arrays.sort(ratios);
        assertEquals(ratios[1], doc.path("medianSegmentRatio").asDouble(), 1e-5, "median of the segment ratios");
        // the peer timed the same segments and reports their totals
        JsonNode peer = doc.path("peer");
        assertEquals(3, peer.path("segmentSeconds").size(), peer.toString());
        double peerSec = 0;
        for (JsonNode x : peer.path("segmentSeconds")) {
            peerSec += x.asDouble();
        }
        assertEquals(1e3 * peerSec / 13, peer.path("msPerStep").asDouble(), 1e-6 * peerSec * 1e3, peer.toString());
        // a flow takes turns with its peer the same way
        Path flow = tmp.resolve("realnvp-seg.json");
        Run rf = genzoo("bench", "train", "--model", "realnvp", "--batch", "16", "--steps", "4", "--warmup", "0", "--peer", "--segments", "2",
                "--out", flow.toString());
        assertEquals(ExitCodes.OK, rf.code(), rf.err());
        JsonNode fd = JSON.readTree(flow.toFile());
        assertEquals(2, fd.path("interleavedSegments").size(), fd.toString());
        assertEquals(2, fd.path("peer").path("segmentSeconds").size(), fd.path("peer").toString());
        // without a peer there is nothing to interleave with
        Run bad = genzoo("bench", "train", "--model", "vae", "--steps", "4", "--segments", "2");
        assertEquals(ExitCodes.BAD_INPUT, bad.code(), bad.out() + bad.err());
        assertTrue(bad.err().contains("--segments interleaves a model with its PyTorch peer"), bad.err());
    }

    @Test
    void anInterleavedPeerThatStopsIsReportedNotHung() throws Exception {
        // A "python" that warms up (says ready) and then exits: the next segment gets a clear error.
        Path fake = tmp.resolve("fake-python3");
        Files.writeString(fake, "#!/bin/sh\necho some warning\necho ready\nexit 3\n");
        assertTrue(fake.toFile().setExecutable(true));
        Object s = TorchPeer.Session.open("vae_torch.py", java.util.List.of("8", "4", "2", "4", "0"),
                java.util.Map.of("GENZOO_PEER_PYTHON", fake.toString()));
        assertTrue(s instanceof TorchPeer.Session, String.valueOf(s));
        try (TorchPeer.Session ps = (TorchPeer.Session) s) {
            java.io.IOException e = assertThrows(java.io.IOException.class, () -> ps.ask("run 2"));
            assertTrue(e.getMessage().contains("vae_torch.py failed") && e.getMessage().contains("some warning"), e.getMessage());
        }
        // and one that exits before it is ready is named when the session opens
        Files.writeString(fake, "#!/bin/sh\necho no torch here\nexit 1\n");
        Object early = TorchPeer.Session.open("vae_torch.py", java.util.List.of("8", "4", "2", "4", "0"),
                java.util.Map.of("GENZOO_PEER_PYTHON", fake.toString()));
        assertTrue(early instanceof String why && why.contains("no torch here"), String.valueOf(early));
    }

    @Test
    void thePeerInterpreterIsChosenByTheEnvironmentAndAMissingOneIsNamed() throws Exception {
        assertEquals("/usr/bin/python3", TorchPeer.python(java.util.Map.of()));
        assertEquals("/opt/torch/.venv/bin/python3", TorchPeer.python(java.util.Map.of("GENZOO_PEER_PYTHON", " /opt/torch/.venv/bin/python3 ")));
        Object r = TorchPeer.run("gan_torch.py", java.util.List.of("gan", "8", "1", "0"),
                java.util.Map.of("GENZOO_PEER_PYTHON", tmp.resolve("no-such-python3").toString()), 1);
        assertTrue(r instanceof String s && s.contains("no Python interpreter at " + tmp.resolve("no-such-python3"))
                && s.contains("GENZOO_PEER_PYTHON"), String.valueOf(r));
    }

    @Test
    void badInputsAreRefusedWithTheReason() throws Exception {
        Run none = genzoo("bench", "kernels", "--only", "no-such-case", "--quick");
        assertNotEquals(ExitCodes.OK, none.code());
        assertTrue(none.err().contains("matches no case"), none.err());
        Path junk = tmp.resolve("junk.json");
        Files.writeString(junk, "{\"hello\": 1}");
        Run r = genzoo("bench", "compare", junk.toString());
        assertEquals(ExitCodes.BAD_INPUT, r.code(), r.err());
        assertTrue(r.err().contains("junk.json is not a GenZoo benchmark result"), r.err());
        Run missing = genzoo("bench", "compare", tmp.resolve("nope.json").toString());
        assertTrue(missing.err().contains("is not a file"), missing.err());
    }
}
