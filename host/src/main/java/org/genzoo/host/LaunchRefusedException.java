package org.genzoo.host;

/**
 * A launch configuration exceeds a limit of the device (work-group size, work-item sizes, number
 * of dimensions, local memory), found before anything was enqueued. The message names the kernel,
 * its defines, the global and local sizes and the limit; the fix is a smaller configuration in the
 * op's tuning file (kernels/tuning/, or $GENZOO_TUNING_DIR).
 */
public final class LaunchRefusedException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    public LaunchRefusedException(String message) {
        super(message);
    }
}
