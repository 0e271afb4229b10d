package org.genzoo.service.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.genzoo.service.api.ApiClient;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * What every command that talks to a running {@code genzoo serve} shares: where the server is, the
 * token, text or JSON output, and the mapping from HTTP answers to exit codes.
 */
abstract class ClientCommand implements Callable<Integer> {
    static final String DEFAULT_SERVER = "http://127.0.0.1:8080";
    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    enum Format { text, json }

    @Option(names = "--server", paramLabel = "URL", description = "The server; else GENZOO_SERVER, else " + DEFAULT_SERVER + ".")
    String server;

    @Option(names = "--token", paramLabel = "TOKEN", description = "Bearer token for a server bound beyond loopback; else GENZOO_TOKEN.")
    String token;

    @Option(names = "--output", paramLabel = "FORMAT", description = "text (default) or json (for scripts).")
    Format output = Format.text;

    @Spec
    CommandSpec spec;

    ApiClient client() {
        String s = server != null ? server : env("GENZOO_SERVER");
        String t = token != null ? token : env("GENZOO_TOKEN");
        return new ApiClient(s == null || s.isBlank() ? DEFAULT_SERVER : s, t);
    }

    static String env(String name) {
        return System.getenv(name);
    }

    PrintWriter out() {
        return spec.commandLine().getOut();
    }

    PrintWriter err() {
        return spec.commandLine().getErr();
    }

    boolean json() {
        return output == Format.json;
    }

    void printJson(JsonNode n) throws IOException {
        out().println(JSON.writeValueAsString(n));
        out().flush();
    }

    /** Says why the server refused (one line, then one line per bad field) and returns the exit code for it. */
    int refused(ApiClient.Response r) {
        if (json()) {
            out().println(r.text().strip());
            out().flush();
        }
        String error = r.error();
        err().println("genzoo: " + error);
        try {
            JsonNode n = r.json();
            if (n != null && n.has("errors")) {
                for (JsonNode e : n.get("errors")) {
                    String p = e.path("pointer").asText();
                    if (p.isEmpty() && e.path("received").asText().equals(error)) {
                        continue; // a refusal of the whole job repeats its message here: print it once
                    }
                    err().println("  " + (p.isEmpty() ? "(document)" : p) + ": expected " + e.path("expected").asText() + ", got "
                            + e.path("received").asText());
                }
            }
        } catch (IOException notJson) {
            // the one-line message above is all there is
        }
        err().flush();
        return codeFor(r.status());
    }

    static int codeFor(int status) {
        if (status == 401 || status == 403) {
            return ExitCodes.UNAUTHORIZED;
        }
        if (status == 503 || status == 502 || status == 504) {
            return ExitCodes.UNREACHABLE;
        }
        if (status >= 400 && status < 500) {
            return ExitCodes.BAD_INPUT;
        }
        return ExitCodes.FAILURE;
    }

    /** The exit code of a job in a final state: 0 SUCCEEDED, 1 FAILED, 5 CANCELLED. */
    static int codeForState(String state) {
        return switch (state) {
            case "SUCCEEDED" -> ExitCodes.OK;
            case "CANCELLED" -> ExitCodes.CANCELLED;
            default -> ExitCodes.FAILURE;
        };
    }

    static boolean terminal(String state) {
        return state.equals("SUCCEEDED") || state.equals("FAILED") || state.equals("CANCELLED");
    }

    /** One line for a job: {@code j-3  SUCCEEDED  quickstart (vae)  step 60/60}. */
    static String line(JsonNode j) {
        String s = String.format(Locale.ROOT, "%s  %s  %s (%s)  step %d/%d", j.path("id").asText(), j.path("state").asText(),
                j.path("name").asText(), j.path("family").asText(), j.path("step").asLong(), j.path("totalSteps").asLong());
        if (j.hasNonNull("error")) {
            s += "  error: " + j.get("error").asText();
        }
        return s;
    }

    /** A progress event as a line: {@code step 10/60  loss 543.2  1234 examples/s  ETA 3 s}. */
    static String progressLine(JsonNode d) {
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "step %d/%d", d.path("step").asLong(),
                d.path("totalSteps").asLong()));
        if (d.hasNonNull("loss")) {
            sb.append(String.format(Locale.ROOT, "  loss %.5g", d.get("loss").asDouble()));
        }
        if (d.hasNonNull("examplesPerSecond")) {
            sb.append(String.format(Locale.ROOT, "  %.0f examples/s", d.get("examplesPerSecond").asDouble()));
        }
        if (d.hasNonNull("etaSeconds")) {
            sb.append(String.format(Locale.ROOT, "  ETA %.0f s", d.get("etaSeconds").asDouble()));
        }
        return sb.toString();
    }

    /**
     * Follows a job's events until it reaches a final state; {@code show} prints events (or does nothing).
     * Falls back to polling when the stream ends early. Returns the final job.
     */
    JsonNode follow(ApiClient c, String id, java.util.function.BiConsumer<String, JsonNode> show) throws IOException {
        String[] last = {null};
        ApiClient.Response r = c.events(id, (type, data) -> {
            show.accept(type, data);
            if (type.equals("state") && data.hasNonNull("state") && terminal(data.get("state").asText())) {
                last[0] = data.get("state").asText();
                return false;
            }
            return true;
        });
        if (!r.ok()) {
            throw new RefusedException(r);
        }
        while (true) {
            ApiClient.Response j = c.get("/api/jobs/" + ApiClient.encode(id));
            if (!j.ok()) {
                throw new RefusedException(j);
            }
            JsonNode job = j.json();
            if (terminal(job.path("state").asText())) {
                return job;
            }
            try {
                Thread.sleep(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while waiting for job " + id, e);
            }
        }
    }

    /** The server refused a request in the middle of a command; carries the response to report. */
    static final class RefusedException extends IOException {
        final transient ApiClient.Response response;

        RefusedException(ApiClient.Response r) {
            super(r.error());
            this.response = r;
        }
    }

    @Override
    public final Integer call() throws Exception {
        try {
            return run();
        } catch (RefusedException e) {
            return refused(e.response);
        }
    }

    abstract int run() throws Exception;
}
