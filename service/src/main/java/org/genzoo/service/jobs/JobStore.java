package org.genzoo.service.jobs;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * Where jobs live between submission and their end. The embedded implementation is
 * {@link SqliteJobStore}; a server-backed one (PostgreSQL with {@code FOR UPDATE SKIP LOCKED}) would
 * implement the same contract:
 * <ul>
 * <li>{@link #insert} is idempotent per key: the same key with the same body hash returns the job it
 *     made; the same key with another body is an {@link IdempotencyConflictException}.
 * <li>{@link #claimNext} is atomic: two workers never claim the same job. It picks the highest
 *     priority, then the oldest submission, among QUEUED jobs that {@code eligible} accepts; sets
 *     RUNNING, the worker, a lease, and increments the attempt.
 * <li>Every write by a worker names the attempt it holds (fencing). A write with an older attempt,
 *     or to a job that is no longer RUNNING, changes nothing and returns false (or
 *     {@link Lease#LOST}): the worker has lost the job and must stop without touching it.
 * </ul>
 * Implementations are thread-safe.
 */
public interface JobStore extends AutoCloseable {
    /**
     * A job to insert.
     *
     * @param specJson      the spec with defaults filled in, as a JSON object; the store sets its {@code output} to the job's folder
     * @param totalSteps    the budget in steps when known from the spec alone, else 0
     * @param bodyHash      what decides whether a replayed key carries "the same body"
     * @param idempotencyKey null or the client's key
     * @param requiredBytes  the dry run's device-memory estimate (0 when unknown); stores that keep it skip offers with less free memory
     */
    record NewJob(String name, String family, String specJson, int priority, long totalSteps, String bodyHash,
            String idempotencyKey, long requiredBytes) {
        public NewJob(String name, String family, String specJson, int priority, long totalSteps, String bodyHash,
                String idempotencyKey) {
            this(name, family, specJson, priority, totalSteps, bodyHash, idempotencyKey, 0);
        }
    }

    /** What a heartbeat learns. */
    enum Lease {
        /** The worker still holds the job; the lease was renewed. */
        HELD,
        /** Still held and renewed, and a cancel was requested: stop at the next log point. */
        CANCEL_REQUESTED,
        /** The attempt is stale or the job is no longer RUNNING: stop and write nothing. */
        LOST
    }

    JobService.Submitted insert(NewJob job);

    Optional<Job> get(String id);

    /** Jobs in submission order, optionally of one state. */
    List<Job> list(Optional<JobState> state);

    /** Claims the next eligible QUEUED job for {@code worker}, leased for {@code lease}; empty when none. */
    Optional<Job> claimNext(String worker, Duration lease, Predicate<Job> eligible);

    /**
     * Claims like {@link #claimNext(String, Duration, Predicate)} among the jobs that {@code offer}'s
     * device can run: its selector accepts the device, and (where the store knows a job's memory
     * estimate) the estimate fits in the offer's free memory. The default filters by selector only;
     * {@link PostgresJobStore} filters both in SQL.
     */
    default Optional<Job> claimNext(String worker, Duration lease, DeviceOffer offer) {
        return claimNext(worker, lease, offer::accepts);
    }

    /** Renews the lease of a RUNNING job held with {@code attempt}. */
    Lease heartbeat(String id, long attempt, Duration lease);

    /** Records progress; false when the attempt no longer holds the job. */
    boolean progress(String id, long attempt, long step, long totalSteps);

    /** Ends a RUNNING job held with {@code attempt} in a terminal state; false when the attempt no longer holds it. */
    boolean finish(String id, long attempt, JobState state, String error);

    /** Puts a RUNNING job held with {@code attempt} back in the queue (its worker is stopping); false when not held. */
    boolean requeue(String id, long attempt);

    /**
     * Asks a job to stop: a QUEUED job becomes CANCELLED at once, a RUNNING one gets its cancel flag
     * (its worker stops at the next log point), a finished one is left as it is. Empty when unknown.
     */
    Optional<Job> requestCancel(String id);

    /**
     * On start: every RUNNING job (left by a process that died) goes back to QUEUED, or to CANCELLED
     * if a cancel was requested. Returns how many were requeued or cancelled.
     */
    int recoverRunning();

    /** RUNNING jobs whose lease has expired go back to QUEUED (or CANCELLED when asked). Returns how many. */
    int reapExpired();

    /** How many jobs are in each state (every state present, zero included). */
    Map<JobState, Long> counts();

    /** True when the store answers a trivial query. */
    boolean reachable();

    /** True when the store takes a write now (a full disk answers reads but not writes). */
    default boolean writable() {
        return reachable();
    }

    @Override
    void close();
}
