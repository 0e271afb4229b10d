package org.genzoo.service.api;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.genzoo.service.jobs.DryRun;
import org.genzoo.service.jobs.LocalJobService;

/**
 * {@code genzoo serve} in one object: the local job service (SQLite store, one worker per device),
 * its meters, and the HTTP API in front of it. Refuses an exposed address without a token before
 * it opens anything.
 */
public final class GenZooServer extends ServiceServer<LocalJobService> {
    private GenZooServer(Parts<LocalJobService> parts) {
        super(parts);
    }

    /**
     * @param service           the job service's settings (its metrics listener is replaced by this server's meters)
     * @param http              address, port, token, body limit
     * @param kernelSampleEvery profile one kernel launch in this many; 0 turns kernel timing off
     */
    public static GenZooServer start(LocalJobService.Config service, ApiConfig http, int kernelSampleEvery) throws IOException {
        return new GenZooServer(start(http, kernelSampleEvery, metrics -> LocalJobService.start(service.withMetrics(metrics)),
                GenZooServer::catalog, (jobs, spec) -> report(jobs.dryRun(spec))));
    }

    /** The workers' devices (each opened by its worker, so usable) with what each worker runs now. */
    static DeviceCatalog catalog(LocalJobService jobs) {
        return () -> deviceRows(jobs.devices(), jobs.workers());
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
}
