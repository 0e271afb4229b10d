package org.genzoo.service.jobs;

/** The job store could not do what was asked (database unreachable, corrupt, or locked for too long): a server-side error. */
public final class JobStoreException extends RuntimeException {
    public JobStoreException(String message, Throwable cause) {
        super(message, cause);
    }

    /** True when the cause is a full disk (SQLite's SQLITE_FULL, the OS's ENOSPC): an operator must free space. */
    public boolean storageFull() {
        return isStorageFull(this);
    }

    /** True when {@code t} or one of its causes says the disk is full. */
    public static boolean isStorageFull(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            String m = String.valueOf(c.getMessage());
            if (m.contains("SQLITE_FULL") || m.contains("database or disk is full") || m.contains("No space left on device")
                    || m.contains("Disk quota exceeded")) {
                return true;
            }
        }
        return false;
    }
}
