package org.genzoo.service.jobs;

import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.genzoo.host.Bindings;
import org.genzoo.host.Device;
import org.genzoo.host.cl.ClDeviceInfo;
import org.genzoo.models.train.JobSpec;
import org.genzoo.models.train.ModelFamilies;
import org.genzoo.models.train.ModelFamily;
import org.genzoo.models.train.Trainer;

/**
 * One node of a fleet: a {@link PostgresJobStore} shared by every node, a {@link MountedArtifactStore},
 * and this node's {@link FleetWorkerPool} (none when {@code devices} is empty: an API-only node).
 * {@code genzoo serve --store postgresql://...} puts the HTTP API in front of it; {@code genzoo worker}
 * runs it without HTTP. Every node sees every job; events reach the subscribers of the node whose
 * worker runs the job.
 */
public final class FleetJobService extends AbstractJobService {
    /** Workers whose last heartbeat is older than this are dropped from {@link #fleetWorkers()}. */
    public static final Duration FORGET_WORKERS_AFTER = Duration.ofMinutes(2);
    /**
     * A fleet's default lease. Renewed every third of it and reaped every third of it, a dead worker's
     * job is claimed elsewhere at most lease + lease / 3 (12 s) after its last renewal, plus the
     * wake-up (NOTIFY, milliseconds): under the 15 s target. Three renewals fit in one lease, so a
     * worker has to miss two in a row (a 6 s stall) before it can lose its job.
     */
    public static final Duration DEFAULT_LEASE = Duration.ofSeconds(9);

    /**
     * @param store       the {@code postgresql://} URL
     * @param artifacts   the shared artifact folder
     * @param scratch     local folder for running attempts (null: the system temp folder)
     * @param devices     one worker per selector; empty: no workers (API only); null: one per device
     * @param maxAttempts a job fails once its lease expired on this many attempts
     */
    public record Config(String store, Path artifacts, Path scratch, String binding, List<String> devices, Duration lease,
            Duration poll, int maxAttempts, String node, JobMetricsListener metrics, Map<String, ModelFamily> families,
            Trainer.DataLoader data) {
        public static Config of(String store, Path artifacts) {
            return new Config(store, artifacts, null, null, null, DEFAULT_LEASE, Duration.ofSeconds(5),
                    PostgresJobStore.DEFAULT_MAX_ATTEMPTS, hostName(), JobMetricsListener.NONE, null, Trainer.DATASETS);
        }

        public Config with(String binding, List<String> devices, Duration lease, Duration poll, int maxAttempts, String node,
                Path scratch) {
            return new Config(store, artifacts, scratch, binding, devices, lease, poll, maxAttempts, node, metrics, families, data);
        }

        public Config withMetrics(JobMetricsListener m) {
            return new Config(store, artifacts, scratch, binding, devices, lease, poll, maxAttempts, node, m, families, data);
        }
    }

    /** This machine's host name (the default node name). */
    public static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "node";
        }
    }

    private final Config config;
    private final PostgresJobStore store;
    private final MountedArtifactStore artifacts;
    private final FleetWorkerPool pool;
    private final List<ClDeviceInfo> devices;
    private final Path scratch;

    private FleetJobService(Config config, PostgresJobStore store, MountedArtifactStore artifacts, List<Device> opened,
            Map<String, ModelFamily> families, Path scratch) {
        super(store, families, config.data());
        this.config = config;
        this.store = store;
        this.artifacts = artifacts;
        this.scratch = scratch;
        this.pool = opened.isEmpty() ? null : new FleetWorkerPool(new FleetWorkerPool.Settings(store, artifacts, scratch, opened,
                config.lease(), config.poll(), config.node(), config.metrics(), families, config.data(), this::publish));
        this.devices = opened.stream().map(Device::info).toList();
    }

    /** Connects to the store (applying migrations), opens the devices, starts the workers. */
    public static FleetJobService start(Config config) throws IOException {
        MountedArtifactStore artifacts = new MountedArtifactStore(config.artifacts());
        Path scratch = config.scratch() != null ? config.scratch()
                : Path.of(System.getProperty("java.io.tmpdir"), "genzoo-worker-" + ProcessHandle.current().pid());
        Files.createDirectories(scratch);
        PostgresJobStore store = PostgresJobStore.open(config.store(), config.artifacts().resolve("jobs"),
                PostgresJobStore.Settings.defaults().withMaxAttempts(config.maxAttempts()));
        List<Device> opened = new ArrayList<>();
        try {
            if (config.devices() == null || !config.devices().isEmpty()) {
                opened.addAll(openDevices(Bindings.resolve(config.binding()), config.devices(),
                        "no device to run jobs on: this machine has no OpenCL device"));
            }
            Map<String, ModelFamily> fams = config.families() != null ? Map.copyOf(config.families()) : ModelFamilies.all();
            FleetJobService svc = new FleetJobService(config, store, artifacts, opened, fams, scratch);
            if (svc.pool != null) {
                svc.pool.start();
            }
            return svc;
        } catch (RuntimeException | Error e) {
            opened.forEach(Device::close);
            store.close();
            throw e;
        }
    }

    public PostgresJobStore store() {
        return store;
    }

    public ArtifactStore artifacts() {
        return artifacts;
    }

    public String node() {
        return config.node();
    }

    /** The devices of this node's workers, one entry per worker (empty on an API-only node). */
    @Override
    public List<ClDeviceInfo> devices() {
        return devices;
    }

    public List<WorkerPool.WorkerStatus> workers() {
        return pool == null ? List.of() : pool.status();
    }

    /** Every node's workers, from the store. */
    public List<PostgresJobStore.WorkerRow> fleetWorkers() {
        return store.workers(FORGET_WORKERS_AFTER);
    }

    @Override
    public Submitted submit(String specText, String idempotencyKey) throws IOException {
        checkIdempotencyKey(idempotencyKey);
        JobSpec spec = JobSpecs.parse(specText, families());
        DryRun.Plan plan = DryRun.plan(spec, devices, families(), data());
        if (plan.device() != null) {
            // A device of this node matches: hold the job to the same check as a single service. A job for
            // devices only other nodes have is queued with its estimate; claims skip it where it does not fit.
            plan.requireFits();
        }
        Submitted s = store.insert(newJob(spec, idempotencyKey, plan.totalBytes()));
        if (s.created()) {
            publish(new JobEvent(s.job().id(), "state", Map.of("state", JobState.QUEUED.name())));
        }
        return s;
    }

    @Override
    void cancelRunning(String id) {
        if (pool != null) {
            pool.cancel(id);
        }
    }

    @Override
    public Path artifactDir(String id) {
        return artifacts.jobFolder(id);
    }

    /** Stops this node's workers (running jobs checkpoint, publish, and go back to the queue), then closes the store. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (pool != null) {
                pool.close();
            }
        } finally {
            store.close();
            if (config.scratch() == null) {
                try {
                    MountedArtifactStore.deleteTree(scratch); // the default scratch folder is this process's own
                } catch (IOException e) {
                    System.getLogger(FleetJobService.class.getName()).log(System.Logger.Level.WARNING,
                            "could not remove the scratch folder " + scratch + ": " + e.getMessage());
                }
            }
        }
    }
}
