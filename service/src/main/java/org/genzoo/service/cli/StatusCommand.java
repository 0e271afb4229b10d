package org.genzoo.service.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.List;
import org.genzoo.service.api.ApiClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code genzoo status ID}: one job. Exit 0 when the job exists (its state is in the output), 4 when it does not. */
@Command(name = "status", mixinStandardHelpOptions = true, description = "Show one job of a running `genzoo serve`.")
public final class StatusCommand extends ClientCommand {
    @Parameters(index = "0", paramLabel = "ID", description = "The job id (from submit or jobs).")
    String id;

    @Override
    int run() throws IOException {
        ApiClient.Response r = client().get("/api/jobs/" + ApiClient.encode(id));
        if (!r.ok()) {
            return refused(r);
        }
        JsonNode j = r.json();
        if (json()) {
            printJson(j);
            return ExitCodes.OK;
        }
        for (String f : List.of("id", "name", "family", "state", "step", "totalSteps", "priority", "attempt", "worker", "error",
                "cancelRequested", "submittedAt", "startedAt", "finishedAt", "outputDir")) {
            JsonNode v = j.get(f);
            if (v != null && !v.isNull()) {
                out().println(f + ": " + v.asText());
            }
        }
        out().flush();
        return ExitCodes.OK;
    }
}
