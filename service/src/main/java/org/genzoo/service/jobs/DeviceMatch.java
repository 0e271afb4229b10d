package org.genzoo.service.jobs;

import java.util.List;
import java.util.Locale;
import org.genzoo.host.cl.ClDeviceInfo;

/**
 * Which devices a job's {@code "device"} selector accepts, for a service with several workers. The
 * selector is the one of {@link org.genzoo.host.DeviceSelector}, read as a set instead of one pick:
 * {@code auto} (or blank) accepts every device; a device class ({@code gpu}, {@code cpu},
 * {@code accelerator}) accepts every device of that type; {@code P:D} accepts that one device; any
 * other text accepts the devices whose name contains it (case-insensitive).
 */
public final class DeviceMatch {
    /** The device classes a selector may name. */
    public static final List<String> CLASSES = List.of("gpu", "cpu", "accelerator");

    private DeviceMatch() {
    }

    public static boolean accepts(String selector, ClDeviceInfo d) {
        String s = selector == null ? "auto" : selector.trim().toLowerCase(Locale.ROOT);
        if (s.isEmpty() || s.equals("auto")) {
            return true;
        }
        if (s.matches("\\d+:\\d+")) {
            return s.equals(d.selector());
        }
        if (CLASSES.contains(s)) {
            return s.equalsIgnoreCase(d.type());
        }
        return d.name().toLowerCase(Locale.ROOT).contains(s);
    }

    /** The devices of {@code devices} that {@code selector} accepts, in order. */
    public static List<ClDeviceInfo> filter(String selector, List<ClDeviceInfo> devices) {
        return devices.stream().filter(d -> accepts(selector, d)).toList();
    }
}
