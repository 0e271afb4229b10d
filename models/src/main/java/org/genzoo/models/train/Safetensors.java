package org.genzoo.models.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The safetensors format (huggingface/safetensors), float32 only, so checkpoints load in Python
 * with {@code safetensors.numpy.load_file}:
 * <pre>
 * u64 little-endian N | N bytes of UTF-8 JSON header, padded with spaces to a multiple of 8 |
 * the tensors' bytes, little-endian, back to back in header order
 * header: {"__metadata__": {"k": "v", ...}, "name": {"dtype": "F32", "shape": [r, c], "data_offsets": [begin, end]}, ...}
 * </pre>
 * Offsets count from the start of the data section; the tensors cover it without gaps or overlap.
 * Files are written with {@link AtomicFiles} (temp, fsync, rename).
 */
public final class Safetensors {
    /** Header sizes above this are refused when reading (the reference implementation uses 100 MB). */
    static final long MAX_HEADER_BYTES = 100L << 20;

    private Safetensors() {
    }

    /** One named tensor: shape and row-major values. */
    public record Entry(String name, int[] shape, float[] data) {
        public Entry {
            long n = 1;
            for (int s : shape) {
                if (s < 0) {
                    throw new IllegalArgumentException(name + ": negative dimension in " + Arrays.toString(shape));
                }
                n *= s;
            }
            if (n != data.length) {
                throw new IllegalArgumentException(name + ": shape " + Arrays.toString(shape) + " needs " + n + " values, got "
                        + data.length);
            }
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Entry e && e.name.equals(name) && Arrays.equals(e.shape, shape)
                    && Arrays.equals(e.data, data);
        }

        @Override
        public int hashCode() {
            return name.hashCode() * 31 + Arrays.hashCode(shape);
        }

        @Override
        public String toString() {
            return name + " " + Arrays.toString(shape);
        }
    }

    /** A file's tensors in data order, and its metadata. */
    public record Contents(List<Entry> tensors, Map<String, String> metadata) {
        public Entry get(String name) {
            for (Entry e : tensors) {
                if (e.name().equals(name)) {
                    return e;
                }
            }
            throw new IllegalArgumentException("no tensor '" + name + "' (have " + tensors + ")");
        }
    }

    /** The header bytes (JSON padded with spaces to a multiple of 8) for these tensors. */
    static byte[] header(List<Entry> tensors, Map<String, String> metadata) {
        ObjectNode h = JsonNodeFactory.instance.objectNode();
        if (!metadata.isEmpty()) {
            ObjectNode m = h.putObject("__metadata__");
            metadata.forEach(m::put);
        }
        Set<String> names = new HashSet<>();
        long offset = 0;
        for (Entry e : tensors) {
            if (e.name().equals("__metadata__") || !names.add(e.name())) {
                throw new IllegalArgumentException("tensor name '" + e.name() + "' is reserved or given twice");
            }
            ObjectNode t = h.putObject(e.name());
            t.put("dtype", "F32");
            var shape = t.putArray("shape");
            for (int s : e.shape()) {
                shape.add(s);
            }
            long end = offset + 4L * e.data().length;
            t.putArray("data_offsets").add(offset).add(end);
            offset = end;
        }
        byte[] json = h.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        byte[] out = Arrays.copyOf(json, padded);
        Arrays.fill(out, json.length, padded, (byte) ' ');
        return out;
    }

    /** Writes atomically (temp, fsync, rename). */
    public static void write(Path file, List<Entry> tensors, Map<String, String> metadata) throws IOException {
        AtomicFiles.write(file, ch -> writeTo(ch, tensors, metadata));
    }

    /** Writes the whole file into an open channel. */
    public static void writeTo(FileChannel ch, List<Entry> tensors, Map<String, String> metadata) throws IOException {
        byte[] header = header(tensors, metadata);
        ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length);
        len.flip();
        AtomicFiles.writeFully(ch, len);
        AtomicFiles.writeFully(ch, ByteBuffer.wrap(header));
        ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
        for (Entry e : tensors) {
            for (float v : e.data()) {
                if (buf.remaining() < 4) {
                    buf.flip();
                    AtomicFiles.writeFully(ch, buf);
                    buf.clear();
                }
                buf.putFloat(v);
            }
        }
        buf.flip();
        AtomicFiles.writeFully(ch, buf);
    }

    /** Reads and checks a file: header size, dtypes, shapes against offsets, offsets contiguous and covering the data. */
    public static Contents read(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            ByteBuffer lenBuf = readExactly(ch, 0, 8, file);
            long n = lenBuf.order(ByteOrder.LITTLE_ENDIAN).getLong();
            if (n <= 0 || n > MAX_HEADER_BYTES || 8 + n > size) {
                throw new IOException(file + ": header length " + n + " does not fit a file of " + size + " bytes");
            }
            ByteBuffer hb = readExactly(ch, 8, (int) n, file);
            JsonNode h = JobSpec.mapper().readTree(StandardCharsets.UTF_8.decode(hb).toString());
            if (h == null || !h.isObject()) {
                throw new IOException(file + ": header is not a JSON object");
            }
            long dataStart = 8 + n;
            long dataBytes = size - dataStart;
            Map<String, String> meta = new LinkedHashMap<>();
            record Raw(String name, int[] shape, long begin, long end) {
            }
            List<Raw> raws = new ArrayList<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = h.fields(); it.hasNext();) {
                Map.Entry<String, JsonNode> f = it.next();
                if (f.getKey().equals("__metadata__")) {
                    f.getValue().fields().forEachRemaining(m -> meta.put(m.getKey(), m.getValue().asText()));
                    continue;
                }
                JsonNode t = f.getValue();
                if (!"F32".equals(t.path("dtype").asText())) {
                    throw new IOException(file + ": tensor " + f.getKey() + " has dtype " + t.path("dtype") + "; only F32 is read");
                }
                JsonNode sh = t.path("shape");
                int[] shape = new int[sh.size()];
                for (int i = 0; i < shape.length; i++) {
                    shape[i] = sh.get(i).asInt();
                }
                JsonNode off = t.path("data_offsets");
                if (off.size() != 2) {
                    throw new IOException(file + ": tensor " + f.getKey() + " lacks data_offsets");
                }
                raws.add(new Raw(f.getKey(), shape, off.get(0).asLong(), off.get(1).asLong()));
            }
            raws.sort((a, b) -> Long.compare(a.begin(), b.begin()));
            long expect = 0;
            List<Entry> out = new ArrayList<>();
            for (Raw r : raws) {
                long count = 1;
                for (int s : r.shape()) {
                    count *= s;
                }
                if (r.begin() != expect || r.end() - r.begin() != 4 * count || r.end() > dataBytes) {
                    throw new IOException(file + ": tensor " + r.name() + " at [" + r.begin() + ", " + r.end() + ") with shape "
                            + Arrays.toString(r.shape()) + " does not follow the previous one at " + expect
                            + " or overruns the " + dataBytes + " data bytes");
                }
                ByteBuffer b = readExactly(ch, dataStart + r.begin(), (int) (r.end() - r.begin()), file);
                float[] v = new float[(int) count];
                b.order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v);
                out.add(new Entry(r.name(), r.shape(), v));
                expect = r.end();
            }
            if (expect != dataBytes) {
                throw new IOException(file + ": tensors cover " + expect + " of " + dataBytes + " data bytes");
            }
            return new Contents(Collections.unmodifiableList(out), Collections.unmodifiableMap(meta));
        }
    }

    private static ByteBuffer readExactly(FileChannel ch, long pos, int n, Path file) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(n);
        while (b.hasRemaining()) {
            int r = ch.read(b, pos + b.position());
            if (r < 0) {
                throw new IOException(file + ": ends before byte " + (pos + n));
            }
        }
        b.flip();
        return b;
    }
}
