package org.genzoo.host.cl;

/** No OpenCL library or platform is present; the message says what to install. */
public class ClUnavailableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public static final String INSTALL_HINT =
            "no OpenCL platform found: on Debian/Ubuntu run `apt-get install ocl-icd-libopencl1 ocl-icd-opencl-dev pocl-opencl-icd` "
                    + "for the CPU device, or install your GPU vendor's OpenCL driver";

    public ClUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }

    public ClUnavailableException(String message) {
        super(message);
    }
}
