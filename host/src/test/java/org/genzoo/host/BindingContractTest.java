package org.genzoo.host;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.genzoo.host.cl.ClException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** One contract, run on every device under both bindings: they must agree bit for bit. */
class BindingContractTest {
    private static final long SEED = 20261121L;
    /** Float sum of 100,003 values in [-1,1) vs a double sum: rounding grows like sqrt(n)·eps·max. */
    private static final double SUM_ATOL = 1e-2;

    static Stream<TestDevices.Target> targets() {
        return TestDevices.all().stream();
    }

    private static float[] random(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (r.nextDouble() * 2 - 1);
        }
        return x;
    }

    private static float[] saxpy(TestDevices.Target t, int n) {
        float[] x = random(n, SEED);
        float[] y = random(n, SEED + 1);
        try (Device dev = Device.open(t.api(), t.device());
             DeviceBuffer bx = dev.upload(x);
             DeviceBuffer by = dev.upload(y)) {
            Kernel k = dev.kernel("contract_test.cl", "saxpy");
            k.args(by, bx, 2.5f, n);
            dev.launch(k, new long[] {n}, new long[] {64});
            dev.finish();
            return by.readFloats(0, n);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("targets")
    void saxpyMatchesJava(TestDevices.Target t) {
        int n = 1003; // not a multiple of the work-group size: the tail guard must hold
        float[] got = saxpy(t, n);
        float[] x = random(n, SEED);
        float[] y = random(n, SEED + 1);
        for (int i = 0; i < n; i++) {
            float want = 2.5f * x[i] + y[i];
            assertEquals(want, got[i], 1e-6f * (1 + Math.abs(want)), "seed " + SEED + " element " + i);
        }
    }

    private static float reduce(TestDevices.Target t, float[] x, int groups, int wg) {
        try (Device dev = Device.open(t.api(), t.device());
             DeviceBuffer bx = dev.upload(x);
             DeviceBuffer partial = dev.pool().acquireFloats(groups)) {
            Kernel k = dev.kernel("contract_test.cl", "reduce_sum");
            k.args(partial, bx, new Kernel.Local(4L * wg), x.length);
            dev.launch(k, new long[] {(long) groups * wg}, new long[] {wg});
            float[] p = partial.readFloats(0, groups);
            float s = 0;
            for (float v : p) {
                s += v; // fixed order on the host too
            }
            return s;
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("targets")
    void treeReductionIsRightAndReproducible(TestDevices.Target t) {
        float[] x = random(100_003, SEED + 2);
        double want = 0;
        for (float v : x) {
            want += v;
        }
        float a = reduce(t, x, 16, 64);
        float b = reduce(t, x, 16, 64);
        assertEquals(want, a, SUM_ATOL, "seed " + (SEED + 2));
        assertEquals(Float.floatToRawIntBits(a), Float.floatToRawIntBits(b), "same device, same input: bitwise equal");
    }

    @Test
    void bindingsAgreeBitwise() {
        Map<String, List<float[]>> byDevice = new HashMap<>();
        float[] x = random(50_000, SEED + 3);
        for (TestDevices.Target t : TestDevices.all()) {
            List<float[]> results = byDevice.computeIfAbsent(t.device().cacheIdentity(), k -> new ArrayList<>());
            results.add(saxpy(t, 777));
            results.add(new float[] {reduce(t, x, 8, 32)});
        }
        for (List<float[]> r : byDevice.values()) {
            for (int i = 2; i < r.size(); i++) {
                assertArrayEquals(r.get(i % 2), r.get(i), "binding results differ on one device");
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("targets")
    void profilingReportsDeviceTime(TestDevices.Target t) {
        int n = 1 << 20;
        try (Device dev = Device.open(t.api(), t.device());
             DeviceBuffer bx = dev.upload(new float[n]);
             DeviceBuffer by = dev.upload(new float[n])) {
            Kernel k = dev.kernel("contract_test.cl", "saxpy").args(by, bx, 1f, n);
            long ns = dev.launchTimed(k, new long[] {n}, new long[] {64});
            assertTrue(ns > 0 && ns < 10_000_000_000L, "device time of a 1M-element saxpy: " + ns + " ns");
            List<Long> sampled = new ArrayList<>();
            dev.setKernelTiming((name, nanos) -> {
                assertEquals("contract_test.cl:saxpy", name);
                sampled.add(nanos);
            }, 2);
            for (int i = 0; i < 6; i++) {
                dev.launch(k, new long[] {n}, new long[] {64});
            }
            dev.finish();
            assertEquals(3, sampled.size(), "one launch in two is profiled");
            assertTrue(sampled.stream().allMatch(v -> v > 0));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("targets")
    void compileErrorCarriesFileDefinesAndLog(TestDevices.Target t) {
        try (Device dev = Device.open(t.api(), t.device())) {
            KernelBuildException e = assertThrows(KernelBuildException.class,
                    () -> dev.kernel("broken_test.cl", "broken", Map.of("TILE", "16")));
            assertEquals("broken_test.cl", e.file());
            assertTrue(e.getMessage().contains("broken_test.cl"), e.getMessage());
            assertTrue(e.getMessage().contains("TILE=16"), e.getMessage());
            assertTrue(e.getMessage().contains("CL_BUILD_PROGRAM_FAILURE"), e.getMessage());
            assertTrue(e.buildLog().contains("undefined_identifier_xyz"), "the device's log names the bad identifier: " + e.buildLog());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("targets")
    void wrongArgumentsNameTheCallAndStatus(TestDevices.Target t) {
        try (Device dev = Device.open(t.api(), t.device())) {
            Kernel k = dev.kernel("contract_test.cl", "saxpy");
            ClException e = assertThrows(ClException.class, () -> k.set(9, 1));
            assertTrue(e.getMessage().contains("clSetKernelArg(9)") && e.getMessage().contains("CL_INVALID_ARG_INDEX"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> k.set(0, "a string"));
            ClException missing = assertThrows(ClException.class, () -> dev.kernel("contract_test.cl", "no_such_kernel"));
            assertTrue(missing.getMessage().contains("CL_INVALID_KERNEL_NAME"), missing.getMessage());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("targets")
    void outOfRangeSelectorListsDevices(TestDevices.Target t) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DeviceSelector.select(t.api().devices(), "9:9"));
        assertTrue(e.getMessage().contains("9:9") && e.getMessage().contains(t.device().name()), e.getMessage());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("targets")
    void programCacheBuildsOnceAndReusesDiskBinary(TestDevices.Target t, @TempDir Path dir) throws Exception {
        Object ctx = t.api().createContext(t.device());
        try (ProgramCache first = new ProgramCache(t.api(), t.device(), ctx, dir)) {
            Program a = first.get("contract_test.cl", Map.of("B", "2", "A", "1"));
            Program b = first.get("contract_test.cl", Map.of("A", "1", "B", "2"));
            assertSame(a, b, "defines are sorted into the key");
            assertEquals(1, first.compiledCount());
            first.get("contract_test.cl", Map.of("A", "1", "B", "3"));
            assertEquals(2, first.compiledCount(), "another define value is another program");
        }
        try (Stream<Path> files = Files.list(dir.resolve("programs"))) {
            assertEquals(2, files.count(), "one binary per program on disk");
        }
        try (ProgramCache second = new ProgramCache(t.api(), t.device(), ctx, dir)) {
            second.get("contract_test.cl", Map.of("A", "1", "B", "2"));
            assertEquals(1, second.loadedFromDiskCount(), "a second process loads the binary");
            assertEquals(0, second.compiledCount());
        } finally {
            t.api().release(ctx);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("targets")
    void poolReusesBuffersAndTracksMemory(TestDevices.Target t) {
        try (Device dev = Device.open(t.api(), t.device())) {
            long before = dev.allocatedBytes();
            DeviceBuffer a = dev.pool().acquire(1000);
            Object handle = a.handle();
            a.close();
            assertThrows(IllegalStateException.class, a::handle, "a closed buffer cannot be used");
            DeviceBuffer b = dev.pool().acquire(900);
            assertSame(handle, b.handle(), "same size class is reused");
            assertEquals(1, dev.pool().hits());
            b.close();
            dev.pool().trim();
            assertEquals(before, dev.allocatedBytes(), "trim gives the memory back");
            try (DeviceBuffer c = dev.allocate(64)) {
                assertThrows(IndexOutOfBoundsException.class, () -> c.write(new float[17]));
                float[] v = {1, 2, 3};
                c.write(v, 0, 3, 13);
                assertArrayEquals(v, c.readFloats(13, 3));
            }
        }
    }

    @Test
    void sizeClassesWasteLittle() {
        for (long s : new long[] {1, 255, 256, 257, 65536, 65537, 1 << 20, (1 << 20) + 1, 123_456_789}) {
            long c = BufferPool.sizeClass(s);
            assertTrue(c >= s && c <= Math.max(s + 255, s * 1.126), s + " -> " + c);
        }
        assertEquals(Arrays.asList(256L, 512L), Arrays.asList(BufferPool.sizeClass(200), BufferPool.sizeClass(257)));
    }
}
