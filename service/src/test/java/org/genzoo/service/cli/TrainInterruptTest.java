package org.genzoo.service.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.genzoo.host.TestDevices;
import org.genzoo.models.train.Checkpoints;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Ctrl-C (SIGINT) during {@code genzoo train} in a child JVM, in its first log windows (before any
 * plot was drawn): the run writes a checkpoint, report.json says "interrupted" with the step reached,
 * the --resume command is printed, the exit code is {@link ExitCodes#INTERRUPTED}; running the
 * printed command ends with the same weights, bit for bit, as a run that was never interrupted.
 */
class TrainInterruptTest {
    static final long STEPS = 300;
    static final long CHILD_TIMEOUT_S = 120;
    static final String SPEC = """
            {"name": "ctrl-c", "model": {"family": "vae", "latent": 2, "hidden": [16]},
             "data": {"dataset": "mnist", "limit": 256}, "optimizer": {"type": "adam", "lr": 0.003},
             "batchSize": 32, "budget": {"steps": 300}, "seed": 17, "logEvery": 10,
             "eval": {"every": 0, "limit": 64}, "checkpoint": {"every": 100, "keep": 0}, "device": "cpu"}
            """;

    @TempDir
    Path tmp;

    @BeforeAll
    static void needsDevice() {
        TestDevices.all();
    }

    static int run(String... args) {
        CommandLine cl = GenZooCli.commandLine();
        cl.setOut(new PrintWriter(new StringWriter()));
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err));
        int code = cl.execute(args);
        if (code != 0) {
            System.out.println(err);
        }
        return code;
    }

    @Test
    void ctrlCWritesACheckpointReportsInterruptedAndThePrintedResumeEndsBitwiseEqual() throws Exception {
        Path spec = tmp.resolve("spec.json");
        Files.writeString(spec, SPEC);
        Path out = tmp.resolve("run");
        Path stderr = tmp.resolve("train.err");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-Xmx512m", "-cp", System.getProperty("java.class.path"), GenZooCli.class.getName(),
                "train", spec.toString(), "--output", out.toString(), "-d", "cpu").redirectError(stderr.toFile())
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try {
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(CHILD_TIMEOUT_S);
            while (!Files.readString(stderr).contains("step 10/")) {
                if (!p.isAlive() || System.nanoTime() > end) {
                    fail("no progress from genzoo train: " + Files.readString(stderr));
                }
                Thread.sleep(10);
            }
            Process kill = new ProcessBuilder("kill", "-INT", Long.toString(p.pid())).inheritIO().start();
            assertEquals(0, kill.waitFor());
            assertTrue(p.waitFor(CHILD_TIMEOUT_S, TimeUnit.SECONDS), "genzoo train did not stop after SIGINT");
        } finally {
            p.destroyForcibly();
        }
        String err = Files.readString(stderr);
        assertEquals(ExitCodes.INTERRUPTED, p.exitValue(), err);
        assertFalse(err.contains("Shutdown in progress"), err);

        JsonNode report = new ObjectMapper().readTree(out.resolve("report.json").toFile());
        assertEquals("interrupted", report.path("status").asText(), report.toString());
        long step = report.path("steps").asLong();
        assertTrue(step >= 10 && step < STEPS, "the step reached: " + report);
        List<Path> ckpts = Checkpoints.list(out);
        assertEquals(Checkpoints.dirFor(out, step), ckpts.get(0), "the newest checkpoint is the one written at the interrupt");
        assertEquals(out.relativize(ckpts.get(0)).toString(), report.path("lastCheckpoint").asText());
        String resume = "continue with: genzoo train " + spec + " --resume --output " + out;
        assertTrue(err.contains(resume), err);
        assertTrue(Files.readString(out.resolve("train.log")).contains("interrupted at step " + step), "train.log");
        System.out.println("SIGINT after step 10: exit " + p.exitValue() + ", interrupted at step " + step + "; stderr tail: "
                + err.substring(Math.max(0, err.length() - 400)));

        assertEquals(0, run("train", spec.toString(), "--resume", "--output", out.toString(), "-d", "cpu"));
        Path ref = tmp.resolve("reference");
        assertEquals(0, run("train", spec.toString(), "--output", ref.toString(), "-d", "cpu"));
        for (String f : List.of(Checkpoints.WEIGHTS, Checkpoints.OPTIMIZER)) {
            assertEquals(-1L, Files.mismatch(Checkpoints.dirFor(ref, STEPS).resolve(f), Checkpoints.dirFor(out, STEPS).resolve(f)),
                    f + ": bitwise the same after Ctrl-C and --resume");
        }
        JsonNode done = new ObjectMapper().readTree(out.resolve("report.json").toFile());
        assertEquals("succeeded", done.path("status").asText());
        assertEquals(step, done.path("resumedFromStep").asLong());
    }
}
