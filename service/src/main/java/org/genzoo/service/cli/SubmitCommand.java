package org.genzoo.service.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;
import org.genzoo.service.api.ApiClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code genzoo submit spec.json [--wait] [--follow] [--dry-run] [--idempotency-key K]}. */
@Command(name = "submit", mixinStandardHelpOptions = true, description = {
        "Submit a job spec (JSON, or YAML by a .yaml/.yml name) to a running `genzoo serve`.",
        "Exit codes: 0 accepted (with --wait: SUCCEEDED), 1 FAILED, 4 invalid spec, 5 CANCELLED, 6 server unreachable,"
                + " 7 token refused."})
public final class SubmitCommand extends ClientCommand {
    @Parameters(index = "0", paramLabel = "SPEC", description = "The job spec file; - reads standard input as JSON.")
    String specFile;

    @Option(names = "--wait", description = "Wait for the job to finish; the exit code says how it ended.")
    boolean waitForEnd;

    @Option(names = {"-f", "--follow"}, description = "Print progress, evaluations and log lines as they come (implies --wait).")
    boolean follow;

    @Option(names = "--dry-run", description = "Validate, pick the device and estimate memory; enqueue nothing.")
    boolean dryRun;

    @Option(names = "--idempotency-key", paramLabel = "KEY", description = "Submitting again with this key returns the first job.")
    String key;

    @Override
    int run() throws IOException {
        String body;
        String type = "application/json";
        if (specFile.equals("-")) {
            body = new String(System.in.readAllBytes(), StandardCharsets.UTF_8);
        } else {
            Path p = Path.of(specFile);
            try {
                body = Files.readString(p, StandardCharsets.UTF_8);
            } catch (NoSuchFileException e) {
                err().println("genzoo: no such spec file: " + specFile);
                err().flush();
                return ExitCodes.BAD_INPUT;
            }
            String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
            if (n.endsWith(".yaml") || n.endsWith(".yml")) {
                type = "application/yaml";
            }
        }
        ApiClient c = client();
        ApiClient.Response r = c.post("/api/jobs" + (dryRun ? "?dryRun=true" : ""), body, type, key);
        if (!r.ok()) {
            return refused(r);
        }
        JsonNode job = r.json();
        if (dryRun) {
            if (json()) {
                printJson(job);
            } else {
                out().println("valid: " + specFile);
                for (JsonNode line : job.path("summary")) {
                    out().println("  " + line.asText());
                }
                out().flush();
            }
            return ExitCodes.OK;
        }
        String id = job.get("id").asText();
        if (!waitForEnd && !follow) {
            if (json()) {
                printJson(job);
            } else {
                out().println((r.status() == 201 ? "submitted " : "already submitted with this key: ") + line(job));
                out().flush();
            }
            return ExitCodes.OK;
        }
        if (!json()) {
            err().println("genzoo: " + (r.status() == 201 ? "submitted " : "already submitted with this key: ") + id
                    + "; waiting for it to finish");
            err().flush();
        }
        JsonNode end = follow(c, id, (t, d) -> {
            if (!follow) {
                return;
            }
            if (json()) {
                ObjectNode e = JsonNodeFactory.instance.objectNode();
                e.put("event", t);
                e.set("data", d);
                out().println(e.toString());
            } else {
                switch (t) {
                    case "progress" -> out().println(progressLine(d));
                    case "log" -> out().println("log: " + d.path("line").asText());
                    case "eval" -> out().println("eval at step " + d.path("step").asLong() + ": " + d.path("metrics"));
                    case "state" -> out().println("state: " + d.path("state").asText()
                            + (d.hasNonNull("error") ? " (" + d.get("error").asText() + ")" : ""));
                    default -> out().println(t + ": " + d);
                }
            }
            out().flush();
        });
        if (json()) {
            printJson(end);
        } else {
            out().println(line(end));
            out().flush();
        }
        return codeForState(end.path("state").asText());
    }
}
