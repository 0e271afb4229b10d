package org.genzoo.service.jobs;

import java.time.Instant;

/**
 * One job as the store holds it.
 *
 * @param id          store-assigned id ("j-" + a number or a UUID; opaque to clients)
 * @param name        the spec's name
 * @param family      the spec's /model/family (a bounded metric tag)
 * @param specJson    the spec with defaults filled in, as JSON text
 * @param state       lifecycle state
 * @param priority    higher first; ties by submission time
 * @param attempt     fencing number: incremented on every claim; a write carrying an older attempt is refused
 * @param worker      the worker holding the lease (null unless RUNNING)
 * @param step        last reported optimizer step
 * @param totalSteps  budget in steps (0 until known)
 * @param error       failure message (FAILED) or null
 * @param cancelRequested a cancel was asked for; the worker stops at its next log point
 * @param outputDir   the job's artifact folder
 */
public record Job(String id, String name, String family, String specJson, JobState state, int priority, long attempt,
        String worker, long step, long totalSteps, String error, boolean cancelRequested, String outputDir,
        Instant submittedAt, Instant startedAt, Instant finishedAt, String idempotencyKey) {
}
