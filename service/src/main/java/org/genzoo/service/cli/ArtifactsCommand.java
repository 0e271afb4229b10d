package org.genzoo.service.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.genzoo.service.api.ApiClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code genzoo artifacts ID [--get NAME [-o FILE]]}: list a job's files, or download one. */
@Command(name = "artifacts", mixinStandardHelpOptions = true, description = "List a job's artifacts, or download one with --get.")
public final class ArtifactsCommand extends ClientCommand {
    @Parameters(index = "0", paramLabel = "ID", description = "The job id.")
    String id;

    @Option(names = "--get", paramLabel = "NAME", description = "Download this artifact (a name from the list, such as samples/step-000100.png).")
    String get;

    @Option(names = {"-o", "--to"}, paramLabel = "FILE", description = "Where --get writes (default: the name's last part in this folder; - for standard output).")
    String to;

    @Option(names = "--force", description = "Overwrite the --get target when it exists.")
    boolean force;

    @Override
    int run() throws IOException {
        ApiClient c = client();
        if (get == null) {
            ApiClient.Response r = c.get("/api/jobs/" + ApiClient.encode(id) + "/artifacts");
            if (!r.ok()) {
                return refused(r);
            }
            JsonNode arts = r.json().get("artifacts");
            if (json()) {
                printJson(arts);
                return ExitCodes.OK;
            }
            List<List<String>> rows = new ArrayList<>();
            for (JsonNode a : arts) {
                rows.add(List.of(a.path("name").asText(), Table.bytes(a.path("bytes").asLong()), a.path("modified").asText()));
            }
            out().print(Table.render(List.of("name", "size", "modified"), rows));
            out().flush();
            return ExitCodes.OK;
        }
        ApiClient.Response r = c.get("/api/jobs/" + ApiClient.encode(id) + "/artifacts/" + ApiClient.encodeName(get));
        if (r.status() == 404 && !json() && r.error().contains("artifact " + get)) {
            // The server names its route; on the command line the way to list them is this command.
            String why = r.error();
            int cut = why.indexOf(" (list them at");
            err().println("genzoo: " + (cut < 0 ? why.replaceFirst("; list files at .*$", "") : why.substring(0, cut))
                    + "; list them with: genzoo artifacts " + id);
            err().flush();
            return ExitCodes.BAD_INPUT;
        }
        if (!r.ok()) {
            return refused(r);
        }
        if ("-".equals(to)) {
            System.out.write(r.body());
            System.out.flush();
            return ExitCodes.OK;
        }
        Path target = Path.of(to != null ? to : get.substring(get.lastIndexOf('/') + 1));
        if (Files.exists(target) && !force) {
            err().println("genzoo: " + target + " exists; pass --force to overwrite it or -o to choose another file");
            err().flush();
            return ExitCodes.BAD_INPUT;
        }
        Files.write(target, r.body());
        if (json()) {
            out().println("{\"name\": " + ClientCommand.JSON.writeValueAsString(get) + ", \"file\": "
                    + ClientCommand.JSON.writeValueAsString(target.toAbsolutePath().toString()) + ", \"bytes\": " + r.body().length + "}");
        } else {
            out().println("wrote " + target + " (" + Table.bytes(r.body().length) + ")");
        }
        out().flush();
        return ExitCodes.OK;
    }
}
