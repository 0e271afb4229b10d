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

            // Submit-to-RUNNING latency with a warm JVM and an idle worker: submit() returns -> the RUNNING event.
            double[] ms = new double[7];
            for (int i = 0; i < ms.length; i++) {
                String sid = svc.submit(JobFixtures.vaeSpec("lat" + i, 10, 10, 10, i, 0), null).job().id();
                long back = System.nanoTime();
                rec.await(JobFixtures.state(sid, JobState.RUNNING), Duration.ofSeconds(20), "RUNNING");
                ms[i] = (rec.firstSeenNanos.get(sid + ":RUNNING") - back) / 1e6;
                rec.await(JobFixtures.state(sid, JobState.SUCCEEDED), Duration.ofSeconds(60), "SUCCEEDED");
            }
            double[] sorted = ms.clone();
            java.util.Arrays.sort(sorted);
            System.out.printf(Locale.ROOT, "submit-to-RUNNING latency, warm, %d jobs: median %.1f ms, max %.1f ms (%s)%n",
                    ms.length, sorted[ms.length / 2], sorted[ms.length - 1], java.util.Arrays.toString(ms));
            assertTrue(sorted[ms.length / 2] < 150, "below the 200 ms poll: the submission wakes the idle worker");
        }
    }

    static boolean familyDependent(String ptr) {
        return ptr.startsWith("/model/") || ptr.startsWith("/eval/metrics/");
    }

    /** Bad values by pointer: wrong types, out of range, unknown names. */
    static final String[][] BAD = {
        {"/name", "\"\"", "\"no spaces allowed\"", "7", "[]"},
        {"/model/family", "\"nope\"", "3"},
        {"/model/latent", "0", "\"two\"", "5000"},
        {"/data/dataset", "\"cifar\"", "false"},
        {"/data/limit", "0", "-3", "\"all\""},
        {"/data/binarize", "\"yes\"", "1"},
        {"/optimizer/type", "\"adamx\"", "{}"},
        {"/optimizer/lr", "0", "-1", "\"fast\""},
        {"/optimizer/beta1", "1", "-0.1"},
        {"/batchSize", "0", "1.5", "2000000", "true"},
        {"/budget", "5", "{}", "{\"steps\": 1, \"epochs\": 1}"},
        {"/budget/steps", "0", "\"ten\""},
        {"/seed", "-1", "\"one\""},
        {"/eval/split", "\"dev\""},
        {"/eval/every", "-1"},
        {"/checkpoint/every", "0"},
        {"/checkpoint/keep", "-1"},
        {"/logEvery", "0", "100001"},
        {"/priority", "1001", "-1001", "\"high\""},
        {"/device", "5"},
        {"/bogus", "1"},
        {"/data/extra", "true"},
        {"/eval/metrics/nosuch", "1"},
    };

    /**
     * 1,000 invalid specs from a seeded generator (1 to 3 bad fields each, as JSON or YAML): every one
     * is refused as bad input, never a server error, with an error at (or under) each bad field's pointer,
     * and no job is created.
     */
    @Test
    void thousandInvalidSpecsAreRefusedWithTheirPointers() throws Exception {
        long seed = 20261122L;
        java.util.Random rnd = new java.util.Random(seed);
        String base = JobFixtures.vaeSpec("valid", 10, 10, 10, 1, 0);
        com.fasterxml.jackson.dataformat.yaml.YAMLMapper yaml = new com.fasterxml.jackson.dataformat.yaml.YAMLMapper();
        try (LocalJobService svc = LocalJobService.start(JobFixtures.config(tmp))) {
            for (int i = 0; i < 1000; i++) {
                com.fasterxml.jackson.databind.node.ObjectNode root =
                        (com.fasterxml.jackson.databind.node.ObjectNode) JobSpec.mapper().readTree(base);
                java.util.Set<String> bad = new java.util.TreeSet<>();
                int n = 1 + rnd.nextInt(3);
                for (int k = 0; k < n; k++) {
                    String[] row = BAD[rnd.nextInt(BAD.length)];
                    String ptr = row[0];
                    // One mutation per subtree; and the family validates the rest of /model and /eval/metrics, so
                    // a bad family is not combined with bad fields there (it hides them).
                    if (bad.stream().anyMatch(b -> ptr.startsWith(b + "/") || b.startsWith(ptr + "/")
                            || familyDependent(b) && familyDependent(ptr))) {
                        continue;
                    }
                    bad.add(ptr);
                    String[] parts = ptr.substring(1).split("/");
                    com.fasterxml.jackson.databind.node.ObjectNode o = root;
                    for (int p = 0; p < parts.length - 1; p++) {
                        o = o.with(parts[p]);
                    }
                    o.set(parts[parts.length - 1], JobSpec.mapper().readTree(row[1 + rnd.nextInt(row.length - 1)]));
                }
                String text = rnd.nextBoolean() ? root.toString() : yaml.writeValueAsString(root);
                String where = "spec " + i + " (seed " + seed + "): " + text;
                org.genzoo.models.train.SpecException e = org.junit.jupiter.api.Assertions.assertThrows(
                        org.genzoo.models.train.SpecException.class, () -> svc.submit(text, null), where);
                List<String> got = e.errors().stream().map(org.genzoo.models.train.SpecError::pointer).toList();
                for (String b : bad) {
                    assertTrue(got.stream().anyMatch(g -> g.equals(b) || g.startsWith(b + "/") || b.startsWith(g + "/") && !g.isEmpty()),
                            "an error at " + b + " in " + got + " for " + where);
                }
                for (org.genzoo.models.train.SpecError se : e.errors()) {
                    assertTrue(se.pointer().startsWith("/"), se.message());
                    assertFalse(se.expected().isBlank() || se.received().isBlank(), se.message());
                }
            }
            assertEquals(List.of(), svc.list(Optional.empty()));
        }
    }
}
