package org.genzoo.host;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import org.genzoo.host.cl.ClDeviceInfo;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Section matching and precedence of tuning files, on made-up devices (no OpenCL needed). */
class TuningTest {
    private static ClDeviceInfo dev(String platform, String name, String vendor, String type, String driver) {
        return new ClDeviceInfo(0, 0, platform, "OpenCL 3.0", name, vendor, type, driver, "OpenCL 3.0", "OpenCL C 1.2", 2,
                1000, 1L << 30, 1L << 16, 1024, 1L << 28, true, null);
    }

    private static final ClDeviceInfo POCL = dev("Portable Computing Language", "pthread-skylake-avx512-AMD EPYC",
            "AuthenticAMD", "cpu", "3.1+debian");
    private static final ClDeviceInfo H200 = dev("NVIDIA CUDA", "NVIDIA H200", "NVIDIA Corporation", "gpu", "550.54.15");
    private static final ClDeviceInfo OCLGRIND = dev("Oclgrind", "Oclgrind Simulator", "Oclgrind", "gpu", "Oclgrind 21.10");

    @AfterEach
    void clearProperty() {
        System.clearProperty("genzoo.tuning.dir");
    }

    @Test
    void packagedSectionsMatchByTypeVendorAndPlatform() {
        assumeTrue(Tuning.tuningDir() == null, "GENZOO_TUNING_DIR is set in this environment");
        Tuning cpu = Tuning.load("gemm", POCL);
        assertEquals("cpu", cpu.get("VARIANT", null));
        assertEquals(256, cpu.getInt("MC", -1));
        assertTrue(cpu.source().contains("[type=cpu; platform=*portable*]"), cpu.source());
        Tuning nv = Tuning.load("gemm", H200);
        assertEquals("gpu", nv.get("VARIANT", null));
        assertEquals(128, nv.getInt("TSM", -1));
        Tuning sim = Tuning.load("gemm", OCLGRIND);
        assertEquals("gpu", sim.get("VARIANT", null));
        assertEquals(-1, sim.getInt("TSM", -1), "an unknown GPU takes TSM from the device's limits");
        assertEquals("device defaults", Tuning.load("no-such-family", H200).source());
    }

    @Test
    void tunerOutputOverridesThePackagedFileKeyByKey(@TempDir Path dir) throws IOException {
        assumeTrue(System.getenv("GENZOO_TUNING_DIR") == null, "GENZOO_TUNING_DIR is set in this environment");
        Files.writeString(dir.resolve("gemm.properties"), "# tuned\n" + Tuning.exactHeader(H200) + "\nTSM=64\nWPTM=2\n");
        System.setProperty("genzoo.tuning.dir", dir.toString());
        Tuning t = Tuning.load("gemm", H200);
        assertEquals(64, t.getInt("TSM", -1));
        assertEquals(2, t.getInt("WPTM", -1));
        assertEquals(128, t.getInt("TSN", -1), "keys the tuner left out come from the packaged section");
        assertTrue(t.source().startsWith(dir.resolve("gemm.properties").toString()), t.source());
        // The exact header matches only that device: another GPU keeps the packaged values.
        assertEquals(-1, Tuning.load("gemm", OCLGRIND).getInt("TSM", -1));
    }

    @Test
    void globsIgnoreCaseAndFirstSectionWins() throws IOException {
        var sections = Tuning.parse(new StringReader("""
                [vendor=nvidia*; name=*h?00*]
                X=1
                [type=GPU]
                X=2
                [*]
                X=3
                """), "test");
        assertEquals(3, sections.size());
        assertTrue(sections.get(0).matches(H200));
        assertFalse(sections.get(0).matches(OCLGRIND));
        assertTrue(sections.get(1).matches(OCLGRIND));
        assertFalse(sections.get(1).matches(POCL));
        assertTrue(sections.get(2).matches(POCL));
        assertEquals("[*]", sections.get(2).header());
    }

    @Test
    void exactHeaderMatchesItsDeviceOnly() throws IOException {
        ClDeviceInfo odd = dev("P", "Card [rev*2]; x", "V", "gpu", "1.0");
        var s = Tuning.parse(new StringReader(Tuning.exactHeader(odd) + "\nX=1\n"), "test").get(0);
        assertTrue(s.matches(odd), s.header());
        assertFalse(s.matches(dev("P", "Card [rev*2]; y", "V", "gpu", "1.0")));
        assertFalse(s.matches(dev("P", "Card [rev*2]; x", "V", "gpu", "1.1")));
    }

    @Test
    void badFilesAreRefusedWithFileAndLine() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Tuning.parse(new StringReader("[colour=red]\nX=1\n"), "f.properties"));
        assertTrue(e.getMessage().contains("f.properties:1") && e.getMessage().contains("colour=red"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Tuning.parse(new StringReader("# c\nX=1\n"), "f.properties"));
        assertTrue(e.getMessage().contains("f.properties:2") && e.getMessage().contains("before any"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Tuning.parse(new StringReader("[*]\nnonsense\n"), "f.properties"));
        assertTrue(e.getMessage().contains("f.properties:2"), e.getMessage());
    }

    @Test
    void nonIntegerValuesNameTheKeyAndSource(@TempDir Path dir) throws IOException {
        assumeTrue(System.getenv("GENZOO_TUNING_DIR") == null, "GENZOO_TUNING_DIR is set in this environment");
        Files.writeString(dir.resolve("elementwise.properties"), "[*]\nWG=lots\n");
        System.setProperty("genzoo.tuning.dir", dir.toString());
        Tuning t = Tuning.load("elementwise", POCL);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> t.getInt("WG", 64));
        assertTrue(e.getMessage().contains("WG=lots") && e.getMessage().contains("elementwise.properties"), e.getMessage());
    }

    @Test
    void familiesAreTheTuningFilesOfTheKernelsFolder(@TempDir Path dir) throws IOException {
        assumeTrue(System.getenv("GENZOO_TUNING_DIR") == null, "GENZOO_TUNING_DIR is set in this environment");
        java.util.List<String> want;
        try (var files = Files.list(Path.of("..", "kernels", "tuning"))) {
            want = files.map(f -> f.getFileName().toString()).filter(n -> n.endsWith(".properties"))
                    .map(n -> n.substring(0, n.length() - ".properties".length())).sorted().toList();
        }
        assertTrue(want.contains("gemm") && want.size() > 5, "read the repository's kernels/tuning/: " + want);
        assertEquals(want, Tuning.families());
        // A tuner's file for a family with no packaged file is listed too.
        Files.writeString(dir.resolve("zz-new.properties"), "[*]\nX=1\n");
        System.setProperty("genzoo.tuning.dir", dir.toString());
        assertEquals("zz-new", Tuning.families().get(Tuning.families().size() - 1));
    }
}
