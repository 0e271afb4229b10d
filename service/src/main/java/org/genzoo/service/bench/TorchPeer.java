package org.genzoo.service.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
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
            Object started = start(dir, script, args, env);
            if (!(started instanceof Process p)) {
                return started;
            }
            String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (!p.waitFor(timeoutMinutes, TimeUnit.MINUTES) || p.exitValue() != 0) {
                return failed(script, pythonOf(env), text);
            }
            List<String> lines = text.lines().toList();
            return new ObjectMapper().readTree(lines.get(lines.size() - 1));
        } finally {
            delete(dir);
        }
    }

    /**
     * The bundled {@code script} and peer_config.py written into {@code dir} and started with
     * {@code args} (stdout and stderr merged), or a string saying why it could not start.
     */
    private static Object start(Path dir, String script, List<String> args, Map<String, String> env) throws IOException {
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
        pb.environment().put("PYTHONDONTWRITEBYTECODE", "1"); // no __pycache__ in the folder the caller empties
        String python = python(pb.environment());
        if (python.contains("/") && !Files.isExecutable(Path.of(python))) {
            return "no Python interpreter at " + python + ": install python3-torch, or set " + PYTHON_ENV
                    + " to a python3 that has torch";
        }
        List<String> cmd = new ArrayList<>(List.of(python, dir.resolve(script).toString()));
        cmd.addAll(args);
        pb.command(cmd);
        try {
            return pb.start();
        } catch (IOException e) {
            return "could not start " + python + " (" + e.getMessage() + "): set " + PYTHON_ENV + " to a python3 that has torch";
        }
    }

    /** The interpreter a peer started with {@code env} runs: the process's environment with {@code env} over it. */
    private static String pythonOf(Map<String, String> env) {
        Map<String, String> all = new java.util.HashMap<>(System.getenv());
        all.putAll(env);
        return python(all);
    }

    private static String failed(String script, String python, String output) {
        return script + " failed (install python3-torch, python3-threadpoolctl and, for the RBM's scikit-learn peer, "
                + "python3-sklearn for " + python + ", or set " + PYTHON_ENV + " to a python3 that has them): " + output;
    }

    private static void delete(Path dir) throws IOException {
        try (var files = Files.list(dir)) {
            for (Path f : files.toList()) {
                Files.deleteIfExists(f);
            }
        }
        Files.deleteIfExists(dir);
    }

    /**
     * A peer the bench drives segment by segment (peer_config.serve_segments, GENZOO_PEER_SEGMENTS=1),
     * so that its steps and GenZoo's alternate within one window of wall-clock time: on a machine
     * whose neighbours swing its speed by tens of percent from one minute to the next, two runs a
     * quarter of a minute apart compare two different machines. The peer does its warm-up before
     * {@link #open} returns and sleeps on its input between segments, so the two never run at once.
     */
    static final class Session implements AutoCloseable {
        private final Path dir;
        private final Process process;
        private final BufferedReader out;
        private final Writer in;
        private final String script;
        private final String python;
        private final StringBuilder log = new StringBuilder();
        private String error;

        private Session(Path dir, Process process, String script, String python) {
            this.dir = dir;
            this.process = process;
            this.script = script;
            this.python = python;
            this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
            this.in = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        }

        /** The started peer, warmed up and waiting for its first segment, or a string saying why it could not start. */
        static Object open(String script, List<String> args, Map<String, String> env) throws IOException {
            Path dir = Files.createTempDirectory("genzoo-peer");
            Map<String, String> e = new java.util.HashMap<>(env);
            e.put("GENZOO_PEER_SEGMENTS", "1");
            Object started = start(dir, script, args, e);
            if (!(started instanceof Process p)) {
                delete(dir);
                return started;
            }
            Session s = new Session(dir, p, script, pythonOf(e));
            try {
                if (s.readUntil(l -> l.equals("ready")) == null) {
                    String why = s.failure();
                    s.close();
                    return why;
                }
            } catch (IOException ex) {
                s.close();
                throw ex;
            }
            return s;
        }

        /**
         * {@link #ask}, or null once the peer has stopped ({@link #error} says why, from what it
         * printed); every later call is null too, so a bench keeps its own side and reports the peer's.
         */
        JsonNode askOrNull(String command) {
            if (error != null) {
                return null;
            }
            try {
                return ask(command);
            } catch (IOException e) {
                error = e.getMessage();
                return null;
            }
        }

        /** Why the peer stopped answering; null while it answers. */
        String error() {
            return error;
        }

        /** Sends one command line of the peer's protocol; the JSON line it answers with. */
        JsonNode ask(String command) throws IOException {
            try {
                in.write(command + "\n");
                in.flush();
            } catch (IOException e) { // it has exited: say why, from what it printed
                readUntil(l -> false);
                throw new IOException(failure() + " (" + e.getMessage() + " while sending '" + command + "')");
            }
            String line = readUntil(l -> l.startsWith("{"));
            if (line == null) {
                throw new IOException(failure());
            }
            return new ObjectMapper().readTree(line);
        }

        /** Ends the segments; the peer's JSON (totals over them, and each segment's seconds) or why there is none. */
        Object finish() throws IOException, InterruptedException {
            in.write("done\n");
            in.flush();
            in.close();
            String last = null;
            for (String l = out.readLine(); l != null; l = out.readLine()) {
                log.append(l).append('\n');
                last = l;
            }
            if (!process.waitFor(1, TimeUnit.MINUTES) || process.exitValue() != 0 || last == null || !last.startsWith("{")) {
                return failed(script, python, log.toString().strip());
            }
            return new ObjectMapper().readTree(last);
        }

        /** The first output line {@code want} accepts (earlier ones are kept for an error), or null at the end of the output. */
        private String readUntil(java.util.function.Predicate<String> want) throws IOException {
            for (String l = out.readLine(); l != null; l = out.readLine()) {
                if (want.test(l)) {
                    return l;
                }
                log.append(l).append('\n');
            }
            return null;
        }

        private String failure() {
            return failed(script, python, log.toString().strip());
        }

        @Override
        public void close() throws IOException {
            process.destroy();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            delete(dir);
        }
    }
}
