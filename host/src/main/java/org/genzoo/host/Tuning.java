package org.genzoo.host;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.genzoo.host.cl.ClDeviceInfo;

/**
 * The tunables of one op family on one device: kernel variant, {@code #define}s and launch shape.
 *
 * <p>Where a value comes from, first hit wins, per key:
 * <ol>
 * <li>the first matching section of {@code $GENZOO_TUNING_DIR/<family>.properties} (a tuner's
 * output, see {@code genzoo bench tune}; the system property {@code genzoo.tuning.dir} is read when
 * the variable is unset);</li>
 * <li>the first matching section of the packaged {@code kernels/tuning/<family>.properties};</li>
 * <li>the op's default derived from the device's limits (local memory, work-group sizes), passed
 * by the op to {@link #getInt(String, int)}.</li>
 * </ol>
 * A tuned section whose {@code VARIANT} differs from the packaged section's replaces that section
 * entirely (the packaged keys belong to the other variant).
 *
 * <p>File format: a section header in brackets lists {@code key=glob} conditions on the device,
 * separated by {@code ;}; keys are {@code type} (cpu, gpu, accelerator), {@code vendor}, {@code name},
 * {@code driver} and {@code platform}, globs use {@code *} and {@code ?} and match without regard to
 * case; a header {@code [*]} matches every device. Lines after it are {@code KEY=value}. Blank lines
 * and {@code #} comments are ignored. Example:
 *
 * <pre>
 * [type=gpu; vendor=*nvidia*]
 * VARIANT=gpu
 * TSM=128
 * </pre>
 */
public final class Tuning {
    /** Device properties a section may test. */
    public static final Set<String> MATCH_KEYS = Set.of("type", "vendor", "name", "driver", "platform");

    private final String family;
    private final Map<String, String> values;
    private final String source;

    private Tuning(String family, Map<String, String> values, String source) {
        this.family = family;
        this.values = Collections.unmodifiableMap(values);
        this.source = source;
    }

    /** One section of a tuning file: its device conditions and its values, in file order. */
    public record Section(Map<String, String> match, Map<String, String> values) {
        public boolean matches(ClDeviceInfo d) {
            for (Map.Entry<String, String> e : match.entrySet()) {
                if (!glob(e.getValue(), property(d, e.getKey()))) {
                    return false;
                }
            }
            return true;
        }

        /** The section's header line. */
        public String header() {
            if (match.isEmpty()) {
                return "[*]";
            }
            StringBuilder sb = new StringBuilder("[");
            for (Map.Entry<String, String> e : match.entrySet()) {
                if (sb.length() > 1) {
                    sb.append("; ");
                }
                sb.append(e.getKey()).append('=').append(e.getValue());
            }
            return sb.append(']').toString();
        }
    }

    /** Reads the tunables of {@code family} for {@code device} (tuning dir over packaged file). */
    public static Tuning load(String family, ClDeviceInfo device) {
        Map<String, String> merged = new LinkedHashMap<>();
        List<String> from = new ArrayList<>();
        Path dir = tuningDir();
        Path tuned = dir == null ? null : dir.resolve(family + ".properties");
        if (tuned != null && Files.isRegularFile(tuned)) {
            try (Reader r = Files.newBufferedReader(tuned, StandardCharsets.UTF_8)) {
                Section s = first(parse(r, tuned.toString()), device);
                if (s != null) {
                    merged.putAll(s.values());
                    from.add(tuned + " " + s.header());
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read tuning file " + tuned, e);
            }
        }
        String res = KernelSources.ROOT + "tuning/" + family + ".properties";
        try (InputStream in = Tuning.class.getResourceAsStream(res)) {
            if (in != null) {
                Section s = first(parse(new InputStreamReader(in, StandardCharsets.UTF_8), "kernels/tuning/" + family
                        + ".properties"), device);
                // A tuned section that picks another VARIANT replaces the packaged one: its keys belong to that variant.
                String tunedVariant = merged.get("VARIANT");
                if (s != null && tunedVariant != null && !tunedVariant.equalsIgnoreCase(s.values().getOrDefault("VARIANT",
                        tunedVariant))) {
                    s = null;
                }
                if (s != null) {
                    for (Map.Entry<String, String> e : s.values().entrySet()) {
                        merged.putIfAbsent(e.getKey(), e.getValue());
                    }
                    from.add("kernels/tuning/" + family + ".properties " + s.header());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read packaged tuning file " + res, e);
        }
        return new Tuning(family, merged, from.isEmpty() ? "device defaults" : String.join(" over ", from));
    }

    /**
     * The op families that have a tuning file: every {@code <family>.properties} in the packaged
     * {@code kernels/tuning/} folder (read from the jar or the classes folder the host classes came
     * from) and in the tuning dir, sorted. Derived from the files, so a new tuning file is listed
     * without touching code.
     */
    public static List<String> families() {
        java.util.TreeSet<String> out = new java.util.TreeSet<>();
        java.net.URL url = Tuning.class.getResource(KernelSources.ROOT + "tuning/");
        if (url == null) {
            throw new IllegalStateException("the packaged kernels/tuning/ folder is not on the classpath under " + KernelSources.ROOT);
        }
        try {
            if (url.getProtocol().equals("jar")) {
                String spec = url.toString();
                java.net.URI jar = java.net.URI.create(spec.substring(0, spec.indexOf("!/")));
                try (java.nio.file.FileSystem fs = java.nio.file.FileSystems.newFileSystem(jar, Map.of())) {
                    addFamilies(fs.getPath(KernelSources.ROOT + "tuning/"), out);
                } catch (java.nio.file.FileSystemAlreadyExistsException e) {
                    addFamilies(java.nio.file.FileSystems.getFileSystem(jar).getPath(KernelSources.ROOT + "tuning/"), out);
                }
            } else {
                addFamilies(Path.of(url.toURI()), out);
            }
            Path dir = tuningDir();
            if (dir != null && Files.isDirectory(dir)) {
                addFamilies(dir, out);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list the tuning files", e);
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException("cannot list the tuning files at " + url, e);
        }
        return List.copyOf(out);
    }

    private static void addFamilies(Path dir, java.util.Set<String> out) throws IOException {
        try (java.util.stream.Stream<Path> files = Files.list(dir)) {
            files.map(f -> f.getFileName().toString()).filter(n -> n.endsWith(".properties"))
                    .forEach(n -> out.add(n.substring(0, n.length() - ".properties".length())));
        }
    }

    /** $GENZOO_TUNING_DIR, else the system property genzoo.tuning.dir, else null. */
    public static Path tuningDir() {
        String dir = System.getenv("GENZOO_TUNING_DIR");
        if (dir == null || dir.isBlank()) {
            dir = System.getProperty("genzoo.tuning.dir");
        }
        return dir == null || dir.isBlank() ? null : Path.of(dir);
    }

    public String family() {
        return family;
    }

    /** Where the values came from: files and sections, or "device defaults". */
    public String source() {
        return source;
    }

    /** Every value a file gave (not the derived defaults). */
    public Map<String, String> values() {
        return values;
    }

    /** The file's value of {@code key}, else {@code deviceDefault}. */
    public String get(String key, String deviceDefault) {
        return values.getOrDefault(key, deviceDefault);
    }

    /** The file's integer value of {@code key}, else {@code deviceDefault}. */
    public int getInt(String key, int deviceDefault) {
        String v = values.get(key);
        if (v == null) {
            return deviceDefault;
        }
        try {
            return Integer.parseInt(v.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("tuning " + family + " (" + source + "): " + key + "=" + v
                    + " is not an integer; fix or delete that line");
        }
    }

    private static Section first(List<Section> sections, ClDeviceInfo device) {
        for (Section s : sections) {
            if (s.matches(device)) {
                return s;
            }
        }
        return null;
    }

    /** The device property a section key tests. */
    static String property(ClDeviceInfo d, String key) {
        return switch (key) {
            case "type" -> d.type();
            case "vendor" -> d.vendor();
            case "name" -> d.name();
            case "driver" -> d.driverVersion();
            case "platform" -> d.platformName();
            default -> throw new IllegalArgumentException("unknown tuning key " + key);
        };
    }

    /** Case-insensitive glob: {@code *} any run, {@code ?} one character. */
    static boolean glob(String pattern, String s) {
        StringBuilder re = new StringBuilder();
        for (char c : pattern.toLowerCase(Locale.ROOT).toCharArray()) {
            if (c == '*') {
                re.append(".*");
            } else if (c == '?') {
                re.append('.');
            } else {
                re.append(java.util.regex.Pattern.quote(String.valueOf(c)));
            }
        }
        return s != null && s.toLowerCase(Locale.ROOT).matches(re.toString());
    }

    /** Parses a tuning file; {@code where} names it in error messages. */
    public static List<Section> parse(Reader r, String where) throws IOException {
        List<Section> out = new ArrayList<>();
        Map<String, String> values = null;
        BufferedReader br = new BufferedReader(r);
        int no = 0;
        for (String line; (line = br.readLine()) != null; ) {
            no++;
            line = line.strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            if (line.startsWith("[")) {
                if (!line.endsWith("]")) {
                    throw new IllegalArgumentException(where + ":" + no + ": section header '" + line + "' has no closing ]");
                }
                Map<String, String> match = new LinkedHashMap<>();
                String body = line.substring(1, line.length() - 1).strip();
                if (!body.equals("*")) {
                    for (String cond : body.split(";")) {
                        int eq = cond.indexOf('=');
                        String key = eq < 0 ? "" : cond.substring(0, eq).strip().toLowerCase(Locale.ROOT);
                        if (!MATCH_KEYS.contains(key)) {
                            throw new IllegalArgumentException(where + ":" + no + ": condition '" + cond.strip()
                                    + "' is not key=glob with key one of " + MATCH_KEYS);
                        }
                        match.put(key, cond.substring(eq + 1).strip());
                    }
                }
                values = new LinkedHashMap<>();
                out.add(new Section(Collections.unmodifiableMap(match), values));
                continue;
            }
            int eq = line.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException(where + ":" + no + ": '" + line + "' is not KEY=value");
            }
            if (values == null) {
                throw new IllegalArgumentException(where + ":" + no + ": '" + line
                        + "' comes before any [device] section header");
            }
            values.put(line.substring(0, eq).strip(), line.substring(eq + 1).strip());
        }
        return out;
    }

    /** The header of a section that matches exactly this device (vendor, name and driver). */
    public static String exactHeader(ClDeviceInfo d) {
        return "[type=" + d.type() + "; vendor=" + escape(d.vendor()) + "; name=" + escape(d.name()) + "; driver="
                + escape(d.driverVersion()) + "]";
    }

    private static String escape(String s) {
        // ';', ']' and glob characters in a device string become '?', which matches them.
        return s.replaceAll("[;\\]\\[*?]", "?").strip();
    }

    @Override
    public String toString() {
        return family + " " + values + " from " + source;
    }
}
