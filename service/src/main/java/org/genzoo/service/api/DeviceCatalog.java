package org.genzoo.service.api;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.genzoo.host.Bindings;
import org.genzoo.host.Device;
import org.genzoo.host.cl.ClApi;
import org.genzoo.host.cl.ClDeviceInfo;
import org.genzoo.host.cl.ClUnavailableException;
import org.genzoo.service.cli.DevicesCommand;

/** The devices the server reports at {@code /api/devices} and counts for {@code /health/ready}. */
public interface DeviceCatalog {
    /** One JSON object per device; each has a boolean "usable" and, when false, a "problem". */
    List<Map<String, Object>> devices();

    /**
     * The workers serving the queue ({@code GET /api/workers}): node, name, device, deviceType, jobId
     * (null when idle), attempt, lastHeartbeat. The default lists this process's workers from the
     * {@code worker} and {@code jobId} of its device rows; a fleet lists every node's from the store.
     */
    default List<Map<String, Object>> workers() {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Map<String, Object> d : devices()) {
            if (d.get("worker") == null) {
                continue;
            }
            Map<String, Object> w = new LinkedHashMap<>();
            w.put("node", org.genzoo.service.jobs.FleetJobService.hostName());
            w.put("name", d.get("worker"));
            w.put("device", d.get("device"));
            w.put("deviceType", d.get("type"));
            w.put("jobId", d.get("jobId"));
            w.put("lastHeartbeat", null);
            out.add(w);
        }
        return out;
    }

    default boolean anyUsable() {
        return devices().stream().anyMatch(d -> Boolean.TRUE.equals(d.get("usable")));
    }

    /**
     * The OpenCL devices of {@code binding} (null: GENZOO_BINDING or the default), probed once: a
     * device is usable when a context and a queue open on it. No OpenCL at all gives an empty list.
     */
    static DeviceCatalog openCl(String binding) {
        List<Map<String, Object>> rows = new ArrayList<>();
        ClApi api;
        try {
            api = Bindings.resolve(binding);
        } catch (ClUnavailableException | LinkageError e) {
            return List::of;
        }
        for (ClDeviceInfo info : api.devices()) {
            Map<String, Object> row = new LinkedHashMap<>(DevicesCommand.row(info));
            row.put("binding", api.name());
            try (Device d = Device.open(api, info)) {
                row.put("usable", true);
            } catch (RuntimeException e) {
                row.put("usable", false);
                row.put("problem", String.valueOf(e.getMessage()));
            }
            rows.add(row);
        }
        List<Map<String, Object>> fixed = List.copyOf(rows);
        return () -> fixed;
    }
}
