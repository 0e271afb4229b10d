package org.genzoo.service.cli;

import org.genzoo.host.cl.ClUnavailableException;

/** Exit codes of the genzoo command: 0 ok, 1 failure, 2 usage, 3 no OpenCL, 4 bad input. */
public final class ExitCodes {
    private ExitCodes() {
    }

    public static final int OK = 0;
    public static final int FAILURE = 1;
    public static final int USAGE = 2;
    public static final int NO_OPENCL = 3;
    public static final int BAD_INPUT = 4;

    public static int of(Exception e) {
        if (e instanceof ClUnavailableException) {
            return NO_OPENCL;
        }
        if (e instanceof IllegalArgumentException) {
            return BAD_INPUT;
        }
        return FAILURE;
    }
}
