package org.genzoo.service.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.genzoo.service.api.ApiClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code genzoo jobs [--state S]}: the server's jobs, oldest first. */
@Command(name = "jobs", mixinStandardHelpOptions = true, description = "List the jobs of a running `genzoo serve`.")
public final class JobsCommand extends ClientCommand {
    @Option(names = "--state", paramLabel = "STATE", description = "Only QUEUED, RUNNING, SUCCEEDED, FAILED or CANCELLED jobs.")
    String state;

    @Override
    int run() throws IOException {
        ApiClient.Response r = client().get("/api/jobs" + (state == null ? "" : "?state=" + ApiClient.encode(state)));
        if (!r.ok()) {
            return refused(r);
        }
        JsonNode jobs = r.json().get("jobs");
        if (json()) {
            printJson(jobs);
            return ExitCodes.OK;
        }
        List<List<String>> rows = new ArrayList<>();
        for (JsonNode j : jobs) {
            rows.add(List.of(j.path("id").asText(), j.path("name").asText(), j.path("family").asText(), j.path("state").asText(),
                    j.path("step").asLong() + "/" + j.path("totalSteps").asLong(), j.path("priority").asText(),
                    j.path("submittedAt").asText()));
        }
        out().print(Table.render(List.of("id", "name", "model", "state", "step", "priority", "submitted"), rows));
        out().flush();
        return ExitCodes.OK;
    }
}
