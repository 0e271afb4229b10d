package org.genzoo.service.jobs;

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
import org.genzoo.host.NativeEnv;
import org.genzoo.host.cl.ClDeviceInfo;
import org.genzoo.models.train.TrainingListener;

/**
 * What {@link WorkerPool} (one process, SQLite) and {@link FleetWorkerPool} (a fleet node, PostgreSQL)
 * share: one worker thread per device that claims a job, runs it and claims the next, idle workers
 * waiting on a signal (a submission wakes them) or polling; a timer that renews the leases of running
 * jobs and requeues expired ones; cancel and lost flags per running job; and the memory a job leaves:
 * after each job the device's pooled buffers go back to the driver, and when no job waits, a full
 * collection lets G1 return the job's free heap to the OS and {@code malloc_trim} returns what the
 * driver freed (on a CPU device the buffers themselves) from the C heap's arenas.
 */
abstract class AbstractWorkerPool implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(AbstractWorkerPool.class.getName());

    private final JobStore store;
    private final Duration lease;
    private final Duration poll;
    private final JobMetricsListener metrics;
    private final Consumer<JobEvent> events;
    private final List<Worker> workers = new ArrayList<>();
    private final Map<String, Running> running = new ConcurrentHashMap<>();
    private final Object signal = new Object();
    private final ScheduledExecutorService timer;
    volatile boolean stopping;

    /**
     * @param workerPrefix prefix of the workers' names (the pid and the worker's index follow)
     * @param threadPrefix prefix of the worker threads' names
     * @param timerName    the lease timer thread's name
     */
    AbstractWorkerPool(JobStore store, List<Device> devices, Duration lease, Duration poll, JobMetricsListener metrics,
            Consumer<JobEvent> events, String workerPrefix, String threadPrefix, String timerName) {
        this.store = store;
        this.lease = lease;
        this.poll = poll;
        this.metrics = metrics;
        this.events = events;
        String pid = Long.toString(ProcessHandle.current().pid());
        for (int i = 0; i < devices.size(); i++) {
            workers.add(new Worker(workerPrefix + "p" + pid + "-w" + i, devices.get(i), threadPrefix));
        }
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, timerName);
            t.setDaemon(true);
            return t;
        });
    }

    /** Schedules lease renewals (the first after {@code firstBeat} ms, then every {@code beat} ms) and reaps, and starts the workers. */
    final void startWorkers(long firstBeat, long beat, long reap) {
        timer.scheduleWithFixedDelay(this::heartbeats, firstBeat, beat, TimeUnit.MILLISECONDS);
        timer.scheduleWithFixedDelay(this::reap, reap, reap, TimeUnit.MILLISECONDS);
        for (Worker w : workers) {
            w.thread.start();
        }
    }

    /** The lease a claim gets. */
    final Duration lease() {
        return lease;
    }

    final JobMetricsListener metrics() {
        return metrics;
    }

    final List<Worker> workers() {
        return workers;
    }

    /** The devices the workers run on, in worker order. */
    public List<ClDeviceInfo> devices() {
        return workers.stream().map(w -> w.device.info()).toList();
    }

    /** Each worker: its device, its job (null when idle), device memory allocated through it. */
    public List<WorkerPool.WorkerStatus> status() {
        List<WorkerPool.WorkerStatus> out = new ArrayList<>();
        for (Worker w : workers) {
            Running r = w.current;
            out.add(new WorkerPool.WorkerStatus(w.name, w.device.info().name(), r == null ? null : r.id, r == null ? 0 : r.attempt,
                    w.device.allocatedBytes()));
        }
        return out;
    }

    /** Tells idle workers to look at the queue now (after a submission). */
    public void wake() {
        synchronized (signal) {
            signal.notifyAll();
        }
    }

    /** A cancel was requested for {@code id}: if one of these workers runs it, it stops at its next log point. */
    public void cancel(String id) {
        Running r = running.get(id);
        if (r != null) {
            r.cancel = true;
        }
    }

    /** A warning about a store call that is retried; the fleet logs the message only (a database restart is expected). */
    void warn(String message, RuntimeException e) {
        LOG.log(System.Logger.Level.WARNING, message, e);
    }

    private void heartbeats() {
        for (Running r : running.values()) {
            try {
                switch (store.heartbeat(r.id, r.attempt, lease)) {
                    case HELD -> {
                    }
                    case CANCEL_REQUESTED -> r.cancel = true;
                    case LOST -> r.lost = true;
                    default -> throw new IllegalStateException();
                }
            } catch (RuntimeException e) {
                warn("lease renewal of " + r.id + " failed; retrying", e);
            }
        }
        afterHeartbeats();
    }

    /** Runs on the timer after the leases are renewed (the fleet renews its workers' rows). */
    void afterHeartbeats() {
    }

    private void reap() {
        try {
            int n = store.reapExpired();
            if (n > 0) {
                LOG.log(System.Logger.Level.INFO, n + " job(s) with an expired lease requeued");
                wake();
            }
        } catch (RuntimeException e) {
            warn("reaping expired leases failed; retrying", e);
        }
    }

    final void publish(String jobId, String type, Map<String, Object> data) {
        events.accept(new JobEvent(jobId, type, data));
    }

    /** The next job {@code w} may run, if any. */
    abstract Optional<Job> claim(Worker w);

    /** Runs {@code job} on {@code w} and records its outcome; true when the worker should wait before it claims again. */
    abstract boolean run(Worker w, Job job, Running r);

    /** Runs on the worker's thread when its loop ends. */
    void workerStopped(Worker w) {
    }

    /** Runs in {@link #close()} after the workers and the timer stopped, before the devices close. */
    void closing() {
    }

    /**
     * True when no job waits in the queue (or the store cannot say). The memory a job leaves is released
     * when the queue is empty: a worker that claims the next job at once reuses it anyway, and a queue
     * of a thousand short jobs is not slowed by a full collection after each.
     */
    private boolean queueEmpty() {
        try {
            return store.counts().getOrDefault(JobState.QUEUED, 0L) == 0;
        } catch (RuntimeException e) {
            return true;
        }
    }

    /**
     * Gives the job's memory back to the OS: a full collection (G1 uncommits the free heap: the job's
     * data set, checkpoint copies) and glibc's {@code malloc_trim} (what the driver freed, on a CPU
     * device the buffers themselves, kept in malloc's arenas). After the job, so its cost is not on a step.
     */
    static void releaseMemory() {
        System.gc();
        NativeEnv.mallocTrim();
    }

    /** A job a worker holds. */
    static final class Running {
        final String id;
        final long attempt;
        volatile boolean cancel;
        volatile boolean lost;

        Running(String id, long attempt) {
            this.id = id;
            this.attempt = attempt;
        }
    }

    /** One device's worker. */
    final class Worker implements Runnable {
        final String name;
        final Device device;
        final Thread thread;
        volatile Running current;

        Worker(String name, Device device, String threadPrefix) {
            this.name = name;
            this.device = device;
            this.thread = new Thread(this, threadPrefix + name);
        }

        @Override
        public void run() {
            metrics.workerStarted(device);
            while (!stopping) {
                Optional<Job> job;
                try {
                    job = claim(this);
                } catch (RuntimeException e) {
                    warn(name + ": claiming a job failed; retrying", e);
                    job = Optional.empty();
                }
                if (job.isEmpty()) {
                    synchronized (signal) {
                        if (stopping) {
                            break;
                        }
                        try {
                            signal.wait(poll.toMillis());
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            break;
                        }
                    }
                    continue;
                }
                try {
                    if (runJob(job.get())) {
                        synchronized (signal) {
                            signal.wait(WorkerPool.STORAGE_BACKOFF_MILLIS);
                        }
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                } catch (RuntimeException e) {
                    LOG.log(System.Logger.Level.ERROR, name + ": job " + job.get().id() + " broke its worker loop", e);
                }
            }
            workerStopped(this);
        }

        private boolean runJob(Job job) {
            Running r = new Running(job.id(), job.attempt());
            running.put(job.id(), r);
            current = r;
            try {
                return AbstractWorkerPool.this.run(this, job, r);
            } finally {
                running.remove(job.id());
                device.pool().trim();
                if (queueEmpty()) {
                    releaseMemory();
                }
                current = null; // idle in status() once its memory went back
            }
        }

        /** A state event's data: the state, the attempt, this worker and its device, the error if any. */
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

        /** The end state's event data: the outcome's state and error, the failed step of a non-finite loss, the steps run. */
        Map<String, Object> ended(Job job, JobRunner.Outcome out) {
            Map<String, Object> d = state(out.state(), job, out.error());
            if (out.nonFinite()) {
                d.put("failedStep", out.failedStep());
            }
            if (out.result() != null) {
                d.put("step", out.result().steps());
                d.put("totalSteps", out.result().totalSteps());
            }
            return d;
        }
    }

    /** Trainer callbacks both pools handle alike: throughput to the metrics, log lines as events. */
    abstract class JobListener implements TrainingListener {
        final Job job;
        final Running r;
        final int batch;
        final String dev;
        long lastStep;

        /** @param startStep where the run starts: 0, or the step of the checkpoint it resumes from */
        JobListener(Job job, Running r, int batch, String dev, long startStep) {
            this.job = job;
            this.r = r;
            this.batch = batch;
            this.dev = dev;
            this.lastStep = startStep;
        }

        /** Counts the examples processed since the last progress report. */
        final void advance(Progress p) {
            if (p.step() > lastStep) {
                metrics.examplesProcessed(job.family(), dev, (p.step() - lastStep) * batch);
            }
            lastStep = p.step();
        }

        @Override
        public void onLog(String line) {
            publish(job.id(), "log", Map.of("line", line));
        }
    }

    /** Non-finite doubles become null (JSON has no NaN). */
    static Double finite(double v) {
        return Double.isFinite(v) ? v : null;
    }

    /** Stops the workers (running jobs stop at their next log point), waits for them, then closes the devices. */
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
        try {
            closing();
        } finally {
            for (Worker w : workers) {
                w.device.close();
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
