package org.genzoo.service.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.genzoo.host.Bindings;
import org.genzoo.host.cl.ClApi;
import org.genzoo.host.cl.ClDeviceInfo;
import org.genzoo.host.cl.ClUnavailableException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code genzoo devices}: one row per OpenCL device. */
@Command(name = "devices", mixinStandardHelpOptions = true, description = "List the OpenCL devices this machine has.")
public final class DevicesCommand implements Callable<Integer> {
    @Option(names = "--binding", description = "OpenCL binding: jocl (default) or lwjgl; else GENZOO_BINDING.")
    String binding;

    @Option(names = "--output", paramLabel = "FORMAT", description = "text (default) or json (for scripts), as in the other commands.")
    ClientCommand.Format output = ClientCommand.Format.text;

    @Option(names = "--json", description = "Same as --output json.")
    boolean json;

    @Spec
    CommandSpec spec;

    /** One device as printed: the columns in order. */
    public static Map<String, Object> row(ClDeviceInfo d) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("selector", d.selector());
        m.put("platform", d.platformName());
        m.put("device", d.name());
        m.put("vendor", d.vendor());
        m.put("type", d.type());
        m.put("driver", d.driverVersion());
        m.put("openclC", d.openclCVersion());
        m.put("computeUnits", d.computeUnits());
        m.put("maxClockMHz", d.maxClockMhz());
        m.put("globalMemBytes", d.globalMemBytes());
        m.put("localMemBytes", d.localMemBytes());
        m.put("maxWorkGroupSize", d.maxWorkGroupSize());
        m.put("fp64", d.fp64());
        return m;
    }

    @Override
    public Integer call() throws Exception {
        ClApi api = Bindings.resolve(binding);
        List<ClDeviceInfo> devices = api.devices();
        PrintWriter out = spec.commandLine().getOut();
        if (devices.isEmpty()) {
            throw new ClUnavailableException(ClUnavailableException.INSTALL_HINT);
        }
        List<Map<String, Object>> rows = new ArrayList<>();
        for (ClDeviceInfo d : devices) {
            rows.add(row(d));
        }
        if (json || output == ClientCommand.Format.json) {
            Map<String, Object> doc = new LinkedHashMap<>();
            doc.put("binding", api.name());
            doc.put("devices", rows);
            out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(doc));
        } else {
            out.println("binding: " + api.name());
            out.print(Table.render(List.of("sel", "platform", "device", "vendor", "type", "driver", "OpenCL C", "CUs", "MHz",
                    "global", "local", "max WG", "fp64"), rows.stream().map(r -> List.of(
                    str(r.get("selector")), str(r.get("platform")), str(r.get("device")), str(r.get("vendor")),
                    str(r.get("type")), str(r.get("driver")), str(r.get("openclC")), str(r.get("computeUnits")),
                    str(r.get("maxClockMHz")), Table.bytes((Long) r.get("globalMemBytes")),
                    Table.bytes((Long) r.get("localMemBytes")), str(r.get("maxWorkGroupSize")),
                    (Boolean) r.get("fp64") ? "yes" : "no")).toList()));
        }
        out.flush();
        return ExitCodes.OK;
    }

    private static String str(Object o) {
        return String.valueOf(o);
    }
}
