package org.genzoo.service.bench;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.jar.Manifest;
import org.genzoo.host.Device;
import org.genzoo.host.Tuning;
import org.genzoo.host.cl.ClDeviceInfo;

/**
 * Where a benchmark figure comes from, stored in every benchmark JSON so results from different
 * machines can be compared (`genzoo bench compare`): the device and its driver, the binding, the
 * JVM, the commit the jar was built from (GenZoo-Commit in the jar's manifest), the kernel
 * tuning defines in force for this device, and the date.
 */
final class Provenance {
    private Provenance() {
    }

    static Map<String, Object> of(Device dev) {
        ClDeviceInfo d = dev.info();
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("device", d.name());
        p.put("vendor", d.vendor());
        p.put("type", d.type());
        p.put("platform", d.platformName() + " " + d.platformVersion());
        p.put("driver", d.driverVersion());
        p.put("computeUnits", d.computeUnits());
        p.put("maxClockMhz", d.maxClockMhz());
        p.put("binding", dev.api().name());
        p.put("jvm", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
        p.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"));
        p.put("hostCpus", Runtime.getRuntime().availableProcessors());
        Map<String, String> build = build();
        p.put("commit", build.getOrDefault("commit", "unknown"));
        Map<String, Object> defines = new LinkedHashMap<>();
        for (String family : Tuning.families()) { // every kernels/tuning/*.properties (and tuned) file
            Tuning t = dev.tuning(family);
            if (!t.values().isEmpty()) {
                defines.put(family, Map.of("source", t.source(), "values", t.values()));
            }
        }
        p.put("tuningDir", String.valueOf(Tuning.tuningDir()));
        p.put("defines", defines);
        p.put("date", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
        return p;
    }

    /** GenZoo-Commit from the manifest of the jar this class was loaded from, if any. */
    static Map<String, String> build() {
        Map<String, String> out = new LinkedHashMap<>();
        try {
            Enumeration<URL> urls = Provenance.class.getClassLoader().getResources("META-INF/MANIFEST.MF");
            while (urls.hasMoreElements()) {
                try (InputStream in = urls.nextElement().openStream()) {
                    Manifest m = new Manifest(in);
                    String commit = m.getMainAttributes().getValue("GenZoo-Commit");
                    if (commit != null && !commit.isBlank() && !commit.startsWith("${")) {
                        out.put("commit", commit);
                        return out;
                    }
                }
            }
        } catch (IOException e) {
            out.put("commit", "unreadable manifest: " + e.getMessage());
        }
        return out;
    }
}
