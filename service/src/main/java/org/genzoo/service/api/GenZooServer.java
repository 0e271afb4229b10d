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
import org.genzoo.service.jobs.DryRun;
import org.genzoo.service.jobs.JobState;
import org.genzoo.service.jobs.LocalJobService;
import org.genzoo.service.jobs.WorkerPool;
import org.genzoo.service.metrics.GenZooMetrics;
import org.genzoo.service.metrics.Registries;

/**
 * {@code genzoo serve} in one object: the local job service (SQLite store, one worker per device),
 * its meters, and the HTTP API in front of it. Refuses an exposed address without a token before
 * it opens anything.
 */
public final class GenZooServer implements AutoCloseable {
    private final LocalJobService jobs;
    private final ApiServer api;
    private final AutoCloseable jvmMetrics;

    private GenZooServer(LocalJobService jobs, ApiServer api, AutoCloseable jvmMetrics) {
        this.jobs = jobs;
        this.api = api;
        this.jvmMetrics = jvmMetrics;
    }

    /**
     * @param service           the job service's settings (its metrics listener is replaced by this server's meters)
     * @param http              address, port, token, body limit
     * @param kernelSampleEvery profile one kernel launch in this many; 0 turns kernel timing off
     */
    public static GenZooServer start(LocalJobService.Config service, ApiConfig http, int kernelSampleEvery) throws IOException {
        http.checkExposure();
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        AutoCloseable jvm = Registries.bindJvm(registry);
        AtomicReference<LocalJobService> ref = new AtomicReference<>();
        GenZooMetrics metrics = new GenZooMetrics(() -> {
            LocalJobService s = ref.get();
            return s == null ? Map.<JobState, Long>of() : s.counts();
        }, kernelSampleEvery);
        metrics.bindTo(registry);
        LocalJobService jobs = LocalJobService.start(service.withMetrics(metrics));
        ref.set(jobs);
        try {
            ApiServer api = new ApiServer(jobs, catalog(jobs), registry, http, spec -> report(jobs.dryRun(spec))).start();
            return new GenZooServer(jobs, api, jvm);
        } catch (RuntimeException | Error e) {
            jobs.close();
            throw e;
        }
    }

    /** The workers' devices (each opened by its worker, so usable) with what each worker runs now. */
    static DeviceCatalog catalog(LocalJobService jobs) {
        return () -> {
            List<Map<String, Object>> rows = new ArrayList<>();
            List<WorkerPool.WorkerStatus> workers = jobs.workers();
            List<ClDeviceInfo> devices = jobs.devices();
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
        };
    }

    static Map<String, Object> report(DryRun.Plan p) {
        p.requireFits();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("valid", true);
        m.put("device", p.device() == null ? null : p.device().name());
        m.put("dataset", p.dataName());
        Map<String, Object> splits = new LinkedHashMap<>();
        splits.put("train", p.splitSizes()[0]);
        splits.put("validation", p.splitSizes()[1]);
        splits.put("test", p.splitSizes()[2]);
        m.put("splits", splits);
        m.put("trainExamples", p.trainExamples());
        m.put("dataDim", p.dataDim());
        m.put("modelBytes", p.modelBytes());
        m.put("dataBytes", p.dataBytes());
        m.put("totalBytes", p.totalBytes());
        m.put("hostBytes", p.hostBytes());
        m.put("hostMemoryBytes", DryRun.hostMemoryBytes());
        m.put("summary", p.describe());
        m.put("spec", p.spec().toJson());
        return m;
    }

    public LocalJobService jobs() {
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
