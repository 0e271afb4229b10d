package org.genzoo.service.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.genzoo.host.Device;
import org.genzoo.host.TestDevices;
import org.genzoo.models.train.JobSpec;
import org.genzoo.models.train.Trainer;
import org.genzoo.service.api.Artifacts;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a crash leaves on disk: killed just after the final checkpoint (before report.json), a run
 * resumes to a complete report (its final loss, no "loss NaN", no duplicate metrics row); temp files
 * of interrupted writes are deleted before the next run and are never artifacts.
 */
class CrashLeftoversTest {
    @TempDir
    Path tmp;

    @Test
    void aKillAfterTheFinalCheckpointResumesToACompleteReportWithoutADuplicateRow() throws Exception {
        TestDevices.all();
        String spec = JobFixtures.vaeSpec("final", 40, 10, 20, 5, 0);
        Path out = tmp.resolve("run");
        try (Device device = TestDevices.openDefault()) {
            JobRunner.Outcome o = JobRunner.run(device, JobSpecs.parse(spec).withOutput(out.toString()), null, Trainer.Options.defaults());
            assertEquals(JobState.SUCCEEDED, o.state(), String.valueOf(o.error()));
            JsonNode full = JobSpec.mapper().readTree(out.resolve("report.json").toFile());
            List<String> rows = Files.readAllLines(out.resolve("metrics.csv"));
            // What a SIGKILL between the final checkpoint and the report leaves: everything but the report.
            Files.delete(out.resolve("report.json"));
            // ... and the temp files of writes a crash interrupted: the restart's run deletes them before it starts.
            Path orphan = out.resolve("report.json.tmp-4242");
            Path orphanGrid = out.resolve("samples-step-00000040.png4412398123.tmp");
            Files.writeString(orphan, "{");
            Files.writeString(orphanGrid, "partial");
            String logBefore = Files.readString(out.resolve("train.log"));

            JobRunner.Outcome again = JobRunner.run(device, JobSpecs.parse(spec).withOutput(out.toString()), null,
                    Trainer.Options.defaults());
            assertEquals(JobState.SUCCEEDED, again.state(), String.valueOf(again.error()));
            JsonNode r = JobSpec.mapper().readTree(out.resolve("report.json").toFile());
            assertEquals(full.path("finalLoss").asDouble(), r.path("finalLoss").asDouble(), "the final loss from the checkpoint");
            assertEquals(full.path("eval"), r.path("eval"), "the final evaluation from metrics.csv");
            assertEquals(rows, Files.readAllLines(out.resolve("metrics.csv")), "no duplicate final row");
            String added = Files.readString(out.resolve("train.log")).substring(logBefore.length());
            assertFalse(added.contains("NaN"), added);
            assertTrue(added.contains("resumed from"), added);
            assertFalse(Files.exists(orphan) || Files.exists(orphanGrid), "the restart deleted the orphaned temp files");
        }
    }

    @Test
    void orphanedTempFilesAreRemovedAndNeverListedOrServed() throws Exception {
        Path dir = tmp.resolve("jobs/j-1");
        Files.createDirectories(dir.resolve("samples"));
        Files.writeString(dir.resolve("metrics.csv"), "step,loss\n");
        Files.writeString(dir.resolve("metrics.csv.tmp-8134312"), "step,lo");
        Files.writeString(dir.resolve("samples/samples-step-00000060.png4412398123.tmp"), "partial");
        Files.writeString(dir.resolve("report.json.tmp-1"), "{");
        List<Map<String, Object>> listed = Artifacts.list(dir);
        assertEquals(List.of("metrics.csv"), listed.stream().map(m -> m.get("name")).toList());
        for (String name : List.of("metrics.csv.tmp-8134312", "samples/samples-step-00000060.png4412398123.tmp")) {
            org.genzoo.service.api.ApiException e = org.junit.jupiter.api.Assertions.assertThrows(
                    org.genzoo.service.api.ApiException.class, () -> Artifacts.resolve(dir, name));
            assertEquals(404, e.status());
        }
        assertEquals(3, JobRunner.removeOrphanedTemps(dir));
        try (var s = Files.walk(dir)) {
            assertEquals(List.of("j-1", "metrics.csv", "samples"), s.map(p -> p.getFileName().toString()).sorted().toList());
        }
    }
}
