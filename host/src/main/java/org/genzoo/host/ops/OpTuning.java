package org.genzoo.host.ops;

import java.util.Locale;
import java.util.Map;
import org.genzoo.host.Device;
import org.genzoo.host.Tuning;

/** Reads one op family's tunables for a device, with defaults derived from the device's limits. */
final class OpTuning {
    private final String family;
    private final Map<String, String> values;

    private OpTuning(String family, Map<String, String> values) {
        this.family = family;
        this.values = values;
    }

    static OpTuning of(Device d, String family) {
        return new OpTuning(family, Tuning.defines(family, d.info()));
    }

    String get(String key, String deviceDefault) {
        return values.getOrDefault(key, deviceDefault);
    }

    int getInt(String key, int deviceDefault) {
        String v = values.get(key);
        if (v == null) {
            return deviceDefault;
        }
        try {
            return Integer.parseInt(v.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("tuning " + family + ": " + key + "=" + v + " is not an integer");
        }
    }

    /** A power of two, else a clear error naming the key. */
    int pow2(String key, int deviceDefault) {
        int v = getInt(key, deviceDefault);
        if (v < 1 || Integer.bitCount(v) != 1) {
            throw new IllegalArgumentException("tuning " + family + ": " + key + "=" + v + " must be a positive power of two");
        }
        return v;
    }

    /** One of {@code allowed}, else a clear error naming the key. */
    String choice(String key, String deviceDefault, String... allowed) {
        String v = get(key, deviceDefault).strip().toLowerCase(Locale.ROOT);
        for (String a : allowed) {
            if (a.equals(v)) {
                return v;
            }
        }
        throw new IllegalArgumentException("tuning " + family + ": " + key + "=" + v + " must be one of " + String.join(", ", allowed));
    }

    /** The largest power of two no larger than {@code want} and the device's maximum work-group size. */
    static int pow2Cap(Device d, int want) {
        long cap = Math.min(want, d.info().maxWorkGroupSize());
        return Integer.highestOneBit((int) Math.max(1, cap));
    }

    static boolean isCpu(Device d) {
        return d.info().type().toLowerCase(Locale.ROOT).contains("cpu");
    }

    /**
     * Float vector width for one work-item's lanes on this device: on a CPU the SIMD width (16 where
     * the device name says AVX-512, as PoCL's does, else 8); on other devices 1 (work-items are the lanes).
     */
    static int defaultLanes(Device d) {
        if (!isCpu(d)) {
            return 1;
        }
        return d.info().name().toLowerCase(Locale.ROOT).contains("avx512") ? 16 : 8;
    }
}
