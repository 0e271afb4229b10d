package org.genzoo.service.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.genzoo.host.TestDevices;
import org.genzoo.models.train.JobSpec;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The dry run's host-memory estimate against the measured peak resident memory of real jobs: example
 * specs of five kinds (a VAE on MNIST, a 2-D flow whose evaluation draws density pictures, a VampPrior
 * VAE whose IWAE evaluation runs 8,192-row chunks, a reverse-KL flow with no data set, which
 * {@code genzoo train} runs too, an i-ResNet flow whose training tape holds a Hutchinson series and
 * whose pictures take exact 2-D log-determinants and a fixed-point inverse), each shortened as scripts/host-memory.py does
 * ({@link #STEPS} steps, one evaluation on {@link #EVAL_LIMIT} examples with the spec's own metrics,
 * one checkpoint) and run by {@code genzoo train} in a child JVM with the launcher's heap settings
 * ({@link PeakMain}), which also makes the estimate, so that both see the same JVM.
 */
class HostMemoryExamplesTest {
    static final int STEPS = 10;
    static final int EVAL_LIMIT = 16;
    /** The bound: the estimate within 25% of the measured peak. */
    static final double TOLERANCE = 0.25;
    static final Pattern LINE = Pattern.compile("PLAN (\\d+) PEAK (\\d+) EXIT (\\d+)");

    @TempDir
    Path tmp;

    @BeforeAll
    static void needsDevice() {
        TestDevices.all();
    }

    /** The example shortened to one pass of every phase, writing to {@code out}. */
    static String shortened(Path example, Path out) throws Exception {
        ObjectNode s = (ObjectNode) JobSpec.mapper().readTree(Files.readString(example));
        s.putObject("budget").put("steps", STEPS);
        s.put("logEvery", STEPS / 2);
        ObjectNode ev = s.has("eval") ? (ObjectNode) s.get("eval") : s.putObject("eval");
        ev.put("every", STEPS).put("limit", EVAL_LIMIT);
        s.putObject("checkpoint").put("every", STEPS);
        s.put("output", out.toString());
        s.put("device", "cpu");
        return JobSpec.mapper().writeValueAsString(s);
    }

    @ParameterizedTest
    @ValueSource(strings = {"quickstart", "flow-maf-2spirals", "vampprior-mnist", "flow-reverse-kl-u1", "flow-iresnet-moons"})
    void theEstimateIsWithin25PercentOfThePeak(String name) throws Exception {
        Path example = Path.of("..", "examples", name + ".json");
        Path spec = tmp.resolve(name + ".json");
        Files.writeString(spec, shortened(example, tmp.resolve(name)));
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.addAll(PeakMain.JAVA_OPTS);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), PeakMain.class.getName(), spec.toString()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), "the child JVM ended");
        Matcher m = LINE.matcher(out);
        assertTrue(m.find(), out);
        assertEquals("0", m.group(3), out);
        long plan = Long.parseLong(m.group(1));
        long peak = Long.parseLong(m.group(2));
        double ratio = plan / (double) peak;
        System.out.printf(Locale.ROOT, "%s: estimate %.0f MiB, peak RSS %.0f MiB, estimate / peak %.2f%n", name, plan / 1048576.0,
                peak / 1048576.0, ratio);
        assertTrue(Math.abs(ratio - 1) <= TOLERANCE, name + ": estimate " + plan / 1048576 + " MiB, peak " + peak / 1048576
                + " MiB (" + ratio + "), over the 25% bound");
    }
}
