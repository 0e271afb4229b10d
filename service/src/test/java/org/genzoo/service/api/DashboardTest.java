package org.genzoo.service.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.io.File;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.genzoo.host.TestDevices;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dashboard in headless Chromium against a running server: one finished job (with its loss
 * curve and sample grid) and one running job (live progress over server-sent events). Chromium runs
 * the page's JavaScript, then dumps the DOM, which must hold both job rows with their states, a
 * chart drawn from every row of the job's metrics CSV, and the latest sample grid; then it takes a
 * screenshot (GENZOO_SCREENSHOT=file keeps a copy). Skipped when Chromium is missing, unless CI=true.
 */
class DashboardTest {
    @TempDir
    Path tmp;

    static String chromium() {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(File.pathSeparator)) {
            for (String name : List.of("chromium", "chromium-browser", "google-chrome")) {
                if (Files.isExecutable(Path.of(dir, name))) {
                    return Path.of(dir, name).toString();
                }
            }
        }
        String why = "no chromium on PATH (apt-get install chromium; ./genzoo test installs it)";
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            fail("CI=true and " + why);
        }
        assumeTrue(false, "skipped: " + why);
        return null;
    }

    String browse(String exe, String url, String... extra) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--no-first-run", "--user-data-dir=" + tmp.resolve("profile"), "--virtual-time-budget=8000"));
        cmd.addAll(List.of(extra));
        cmd.add(url);
        Path out = tmp.resolve("chromium.out");
        Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(tmp.resolve("chromium.err").toFile()).start();
        if (!p.waitFor(90, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("chromium did not finish in 90 s: " + Files.readString(tmp.resolve("chromium.err")));
        }
        assertEquals(0, p.exitValue(), Files.readString(tmp.resolve("chromium.err")));
        return Files.readString(out);
    }

    @Test
    void thePageListsJobsDrawsTheLossCurveAndShowsSamples() throws Exception {
        String exe = chromium();
        TestDevices.all();
        try (GenZooServer server = GenZooServer.start(EndToEndTest.config(tmp.resolve("data")), ApiConfig.loopback(0), 64)) {
            Http http = new Http(server.baseUrl(), null);
            String done = Http.json(http.post("/api/jobs", EndToEndTest.SPEC, "application/json")).get("id").asText();
            long end = System.nanoTime() + 120_000_000_000L;
            while (!Http.json(http.get("/api/jobs/" + done)).get("state").asText().equals("SUCCEEDED")) {
                assertTrue(System.nanoTime() < end, "the first job did not finish");
                Thread.sleep(100);
            }
            String running = Http.json(http.post("/api/jobs", EndToEndTest.SPEC.replace("e2e-http", "still-running")
                    .replace("\"steps\": 60", "\"steps\": 1000000"), "application/json")).get("id").asText();
            while (!Http.json(http.get("/api/jobs/" + running)).get("state").asText().equals("RUNNING")) {
                assertTrue(System.nanoTime() < end, "the second job did not start");
                Thread.sleep(50);
            }

            String dom = browse(exe, server.baseUrl() + "/#" + done, "--dump-dom");
            assertTrue(dom.contains("data-id=\"" + done + "\" data-state=\"SUCCEEDED\""), "finished job row: " + dom);
            assertTrue(dom.contains("data-id=\"" + running + "\" data-state=\"RUNNING\""), "running job row: " + dom);
            long csvRows = Files.readAllLines(server.jobs().artifactDir(done).resolve("metrics.csv")).stream().skip(1)
                    .filter(l -> !l.split(",", -1)[1].isEmpty() && !l.split(",")[2].isEmpty()).count();
            Matcher pts = Pattern.compile("id=\"chart\"[^>]*data-points=\"(\\d+)\"|data-points=\"(\\d+)\"[^>]*id=\"chart\"").matcher(dom);
            assertTrue(pts.find(), "the chart was drawn: " + dom);
            assertEquals(csvRows, Long.parseLong(pts.group(1) != null ? pts.group(1) : pts.group(2)), "one point per loss row");
            Matcher img = Pattern.compile("data-artifact=\"" + done + "/(samples/samples-step-\\d+\\.png)\"").matcher(dom);
            assertTrue(img.find(), "the latest sample grid is shown: " + dom);
            assertTrue(Files.isRegularFile(server.jobs().artifactDir(done).resolve(img.group(1))));
            assertTrue(dom.contains("\"family\": \"vae\""), "the example spec is in the editor");
            assertTrue(dom.contains("class=\"cancel\" data-id=\"" + running + "\""), "the running job can be cancelled");

            Path shot = tmp.resolve("dashboard.png");
            browse(exe, server.baseUrl() + "/#" + done, "--screenshot=" + shot, "--window-size=1400,900", "--hide-scrollbars");
            BufferedImage png = ImageIO.read(shot.toFile());
            assertEquals(1400, png.getWidth());
            assertEquals(900, png.getHeight());
            String keep = System.getenv("GENZOO_SCREENSHOT");
            if (keep != null && !keep.isBlank()) {
                Files.copy(shot, Path.of(keep), StandardCopyOption.REPLACE_EXISTING);
            }
            server.jobs().cancel(running);
        }
    }

    @Test
    void theEditorHoldsTheQuickstartExample() throws Exception {
        String html;
        try (InputStream in = ApiServer.class.getResourceAsStream(ApiServer.DASHBOARD_RESOURCE)) {
            html = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        Matcher m = Pattern.compile("<textarea id=\"spec\"[^>]*>(.*?)</textarea>", Pattern.DOTALL).matcher(html);
        assertTrue(m.find());
        Path quickstart = Path.of("..", "examples", "quickstart.json");
        assumeTrue(Files.isRegularFile(quickstart), "examples/quickstart.json is not beside the module (run from the repository)");
        ObjectMapper json = new ObjectMapper();
        assertEquals(json.readTree(quickstart.toFile()), json.readTree(m.group(1)), "the editor's example is examples/quickstart.json");
    }
}
