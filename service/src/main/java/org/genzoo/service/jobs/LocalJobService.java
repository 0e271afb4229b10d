package org.genzoo.service.jobs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
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
 * The job service of one process: a {@link SqliteJobStore} in the data folder, a {@link WorkerPool}
 * with one worker per device, and the fan-out of job events to subscribers. {@code genzoo serve}
 * starts it with {@link #start(Config)}.
 *
 * <p>Data folder layout: {@code genzoo.db} (with its {@code -wal} and {@code -shm} files), {@code
 * service.lock} (held while a service runs, so two services never share a folder), and
 * {@code jobs/<id>/} with each job's artifacts. On start, every job left RUNNING by a process that
 * died is requeued and resumes from its last checkpoint.
 */
public final class LocalJobService extends AbstractJobService {
    private static final System.Logger LOG = System.getLogger(LocalJobService.class.getName());
    /** Longest accepted Idempotency-Key (the API's limit and its docs name this constant). */
    public static final int MAX_KEY_LENGTH = AbstractJobService.MAX_KEY_LENGTH;

    /**
     * How to start a service.
     *
     * @param dataDir  the data folder (see {@link #defaultDataDir()})
     * @param binding  OpenCL binding (null: GENZOO_BINDING, else the default)
     * @param devices  one worker per entry, each a device selector (a selector may repeat); null: one worker per device
     * @param lease    how long a claim lasts without a heartbeat (renewed every third of it)
     * @param poll     how often an idle worker looks at the queue for jobs submitted by other processes
     * @param metrics  receives job starts, ends, throughput, NaN failures, checkpoint times
     * @param families the model families (null: those on the class path)
     * @param data     how jobs load their data sets (tests pass synthetic data)
     */
    public record Config(Path dataDir, String binding, List<String> devices, Duration lease, Duration poll,
            JobMetricsListener metrics, Map<String, ModelFamily> families, Trainer.DataLoader data) {
        public static Config defaults() {
            return new Config(defaultDataDir(), null, null, Duration.ofSeconds(30), Duration.ofSeconds(1), JobMetricsListener.NONE,
                    null, Trainer.DATASETS);
        }

        public Config withDataDir(Path d) {
            return new Config(d, binding, devices, lease, poll, metrics, families, data);
        }

        public Config withBinding(String b) {
            return new Config(dataDir, b, devices, lease, poll, metrics, families, data);
        }

        public Config withDevices(List<String> d) {
            return new Config(dataDir, binding, d == null ? null : List.copyOf(d), lease, poll, metrics, families, data);
        }

        public Config withLease(Duration l) {
            return new Config(dataDir, binding, devices, l, poll, metrics, families, data);
        }

        public Config withPoll(Duration p) {
            return new Config(dataDir, binding, devices, lease, p, metrics, families, data);
        }

        public Config withMetrics(JobMetricsListener m) {
            return new Config(dataDir, binding, devices, lease, poll, m, families, data);
        }

        public Config withFamilies(Map<String, ModelFamily> f) {
            return new Config(dataDir, binding, devices, lease, poll, metrics, f, data);
        }

        public Config withData(Trainer.DataLoader d) {
            return new Config(dataDir, binding, devices, lease, poll, metrics, families, d);
        }
    }

    /** The data folder: {@code $GENZOO_DATA_DIR}, else {@code $XDG_DATA_HOME/genzoo}, else {@code ~/.local/share/genzoo}. */
    public static Path defaultDataDir() {
        return defaultDataDir(System.getenv(), System.getProperty("user.home"));
    }

    static Path defaultDataDir(Map<String, String> env, String home) {
        String explicit = env.get("GENZOO_DATA_DIR");
        if (explicit != null && !explicit.isBlank()) {
            return Path.of(explicit);
        }
        String xdg = env.get("XDG_DATA_HOME");
        if (xdg != null && !xdg.isBlank()) {
            return Path.of(xdg, "genzoo");
        }
        return Path.of(home, ".local", "share", "genzoo");
    }

    private final Config config;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final JobStore store;
    private final WorkerPool pool;
    private final List<ClDeviceInfo> devices;
    private final int recovered;

    private LocalJobService(Config config, Map<String, ModelFamily> families, FileChannel lockChannel, FileLock lock,
            JobStore store, List<Device> opened) {
        super(store, families, config.data());
        this.config = config;
        this.lockChannel = lockChannel;
        this.lock = lock;
        this.store = store;
        this.recovered = store.recoverRunning();
        this.pool = new WorkerPool(new WorkerPool.Settings(store, opened, config.lease(), config.poll(), config.metrics(),
                families, config.data(), this::publish));
        this.devices = pool.devices();
    }

    /**
     * Opens the store in {@code config.dataDir()} (creating it), requeues jobs left RUNNING by a
     * crash, opens the devices and starts one worker per device.
     *
     * @throws IllegalStateException another service holds the data folder
     */
    public static LocalJobService start(Config config) throws IOException {
        Path dir = config.dataDir().toAbsolutePath();
        Files.createDirectories(dir.resolve("jobs"));
        FileChannel ch = FileChannel.open(dir.resolve("service.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = ch.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null;
        }
        if (lock == null) {
            ch.close();
            throw new IllegalStateException("another GenZoo service is running on the data folder " + dir
                    + "; stop it, or start this one with another data folder (GENZOO_DATA_DIR)");
        }
        JobStore store = null;
        List<Device> opened = new ArrayList<>();
        try {
            store = SqliteJobStore.open(dir);
            opened.addAll(openDevices(Bindings.resolve(config.binding()), config.devices(),
                    "no device to run jobs on: the device list is empty"));
            Map<String, ModelFamily> fams = config.families() != null ? Map.copyOf(config.families()) : ModelFamilies.all();
            LocalJobService svc = new LocalJobService(config.withDataDir(dir), fams, ch, lock, store, opened);
            svc.pool.start();
            if (svc.recovered > 0) {
                LOG.log(System.Logger.Level.INFO, svc.recovered + " job(s) left running by a stopped service were requeued");
            }
            return svc;
        } catch (RuntimeException | Error e) {
            for (Device d : opened) {
                d.close();
            }
            if (store != null) {
                store.close();
            }
            lock.release();
            ch.close();
            throw e;
        }
    }

    /** How many RUNNING jobs this start found left by a crash (requeued, or cancelled when asked). */
    public int recoveredOnStart() {
        return recovered;
    }

    public Path dataDir() {
        return config.dataDir();
    }

    /** The devices of the workers, one entry per worker. */
    @Override
    public List<ClDeviceInfo> devices() {
        return devices;
    }

    public List<WorkerPool.WorkerStatus> workers() {
        return pool.status();
    }

    @Override
    public Submitted submit(String specText, String idempotencyKey) throws IOException {
        checkIdempotencyKey(idempotencyKey);
        JobSpec spec = JobSpecs.parse(specText, families());
        DryRun.plan(spec, devices, families(), data()).requireFits();
        Submitted s = store.insert(newJob(spec, idempotencyKey, 0));
        if (s.created()) {
            publish(new JobEvent(s.job().id(), "state", Map.of("state", JobState.QUEUED.name())));
            pool.wake();
        }
        return s;
    }

    @Override
    void cancelRunning(String id) {
        pool.cancel(id);
    }

    @Override
    public Path artifactDir(String id) {
        if (id == null || !id.matches("j-[1-9][0-9]{0,18}")) {
            throw new IllegalArgumentException("not a job id: expected j-<number>, got " + (id == null ? "null" : "\"" + id + "\""));
        }
        return config.dataDir().resolve("jobs").resolve(id);
    }

    /** Bytes the readiness probe writes (and deletes) in the jobs folder: one file system block. */
    static final int PROBE_BYTES = 4096;

    @Override
    public String storageProblem() {
        if (closed) {
            return "the service is stopping";
        }
        if (!store.reachable()) {
            return "the job store does not answer";
        }
        if (!store.writable()) {
            return "the job store cannot be written (is the disk of " + config.dataDir() + " full?)";
        }
        Path probe = config.dataDir().resolve("jobs").resolve(".ready-probe");
        try {
            Files.createDirectories(probe.getParent());
            try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(probe, java.nio.file.StandardOpenOption.CREATE,
                    java.nio.file.StandardOpenOption.WRITE, java.nio.file.StandardOpenOption.TRUNCATE_EXISTING)) {
                ch.write(java.nio.ByteBuffer.allocate(PROBE_BYTES));
                ch.force(false);
            } finally {
                Files.deleteIfExists(probe);
            }
        } catch (IOException e) {
            return "job files cannot be written in " + probe.getParent() + ": " + e.getMessage();
        }
        return null;
    }

    /**
     * Stops the workers (running jobs checkpoint and go back to the queue), closes the devices and the
     * store, and releases the data folder.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            pool.close();
        } finally {
            try {
                store.close();
            } finally {
                try {
                    lock.release();
                    lockChannel.close();
                } catch (IOException e) {
                    throw new UncheckedIOException("releasing " + config.dataDir().resolve("service.lock"), e);
                }
            }
        }
    }
}
