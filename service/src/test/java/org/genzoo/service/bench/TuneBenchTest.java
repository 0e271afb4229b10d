package org.genzoo.service.bench;

import static org.junit.jupiter.api.Assertions.*;

import java.io.PrintWriter;
import java.io.Reader;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.genzoo.host.Device;
import org.genzoo.host.TestDevices;
import org.genzoo.host.Tuning;
import org.genzoo.host.ops.Gemm;
import org.genzoo.service.cli.GenZooCli;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code genzoo bench tune gemm --quick} writes a file the runtime then builds its GEMM from. */
class TuneBenchTest {
    @Test
    void quickTuneWritesThisDevicesSectionAndKeepsOthers(@TempDir Path dir) throws Exception {
        try (Device dev = TestDevices.openDefault()) {
            // A section for another device must survive the rewrite.
            Files.writeString(dir.resolve("gemm.properties"), "[name=some other card]\nVARIANT=gpu\nTSM=32\n");
            StringWriter text = new StringWriter();
            CommandLine cli = GenZooCli.commandLine();
            cli.setOut(new PrintWriter(text));
            int rc = cli.execute("bench", "tune", "gemm", "--quick", "--variant", "gpu", "--budget", "0", "--dir", dir.toString(),
                    "-d", dev.info().selector());
            assertEquals(0, rc, text.toString());
            String written = Files.readString(dir.resolve("gemm.properties"));
            assertTrue(written.contains("# device: " + dev.info().name()), written);
            assertTrue(written.contains("# date: "), written);
            assertTrue(written.contains("driver: " + dev.info().driverVersion()), written);
            List<Tuning.Section> sections;
            try (Reader r = Files.newBufferedReader(dir.resolve("gemm.properties"))) {
                sections = Tuning.parse(r, "tuned");
            }
            assertEquals(2, sections.size(), written);
            assertEquals(Tuning.exactHeader(dev.info()), sections.get(0).header());
            assertTrue(sections.get(0).matches(dev.info()));
            assertEquals("gpu", sections.get(0).values().get("VARIANT"));
            assertEquals("[name=some other card]", sections.get(1).header());
            // The runtime's GEMM for this device takes exactly the tuned defines.
            System.setProperty("genzoo.tuning.dir", dir.toString());
            try {
                if (System.getenv("GENZOO_TUNING_DIR") == null) {
                    Tuning t = Tuning.load("gemm", dev.info());
                    try (Gemm g = new Gemm(dev, t)) {
                        assertEquals(Gemm.Variant.GPU, g.variant());
                        for (Map.Entry<String, String> e : sections.get(0).values().entrySet()) {
                            if (!e.getKey().equals("VARIANT")) {
                                assertEquals(e.getValue(), g.defines().get(e.getKey()), e.getKey());
                            }
                        }
                    }
                }
            } finally {
                System.clearProperty("genzoo.tuning.dir");
            }
        }
    }

    @Test
    void unknownFamilyAndMissingDirectoryAreUsageErrors(@TempDir Path dir) {
        StringWriter err = new StringWriter();
        CommandLine cli = GenZooCli.commandLine();
        cli.setErr(new PrintWriter(err));
        cli.setOut(new PrintWriter(new StringWriter()));
        int rc = cli.execute("bench", "tune", "nosuch", "--dir", dir.toString());
        assertNotEquals(0, rc);
        assertTrue(err.toString().contains("tunable families"), err.toString());
    }
}
