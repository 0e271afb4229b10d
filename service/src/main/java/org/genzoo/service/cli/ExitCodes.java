package org.genzoo.service.cli;

import org.genzoo.host.cl.ClUnavailableException;

/**
 * Exit codes of the genzoo command: 0 ok, 1 failure (a job FAILED, a request the server could not do),
 * 2 usage, 3 no OpenCL, 4 bad input (an invalid spec, an unknown job or artifact), 5 the job was
 * CANCELLED, 6 the server cannot be reached or is not ready, 7 the server refused the token, 130 stopped
 * by Ctrl-C or SIGTERM ({@code train}: with a checkpoint to resume from).
 */
public final class ExitCodes {
    private ExitCodes() {
    }

    public static final int OK = 0;
    public static final int FAILURE = 1;
    public static final int USAGE = 2;
    public static final int NO_OPENCL = 3;
    public static final int BAD_INPUT = 4;
    public static final int CANCELLED = 5;
    public static final int UNREACHABLE = 6;
    public static final int UNAUTHORIZED = 7;
    /** {@code genzoo train} stopped by Ctrl-C or SIGTERM after writing a checkpoint: the shell's code for Ctrl-C. */
    public static final int INTERRUPTED = 130;

    public static int of(Exception e) {
        if (e instanceof ClUnavailableException) {
            return NO_OPENCL;
        }
        if (e instanceof org.genzoo.service.api.ApiClient.UnreachableException) {
            return UNREACHABLE;
        }
        if (e instanceof IllegalArgumentException) {
            return BAD_INPUT;
        }
        return FAILURE;
    }
}
