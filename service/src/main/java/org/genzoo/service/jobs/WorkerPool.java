package org.genzoo.service.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
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
 * One worker thread per device, one job at a time per worker. A worker claims the next job its
 * device may run (priority, then submission time; see {@link JobStore#claimNext}), runs it with
 * {@link JobRunner} in the job's folder (resuming when the folder holds a checkpoint), publishes its
 * progress, evaluations, log lines and state changes as {@link JobEvent}s, and records the outcome
 * with the attempt it holds. After each job it returns the device's pooled buffers to the driver.
 *
 * <p>A shared timer renews the lease of every running job every third of the lease time and picks
 * up cancel requests made by other processes; another requeues jobs whose lease expired (their
 * process died). A worker that learns it lost its job (a fenced write refused) stops it at the next
 * log point and writes nothing more to the store. Closing the pool stops running jobs at their next
 * log point with a checkpoint and puts them back in the queue. The loop, the leases and the memory
 * a job leaves behind are {@link AbstractWorkerPool}'s.
 */
public final class WorkerPool extends AbstractWorkerPool {
    private static final System.Logger LOG = System.getLogger(WorkerPool.class.getName());
    /** Progress events at most this often per job (the last step of a run always goes out). */
    static final long PROGRESS_EVENT_NANOS = 100_000_000L;
    /** A job whose files hit a storage fault (disk full, I/O error) is retried up to this attempt, then fails. */
    static final long MAX_STORAGE_ATTEMPTS = 20;
    /** After a storage fault a worker waits this long before it claims again (the fault is usually still there). */
    static final long STORAGE_BACKOFF_MILLIS = 2000;
    /** Progress writes to the store at most this often per job. */
    static final long PROGRESS_WRITE_NANOS = 1_000_000_000L;

    /** What the pool needs; {@code devices} are opened by the pool and closed with it. */
    public record Settings(JobStore store, List<Device> devices, Duration lease, Duration poll, JobMetricsListener metrics,
            Map<String, ModelFamily> families, Trainer.DataLoader data, Consumer<JobEvent> events) {
    }

    /** One worker as the dashboard shows it: its device, its job (null when idle), device memory allocated through it. */
    public record WorkerStatus(String name, String device, String jobId, long attempt, long deviceAllocatedBytes) {
    }

    private final Settings s;

    public WorkerPool(Settings settings) {
        super(settings.store(), settings.devices(), settings.lease(), settings.poll(), settings.metrics(), settings.events(), "",
                "genzoo-worker-", "genzoo-leases");
        this.s = settings;
    }

    public void start() {
        long beat = Math.max(50, s.lease().toMillis() / 3);
        startWorkers(beat, beat, Math.max(100, s.lease().toMillis() / 2));
    }

    static boolean eligible(Worker w, Job j) {
        try {
            JsonNode spec = JobSpec.mapper().readTree(j.specJson());
            return DeviceMatch.accepts(spec.path("device").asText("auto"), w.device.info());
        } catch (IOException e) {
            return true; // let the run report the broken spec as the job's failure
        }
    }

    @Override
    Optional<Job> claim(Worker w) {
        return s.store().claimNext(w.name, s.lease(), j -> eligible(w, j));
    }

    /** Runs one job; true when it was requeued after a storage fault (the worker should wait before claiming). */
    @Override
    boolean run(Worker w, Job job, Running r) {
        Device device = w.device;
        String dev = device.info().name();
        long t0 = System.nanoTime();
        publish(job.id(), "state", w.state(JobState.RUNNING, job, null));
        s.metrics().jobStarted(job.family(), dev);
        JobRunner.Outcome out;
        JobSpec spec = null;
        try {
            spec = JobSpecs.parse(job.specJson(), s.families()).withOutput(job.outputDir());
        } catch (IllegalArgumentException e) {
            out = new JobRunner.Outcome(JobState.FAILED, null, e, -1, false);
            return finish(w, job, r, out, t0, dev);
        }
        Events listener = new Events(job, r, spec.batchSize(), dev, JobRunner.resumeStep(Path.of(spec.output())));
        Trainer.Options opts = Trainer.Options.defaults().withFamilies(s.families()).withData(s.data())
                .withListener(listener).withCancelled(() -> r.cancel || r.lost).withInterrupted(() -> stopping);
        out = JobRunner.run(device, spec, null, opts);
        device.pool().trim(); // the job's buffers go back to the driver before its end is announced
        if (out.nonFinite()) {
            s.metrics().nonFiniteLoss(job.family(), dev);
        }
        return finish(w, job, r, out, t0, dev);
    }

    /**
     * Records the outcome (fenced by the attempt), reports it to the metrics, then announces it: a
     * subscriber that sees the final state also sees the meters already updated.
     */
    boolean finish(Worker w, Job job, Running r, JobRunner.Outcome out, long t0, String dev) {
        String name = w.name;
        boolean storageFault = false;
        Duration took = Duration.ofNanos(System.nanoTime() - t0);
        JobState recorded;
        String type;
        Map<String, Object> event;
        if (r.lost) {
            recorded = JobState.QUEUED;
            type = "log";
            event = Map.of("line", "worker " + name + " lost attempt " + job.attempt()
                    + " (its lease expired or the job was taken over); it stopped without recording an outcome");
        } else if (out.interrupted() || stopping && !r.cancel && out.state() == JobState.FAILED && !out.nonFinite()) {
            // A stop always requeues: the job checkpointed at its last log point and resumes on the next start.
            // (A failure while stopping is retried then too: it may be the stop's doing.)
            recordStep(job, out);
            recorded = s.store().requeue(job.id(), job.attempt()) ? JobState.QUEUED : null;
            type = "state";
            event = w.state(JobState.QUEUED, job, "the service stopped; the job resumes from its checkpoint when it starts again");
        } else if (!r.cancel && out.state() == JobState.FAILED && storageFault(out.failure())
                && job.attempt() < MAX_STORAGE_ATTEMPTS) {
            // A write to the job's files failed for want of space or an I/O error: not the job's fault.
            storageFault = true;
            LOG.log(System.Logger.Level.WARNING, name + ": job " + job.id() + " hit a storage fault (" + out.error()
                    + "); requeued to resume from its last checkpoint");
            recorded = s.store().requeue(job.id(), job.attempt()) ? JobState.QUEUED : null;
            type = "state";
            event = w.state(JobState.QUEUED, job, null);
            event.put("reason", "a write to the job's files failed (" + out.error() + "); it resumes from its last checkpoint"
                    + " when storage works again");
        } else {
            recordStep(job, out);
            recorded = s.store().finish(job.id(), job.attempt(), out.state(), out.error()) ? out.state() : null;
            type = "state";
            event = w.ended(job, out);
        }
        if (recorded == null) {
            recorded = JobState.QUEUED;
            type = "log";
            event = Map.of("line", "worker " + name + " no longer held attempt " + job.attempt()
                    + "; its outcome (" + out.state() + ") was not recorded");
        }
        s.metrics().jobFinished(job.family(), dev, recorded, took);
        publish(job.id(), type, event);
        return storageFault;
    }

    /** A full disk or an I/O error anywhere in the failure's causes. */
    boolean storageFault(Exception e) {
        if (e == null) {
            return false;
        }
        if (JobStoreException.isStorageFull(e)) {
            return true;
        }
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (c instanceof java.io.IOException && String.valueOf(c.getMessage()).contains("Input/output error")) {
                return true;
            }
            for (Throwable sup : c.getSuppressed()) {
                if (JobStoreException.isStorageFull(sup)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** The step the run ended at goes to the store (progress is written at most once a second while it runs). */
    void recordStep(Job job, JobRunner.Outcome out) {
        if (out.result() != null) {
            s.store().progress(job.id(), job.attempt(), out.result().steps(), out.result().totalSteps());
        }
    }

    /** Trainer callbacks -> events, store progress, metrics. */
    final class Events extends JobListener {
        long lastProgressNanos;
        long lastEventNanos = Long.MIN_VALUE / 2;
        long lastWriteNanos = Long.MIN_VALUE / 2;

        /** @param startStep where the run starts: 0, or the step of the checkpoint it resumes from */
        Events(Job job, Running r, int batch, String dev, long startStep) {
            super(job, r, batch, dev, startStep);
        }

        @Override
        public void onProgress(Progress p) {
            long now = System.nanoTime();
            advance(p);
            lastProgressNanos = now;
            boolean last = p.step() == p.totalSteps();
            if (last || now - lastEventNanos >= PROGRESS_EVENT_NANOS) {
                lastEventNanos = now;
                Map<String, Object> d = new LinkedHashMap<>();
                d.put("step", p.step());
                d.put("totalSteps", p.totalSteps());
                d.put("epoch", finite(p.epoch()));
                d.put("loss", finite(p.loss()));
                d.put("examplesPerSecond", finite(p.examplesPerSecond()));
                d.put("etaSeconds", finite(p.etaSeconds()));
                publish(job.id(), "progress", d);
            }
            if (last || now - lastWriteNanos >= PROGRESS_WRITE_NANOS) {
                lastWriteNanos = now;
                if (!s.store().progress(job.id(), job.attempt(), p.step(), p.totalSteps())) {
                    r.lost = true;
                }
            }
        }

        @Override
        public void onEval(long step, Map<String, Double> metrics) {
            Map<String, Object> m = new LinkedHashMap<>();
            metrics.forEach((k, v) -> m.put(k, finite(v)));
            Map<String, Object> d = new LinkedHashMap<>();
            d.put("step", step);
            d.put("metrics", m);
            publish(job.id(), "eval", d);
        }

        @Override
        public void onCheckpoint(long step, Path dir) {
            if (step == lastStep) {
                s.metrics().checkpointWritten(job.family(), dev, Duration.ofNanos(System.nanoTime() - lastProgressNanos));
            }
        }
    }
}
