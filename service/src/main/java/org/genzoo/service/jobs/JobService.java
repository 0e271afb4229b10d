package org.genzoo.service.jobs;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
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
     * @throws IdempotencyConflictException the key was used with a different body
     */
    Submitted submit(String specText, String idempotencyKey) throws IOException;

    List<Job> list(Optional<JobState> state);

    Optional<Job> get(String id);

    /** Asks a job to stop; a QUEUED job is CANCELLED at once. Returns the job after the request, empty if unknown. */
    Optional<Job> cancel(String id);

    /** Receives every event of one job from now on; close the handle to stop. */
    AutoCloseable subscribe(String jobId, Consumer<JobEvent> listener);

    /** The job's artifact folder (may not exist yet). */
    Path artifactDir(String id);

    /** True when the store answers. */
    boolean storeReachable();

    @Override
    void close();
}
