package org.genzoo.service.api;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.genzoo.host.cl.ClDeviceInfo;
import org.genzoo.service.cli.DevicesCommand;
import org.genzoo.service.jobs.JobService;
import org.genzoo.service.jobs.JobState;
import org.genzoo.service.jobs.WorkerPool;
import org.genzoo.service.metrics.GenZooMetrics;
import org.genzoo.service.metrics.Registries;

/**
 * What {@link GenZooServer} and {@link FleetServer} share: a job service, its meters (JVM binders and
 * {@link GenZooMetrics} on one Prometheus registry) and the HTTP API in front of it, started in that
 * order and closed in reverse.
 *
 * @param <J> the job service
 */
abstract class ServiceServer<J extends JobService> implements AutoCloseable {
    private final J jobs;
    private final ApiServer api;
    private final AutoCloseable jvmMetrics;

    ServiceServer(Parts<J> parts) {
        this.jobs = parts.jobs();
        this.api = parts.api();
        this.jvmMetrics = parts.jvmMetrics();
    }

    /** A started service with its API and meters. */
    record Parts<J>(J jobs, ApiServer api, AutoCloseable jvmMetrics) {
    }

    /** How a server opens its job service, given the meters to report to. */
    interface Opener<J> {
        J open(GenZooMetrics metrics) throws IOException;
    }

    /** How the API answers a dry run. */
    interface DryRunner<J> {
        Map<String, Object> answer(J jobs, String spec) throws IOException;
    }

    /**
     * Refuses an exposed address without a token, binds the meters, opens the job service with them and
     * starts the API; closes the job service when the API does not start.
     */
    static <J extends JobService> Parts<J> start(ApiConfig http, int kernelSampleEvery, Opener<J> opener,
            Function<J, DeviceCatalog> catalog, DryRunner<J> dryRun) throws IOException {
        http.checkExposure();
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        AutoCloseable jvm = Registries.bindJvm(registry);
        AtomicReference<J> ref = new AtomicReference<>();
        GenZooMetrics metrics = new GenZooMetrics(() -> {
            J s = ref.get();
            return s == null ? Map.<JobState, Long>of() : s.counts();
        }, kernelSampleEvery);
        metrics.bindTo(registry);
        J jobs = opener.open(metrics);
        ref.set(jobs);
        try {
            ApiServer api = new ApiServer(jobs, catalog.apply(jobs), registry, http, spec -> dryRun.answer(jobs, spec)).start();
            return new Parts<>(jobs, api, jvm);
        } catch (RuntimeException | Error e) {
            jobs.close();
            throw e;
        }
    }

    /** One row per worker's device (each opened by its worker, so usable) with what the worker runs now. */
    static List<Map<String, Object>> deviceRows(List<ClDeviceInfo> devices, List<WorkerPool.WorkerStatus> workers) {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (int i = 0; i < devices.size(); i++) {
            Map<String, Object> row = new LinkedHashMap<>(DevicesCommand.row(devices.get(i)));
            row.put("usable", true);
            if (i < workers.size()) {
                WorkerPool.WorkerStatus w = workers.get(i);
                row.put("worker", w.name());
                row.put("jobId", w.jobId());
                row.put("allocatedBytes", w.deviceAllocatedBytes());
            }
            rows.add(row);
        }
        return rows;
    }

    public J jobs() {
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
