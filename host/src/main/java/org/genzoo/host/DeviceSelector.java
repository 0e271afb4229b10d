package org.genzoo.host;

import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import org.genzoo.host.cl.ClDeviceInfo;
import org.genzoo.host.cl.ClUnavailableException;

/**
 * Picks a device from a selector: {@code auto} (the GPU with most compute units x clock, else the
 * first CPU, else the first device), {@code P:D} (platform P, device D), a type ({@code gpu},
 * {@code cpu}, {@code accelerator}) or a case-insensitive substring of the device name.
 */
public final class DeviceSelector {
    private DeviceSelector() {
    }

    public static final String ENV = "GENZOO_DEVICE";

    /** The selector from an option, else GENZOO_DEVICE, else "auto". */
    public static String fromOptionOrEnv(String option) {
        if (option != null && !option.isBlank()) {
            return option.trim();
        }
        String env = System.getenv(ENV);
        return env == null || env.isBlank() ? "auto" : env.trim();
    }

    public static ClDeviceInfo select(List<ClDeviceInfo> devices, String selector) {
        if (devices.isEmpty()) {
            throw new ClUnavailableException(ClUnavailableException.INSTALL_HINT);
        }
        String s = selector == null ? "auto" : selector.trim().toLowerCase(Locale.ROOT);
        if (s.isEmpty() || s.equals("auto")) {
            return devices.stream().filter(d -> d.type().equals("gpu"))
                    .max(Comparator.comparingLong(ClDeviceInfo::throughputScore))
                    .or(() -> devices.stream().filter(d -> d.type().equals("cpu")).findFirst())
                    .orElse(devices.get(0));
        }
        if (s.matches("\\d+:\\d+")) {
            String[] pd = s.split(":");
            int p = Integer.parseInt(pd[0]);
            int d = Integer.parseInt(pd[1]);
            return devices.stream().filter(x -> x.platformIndex() == p && x.deviceIndex() == d).findFirst()
                    .orElseThrow(() -> unknown(devices, selector));
        }
        if (s.equals("gpu") || s.equals("cpu") || s.equals("accelerator")) {
            return devices.stream().filter(d -> d.type().equals(s))
                    .max(Comparator.comparingLong(ClDeviceInfo::throughputScore))
                    .orElseThrow(() -> unknown(devices, selector));
        }
        return devices.stream().filter(d -> d.name().toLowerCase(Locale.ROOT).contains(s)).findFirst()
                .orElseThrow(() -> unknown(devices, selector));
    }

    private static IllegalArgumentException unknown(List<ClDeviceInfo> devices, String selector) {
        String list = devices.stream().map(d -> "  " + d).collect(Collectors.joining("\n"));
        return new IllegalArgumentException("no OpenCL device matches '" + selector
                + "'. Use auto, gpu, cpu, accelerator, P:D or part of a device name. Available devices:\n" + list);
    }
}
