package org.genzoo.service.jobs;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.genzoo.host.Device;
import org.genzoo.host.DeviceSelector;
import org.genzoo.host.cl.ClApi;
import org.genzoo.host.cl.ClDeviceInfo;
import org.genzoo.models.train.JobSpec;
import org.genzoo.models.train.ModelFamily;
import org.genzoo.models.train.Trainer;

/**
 * What {@link LocalJobService} and {@link FleetJobService} share: reads through the {@link JobStore},
 * cancel requests, the fan-out of job events to subscribers, the Idempotency-Key rule, the row a
 * submission inserts, and opening the workers' devices from their selectors.
 */
abstract class AbstractJobService implements JobService {
    private static final System.Logger LOG = System.getLogger(AbstractJobService.class.getName());
    /** Longest accepted Idempotency-Key. */
    static final int MAX_KEY_LENGTH = 255;

    private final JobStore store;
    private final Map<String, ModelFamily> families;
    private final Trainer.DataLoader data;
    private final Map<String, List<Consumer<JobEvent>>> subscribers = new ConcurrentHashMap<>();
    private final List<Consumer<JobEvent>> everything = new CopyOnWriteArrayList<>();
    volatile boolean closed;

    AbstractJobService(JobStore store, Map<String, ModelFamily> families, Trainer.DataLoader data) {
        this.store = store;
        this.families = families;
        this.data = data;
    }

    /** The model families this service accepts. */
    public Map<String, ModelFamily> families() {
        return families;
    }

    /** How jobs load their data sets. */
    final Trainer.DataLoader data() {
        return data;
    }

    /** The devices of this process's workers, one entry per worker. */
    abstract List<ClDeviceInfo> devices();

    /** The dry run against this process's devices: validation, device, memory estimate. */
    public DryRun.Plan dryRun(String specText) throws java.io.IOException {
        return DryRun.check(specText, devices(), families, data);
    }

    /** Refuses an Idempotency-Key that is empty, longer than {@link #MAX_KEY_LENGTH} or not printable ASCII without spaces. */
    static void checkIdempotencyKey(String key) {
        if (key != null && (key.isEmpty() || key.length() > MAX_KEY_LENGTH || !key.chars().allMatch(c -> c >= 0x21 && c <= 0x7e))) {
            throw new IllegalArgumentException("Idempotency-Key: expected 1 to " + MAX_KEY_LENGTH
                    + " printable ASCII characters without spaces, got " + key.length() + " characters");
        }
    }

    /**
     * The row a submission inserts. The body is the spec with defaults filled in: formatting, key order
     * and JSON vs YAML do not make another body. Its output folder is the service's to choose, so
     * "output" does not count either.
     */
    static JobStore.NewJob newJob(JobSpec spec, String idempotencyKey, long requiredBytes) {
        JobSpec normalized = spec.withOutput("");
        long total = spec.budget().steps() != null ? spec.budget().steps() : 0;
        return new JobStore.NewJob(spec.name(), spec.model().family(), normalized.toJsonString(), spec.priority(), total,
                normalized.hash(), idempotencyKey, requiredBytes);
    }

    /**
     * Opens one device per selector among {@code api}'s devices (null selectors: every device); closes
     * what it opened when one fails. {@code none} is the message when there is no device at all.
     */
    static List<Device> openDevices(ClApi api, List<String> selectors, String none) {
        List<ClDeviceInfo> all = api.devices();
        List<ClDeviceInfo> chosen = new ArrayList<>();
        if (selectors == null) {
            chosen.addAll(all);
        } else {
            for (String sel : selectors) {
                chosen.add(DeviceSelector.select(all, sel));
            }
        }
        if (chosen.isEmpty()) {
            throw new IllegalArgumentException(none);
        }
        List<Device> opened = new ArrayList<>();
        try {
            for (ClDeviceInfo d : chosen) {
                opened.add(Device.open(api, d));
            }
        } catch (RuntimeException | Error e) {
            opened.forEach(Device::close);
            throw e;
        }
        return opened;
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
    public Map<JobState, Long> counts() {
        return store.counts();
    }

    /** Tells this process's worker that runs {@code id}, if any, to stop at its next log point. */
    abstract void cancelRunning(String id);

    @Override
    public Optional<Job> cancel(String id) {
        Optional<Job> before = store.get(id);
        Optional<Job> j = store.requestCancel(id);
        if (j.isPresent()) {
            cancelRunning(id);
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

    final void publish(JobEvent e) {
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
    public boolean storeReachable() {
        return !closed && store.reachable();
    }
}
