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
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.genzoo.host.Bindings;
import org.genzoo.host.Device;
import org.genzoo.host.DeviceSelector;
import org.genzoo.host.cl.ClApi;
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
public final class LocalJobService implements JobService {
    private static final System.Logger LOG = System.getLogger(LocalJobService.class.getName());
    /** Longest accepted Idempotency-Key. */
    public static final int MAX_KEY_LENGTH = 255;

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
    private final Map<String, ModelFamily> families;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final JobStore store;
    private final WorkerPool pool;
    private final List<ClDeviceInfo> devices;
    private final int recovered;
    private final Map<String, List<Consumer<JobEvent>>> subscribers = new ConcurrentHashMap<>();
    private final List<Consumer<JobEvent>> everything = new CopyOnWriteArrayList<>();
    private volatile boolean closed;

    private LocalJobService(Config config, Map<String, ModelFamily> families, FileChannel lockChannel, FileLock lock,
            JobStore store, List<Device> opened) {
        this.config = config;
        this.families = families;
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
            ClApi api = Bindings.resolve(config.binding());
            List<ClDeviceInfo> all = api.devices();
            List<ClDeviceInfo> chosen = new ArrayList<>();
            if (config.devices() == null) {
                chosen.addAll(all);
            } else {
                for (String sel : config.devices()) {
                    chosen.add(DeviceSelector.select(all, sel));
                }
            }
            if (chosen.isEmpty()) {
                throw new IllegalArgumentException("no device to run jobs on: the device list is empty");
            }
            for (ClDeviceInfo d : chosen) {
                opened.add(Device.open(api, d));
            }
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
    public List<ClDeviceInfo> devices() {
        return devices;
    }

    public List<WorkerPool.WorkerStatus> workers() {
        return pool.status();
    }

    public Map<String, ModelFamily> families() {
        return families;
    }

    /** The dry run against this service's devices: validation, device, memory estimate. */
    public DryRun.Plan dryRun(String specText) throws IOException {
        return DryRun.check(specText, devices, families, config.data());
    }

    @Override
    public Submitted submit(String specText, String idempotencyKey) throws IOException {
        if (idempotencyKey != null && (idempotencyKey.isEmpty() || idempotencyKey.length() > MAX_KEY_LENGTH
                || !idempotencyKey.chars().allMatch(c -> c >= 0x21 && c <= 0x7e))) {
            throw new IllegalArgumentException("Idempotency-Key: expected 1 to " + MAX_KEY_LENGTH
                    + " printable ASCII characters without spaces, got " + idempotencyKey.length() + " characters");
        }
        JobSpec spec = JobSpecs.parse(specText, families);
        DryRun.plan(spec, devices, families, config.data()).requireFits();
        // The body is the spec with defaults filled in: formatting, key order and JSON vs YAML do not make
        // another body. Its output folder is the service's to choose, so "output" does not count either.
        JobSpec normalized = spec.withOutput("");
        long total = spec.budget().steps() != null ? spec.budget().steps() : 0;
        Submitted s = store.insert(new JobStore.NewJob(spec.name(), spec.model().family(), normalized.toJsonString(),
                spec.priority(), total, normalized.hash(), idempotencyKey));
        if (s.created()) {
            publish(new JobEvent(s.job().id(), "state", Map.of("state", JobState.QUEUED.name())));
            pool.wake();
        }
        return s;
    }

    @Override
    public List<Job> list(Optional<JobState> state) {
        return store.list(state);
    }

    @Override
    public Optional<Job> get(String id) {
        return store.get(id);
    }

    @Override
    public Optional<Job> cancel(String id) {
        Optional<Job> before = store.get(id);
        Optional<Job> j = store.requestCancel(id);
        if (j.isPresent()) {
            pool.cancel(id);
            if (before.isPresent() && before.get().state() == JobState.QUEUED && j.get().state() == JobState.CANCELLED) {
                publish(new JobEvent(id, "state", Map.of("state", JobState.CANCELLED.name())));
            }
        }
        return j;
    }

    @Override
    public AutoCloseable subscribe(String jobId, Consumer<JobEvent> listener) {
        List<Consumer<JobEvent>> l = subscribers.computeIfAbsent(jobId, k -> new CopyOnWriteArrayList<>());
        l.add(listener);
        return () -> l.remove(listener);
    }

    @Override
    public AutoCloseable subscribeAll(Consumer<JobEvent> listener) {
        everything.add(listener);
        return () -> everything.remove(listener);
    }

    @Override
    public Map<JobState, Long> counts() {
        return store.counts();
    }

    private void publish(JobEvent e) {
        List<Consumer<JobEvent>> l = subscribers.get(e.jobId());
        if (l != null) {
            deliver(l, e);
        }
        deliver(everything, e);
    }

    /** A subscriber that throws is dropped (and logged): one broken stream must not stop a job. */
    private static void deliver(List<Consumer<JobEvent>> listeners, JobEvent e) {
        for (Consumer<JobEvent> c : listeners) {
            try {
                c.accept(e);
            } catch (RuntimeException ex) {
                listeners.remove(c);
                LOG.log(System.Logger.Level.WARNING, "an event subscriber of job " + e.jobId() + " failed and was removed", ex);
            }
        }
    }

    @Override
    public Path artifactDir(String id) {
        if (id == null || !id.matches("j-[1-9][0-9]{0,18}")) {
            throw new IllegalArgumentException("not a job id: expected j-<number>, got " + (id == null ? "null" : "\"" + id + "\""));
        }
        return config.dataDir().resolve("jobs").resolve(id);
    }

    @Override
    public boolean storeReachable() {
        return !closed && store.reachable();
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
