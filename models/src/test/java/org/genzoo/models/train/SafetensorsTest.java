package org.genzoo.models.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsTest {
    private static final long SEED = 20240601;

    @TempDir
    Path tmp;

    static float[] random(int n, SplittableRandom r) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (r.nextGaussian() * 3);
        }
        return v;
    }

    /** Odd sizes (1, 7, 93 x 144) so no tensor ends on an 8-byte boundary by luck; special values included. */
    static List<Safetensors.Entry> sample() {
        SplittableRandom r = new SplittableRandom(SEED);
        float[] special = {0f, -0f, Float.MIN_VALUE, Float.MAX_VALUE, -1.5f, 1e-30f, 3.25f};
        return List.of(new Safetensors.Entry("enc.weight", new int[] {93, 144}, random(93 * 144, r)),
                new Safetensors.Entry("enc.bias", new int[] {1, 1}, random(1, r)),
                new Safetensors.Entry("special", new int[] {1, 7}, special),
                new Safetensors.Entry("empty", new int[] {0, 3}, new float[0]));
    }

    @Test
    void roundTripIsBitExact() throws IOException {
        Path f = tmp.resolve("w.safetensors");
        Map<String, String> meta = Map.of("step", "100", "format", "genzoo-checkpoint-1");
        Safetensors.write(f, sample(), meta);
        Safetensors.Contents c = Safetensors.read(f);
        assertEquals(sample(), c.tensors(), "seed " + SEED);
        assertEquals(meta, c.metadata());
        for (Safetensors.Entry e : sample()) {
            int[] want = new int[e.data().length];
            int[] got = new int[e.data().length];
            float[] back = c.get(e.name()).data();
            for (int i = 0; i < want.length; i++) {
                want[i] = Float.floatToRawIntBits(e.data()[i]);
                got[i] = Float.floatToRawIntBits(back[i]);
            }
            assertArrayEquals(want, got, e.name() + " bits");
        }
    }

    @Test
    void byteLayoutFollowsTheFormat() throws IOException {
        Path f = tmp.resolve("w.safetensors");
        List<Safetensors.Entry> t = sample();
        Safetensors.write(f, t, Map.of("k", "v"));
        byte[] all = Files.readAllBytes(f);
        ByteBuffer b = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
        long n = b.getLong(0);
        assertEquals(0, n % 8, "header padded to 8 bytes");
        String header = new String(all, 8, (int) n, StandardCharsets.UTF_8);
        assertTrue(header.startsWith("{") && header.stripTrailing().endsWith("}"), header);
        assertEquals(header.stripTrailing(), header.strip(), "padding is trailing spaces only");
        JsonNode h = JobSpec.mapper().readTree(header);
        assertEquals("v", h.get("__metadata__").get("k").asText());
        long dataStart = 8 + n;
        long offset = 0;
        for (Safetensors.Entry e : t) {
            JsonNode d = h.get(e.name());
            assertEquals("F32", d.get("dtype").asText());
            assertEquals(e.shape()[0], d.get("shape").get(0).asInt());
            assertEquals(e.shape()[1], d.get("shape").get(1).asInt());
            assertEquals(offset, d.get("data_offsets").get(0).asLong(), e.name());
            long end = offset + 4L * e.data().length;
            assertEquals(end, d.get("data_offsets").get(1).asLong(), e.name());
            for (int i = 0; i < e.data().length; i++) {
                assertEquals(Float.floatToRawIntBits(e.data()[i]), b.getInt((int) (dataStart + offset + 4L * i)),
                        e.name() + "[" + i + "] little-endian");
            }
            offset = end;
        }
        assertEquals(dataStart + offset, all.length, "no trailing bytes");
    }

    /** A second, independent reader: Python with numpy (safetensors itself is not installed here), when available. */
    @Test
    void pythonReadsTheLayout() throws Exception {
        Path py = Path.of("/usr/bin/python3");
        if (!Files.isExecutable(py)) {
            return;
        }
        Path f = tmp.resolve("w.safetensors");
        Safetensors.write(f, sample(), Map.of());
        String script = """
                import json, struct, sys
                try:
                    import numpy as np
                except ImportError:
                    print("SKIP"); sys.exit(0)
                try:
                    from safetensors.numpy import load_file
                    t = load_file(sys.argv[1])
                except ImportError:
                    raw = open(sys.argv[1], "rb").read()
                    (n,) = struct.unpack("<Q", raw[:8])
                    h = json.loads(raw[8:8 + n])
                    t = {k: np.frombuffer(raw[8 + n + v["data_offsets"][0]:8 + n + v["data_offsets"][1]], dtype="<f4").reshape(v["shape"])
                         for k, v in h.items() if k != "__metadata__"}
                for k in sorted(t):
                    print(k, "x".join(str(d) for d in t[k].shape), repr(float(np.float64(t[k].astype(np.float64).sum()))))
                """;
        Path s = tmp.resolve("read.py");
        Files.writeString(s, script);
        Process p = new ProcessBuilder(py.toString(), s.toString(), f.toString()).redirectErrorStream(true).start();
        String outText = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), outText);
        if (outText.startsWith("SKIP")) {
            return;
        }
        for (Safetensors.Entry e : sample()) {
            double sum = 0;
            for (float v : e.data()) {
                sum += v;
            }
            String line = Arrays.stream(outText.split("\n")).filter(l -> l.startsWith(e.name() + " ")).findFirst().orElseThrow();
            String[] parts = line.split(" ");
            assertEquals(e.shape()[0] + "x" + e.shape()[1], parts[1], line);
            double got = Double.parseDouble(parts[2]);
            assertEquals(sum, got, Math.abs(sum) * 1e-12 + 1e-30, line);
        }
    }

    @Test
    void readerRefusesDamagedFiles() throws IOException {
        Path f = tmp.resolve("w.safetensors");
        Safetensors.write(f, sample(), Map.of());
        byte[] all = Files.readAllBytes(f);
        Files.write(f, Arrays.copyOf(all, all.length - 4));
        assertThrows(IOException.class, () -> Safetensors.read(f), "truncated data");
        byte[] badLen = all.clone();
        ByteBuffer.wrap(badLen).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 1L << 40);
        Files.write(f, badLen);
        assertThrows(IOException.class, () -> Safetensors.read(f), "header length past the end");
    }

    @Test
    void duplicateNamesAreRefused() {
        List<Safetensors.Entry> t = List.of(new Safetensors.Entry("a", new int[] {1, 1}, new float[1]),
                new Safetensors.Entry("a", new int[] {1, 1}, new float[1]));
        assertThrows(IllegalArgumentException.class, () -> Safetensors.write(tmp.resolve("d.safetensors"), t, Map.of()));
    }
}
