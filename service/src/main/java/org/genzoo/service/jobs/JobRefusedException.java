package org.genzoo.service.jobs;

/**
 * A valid spec that this service cannot run: no device matches its selector, it does not fit in
 * device memory, or its data cannot be read. Bad input (an IllegalArgumentException, like
 * {@link org.genzoo.models.train.SpecException}): the HTTP layer answers 4xx, the CLI exits with code 4.
 */
public final class JobRefusedException extends IllegalArgumentException {
    public JobRefusedException(String message) {
        super(message);
    }
}
