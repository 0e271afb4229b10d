package org.genzoo.service.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.genzoo.host.TestDevices;
import org.genzoo.service.api.ApiClient;
import org.genzoo.service.api.ApiConfig;
import org.genzoo.service.api.GenZooServer;
import org.genzoo.service.jobs.LocalJobService;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How the client commands word a refusal: once, with the command to run next, never a route template. */
class ClientRefusalsTest {
    @TempDir
    static Path tmp;
    static GenZooServer server;

    @BeforeAll
    static void start() throws Exception {
        TestDevices.all();
        server = GenZooServer.start(LocalJobService.Config.defaults().withDataDir(tmp.resolve("data")).withDevices(List.of("cpu"))
                .withLease(Duration.ofSeconds(5)).withPoll(Duration.ofMillis(200)), ApiConfig.loopback(0), 64);
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    static NewUserErrorsTest.Run genzoo(String... args) {
        String[] all = new String[args.length + 2];
        all[0] = args[0];
        all[1] = "--server";
        all[2] = server.baseUrl();
        System.arraycopy(args, 1, all, 3, args.length - 1);
        return NewUserErrorsTest.run(all);
    }

    static Path spec(String name, String extra) throws Exception {
        Path p = tmp.resolve(name + ".json");
        Files.writeString(p, """
                {"name": "%s", "model": {"family": "flow", "layers": [{"type": "actnorm"}]},
                 "data": {"dataset": "toy:moons", "binarize": false, "limit": 256}, "batchSize": 32, "budget": {"steps": 4},
                 "logEvery": 2, "eval": {"limit": 64}%s}
                """.formatted(name, extra));
        return p;
    }

    @Test
    void aMissingArtifactPointsAtTheArtifactsCommand() throws Exception {
        NewUserErrorsTest.Run sub = genzoo("submit", spec("arts", "").toString(), "--wait", "--output", "json");
        assertEquals(0, sub.code(), sub.err());
        String id = NewUserErrorsTest.JSON.readTree(sub.out()).get("id").asText();
        NewUserErrorsTest.Run r = genzoo("artifacts", id, "--get", "nothing.png", "-o", tmp.resolve("n.png").toString());
        assertEquals(ExitCodes.BAD_INPUT, r.code());
        assertEquals("genzoo: no artifact nothing.png in job " + id + "; list them with: genzoo artifacts " + id + "\n", r.err());
        NewUserErrorsTest.Run dir = genzoo("artifacts", id, "--get", "samples");
        assertEquals(ExitCodes.BAD_INPUT, dir.code());
        assertEquals("genzoo: artifact samples of job " + id + " is a folder; list them with: genzoo artifacts " + id + "\n", dir.err());
        // The API names the real route.
        ApiClient.Response api = new ApiClient(server.baseUrl(), null).get("/api/jobs/" + id + "/artifacts/nothing.png");
        assertEquals(404, api.status());
        assertEquals("no artifact nothing.png in job " + id + " (list them at /api/jobs/" + id + "/artifacts)", api.error());
        assertFalse(api.text().contains("{id}"), api.text());
    }

    @Test
    void aDryRunRefusalIsPrintedOnce() throws Exception {
        NewUserErrorsTest.Run r = genzoo("submit", spec("dry", ", \"device\": \"no-such-device-xyz\"").toString(), "--dry-run");
        assertEquals(ExitCodes.BAD_INPUT, r.code(), r.err());
        String why = "no device here matches the selector 'no-such-device-xyz'";
        assertTrue(r.err().contains(why), r.err());
        assertEquals(r.err().indexOf(why), r.err().lastIndexOf(why), "printed once: " + r.err());
        assertEquals(1, r.err().strip().split("\n").length, r.err());
    }
}
