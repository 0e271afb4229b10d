package org.genzoo.models.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Checkpoint files on the host: commit order, crash safety, hashes, pruning (no device needed). */
class CheckpointsTest {
    @TempDir
    Path out;

    static Checkpoints.Info info(long step) {
        return new Checkpoints.Info(step, 2, Map.of(2, 17L), Map.of("data.seed", "1"), "spec", "train", "logistic", "adam", step,
                Map.of("elapsedSeconds", 1.5));
    }

    static List<Safetensors.Entry> weights(float v) {
        return List.of(new Safetensors.Entry("logits", new int[] {1, 3}, new float[] {v, v + 1, v + 2}));
    }

    static List<Safetensors.Entry> moments(float v) {
        return List.of(new Safetensors.Entry("m.logits", new int[] {1, 3}, new float[] {v, v, v}),
                new Safetensors.Entry("v.logits", new int[] {1, 3}, new float[] {v, v, v}));
    }

    @Test
    void saveAndLoadRoundTrip() throws IOException {
        Checkpoints.save(out, info(10), weights(1), moments(0.5f));
        Checkpoints.Loaded c = Checkpoints.latest(out, new ArrayList<>()).orElseThrow();
        assertEquals(info(10), c.info());
        assertEquals(weights(1), c.weights().tensors());
        assertEquals(moments(0.5f), c.optimizer().tensors());
        assertEquals("10", c.weights().metadata().get("step"));
    }

    @Test
    void crashBeforeRenameLeavesThePreviousCheckpointLoadable() throws IOException {
        Checkpoints.save(out, info(10), weights(1), moments(0.5f));
        // Step 20 crashes: its weights reach a temp file (fsynced) but are never renamed, and no commit record exists.
        Path dir20 = Checkpoints.dirFor(out, 20);
        Files.createDirectories(dir20);
        Path tmp = AtomicFiles.writeTemp(dir20.resolve(Checkpoints.WEIGHTS),
                ch -> Safetensors.writeTo(ch, weights(2), Map.of()));
        assertTrue(Files.exists(tmp));
        assertFalse(Files.exists(dir20.resolve(Checkpoints.WEIGHTS)));
        Checkpoints.Loaded c = Checkpoints.latest(out, new ArrayList<>()).orElseThrow();
        assertEquals(10, c.info().step());
        assertEquals(weights(1), c.weights().tensors());

        // A crash after both tensor files but before checkpoint.json: still not a checkpoint.
        Safetensors.write(dir20.resolve(Checkpoints.WEIGHTS), weights(2), Map.of());
        Safetensors.write(dir20.resolve(Checkpoints.OPTIMIZER), moments(2), Map.of());
        assertEquals(10, Checkpoints.latest(out, new ArrayList<>()).orElseThrow().info().step());
    }

    @Test
    void aCheckpointWhoseFilesChangedIsSkipped() throws IOException {
        Checkpoints.save(out, info(10), weights(1), moments(0.5f));
        Path dir20 = Checkpoints.save(out, info(20), weights(2), moments(0.7f));
        // Replace the weights behind the commit record's back (a torn or foreign write).
        Safetensors.write(dir20.resolve(Checkpoints.WEIGHTS), weights(99), Map.of());
        List<String> skipped = new ArrayList<>();
        Optional<Checkpoints.Loaded> c = Checkpoints.latest(out, skipped);
        assertEquals(10, c.orElseThrow().info().step());
        assertEquals(1, skipped.size());
        assertTrue(skipped.get(0).contains("SHA-256"), skipped.toString());
        assertThrows(IOException.class, () -> Checkpoints.load(dir20));
    }

    @Test
    void pruneKeepsTheNewest() throws IOException {
        for (long s = 10; s <= 50; s += 10) {
            Checkpoints.save(out, info(s), weights(s), moments(s));
        }
        Checkpoints.prune(out, 2);
        List<Path> left = Checkpoints.list(out);
        assertEquals(List.of(Checkpoints.dirFor(out, 50), Checkpoints.dirFor(out, 40)), left);
        assertFalse(Files.exists(Checkpoints.dirFor(out, 30)));
    }

    @Test
    void optimizerStateNamesFollowTheSlots() {
        assertEquals(List.of("state.0", "state.1"), Checkpoints.optimizerStateNames("sgd", List.of(), 2));
    }
}
