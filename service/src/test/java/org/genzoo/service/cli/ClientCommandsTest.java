package org.genzoo.service.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
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
import picocli.CommandLine;

/** The client commands against a real server in this process (SQLite store, one CPU worker, HTTP on a free port). */
class ClientCommandsTest {
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path tmp;
    static GenZooServer server;

    record Run(int code, String out, String err) {
        JsonNode json() throws Exception {
            return JSON.readTree(out);
        }
    }

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

    static Run genzoo(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.add(1, "--server");
        all.add(2, server.baseUrl());
        return run(all.toArray(String[]::new));
    }

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = GenZooCli.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    static Path spec(String name, long steps) throws Exception {
        Path p = tmp.resolve(name + ".json");
        Files.writeString(p, """
                {"name": "%s", "model": {"family": "vae", "latent": 2, "hidden": [16]},
                 "data": {"dataset": "mnist", "limit": 256}, "batchSize": 32, "budget": {"steps": %d},
                 "logEvery": 10, "eval": {"every": 0, "limit": 64, "metrics": {"iwaeK": 4}}, "checkpoint": {"every": 1000}}
                """.formatted(name, steps));
        return p;
    }

    @Test
    void submitWaitThenInspectTheJob() throws Exception {
        Run sub = genzoo("submit", spec("cli-wait", 40).toString(), "--wait", "--output", "json", "--idempotency-key", "cli-1");
        assertEquals(0, sub.code(), sub.err());
        JsonNode job = sub.json();
        assertEquals("SUCCEEDED", job.get("state").asText());
        String id = job.get("id").asText();

        Run again = genzoo("submit", spec("cli-wait", 40).toString(), "--idempotency-key", "cli-1");
        assertEquals(0, again.code());
        assertTrue(again.out().startsWith("already submitted with this key: " + id), again.out());

        Run status = genzoo("status", id);
        assertEquals(0, status.code());
        assertTrue(status.out().contains("state: SUCCEEDED") && status.out().contains("step: 40"), status.out());

        Run jobs = genzoo("jobs", "--state", "succeeded", "--output", "json");
        assertEquals(0, jobs.code(), jobs.err());
        List<String> ids = new ArrayList<>();
        jobs.json().forEach(j -> ids.add(j.get("id").asText()));
        assertTrue(ids.contains(id), ids.toString());
        Run table = genzoo("jobs");
        assertTrue(table.out().contains(id) && table.out().contains("SUCCEEDED"), table.out());

        Run arts = genzoo("artifacts", id);
        assertTrue(arts.out().contains("metrics.csv") && arts.out().contains("train.log"), arts.out());
        Path to = tmp.resolve("m.csv");
        Run get = genzoo("artifacts", id, "--get", "metrics.csv", "-o", to.toString());
        assertEquals(0, get.code(), get.err());
        assertArrayEquals(Files.readAllBytes(server.jobs().artifactDir(id).resolve("metrics.csv")), Files.readAllBytes(to));
        assertEquals(4, genzoo("artifacts", id, "--get", "metrics.csv", "-o", to.toString()).code(), "no overwrite without --force");
        assertEquals(4, genzoo("artifacts", id, "--get", "../../service.lock", "-o", tmp.resolve("x").toString()).code());

        Run logs = genzoo("logs", id);
        assertEquals(0, logs.code());
        assertTrue(logs.out().contains("succeeded at step 40 of 40"), logs.out());
        assertEquals(0, genzoo("logs", "-f", id).code(), "following a finished job ends at once with its outcome");

        Run cancelDone = genzoo("cancel", id);
        assertEquals(ExitCodes.FAILURE, cancelDone.code(), "nothing to cancel");
        assertTrue(cancelDone.err().contains("already finished"), cancelDone.err());
        assertEquals(ExitCodes.BAD_INPUT, genzoo("status", "j-999999").code());
    }

    @Test
    void followPrintsProgressAndCancelledExitsFive() throws Exception {
        Run follow = genzoo("submit", spec("cli-follow", 30).toString(), "--follow");
        assertEquals(0, follow.code(), follow.err());
        assertTrue(follow.out().contains("step 30/30"), follow.out());
        assertTrue(follow.out().contains("state: SUCCEEDED"), follow.out());

        Run sub = genzoo("submit", spec("cli-long", 1_000_000).toString(), "--output", "json");
        assertEquals(0, sub.code(), sub.err());
        String id = sub.json().get("id").asText();
        Run cancel = genzoo("cancel", id);
        assertEquals(0, cancel.code(), cancel.err());
        Run logs = genzoo("logs", "-f", id);
        assertEquals(ExitCodes.CANCELLED, logs.code(), logs.out() + logs.err());
        assertEquals("CANCELLED", JSON.readTree(genzoo("status", id, "--output", "json").out()).get("state").asText());
    }

    @Test
    void badInputAndUnreachableServersGiveTheirExitCodes() throws Exception {
        Path bad = tmp.resolve("bad.json");
        Files.writeString(bad, "{\"name\": \"b\", \"model\": {\"family\": \"vae\"}, \"data\": {\"dataset\": \"mnist\"}, \"budget\": {\"steps\": 0}, \"extra\": 1}");
        Run r = genzoo("submit", bad.toString());
        assertEquals(ExitCodes.BAD_INPUT, r.code());
        assertTrue(r.err().contains("/budget/steps: expected") && r.err().contains("/extra: expected"), r.err());
        assertEquals(ExitCodes.BAD_INPUT, genzoo("submit", tmp.resolve("missing.json").toString()).code());

        Run dry = genzoo("submit", spec("cli-dry", 10).toString(), "--dry-run");
        assertEquals(0, dry.code(), dry.err());
        assertTrue(dry.out().startsWith("valid:"), dry.out());

        Run off = run("jobs", "--server", "http://127.0.0.1:1");
        assertEquals(ExitCodes.UNREACHABLE, off.code(), off.err());
        assertTrue(off.err().contains("genzoo serve"), off.err());
        assertEquals(ExitCodes.BAD_INPUT, run("jobs", "--server", "ftp://x").code());
    }

    @Test
    void serveRunsUntilStoppedAndRefusesAnOpenAddressWithoutAToken() throws Exception {
        Run refused = run("serve", "--host", "0.0.0.0", "--port", "0", "--data-dir", tmp.resolve("d0").toString());
        assertEquals(ExitCodes.BAD_INPUT, refused.code());
        assertTrue(refused.err().contains("refusing to listen on 0.0.0.0 without a bearer token"), refused.err());

        ServeCommand serve = new ServeCommand();
        CommandLine cl = new CommandLine(serve);
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err, true));
        int[] code = {-1};
        Thread t = new Thread(() -> code[0] = cl.execute("--port", "0", "--data-dir", tmp.resolve("d1").toString(), "-d", "cpu",
                "--kernel-sampling", "0"));
        t.start();
        long end = System.nanoTime() + 60_000_000_000L;
        while (serve.server() == null && t.isAlive() && System.nanoTime() < end) {
            Thread.sleep(50);
        }
        assertNotNull(serve.server(), "serve did not start: " + err);
        ApiClient c = new ApiClient(serve.server().baseUrl(), null);
        ApiClient.Response ready = c.get("/health/ready");
        assertEquals(200, ready.status(), ready.text());
        assertTrue(err.toString().contains("genzoo: listening on 127.0.0.1:"), err.toString());
        serve.stop();
        t.join(60_000);
        assertEquals(0, code[0], err.toString());

        // What the Docker images run: every address, token from a file.
        Path tokenFile = tmp.resolve("token.txt");
        Files.writeString(tokenFile, "docker-token-0123456789abcdef\n");
        ServeCommand exposed = new ServeCommand();
        CommandLine cl2 = new CommandLine(exposed);
        cl2.setErr(new PrintWriter(new StringWriter(), true));
        int[] code2 = {-1};
        Thread t2 = new Thread(() -> code2[0] = cl2.execute("--host", "0.0.0.0", "--port", "0", "--token-file", tokenFile.toString(),
                "--data-dir", tmp.resolve("d2").toString(), "-d", "cpu"));
        t2.start();
        while (exposed.server() == null && t2.isAlive() && System.nanoTime() < end + 60_000_000_000L) {
            Thread.sleep(50);
        }
        assertNotNull(exposed.server());
        assertEquals(401, new ApiClient(exposed.server().baseUrl(), null).get("/api/jobs").status());
        assertEquals(ExitCodes.UNAUTHORIZED, run("jobs", "--server", exposed.server().baseUrl()).code());
        assertEquals(200, new ApiClient(exposed.server().baseUrl(), "docker-token-0123456789abcdef").get("/api/jobs").status());
        assertEquals(0, run("jobs", "--server", exposed.server().baseUrl(), "--token", "docker-token-0123456789abcdef").code());
        exposed.stop();
        t2.join(60_000);
        assertEquals(0, code2[0]);
    }
}
