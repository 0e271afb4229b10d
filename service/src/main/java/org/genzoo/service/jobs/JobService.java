package org.genzoo.service.jobs;

import java.io.IOException;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * What the HTTP API, the dashboard and the CLI see of the job system: submit, list, inspect,
 * cancel, follow, and fetch artifacts. Implemented over a {@link JobStore} and the worker pool.
 */
public interface JobService extends AutoCloseable {
    /** The outcome of a submission: the job and whether it was created now (false: an idempotent replay). */
    record Submitted(Job job, boolean created) {
    }

    /**
     * Validates and enqueues a spec (JSON or YAML text).
     *
     * @param idempotencyKey null, or a client key: a repeat with the same key and body returns the existing job
     * @throws org.genzoo.models.train.SpecException invalid spec (one error per bad field)
     * @throws JobRefusedException a valid spec this service cannot run (no matching device, does not fit in memory, unreadable data)
     * @throws IllegalArgumentException a malformed idempotency key (SpecException and JobRefusedException are IllegalArgumentExceptions too: all are 4xx)
     * @throws IdempotencyConflictException the key was used with a different body
     */
    Submitted submit(String specText, String idempotencyKey) throws IOException;

    List<Job> list(Optional<JobState> state);

    Optional<Job> get(String id);

    /** Asks a job to stop; a QUEUED job is CANCELLED at once. Returns the job after the request, empty if unknown. */
    Optional<Job> cancel(String id);

    /** Receives every event of one job from now on; close the handle to stop. */
    AutoCloseable subscribe(String jobId, Consumer<JobEvent> listener);

    /**
     * Receives every event of every job from now on (a dashboard's feed); close the handle to stop.
     * Added after the first version of this interface: implementations without a feed refuse it.
     */
    default AutoCloseable subscribeAll(Consumer<JobEvent> listener) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " has no feed of all jobs' events");
    }

    /** How many jobs are in each state, every state present (for a gauge). The default counts {@link #list}. */
    default Map<JobState, Long> counts() {
        Map<JobState, Long> out = new EnumMap<>(JobState.class);
        for (JobState s : JobState.values()) {
            out.put(s, 0L);
        }
        for (Job j : list(Optional.empty())) {
            out.merge(j.state(), 1L, Long::sum);
        }
        return out;
    }

    /**
     * The job's artifact folder (may not exist yet). An id that cannot be a job id (so could not name a
     * folder under the data folder) is an IllegalArgumentException.
     */
    Path artifactDir(String id);

    /** True when the store answers. */
    boolean storeReachable();

    /**
     * Null when jobs can be recorded now: the store answers and takes a write, and the job folders take
     * a write; else what is wrong, in words a person understands (readiness reports it and goes DOWN).
     */
    default String storageProblem() {
        return storeReachable() ? null : "the job store does not answer";
    }

    @Override
    void close();
}
