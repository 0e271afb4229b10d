package org.genzoo.service.api;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.genzoo.service.jobs.FleetJobService;
import org.genzoo.service.jobs.PostgresJobStore;

/**
 * {@code genzoo serve --store postgresql://...}: one node of a fleet ({@link FleetJobService}: the
 * shared PostgreSQL queue, the shared artifact folder, this node's workers) behind the same HTTP API
 * as {@link GenZooServer}. {@code /api/jobs} shows every node's jobs and {@code /api/workers} every
 * node's workers, both read from the store.
 */
public final class FleetServer extends ServiceServer<FleetJobService> {
    private FleetServer(Parts<FleetJobService> parts) {
        super(parts);
    }

    public static FleetServer start(FleetJobService.Config service, ApiConfig http, int kernelSampleEvery) throws IOException {
        return new FleetServer(start(http, kernelSampleEvery, metrics -> FleetJobService.start(service.withMetrics(metrics)),
                FleetServer::catalog, (jobs, spec) -> GenZooServer.report(jobs.dryRun(spec))));
    }

    /** This node's devices (for /api/devices and readiness) and every node's workers (for /api/workers). */
    static DeviceCatalog catalog(FleetJobService jobs) {
        return new DeviceCatalog() {
            @Override
            public List<Map<String, Object>> devices() {
                return deviceRows(jobs.devices(), jobs.workers());
            }

            @Override
            public List<Map<String, Object>> workers() {
                List<Map<String, Object>> out = new ArrayList<>();
                for (PostgresJobStore.WorkerRow r : jobs.fleetWorkers()) {
                    Map<String, Object> w = new LinkedHashMap<>();
                    w.put("node", r.node());
                    w.put("name", r.name());
                    w.put("device", r.device());
                    w.put("deviceType", r.deviceType());
                    w.put("jobId", r.jobId());
                    w.put("attempt", r.jobId() == null ? null : r.attempt());
                    w.put("lastHeartbeat", r.heartbeatAt().toString());
                    w.put("secondsSinceHeartbeat", r.secondsSinceHeartbeat());
                    out.add(w);
                }
                return out;
            }

            @Override
            public boolean anyUsable() {
                // An API-only node has no device of its own; the fleet is ready when some node's worker is alive.
                return !devices().isEmpty() || !jobs.fleetWorkers().isEmpty();
            }
        };
    }
}
