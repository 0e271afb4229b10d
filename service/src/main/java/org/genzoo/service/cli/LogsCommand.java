package org.genzoo.service.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import org.genzoo.service.api.ApiClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code genzoo logs [-f] ID}: the job's train.log; with -f, then every new line until the job ends
 * (exit code as for {@code submit --wait}).
 */
@Command(name = "logs", mixinStandardHelpOptions = true, description = "Print a job's log; -f follows it to the job's end.")
public final class LogsCommand extends ClientCommand {
    @Parameters(index = "0", paramLabel = "ID", description = "The job id.")
    String id;

    @Option(names = {"-f", "--follow"}, description = "Keep printing new lines until the job finishes.")
    boolean follow;

    @Override
    int run() throws IOException {
        ApiClient c = client();
        ApiClient.Response j = c.get("/api/jobs/" + ApiClient.encode(id));
        if (!j.ok()) {
            return refused(j);
        }
        ApiClient.Response log = c.get("/api/jobs/" + ApiClient.encode(id) + "/artifacts/train.log");
        List<String> lines = log.ok() ? log.text().lines().toList() : List.of();
        if (!log.ok() && log.status() != 404) {
            return refused(log);
        }
        for (String l : lines) {
            print(l);
        }
        out().flush();
        if (!follow) {
            return ExitCodes.OK;
        }
        // Lines logged between reading the file and opening the stream arrive as events too: skip
        // events that repeat the file's last lines, in order, until a new one comes.
        Deque<String> tail = new ArrayDeque<>(lines.subList(Math.max(0, lines.size() - 50), lines.size()));
        boolean[] fresh = {false};
        JsonNode end = follow(c, id, (type, data) -> {
            if (!type.equals("log")) {
                return;
            }
            String l = data.path("line").asText();
            if (!fresh[0]) {
                while (!tail.isEmpty() && !tail.peekFirst().equals(l)) {
                    tail.pollFirst();
                }
                if (!tail.isEmpty()) {
                    tail.pollFirst();
                    return;
                }
                fresh[0] = true;
            }
            print(l);
            out().flush();
        });
        return codeForState(end.path("state").asText());
    }

    private void print(String line) {
        if (json()) {
            ObjectNode n = JsonNodeFactory.instance.objectNode();
            n.put("line", line);
            out().println(n.toString());
        } else {
            out().println(line);
        }
    }
}
