package org.genzoo.service.jobs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import org.genzoo.host.Device;
import org.genzoo.models.train.JobSpec;
import org.genzoo.models.train.ModelFamily;
import org.genzoo.models.train.Trainer;

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
 * The loop, the leases and the memory a job leaves behind are {@link AbstractWorkerPool}'s.
 */
public final class FleetWorkerPool extends AbstractWorkerPool {
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
    private AutoCloseable listening;

    public FleetWorkerPool(Settings settings) {
        super(settings.store(), settings.devices(), settings.lease(), settings.poll(), settings.metrics(), settings.events(),
                settings.node() + "-", "genzoo-fleet-", "genzoo-fleet-leases");
        this.s = settings;
    }

    public void start() {
        listening = s.store().listen((channel, payload) -> {
            if (channel.equals(PostgresJobStore.CANCEL_CHANNEL)) {
                cancel(payload);
            } else {
                wake();
            }
        });
        startWorkers(0, Math.max(50, s.lease().toMillis() / 3), Math.max(100, s.lease().toMillis() / 3));
    }

    /** Store calls fail while the database restarts: their warnings carry the message, not the stack. */
    @Override
    void warn(String message, RuntimeException e) {
        LOG.log(System.Logger.Level.WARNING, message + ": " + e.getMessage());
    }

    /** The workers' rows, with what each runs now, for {@code GET /api/workers}. */
    @Override
    void afterHeartbeats() {
        for (Worker w : workers()) {
            Running r = w.current;
            try {
                s.store().touchWorker(w.name, s.node(), w.device.info().name(), w.device.info().type(), r == null ? null : r.id,
                        r == null ? 0 : r.attempt);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "worker heartbeat of " + w.name + " failed; retrying: " + e.getMessage());
            }
        }
    }

    @Override
    Optional<Job> claim(Worker w) {
        return s.store().claimNext(w.name, s.lease(), DeviceOffer.of(w.device.info(), w.device.allocatedBytes()));
    }

    @Override
    void workerStopped(Worker w) {
        try {
            s.store().removeWorker(w.name);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, w.name + ": could not remove its worker row (it ages out): " + e.getMessage());
        }
    }

    @Override
    boolean run(Worker w, Job job, Running r) {
        Device device = w.device;
        String dev = device.info().name();
        long t0 = System.nanoTime();
        Path local = s.scratch().resolve(job.id() + "-a" + job.attempt());
        try {
            publish(job.id(), "state", w.state(JobState.RUNNING, job, null));
            s.metrics().jobStarted(job.family(), dev);
            JobRunner.Outcome out;
            try {
                MountedArtifactStore.deleteTree(local);
                long from = s.artifacts().fetch(job.id(), local);
                JobSpec spec = JobSpecs.parse(job.specJson(), s.families()).withOutput(local.toString());
                Trainer.Options opts = Trainer.Options.defaults().withFamilies(s.families()).withData(s.data())
                        .withListener(new Events(w, job, r, spec.batchSize(), dev, from))
                        .withCancelled(() -> r.cancel || r.lost || stopping);
                out = JobRunner.run(device, spec, null, opts);
            } catch (IOException | IllegalArgumentException e) {
                out = new JobRunner.Outcome(JobState.FAILED, null, e, -1, false);
            }
            device.pool().trim();
            if (out.nonFinite()) {
                s.metrics().nonFiniteLoss(job.family(), dev);
            }
            finish(w, job, r, out, local, t0, dev);
            return false;
        } finally {
            try {
                MountedArtifactStore.deleteTree(local);
            } catch (IOException e) {
                LOG.log(System.Logger.Level.WARNING, w.name + ": could not remove the scratch folder " + local + ": " + e.getMessage());
            }
        }
    }

    /**
     * Publishes the attempt's folder inside the fenced transaction; retried through store failures
     * until the lease would have run out. False when the attempt no longer holds the job.
     */
    boolean publishFenced(Worker w, Job job, Running r, Path local) {
        String name = w.name;
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

    void finish(Worker w, Job job, Running r, JobRunner.Outcome out, Path local, long t0, String dev) {
        String name = w.name;
        Duration took = Duration.ofNanos(System.nanoTime() - t0);
        JobState recorded = null;
        Map<String, Object> event = null;
        if (!r.lost && publishFenced(w, job, r, local)) {
            if (out.state() == JobState.CANCELLED && !r.cancel && stopping) {
                recorded = retried(() -> s.store().requeue(job.id(), job.attempt())) ? JobState.QUEUED : null;
                event = w.state(JobState.QUEUED, job, "the worker stopped; the job resumes from its checkpoint on the next claim");
            } else {
                recorded = retried(() -> s.store().finish(job.id(), job.attempt(), out.state(), out.error())) ? out.state() : null;
                event = w.ended(job, out);
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

    /** Trainer callbacks: fenced progress writes and publishes, events, metrics. */
    final class Events extends JobListener {
        final Worker w;
        long lastWriteNanos = Long.MIN_VALUE / 2;

        Events(Worker w, Job job, Running r, int batch, String dev, long startStep) {
            super(job, r, batch, dev, startStep);
            this.w = w;
        }

        @Override
        public void onProgress(Progress p) {
            advance(p);
            Map<String, Object> d = new LinkedHashMap<>();
            d.put("step", p.step());
            d.put("totalSteps", p.totalSteps());
            d.put("loss", finite(p.loss()));
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
            publishFenced(w, job, r, s.scratch().resolve(job.id() + "-a" + job.attempt()));
        }
    }

    /** Stops the workers (running jobs checkpoint, publish and go back to the queue), then closes the devices. */
    @Override
    public void close() {
        super.close();
    }

    /** The notification listener stops after the workers, before the devices close. */
    @Override
    void closing() {
        if (listening != null) {
            try {
                listening.close();
            } catch (Exception e) {
                throw new IllegalStateException("closing the notification listener", e);
            }
        }
    }
}
