package org.genzoo.service.cli;

import java.io.IOException;
import org.genzoo.service.api.ApiClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code genzoo cancel ID}: a queued job is cancelled at once, a running one stops at its next log
 * point with a checkpoint. Exit 0 when the cancel was taken, 1 when the job had already finished, 4
 * when there is no such job.
 */
@Command(name = "cancel", mixinStandardHelpOptions = true, description = "Cancel a job of a running `genzoo serve`.")
public final class CancelCommand extends ClientCommand {
    @Parameters(index = "0", paramLabel = "ID", description = "The job id.")
    String id;

    @Override
    int run() throws IOException {
        ApiClient.Response r = client().post("/api/jobs/" + ApiClient.encode(id) + "/cancel", "", null, null);
        if (r.status() == 409) {
            refused(r);
            return ExitCodes.FAILURE;
        }
        if (!r.ok()) {
            return refused(r);
        }
        if (json()) {
            printJson(r.json());
        } else {
            out().println((r.status() == 202 ? "cancel requested (stops at its next log point): " : "cancelled: ") + line(r.json()));
            out().flush();
        }
        return ExitCodes.OK;
    }
}
