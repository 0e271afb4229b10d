package org.genzoo.host.cl;

/** An OpenCL call failed: the message names the call and the CL_* status. */
public class ClException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final String call;
    private final int status;

    public ClException(String call, int status) {
        this(call, status, null);
    }

    public ClException(String call, int status, String detail) {
        super(call + " failed: " + ClStatus.name(status) + " (" + status + ")" + (detail == null ? "" : ": " + detail));
        this.call = call;
        this.status = status;
    }

    public String call() {
        return call;
    }

    public int status() {
        return status;
    }
}
