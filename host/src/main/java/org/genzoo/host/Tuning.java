package org.genzoo.host;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

import org.genzoo.host.cl.ClDeviceInfo;

/**
 * Per-device kernel tunables. A tuning file {@code kernels/tuning/<family>.properties} holds lines
 * {@code <device-pattern>.<DEFINE>=<value>}; the pattern is matched against
 * "type:lower-case device name" with {@code *} as wildcard (e.g. {@code cpu:pthread-*} or
 * {@code gpu:*h100*}). The first pattern (in file order) that matches supplies the defines; none
 * matching means the kernel's own {@code #ifndef} defaults. A file of the same name in
 * {@code $GENZOO_TUNING_DIR} (written by a tuner) overrides the packaged one.
 */
public final class Tuning {
    private Tuning() {
    }

    public static Map<String, String> defines(String family, ClDeviceInfo device) {
        Map<String, Map<String, String>> sections = load(family);
        String subject = device.type() + ":" + device.name().toLowerCase(Locale.ROOT);
        for (Map.Entry<String, Map<String, String>> e : sections.entrySet()) {
            if (glob(e.getKey(), subject)) {
                return e.getValue();
            }
        }
        return Map.of();
    }

    static boolean glob(String pattern, String s) {
        String regex = ("\\Q" + pattern.toLowerCase(Locale.ROOT) + "\\E").replace("*", "\\E.*\\Q");
        return s.matches(regex);
    }

    private static Map<String, Map<String, String>> load(String family) {
        String name = family + ".properties";
        String dir = System.getenv("GENZOO_TUNING_DIR");
        try {
            if (dir != null && !dir.isBlank() && Files.isRegularFile(Path.of(dir, name))) {
                try (Reader r = Files.newBufferedReader(Path.of(dir, name))) {
                    return parse(r);
                }
            }
            try (InputStream in = Tuning.class.getResourceAsStream(KernelSources.ROOT + "tuning/" + name)) {
                if (in == null) {
                    return Map.of();
                }
                return parse(new java.io.InputStreamReader(in, StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read tuning file " + name, e);
        }
    }

    private static Map<String, Map<String, String>> parse(Reader r) throws IOException {
        Map<String, Map<String, String>> sections = new LinkedHashMap<>();
        java.io.BufferedReader br = new java.io.BufferedReader(r);
        for (String line; (line = br.readLine()) != null; ) {
            line = line.strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int eq = line.indexOf('=');
            int dot = eq < 0 ? -1 : line.lastIndexOf('.', eq);
            if (eq < 0 || dot < 0) {
                throw new IllegalArgumentException("tuning line '" + line + "' is not <device-pattern>.<DEFINE>=<value>");
            }
            sections.computeIfAbsent(line.substring(0, dot).strip(), k -> new LinkedHashMap<>())
                    .put(line.substring(dot + 1, eq).strip(), line.substring(eq + 1).strip());
        }
        return sections;
    }

}
