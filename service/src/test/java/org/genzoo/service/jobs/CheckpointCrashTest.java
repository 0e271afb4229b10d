package org.genzoo.service.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.genzoo.host.Device;
import org.genzoo.host.TestDevices;
import org.genzoo.models.train.AtomicFiles;
import org.genzoo.models.train.Checkpoints;
import org.genzoo.models.train.JobSpec;
import org.genzoo.models.train.Trainer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A crash while a checkpoint is being written leaves the previous one as the latest, loadable, and a
 * resumed job continues from it to bitwise the same end as an uninterrupted run. The crash is
 * simulated by leaving on disk exactly what each moment of {@link Checkpoints#save} leaves: the temp
 * file of a tensor file not yet renamed, or both tensor files renamed and the commit record
 * (checkpoint.json) fsynced as a temp file but not renamed.
 */
class CheckpointCrashTest {
    static Device device;

    @TempDir
    Path tmp;

    @BeforeAll
    static void open() {
        device = TestDevices.openDefault();
    }

    @AfterAll
    static void close() {
        if (device != null) {
            device.close();
        }
    }

    static JobSpec spec(Path out, long steps) {
        return JobSpecs.parse(JobFixtures.vaeSpec("crash", steps, 10, 20, 3, 0)).withOutput(out.toString());
    }

    static void run(JobSpec s, JobState want) {
        JobRunner.Outcome o = JobRunner.run(device, s, null, Trainer.Options.defaults());
        assertEquals(want, o.state(), String.valueOf(o.error()));
    }

    @Test
    void crashBeforeTheRenameLeavesThePreviousCheckpointLoadable() throws Exception {
        Path ref = tmp.resolve("uninterrupted");
        run(spec(ref, 80), JobState.SUCCEEDED);

        Path out = tmp.resolve("crashed");
        run(spec(out, 40), JobState.SUCCEEDED);
        assertEquals(Checkpoints.dirFor(out, 40), Checkpoints.list(out).get(0));

        // Crash 1, at step 60: weights and optimizer state renamed into place, the commit record written to its
        // temp file and fsynced, the rename not done. The files are the real step-60 ones (from the reference run).
        Path c60 = Checkpoints.dirFor(out, 60);
        Files.createDirectories(c60);
        Path r60 = Checkpoints.dirFor(ref, 60);
        Files.copy(r60.resolve(Checkpoints.WEIGHTS), c60.resolve(Checkpoints.WEIGHTS));
        Files.copy(r60.resolve(Checkpoints.OPTIMIZER), c60.resolve(Checkpoints.OPTIMIZER));
        byte[] record = Files.readAllBytes(r60.resolve(Checkpoints.META));
        Path tmpRecord = AtomicFiles.writeTemp(c60.resolve(Checkpoints.META), ch -> AtomicFiles.writeFully(ch, ByteBuffer.wrap(record)));
        assertTrue(AtomicFiles.isTemp(tmpRecord));

        // Crash 2, at step 70: half of the weights written to the temp file, nothing renamed.
        Path c70 = Checkpoints.dirFor(out, 70);
        byte[] w = Files.readAllBytes(r60.resolve(Checkpoints.WEIGHTS));
        AtomicFiles.writeTemp(c70.resolve(Checkpoints.WEIGHTS), ch -> AtomicFiles.writeFully(ch, ByteBuffer.wrap(Arrays.copyOf(w,
                w.length / 2))));

        assertEquals(List.of(Checkpoints.dirFor(out, 40), Checkpoints.dirFor(out, 20)), Checkpoints.list(out),
                "folders without a committed checkpoint.json are not checkpoints");
        List<String> skipped = new ArrayList<>();
        Checkpoints.Loaded latest = Checkpoints.latest(out, skipped).orElseThrow();
        assertEquals(40, latest.info().step());
        assertEquals(List.of(), skipped);
        assertEquals(40, JobRunner.resumeStep(out));

        // The job runs again (as a worker would after the crash): it resumes from step 40 and ends where the
        // uninterrupted run ended, bit for bit.
        run(spec(out, 80), JobState.SUCCEEDED);
        assertTrue(Files.readString(out.resolve("train.log")).contains("resumed from checkpoints/step-000000000040 at step 40"));
        for (String f : List.of(Checkpoints.WEIGHTS, Checkpoints.OPTIMIZER)) {
            assertEquals(-1L, Files.mismatch(Checkpoints.dirFor(ref, 80).resolve(f), Checkpoints.dirFor(out, 80).resolve(f)), f);
        }
        assertEquals(-1L, Files.mismatch(r60.resolve(Checkpoints.WEIGHTS), c60.resolve(Checkpoints.WEIGHTS)),
                "the step-60 checkpoint written on the second try equals the reference's");
        Checkpoints.load(c60);
    }
}
