package org.genzoo.service.api;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.genzoo.host.Device;
import org.genzoo.models.train.JobSpec;
import org.genzoo.models.train.Trainer;
import org.genzoo.models.train.TrainingListener;
import org.genzoo.service.jobs.IdempotencyConflictException;
import org.genzoo.service.jobs.Job;
import org.genzoo.service.jobs.JobEvent;
import org.genzoo.service.jobs.JobService;
import org.genzoo.service.jobs.JobState;

/**
 * A small but complete {@link JobService} for the HTTP tests: jobs in memory, one worker thread
 * that runs the real {@link Trainer} on a real device, idempotency by key and body hash, event
 * fan-out. The production service (SQLite store, worker pool) is tested on its own; this one lets
 * the API be tested with nothing but the interface between them.
 */
final class MemoryJobService implements JobService {
    private final Path dataDir;
    private final Device device;
    private final Map<String, Job> jobs = new ConcurrentHashMap<>();
    private final Map<String, String[]> keys = new ConcurrentHashMap<>();
    private final Map<String, List<Consumer<JobEvent>>> listeners = new ConcurrentHashMap<>();
    private final Map<String, Boolean> cancel = new ConcurrentHashMap<>();
    private final AtomicLong ids = new AtomicLong();
    private final ExecutorService worker = Executors.newSingleThreadExecutor(r -> new Thread(r, "memory-job-worker"));

    /** @param device the device jobs train on; null: jobs stay QUEUED (for tests that never run one) */
    MemoryJobService(Path dataDir, Device device) {
        this.dataDir = dataDir;
        this.device = device;
    }

    @Override
    public synchronized Submitted submit(String specText, String idempotencyKey) throws IOException {
        JobSpec spec = JobSpec.parse(specText);
        String hash = sha256(spec.toJsonString());
        if (idempotencyKey != null) {
            String[] seen = keys.get(idempotencyKey);
            if (seen != null) {
                if (!seen[0].equals(hash)) {
                    throw new IdempotencyConflictException(idempotencyKey, seen[1]);
                }
                return new Submitted(jobs.get(seen[1]), false);
            }
        }
        String id = "j-" + ids.incrementAndGet();
        Job j = new Job(id, spec.name(), spec.model().family(), spec.toJsonString(), JobState.QUEUED, spec.priority(), 0, null, 0,
                0, null, false, artifactDir(id).toString(), Instant.now(), null, null, idempotencyKey);
        jobs.put(id, j);
        if (idempotencyKey != null) {
            keys.put(idempotencyKey, new String[] {hash, id});
        }
        if (device != null) {
            worker.submit(() -> run(id, spec.withOutput(artifactDir(id).toString())));
        }
        return new Submitted(j, true);
    }

    private void run(String id, JobSpec spec) {
        Job j = jobs.get(id);
        if (j.state() != JobState.QUEUED) {
            return;
        }
        update(id, j0 -> with(j0, JobState.RUNNING, j0.step(), j0.totalSteps(), null, Instant.now(), null));
        emit(id, "state", Map.of("state", "RUNNING"));
        TrainingListener l = new TrainingListener() {
            @Override
            public void onProgress(Progress p) {
                update(id, j0 -> with(j0, j0.state(), p.step(), p.totalSteps(), null, j0.startedAt(), null));
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("step", p.step());
                m.put("total", p.totalSteps());
                m.put("loss", p.loss());
                m.put("examplesPerSecond", p.examplesPerSecond());
                m.put("etaSeconds", p.etaSeconds());
                emit(id, "progress", m);
            }

            @Override
            public void onEval(long step, Map<String, Double> metrics) {
                Map<String, Object> m = new LinkedHashMap<>(metrics);
                m.put("step", step);
                emit(id, "eval", m);
            }
        };
        JobState end;
        String error = null;
        try {
            Trainer.Result r = new Trainer(device, spec, Trainer.Options.defaults().withListener(l)
                    .withCancelled(() -> cancel.containsKey(id))).run();
            end = r.status() == Trainer.Status.SUCCEEDED ? JobState.SUCCEEDED : JobState.CANCELLED;
        } catch (Exception | Error e) {
            end = JobState.FAILED;
            error = e.getMessage();
        }
        JobState fin = end;
        String err = error;
        update(id, j0 -> with(j0, fin, j0.step(), j0.totalSteps(), err, j0.startedAt(), Instant.now()));
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("state", fin.name());
        m.put("error", err);
        emit(id, "state", m);
    }

    private synchronized void update(String id, java.util.function.UnaryOperator<Job> f) {
        jobs.computeIfPresent(id, (k, j) -> f.apply(j));
    }

    private static Job with(Job j, JobState s, long step, long total, String error, Instant started, Instant finished) {
        return new Job(j.id(), j.name(), j.family(), j.specJson(), s, j.priority(), j.attempt(), j.worker(), step, total, error,
                j.cancelRequested(), j.outputDir(), j.submittedAt(), started, finished, j.idempotencyKey());
    }

    private void emit(String id, String type, Map<String, Object> data) {
        for (Consumer<JobEvent> c : listeners.getOrDefault(id, List.of())) {
            c.accept(new JobEvent(id, type, data));
        }
    }

    @Override
    public List<Job> list(Optional<JobState> state) {
        List<Job> out = new ArrayList<>();
        for (Job j : jobs.values()) {
            if (state.isEmpty() || j.state() == state.get()) {
                out.add(j);
            }
        }
        out.sort(Comparator.comparing(Job::submittedAt).thenComparing(Job::id));
        return out;
    }

    @Override
    public Optional<Job> get(String id) {
        return Optional.ofNullable(jobs.get(id));
    }

    @Override
    public synchronized Optional<Job> cancel(String id) {
        Job j = jobs.get(id);
        if (j == null) {
            return Optional.empty();
        }
        if (j.state().terminal()) {
            return Optional.of(j);
        }
        cancel.put(id, true);
        if (j.state() == JobState.QUEUED) {
            update(id, j0 -> with(j0, JobState.CANCELLED, 0, 0, null, null, Instant.now()));
            emit(id, "state", Map.of("state", "CANCELLED"));
        } else {
            update(id, j0 -> new Job(j0.id(), j0.name(), j0.family(), j0.specJson(), j0.state(), j0.priority(), j0.attempt(),
                    j0.worker(), j0.step(), j0.totalSteps(), j0.error(), true, j0.outputDir(), j0.submittedAt(),
                    j0.startedAt(), j0.finishedAt(), j0.idempotencyKey()));
        }
        return Optional.of(jobs.get(id));
    }

    @Override
    public AutoCloseable subscribe(String jobId, Consumer<JobEvent> listener) {
        List<Consumer<JobEvent>> l = listeners.computeIfAbsent(jobId, k -> new CopyOnWriteArrayList<>());
        l.add(listener);
        return () -> l.remove(listener);
    }

    @Override
    public Path artifactDir(String id) {
        return dataDir.resolve("jobs").resolve(id);
    }

    @Override
    public boolean storeReachable() {
        return true;
    }

    @Override
    public void close() {
        cancel.replaceAll((k, v) -> true);
        jobs.keySet().forEach(k -> cancel.put(k, true));
        worker.shutdown();
        try {
            worker.awaitTermination(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String sha256(String s) {
        try {
            return java.util.HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
