package org.genzoo.service.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs a bundled PyTorch peer script (vae_torch.py, flow_torch.py, gan_torch.py, rbm_peer.py,
 * matmul_torch.py) with /usr/bin/python3 (Debian's, with python3-torch and the OpenBLAS the peer's
 * CPU configuration needs), or the interpreter {@code GENZOO_PEER_PYTHON} names (a GPU machine's
 * PyTorch often lives in a virtual environment), beside peer_config.py in a temporary folder, in the
 * peer's best CPU configuration: the script sets torch's threads (1 unless told otherwise) and
 * flushes denormals; this sets OPENBLAS_NUM_THREADS to the host's CPU count so OpenBLAS's pthread
 * build runs its matmuls on every core (unless the caller's environment already sets it). The
 * script prints one JSON line last; that line is the result.
 */
final class TorchPeer {
    private TorchPeer() {
    }

    /** Names the Python interpreter the peers run with (default {@link #DEFAULT_PYTHON}). */
    static final String PYTHON_ENV = "GENZOO_PEER_PYTHON";
    static final String DEFAULT_PYTHON = "/usr/bin/python3";

    /** The interpreter the peers run with: $GENZOO_PEER_PYTHON when set and not blank, else /usr/bin/python3. */
    static String python(Map<String, String> env) {
        String p = env.get(PYTHON_ENV);
        return p == null || p.isBlank() ? DEFAULT_PYTHON : p.strip();
    }

    /**
     * The peer's JSON, or a string saying why it could not run (what to install). {@code env} is
     * added to the script's environment; a {@code GENZOO_PEER_PYTHON} there overrides the process's.
     */
    static Object run(String script, List<String> args, Map<String, String> env, int timeoutMinutes)
            throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("genzoo-peer");
        try {
            for (String name : List.of(script, "peer_config.py")) {
                try (InputStream in = TorchPeer.class.getResourceAsStream(name)) {
                    if (in == null) {
                        return "bundled " + name + " missing";
                    }
                    Files.write(dir.resolve(name), in.readAllBytes());
                }
            }
            ProcessBuilder pb = new ProcessBuilder().redirectErrorStream(true);
            pb.environment().putIfAbsent("OPENBLAS_NUM_THREADS", Integer.toString(Runtime.getRuntime().availableProcessors()));
            pb.environment().putAll(env);
            pb.environment().put("PYTHONDONTWRITEBYTECODE", "1"); // no __pycache__ in the folder the finally block empties
            String python = python(pb.environment());
            if (python.contains("/") && !Files.isExecutable(Path.of(python))) {
                return "no Python interpreter at " + python + ": install python3-torch, or set " + PYTHON_ENV
                        + " to a python3 that has torch";
            }
            List<String> cmd = new ArrayList<>(List.of(python, dir.resolve(script).toString()));
            cmd.addAll(args);
            pb.command(cmd);
            Process p;
            try {
                p = pb.start();
            } catch (IOException e) {
                return "could not start " + python + " (" + e.getMessage() + "): set " + PYTHON_ENV + " to a python3 that has torch";
            }
            String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (!p.waitFor(timeoutMinutes, TimeUnit.MINUTES) || p.exitValue() != 0) {
                return script + " failed (install python3-torch, python3-threadpoolctl and, for the RBM's scikit-learn peer, "
                        + "python3-sklearn for " + python + ", or set " + PYTHON_ENV + " to a python3 that has them): " + text;
            }
            List<String> lines = text.lines().toList();
            return new ObjectMapper().readTree(lines.get(lines.size() - 1));
        } finally {
            try (var files = Files.list(dir)) {
                for (Path f : files.toList()) {
                    Files.deleteIfExists(f);
                }
            }
            Files.deleteIfExists(dir);
        }
    }
}
