package org.genzoo.service.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.genzoo.host.TestDevices;
import org.genzoo.models.train.Checkpoints;
import org.genzoo.models.train.JobSpec;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The job service end to end on the CPU device with the real SQLite store. */
class LocalJobServiceTest {
    @TempDir
    Path tmp;

    @BeforeAll
    static void needsDevice() {
        TestDevices.all();
    }

    @Test
    void submittedJobRunsToSucceededWithItsArtifacts() throws Exception {
        JobFixtures.Recorder rec = new JobFixtures.Recorder();
        try (LocalJobService svc = LocalJobService.start(JobFixtures.config(tmp));
                AutoCloseable sub = svc.subscribeAll(rec)) {
            long before = System.nanoTime();
            JobService.Submitted s = svc.submit(JobFixtures.vaeSpec("e2e", 60, 10, 30, 1, 0), "e2e-key");
            long submitted = System.nanoTime();
            assertTrue(s.created());
            String id = s.job().id();
            assertEquals(JobState.QUEUED, s.job().state());
            rec.await(JobFixtures.state(id, JobState.RUNNING), Duration.ofSeconds(20), "RUNNING");
            long running = rec.firstSeenNanos.get(id + ":RUNNING");
            System.out.printf(Locale.ROOT, "submit-to-RUNNING latency: %.1f ms (submit() itself took %.1f ms)%n",
                    (running - submitted) / 1e6, (submitted - before) / 1e6);
            JobEvent end = rec.await(e -> e.jobId().equals(id) && e.type().equals("state")
                    && !"RUNNING".equals(e.data().get("state")), Duration.ofSeconds(60), "an end state");
            assertEquals("SUCCEEDED", end.data().get("state"), "end event " + end);

            Job j = svc.get(id).orElseThrow();
            assertEquals(JobState.SUCCEEDED, j.state());
            assertEquals(60, j.step());
            assertEquals(60, j.totalSteps());
            assertEquals(1, j.attempt());
            assertTrue(j.finishedAt() != null && j.startedAt() != null);
            Path dir = svc.artifactDir(id);
            assertEquals(dir.toString(), j.outputDir());
            for (String f : List.of("spec.json", "metrics.csv", "loss.png", "report.json", "train.log")) {
                assertTrue(Files.isRegularFile(dir.resolve(f)), f);
            }
            assertEquals(List.of(Checkpoints.dirFor(dir, 60), Checkpoints.dirFor(dir, 30)), Checkpoints.list(dir));
            JobSpec ran = JobSpec.parse(Files.readString(dir.resolve("spec.json")));
            assertEquals(dir.toString(), ran.output(), "the service chose the output folder");
            JsonNode report = JobSpec.mapper().readTree(dir.resolve("report.json").toFile());
            assertEquals("succeeded", report.get("status").asText());
            assertEquals(60, report.get("steps").asLong());

            // Six log points of 10 steps: progress events with rising steps, the last one at step 60.
            List<Long> steps = rec.all.stream().filter(e -> e.jobId().equals(id) && e.type().equals("progress"))
                    .map(e -> ((Number) e.data().get("step")).longValue()).toList();
            assertFalse(steps.isEmpty());
            assertEquals(60L, steps.get(steps.size() - 1));
            for (int i = 1; i < steps.size(); i++) {
                assertTrue(steps.get(i) > steps.get(i - 1), "steps rise: " + steps);
            }
            assertTrue(rec.all.stream().anyMatch(e -> e.type().equals("eval") && e.jobId().equals(id)), "an eval event");
            assertTrue(rec.all.stream().anyMatch(e -> e.type().equals("log") && e.jobId().equals(id)
                    && e.data().get("line").toString().startsWith("checkpoint ")), "log lines reach subscribers");

            // The same body again, as YAML, with the same key: the same job, not a new one.
            String yaml = """
                    name: e2e
                    model: {family: vae, latent: 2, hidden: [16]}
                    data: {dataset: mnist, limit: 256}
                    optimizer: {type: adam, lr: 0.003}
                    batchSize: 32
                    budget: {steps: 60}
                    seed: 1
                    logEvery: 10
                    eval: {every: 0, limit: 64}
                    checkpoint: {every: 30, keep: 0}
                    device: cpu
                    output: somewhere/else
                    """;
            JobService.Submitted again = svc.submit(yaml, "e2e-key");
            assertFalse(again.created());
            assertEquals(id, again.job().id());
            assertEquals(1L, svc.counts().get(JobState.SUCCEEDED));
            assertEquals(Optional.of(j.id()), svc.list(Optional.of(JobState.SUCCEEDED)).stream().map(Job::id).findFirst());
        }
    }
}
