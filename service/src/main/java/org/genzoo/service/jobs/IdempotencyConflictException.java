package org.genzoo.service.jobs;

/** An Idempotency-Key was reused with a different request body. */
public final class IdempotencyConflictException extends RuntimeException {
    private final String existingJobId;

    public IdempotencyConflictException(String key, String existingJobId) {
        super("the Idempotency-Key \"" + key + "\" was already used for job " + existingJobId
                + " with a different body; use a new key for a different job");
        this.existingJobId = existingJobId;
    }

    public String existingJobId() {
        return existingJobId;
    }
}
