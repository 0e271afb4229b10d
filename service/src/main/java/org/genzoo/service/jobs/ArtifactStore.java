package org.genzoo.service.jobs;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Where a fleet keeps each job's artifacts (checkpoints, metrics, log, samples, report) so that any
 * node can resume a job and any node's API can serve its files. A worker never trains inside the
 * shared store: it runs each attempt in a private local folder, {@link #fetch}es the newest
 * checkpoint into it before the run, and publishes what it wrote after each checkpoint and at the end:
 * {@link #stage} copies the files to a staging area (slow, outside any transaction), then
 * {@link Publication#commit} renames them into the job's folder inside the job store's fenced
 * transaction ({@link PostgresJobStore#fence}), so a worker that lost its job changes nothing here.
 *
 * <p>{@link MountedArtifactStore} is a mounted filesystem path shared by the nodes (NFS, CephFS, a
 * bind mount on one machine); an S3-compatible store would implement the same three methods.
 */
public interface ArtifactStore {
    /**
     * Copies into the empty folder {@code local} what a resumed attempt needs: the newest committed
     * checkpoint, {@code metrics.csv} and {@code train.log}. Returns the step of the checkpoint copied,
     * or 0 when the job has none (the attempt starts from step 0).
     */
    long fetch(String jobId, Path local) throws IOException;

    /**
     * Prepares to make the files of {@code local} the job's shared artifacts: new and changed files
     * are copied whole (and flushed to disk) to a staging area outside the job's folder. Nothing in
     * the job's folder changes until {@link Publication#commit}; this is the slow part, done outside
     * any database transaction.
     */
    Publication stage(String jobId, Path local) throws IOException;

    /** Staged files waiting to be published. */
    interface Publication {
        /**
         * Moves the staged files into the job's folder (atomic renames, each checkpoint's
         * {@code checkpoint.json} last) and removes checkpoints the run pruned. Quick: the worker runs
         * it inside the fenced transaction. Safe to call again after a call whose transaction failed
         * (the database restarted under it): files already moved are skipped.
         */
        void commit() throws IOException;

        /** Deletes the staged files (the attempt lost the job, or the commit was refused). */
        void abandon() throws IOException;
    }

    /** A local folder holding the job's shared artifacts, for the API to serve. */
    Path jobFolder(String jobId);

    /** Where the store is, for messages. */
    String describe();
}
