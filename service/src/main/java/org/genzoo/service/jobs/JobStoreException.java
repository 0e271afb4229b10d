package org.genzoo.service.jobs;

/** The job store could not do what was asked (database unreachable, corrupt, or locked for too long): a server-side error. */
public final class JobStoreException extends RuntimeException {
    public JobStoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
