package org.genzoo.service.jobs;

import java.time.Duration;

/**
 * What the workers report for metrics. The service's Micrometer binder implements it; every call
 * comes from a worker thread, so keep it quick and thread-safe. Arguments are bounded tag values
 * (family, device name, outcome), never a job id.
 */
public interface JobMetricsListener {
    /** A worker claimed a job and starts (or resumes) it. */
    default void jobStarted(String family, String device) {
    }

    /**
     * An attempt ended. {@code outcome} is SUCCEEDED, FAILED or CANCELLED, or QUEUED when the attempt
     * stopped without ending the job (the service shut down, or the worker lost its lease) and the
     * job will run again. {@code duration} is the attempt's wall time.
     */
    default void jobFinished(String family, String device, JobState outcome, Duration duration) {
    }

    /** Training examples consumed since the last report (batch size times steps). */
    default void examplesProcessed(String family, String device, long examples) {
    }

    /** A job failed on a NaN or infinite loss. */
    default void nonFiniteLoss(String family, String device) {
    }

    /**
     * A checkpoint was written during training (weights, optimizer state and record, each fsynced,
     * plus pruning). Measured from the log point that triggered it to the checkpoint's report; a
     * checkpoint written on cancellation is not timed.
     */
    default void checkpointWritten(String family, String device, Duration duration) {
    }

    /**
     * A worker starts on {@code device}, on the worker's own thread (the device's owner): the place to
     * turn on sampled kernel timing ({@link org.genzoo.host.Device#setKernelTiming}).
     */
    default void workerStarted(org.genzoo.host.Device device) {
    }

    JobMetricsListener NONE = new JobMetricsListener() {
    };
}
