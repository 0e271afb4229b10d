package org.genzoo.service.api;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.genzoo.host.cl.ClDeviceInfo;
import org.genzoo.service.cli.DevicesCommand;
import org.genzoo.service.jobs.FleetJobService;
import org.genzoo.service.jobs.JobState;
import org.genzoo.service.jobs.PostgresJobStore;
import org.genzoo.service.jobs.WorkerPool;
import org.genzoo.service.metrics.GenZooMetrics;
import org.genzoo.service.metrics.Registries;

/**
 * {@code genzoo serve --store postgresql://...}: one node of a fleet ({@link FleetJobService}: the
 * shared PostgreSQL queue, the shared artifact folder, this node's workers) behind the same HTTP API
 * as {@link GenZooServer}. {@code /api/jobs} shows every node's jobs and {@code /api/workers} every
 * node's workers, both read from the store.
 */
public final class FleetServer implements AutoCloseable {
    private final FleetJobService jobs;
    private final ApiServer api;
    private final AutoCloseable jvmMetrics;

    private FleetServer(FleetJobService jobs, ApiServer api, AutoCloseable jvmMetrics) {
        this.jobs = jobs;
        this.api = api;
        this.jvmMetrics = jvmMetrics;
    }

    public static FleetServer start(FleetJobService.Config service, ApiConfig http, int kernelSampleEvery) throws IOException {
        http.checkExposure();
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        AutoCloseable jvm = Registries.bindJvm(registry);
        AtomicReference<FleetJobService> ref = new AtomicReference<>();
        GenZooMetrics metrics = new GenZooMetrics(() -> {
            FleetJobService s = ref.get();
            return s == null ? Map.<JobState, Long>of() : s.counts();
        }, kernelSampleEvery);
        metrics.bindTo(registry);
        FleetJobService jobs = FleetJobService.start(service.withMetrics(metrics));
        ref.set(jobs);
        try {
            ApiServer api = new ApiServer(jobs, catalog(jobs), registry, http, spec -> GenZooServer.report(jobs.dryRun(spec))).start();
            return new FleetServer(jobs, api, jvm);
        } catch (RuntimeException | Error e) {
            jobs.close();
            throw e;
        }
    }

    /** This node's devices (for /api/devices and readiness) and every node's workers (for /api/workers). */
    static DeviceCatalog catalog(FleetJobService jobs) {
        return new DeviceCatalog() {
            @Override
            public List<Map<String, Object>> devices() {
                List<Map<String, Object>> rows = new ArrayList<>();
                List<WorkerPool.WorkerStatus> workers = jobs.workers();
                List<ClDeviceInfo> devices = jobs.devices();
                for (int i = 0; i < devices.size(); i++) {
                    Map<String, Object> row = new LinkedHashMap<>(DevicesCommand.row(devices.get(i)));
                    row.put("usable", true);
                    WorkerPool.WorkerStatus w = workers.get(i);
                    row.put("worker", w.name());
                    row.put("jobId", w.jobId());
                    row.put("allocatedBytes", w.deviceAllocatedBytes());
                    rows.add(row);
                }
                return rows;
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

    public FleetJobService jobs() {
        return jobs;
    }

    public ApiServer api() {
        return api;
    }

    public String baseUrl() {
        return api.baseUrl();
    }

    @Override
    public void close() {
        try {
            api.close();
        } finally {
            try {
                jobs.close();
            } finally {
                try {
                    jvmMetrics.close();
                } catch (Exception e) {
                    throw new IllegalStateException("closing the JVM GC meters failed", e);
                }
            }
        }
    }
}
