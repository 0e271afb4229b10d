package org.genzoo.service.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.genzoo.host.Bindings;
import org.genzoo.host.Device;
import org.genzoo.host.DeviceBuffer;
import org.genzoo.host.DeviceSelector;
import org.genzoo.host.Kernel;
import org.genzoo.host.cl.ClApi;
import org.genzoo.host.cl.ClDeviceInfo;
import org.genzoo.service.cli.ExitCodes;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code genzoo bench launch}: the host-side cost of one kernel launch. Times (wall clock, on the
 * host) enqueueing an empty kernel and waiting for it with clFinish, after a warm-up, for each
 * binding; reports the median and percentiles. This is the fixed cost per launch, so it is the one
 * number here that must come from the host clock rather than a profiling event.
 */
@Command(name = "launch", mixinStandardHelpOptions = true, description = "Median host cost of launch + wait of an empty kernel, per binding.")
public final class LaunchBench implements Callable<Integer> {
    @Option(names = "--binding", description = "Only this binding (default: every binding).")
    String binding;

    @Option(names = {"-d", "--device"}, description = "Device selector (default GENZOO_DEVICE or auto).")
    String device;

    @Option(names = "--launches", defaultValue = "1000", description = "Timed launches (default ${DEFAULT-VALUE}).")
    int launches;

    @Option(names = "--warmup", defaultValue = "200", description = "Untimed launches first (default ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--json", description = "Print JSON.")
    boolean json;

    @Spec
    CommandSpec spec;

    /** Median, p10 and p90 in microseconds of {@code launches} empty launch+wait round trips. */
    public static double[] measure(Device dev, int warmup, int launches) {
        try (DeviceBuffer scratch = dev.allocate(64)) {
            Kernel k = dev.kernel("runtime.cl", "empty").args(scratch);
            long[] g = {1};
            long[] l = {1};
            for (int i = 0; i < warmup; i++) {
                dev.launch(k, g, l);
                dev.finish();
            }
            long[] t = new long[launches];
            for (int i = 0; i < launches; i++) {
                long t0 = System.nanoTime();
                dev.launch(k, g, l);
                dev.finish();
                t[i] = System.nanoTime() - t0;
            }
            Arrays.sort(t);
            return new double[] {t[launches / 2] / 1e3, t[launches / 10] / 1e3, t[launches * 9 / 10] / 1e3};
        }
    }

    @Override
    public Integer call() throws Exception {
        if (launches < 10) {
            throw new IllegalArgumentException("--launches must be at least 10, got " + launches);
        }
        List<String> names = binding == null ? Bindings.NAMES : List.of(binding);
        List<Map<String, Object>> rows = new ArrayList<>();
        PrintWriter out = spec.commandLine().getOut();
        for (String b : names) {
            ClApi api = Bindings.load(b);
            ClDeviceInfo info = DeviceSelector.select(api.devices(), DeviceSelector.fromOptionOrEnv(device));
            try (Device dev = Device.open(api, info)) {
                double[] r = measure(dev, warmup, launches);
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("binding", b);
                row.put("device", info.name());
                row.put("launches", launches);
                row.put("medianMicros", r[0]);
                row.put("p10Micros", r[1]);
                row.put("p90Micros", r[2]);
                rows.add(row);
                if (!json) {
                    out.printf(Locale.ROOT, "%-6s %-40s launch+wait of an empty kernel: median %.1f us (p10 %.1f, p90 %.1f) over %d launches%n",
                            b, info.name(), r[0], r[1], r[2], launches);
                    out.flush();
                }
            }
        }
        if (json) {
            out.println(new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(rows));
        }
        out.flush();
        return ExitCodes.OK;
    }
}
