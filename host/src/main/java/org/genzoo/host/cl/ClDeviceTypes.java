package org.genzoo.host.cl;

/** CL_DEVICE_TYPE bits to the words users type ("gpu", "cpu", "accelerator"). */
public final class ClDeviceTypes {
    private ClDeviceTypes() {
    }

    public static final long CPU = 1L << 1;
    public static final long GPU = 1L << 2;
    public static final long ACCELERATOR = 1L << 3;
    public static final long CUSTOM = 1L << 4;

    public static String name(long bits) {
        if ((bits & GPU) != 0) {
            return "gpu";
        }
        if ((bits & CPU) != 0) {
            return "cpu";
        }
        if ((bits & ACCELERATOR) != 0) {
            return "accelerator";
        }
        if ((bits & CUSTOM) != 0) {
            return "custom";
        }
        return "other";
    }
}
