package org.genzoo.models.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs Python scripts with Debian's python3-torch ({@code /usr/bin/python3}, or {@code $GENZOO_PYTHON})
 * for the PyTorch export tests. Without torch the tests are skipped with the reason, and fail
 * under CI=true ({@code ./genzoo test} installs python3-torch).
 */
public final class TorchPython {
    static final long TIMEOUT_S = 300;

    private TorchPython() {
    }

    public static String python() {
        String p = System.getenv("GENZOO_PYTHON");
        return p != null && !p.isBlank() ? p : "/usr/bin/python3";
    }

    /** Skips (or under CI=true fails) unless {@link #python()} imports torch. */
    public static void requireTorch() throws IOException, InterruptedException {
        String why = null;
        try {
            Process p = new ProcessBuilder(python(), "-c", "import torch").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(TIMEOUT_S, TimeUnit.SECONDS) || p.exitValue() != 0) {
                why = python() + " cannot import torch (" + out.strip() + "); install python3-torch";
            }
        } catch (IOException e) {
            why = "no " + python() + " (" + e.getMessage() + "); install python3-torch";
        }
        if (why != null) {
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                fail("CI=true and " + why);
            }
            assumeTrue(false, why);
        }
    }

    /** Runs {@code script} with {@code args}; returns its standard output parsed as JSON (a failure shows stderr). */
    public static JsonNode run(Path dir, String script, String... args) throws IOException, InterruptedException {
        Path file = dir.resolve("check.py");
        Files.writeString(file, script);
        Path err = dir.resolve("check.err");
        List<String> cmd = new java.util.ArrayList<>(List.of(python(), file.toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectError(err.toFile()).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(TIMEOUT_S, TimeUnit.SECONDS), "python did not finish in " + TIMEOUT_S + " s");
        assertEquals(0, p.exitValue(), "python failed:\n" + Files.readString(err) + out);
        return JobSpec.mapper().readTree(out);
    }
}
