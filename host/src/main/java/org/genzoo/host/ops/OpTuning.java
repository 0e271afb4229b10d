package org.genzoo.host.ops;

import java.util.Locale;
import org.genzoo.host.Device;
import org.genzoo.host.Tuning;
import org.genzoo.host.WorkGroups;

/**
 * Typed reads of one op family's {@link Tuning} for the reduce, losses, rng and optim families:
 * the variant choices and sizes, each with a default derived from the device's type and limits.
 */
final class OpTuning {
    private final Tuning t;

    private OpTuning(Tuning t) {
        this.t = t;
    }

    static OpTuning of(Device d, String family) {
        return new OpTuning(d.tuning(family));
    }

    int getInt(String key, int deviceDefault) {
        return t.getInt(key, deviceDefault);
    }

    /** A power of two, else a clear error naming the key and the file. */
    int pow2(String key, int deviceDefault) {
        return WorkGroups.requirePow2(t, key, t.getInt(key, deviceDefault));
    }

    /** One of {@code allowed}, else a clear error naming the key and the file. */
    String choice(String key, String deviceDefault, String... allowed) {
        String v = t.get(key, deviceDefault).strip().toLowerCase(Locale.ROOT);
        for (String a : allowed) {
            if (a.equals(v)) {
                return v;
            }
        }
        throw new IllegalArgumentException("tuning " + t.family() + " (" + t.source() + "): " + key + "=" + v + " must be one of "
                + String.join(", ", allowed) + "; fix or delete that line");
    }

    /** The largest power of two no larger than {@code want} and the device's work-group limits along dimension 0. */
    static int pow2Cap(Device d, int want) {
        return WorkGroups.pow2(d, want, 0);
    }

    static boolean isCpu(Device d) {
        return d.info().type().toLowerCase(Locale.ROOT).contains("cpu");
    }

    /**
     * Float vector width for one work-item's lanes: on a CPU its SIMD width (16 where the device
     * name says AVX-512, as PoCL's does, else 8); elsewhere 1 (there work-items are the lanes).
     */
    static int defaultLanes(Device d) {
        if (!isCpu(d)) {
            return 1;
        }
        return d.info().name().toLowerCase(Locale.ROOT).contains("avx512") ? 16 : 8;
    }
}
