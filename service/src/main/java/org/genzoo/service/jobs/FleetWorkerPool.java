package org.genzoo.service.jobs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.genzoo.host.Device;
import org.genzoo.host.cl.ClDeviceInfo;
import org.genzoo.models.train.JobSpec;
import org.genzoo.models.train.ModelFamily;
import org.genzoo.models.train.Trainer;
import org.genzoo.models.train.TrainingListener;

/**
 * The workers of one node of a fleet: one thread per device, claiming from a shared
 * {@link PostgresJobStore} with a {@link DeviceOffer} (device class, selector, name, free memory),
 * running each attempt in a private scratch folder, and keeping the job's shared artifacts in an
 * {@link ArtifactStore}.
 *
 * <ul>
 * <li>An attempt starts by {@link ArtifactStore#fetch fetching} the job's newest checkpoint, so a job
 *     whose worker died resumes where its last published checkpoint left it, bitwise.
 * <li>After each checkpoint and at the end the attempt {@link ArtifactStore#stage stages} its folder
 *     (the copy, outside any transaction) and commits it inside {@link PostgresJobStore#fence}: only
 *     while the store still says this attempt holds the job. A refused publish (or heartbeat, or progress write) means the job was taken over: the
 *     worker stops at the next log point, records nothing and publishes nothing.
 * <li>A timer renews the leases of running jobs and the workers' rows every third of the lease and
 *     reaps expired leases every third of it too (every node does; the store makes that safe).
 * <li>Idle workers wait on {@code LISTEN genzoo_jobs} and also poll every {@code poll}; a cancel
 *     notification reaches the worker that runs the job at once.
 * <li>A store failure (the database restarting) is retried: claims and heartbeats on their next
 *     round, the end of a job until its lease would run out.
 * </ul>
 */
public final class FleetWorkerPool implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(FleetWorkerPool.class.getName());
    static final long PROGRESS_WRITE_NANOS = 1_000_000_000L;

    /**
     * @param node   this machine's name in {@code GET /api/workers}
     * @param scratch local folder for the attempts' private folders (each removed when its attempt ends)
     */
    public record Settings(PostgresJobStore store, ArtifactStore artifacts, Path scratch, List<Device> devices, Duration lease,
            Duration poll, String node, JobMetricsListener metrics, Map<String, ModelFamily> families, Trainer.DataLoader data,
            Consumer<JobEvent> events) {
    }

    private final Settings s;
    private final List<Worker> workers = new ArrayList<>();
    private final Map<String, Running> running = new ConcurrentHashMap<>();
    private final Object signal = new Object();
    private final ScheduledExecutorService timer;
    private AutoCloseable listening;
    private volatile boolean stopping;

    public FleetWorkerPool(Settings settings) {
        this.s = settings;
        String pid = Long.toString(ProcessHandle.current().pid());
        for (int i = 0; i < settings.devices().size(); i++) {
            workers.add(new Worker(settings.node() + "-p" + pid + "-w" + i, settings.devices().get(i)));
        }
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "genzoo-fleet-leases");
            t.setDaemon(true);
            return t;
        });
    }

    public void start() {
        listening = s.store().listen((channel, payload) -> {
            if (channel.equals(PostgresJobStore.CANCEL_CHANNEL)) {
                Running r = running.get(payload);
                if (r != null) {
                    r.cancel = true;
                }
            } else {
                wake();
            }
        });
        long beat = Math.max(50, s.lease().toMillis() / 3);
        timer.scheduleWithFixedDelay(this::heartbeats, 0, beat, TimeUnit.MILLISECONDS);
        long reap = Math.max(100, s.lease().toMillis() / 3);
        timer.scheduleWithFixedDelay(this::reap, reap, reap, TimeUnit.MILLISECONDS);
        for (Worker w : workers) {
            w.thread.start();
        }
    }

    public List<ClDeviceInfo> devices() {
        return workers.stream().map(w -> w.device.info()).toList();
    }

    public List<WorkerPool.WorkerStatus> status() {
        List<WorkerPool.WorkerStatus> out = new ArrayList<>();
        for (Worker w : workers) {
            Running r = w.current;
            out.add(new WorkerPool.WorkerStatus(w.name, w.device.info().name(), r == null ? null : r.id, r == null ? 0 : r.attempt,
                    w.device.allocatedBytes()));
        }
        return out;
    }

    public void wake() {
        synchronized (signal) {
            signal.notifyAll();
        }
    }

    /** A cancel was asked for {@code id} through this node: if one of these workers runs it, it stops at its next log point. */
    public void cancel(String id) {
        Running r = running.get(id);
        if (r != null) {
            r.cancel = true;
        }
    }

    private void heartbeats() {
        for (Running r : running.values()) {
            try {
                switch (s.store().heartbeat(r.id, r.attempt, s.lease())) {
                    case HELD -> {
                    }
                    case CANCEL_REQUESTED -> r.cancel = true;
                    case LOST -> r.lost = true;
                    default -> throw new IllegalStateException();
                }
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "lease renewal of " + r.id + " failed; retrying: " + e.getMessage());
            }
        }
        for (Worker w : workers) {
            Running r = w.current;
            try {
                s.store().touchWorker(w.name, s.node(), w.device.info().name(), w.device.info().type(), r == null ? null : r.id,
                        r == null ? 0 : r.attempt);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "worker heartbeat of " + w.name + " failed; retrying: " + e.getMessage());
            }
        }
    }

    private void reap() {
        try {
            if (s.store().reapExpired() > 0) {
                wake();
            }
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "reaping expired leases failed; retrying: " + e.getMessage());
        }
    }

    private void publish(String jobId, String type, Map<String, Object> data) {
        s.events().accept(new JobEvent(jobId, type, data));
    }

    private static final class Running {
        final String id;
        final long attempt;
        volatile boolean cancel;
        volatile boolean lost;

        Running(String id, long attempt) {
            this.id = id;
            this.attempt = attempt;
        }
    }

    private final class Worker implements Runnable {
        final String name;
        final Device device;
        final Thread thread;
        volatile Running current;

        Worker(String name, Device device) {
            this.name = name;
            this.device = device;
            this.thread = new Thread(this, "genzoo-fleet-" + name);
        }

        @Override
        public void run() {
            s.metrics().workerStarted(device);
            while (!stopping) {
                Optional<Job> job;
                try {
                    job = s.store().claimNext(name, s.lease(), DeviceOffer.of(device.info(), device.allocatedBytes()));
                } catch (RuntimeException e) {
                    LOG.log(System.Logger.Level.WARNING, name + ": claiming a job failed; retrying: " + e.getMessage());
                    job = Optional.empty();
                }
                if (job.isEmpty()) {
                    synchronized (signal) {
                        if (stopping) {
                            break;
                        }
                        try {
                            signal.wait(s.poll().toMillis());
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            break;
                        }
                    }
                    continue;
                }
                try {
                    runJob(job.get());
                } catch (RuntimeException e) {
                    LOG.log(System.Logger.Level.ERROR, name + ": job " + job.get().id() + " broke its worker loop", e);
                }
            }
            try {
                s.store().removeWorker(name);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, name + ": could not remove its worker row (it ages out): " + e.getMessage());
            }
        }

        void runJob(Job job) {
            Running r = new Running(job.id(), job.attempt());
            running.put(job.id(), r);
            current = r;
            String dev = device.info().name();
            long t0 = System.nanoTime();
            Path local = s.scratch().resolve(job.id() + "-a" + job.attempt());
            try {
                publish(job.id(), "state", state(JobState.RUNNING, job, null));
                s.metrics().jobStarted(job.family(), dev);
                JobRunner.Outcome out;
                try {
                    MountedArtifactStore.deleteTree(local);
                    long from = s.artifacts().fetch(job.id(), local);
                    JobSpec spec = JobSpecs.parse(job.specJson(), s.families()).withOutput(local.toString());
                    Trainer.Options opts = Trainer.Options.defaults().withFamilies(s.families()).withData(s.data())
                            .withListener(new Events(job, r, spec.batchSize(), dev, from))
                            .withCancelled(() -> r.cancel || r.lost || stopping);
                    out = JobRunner.run(device, spec, null, opts);
                } catch (IOException | IllegalArgumentException e) {
                    out = new JobRunner.Outcome(JobState.FAILED, null, e, -1, false);
                }
                device.pool().trim();
                if (out.nonFinite()) {
                    s.metrics().nonFiniteLoss(job.family(), dev);
                }
                finish(job, r, out, local, t0, dev);
            } finally {
                running.remove(job.id());
                current = null;
                device.pool().trim();
                try {
                    MountedArtifactStore.deleteTree(local);
                } catch (IOException e) {
                    LOG.log(System.Logger.Level.WARNING, name + ": could not remove the scratch folder " + local + ": " + e.getMessage());
                }
            }
        }

        /**
         * Publishes the attempt's folder inside the fenced transaction; retried through store failures
         * until the lease would have run out. False when the attempt no longer holds the job.
         */
        boolean publishFenced(Job job, Running r, Path local) {
            long deadline = System.nanoTime() + s.lease().toNanos();
            if (r.lost) {
                return false;
            }
            ArtifactStore.Publication staged;
            try {
                // The trainer wrote spec.json with the scratch folder as its output; the shared copy names the job's folder.
                Path specFile = local.resolve("spec.json");
                String shared = JobSpecs.parse(job.specJson(), s.families()).withOutput(job.outputDir()).toJsonString() + "\n";
                if (Files.isRegularFile(specFile) && !Files.readString(specFile).equals(shared)) {
                    Path tmp = local.resolve("spec.json.genzoo-tmp");
                    Files.writeString(tmp, shared);
                    Files.move(tmp, specFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                }
                staged = s.artifacts().stage(job.id(), local); // the slow copy, outside any transaction
            } catch (IOException e) {
                throw new java.io.UncheckedIOException("staging the artifacts of " + job.id() + " in " + s.artifacts().describe(), e);
            }
            boolean held = false;
            try {
                while (!r.lost) {
                    try {
                        held = s.store().fence(job.id(), job.attempt(), s.lease(), staged::commit);
                        if (!held) {
                            r.lost = true;
                        }
                        return held;
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException("publishing the artifacts of " + job.id() + " to " + s.artifacts().describe(), e);
                    } catch (JobStoreException e) {
                        if (System.nanoTime() > deadline) {
                            r.lost = true; // the lease has run out by now: leave the job to the reaper and whoever claims it next
                            return false;
                        }
                        pause();
                    }
                }
                return false;
            } finally {
                if (!held) {
                    try {
                        staged.abandon();
                    } catch (IOException e) {
                        LOG.log(System.Logger.Level.WARNING, name + ": could not remove staged files of " + job.id() + ": " + e.getMessage());
                    }
                }
            }
        }

        /** A store write retried through store failures (a database restart) until the lease would have run out. */
        boolean retried(java.util.function.BooleanSupplier write) {
            long deadline = System.nanoTime() + s.lease().toNanos();
            while (true) {
                try {
                    return write.getAsBoolean();
                } catch (JobStoreException e) {
                    if (System.nanoTime() > deadline) {
                        return false;
                    }
                    pause();
                }
            }
        }

        void pause() {
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        void finish(Job job, Running r, JobRunner.Outcome out, Path local, long t0, String dev) {
            Duration took = Duration.ofNanos(System.nanoTime() - t0);
            JobState recorded = null;
            Map<String, Object> event = null;
            if (!r.lost && publishFenced(job, r, local)) {
                if (out.state() == JobState.CANCELLED && !r.cancel && stopping) {
                    recorded = retried(() -> s.store().requeue(job.id(), job.attempt())) ? JobState.QUEUED : null;
                    event = state(JobState.QUEUED, job, "the worker stopped; the job resumes from its checkpoint on the next claim");
                } else {
                    recorded = retried(() -> s.store().finish(job.id(), job.attempt(), out.state(), out.error())) ? out.state() : null;
                    event = state(out.state(), job, out.error());
                    if (out.nonFinite()) {
                        event.put("failedStep", out.failedStep());
                    }
                    if (out.result() != null) {
                        event.put("step", out.result().steps());
                        event.put("totalSteps", out.result().totalSteps());
                    }
                }
            }
            if (recorded == null) {
                s.metrics().jobFinished(job.family(), dev, JobState.QUEUED, took);
                publish(job.id(), "log", Map.of("line", "worker " + name + " lost attempt " + job.attempt()
                        + " (its lease expired and the job was taken over, or the store refused its writes); it stopped"
                        + " without recording an outcome or publishing artifacts"));
                return;
            }
            s.metrics().jobFinished(job.family(), dev, recorded, took);
            publish(job.id(), "state", event);
        }

        Map<String, Object> state(JobState st, Job job, String error) {
            Map<String, Object> d = new LinkedHashMap<>();
            d.put("state", st.name());
            d.put("attempt", job.attempt());
            d.put("worker", name);
            d.put("device", device.info().name());
            if (error != null) {
                d.put("error", error);
            }
            return d;
        }

        /** Trainer callbacks: fenced progress writes and publishes, events, metrics. */
        final class Events implements TrainingListener {
            final Job job;
            final Running r;
            final int batch;
            final String dev;
            long lastStep;
            long lastWriteNanos = Long.MIN_VALUE / 2;

            Events(Job job, Running r, int batch, String dev, long startStep) {
                this.job = job;
                this.r = r;
                this.batch = batch;
                this.dev = dev;
                this.lastStep = startStep;
            }

            @Override
            public void onProgress(Progress p) {
                if (p.step() > lastStep) {
                    s.metrics().examplesProcessed(job.family(), dev, (p.step() - lastStep) * batch);
                }
                lastStep = p.step();
                Map<String, Object> d = new LinkedHashMap<>();
                d.put("step", p.step());
                d.put("totalSteps", p.totalSteps());
                d.put("loss", WorkerPool.finite(p.loss()));
                publish(job.id(), "progress", d);
                long now = System.nanoTime();
                if (now - lastWriteNanos >= PROGRESS_WRITE_NANOS || p.step() == p.totalSteps()) {
                    lastWriteNanos = now;
                    try {
                        if (!s.store().progress(job.id(), job.attempt(), p.step(), p.totalSteps())) {
                            r.lost = true;
                        }
                    } catch (JobStoreException e) {
                        LOG.log(System.Logger.Level.WARNING, "progress of " + job.id() + " not recorded (store unreachable): " + e.getMessage());
                    }
                }
            }

            @Override
            public void onCheckpoint(long step, Path dir) {
                publishFenced(job, r, s.scratch().resolve(job.id() + "-a" + job.attempt()));
            }

            @Override
            public void onLog(String line) {
                publish(job.id(), "log", Map.of("line", line));
            }
        }
    }

    /** Stops the workers (running jobs checkpoint, publish and go back to the queue), then closes the devices. */
    @Override
    public void close() {
        stopping = true;
        wake();
        boolean interrupted = false;
        for (Worker w : workers) {
            try {
                w.thread.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        timer.shutdownNow();
        if (listening != null) {
            try {
                listening.close();
            } catch (Exception e) {
                throw new IllegalStateException("closing the notification listener", e);
            }
        }
        for (Worker w : workers) {
            w.device.close();
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
