package org.genzoo.host;

/**
 * Work-group shapes derived from a device's limits, for ops whose tuning file names none. Every
 * size an op launches with comes from its {@link Tuning} or from here, never from a constant.
 */
public final class WorkGroups {
    private WorkGroups() {
    }

    /**
     * The largest power of two no larger than {@code want}, the device's CL_DEVICE_MAX_WORK_GROUP_SIZE
     * and its CL_DEVICE_MAX_WORK_ITEM_SIZES along {@code dim}.
     */
    public static int pow2(Device d, int want, int dim) {
        long cap = Math.min(want, d.info().maxWorkGroupSize());
        long[] items = d.maxWorkItemSizes();
        if (dim < items.length) {
            cap = Math.min(cap, items[dim]);
        }
        return Integer.highestOneBit((int) Math.max(1, cap));
    }

    /**
     * A 2-D local size {lx, ly} of at most {@code total} work-items (a power of two), no wider than
     * the {@code cols} and no taller than the {@code rows} of the tensor it covers need.
     */
    public static long[] local2d(int total, int rows, int cols) {
        int lx = pow2Cap(cols, total);
        int ly = pow2Cap(rows, total / lx);
        return new long[] {lx, ly};
    }

    /** The smallest power of two >= n, but at most {@code cap} (a power of two). */
    public static int pow2Cap(int n, int cap) {
        if (n >= cap) {
            return cap;
        }
        return n <= 1 ? 1 : Integer.highestOneBit(n - 1) << 1;
    }

    /** {@code value}, checked to be a positive power of two; the message names the tuning key. */
    public static int requirePow2(Tuning t, String key, int value) {
        if (value < 1 || Integer.bitCount(value) != 1) {
            throw new IllegalArgumentException("tuning " + t.family() + " (" + t.source() + "): " + key + "=" + value
                    + " must be a positive power of two");
        }
        return value;
    }

    /**
     * Tuning key {@code key} (default: the largest power of two up to {@code want} the device allows in
     * dimension 0), checked to be a power of two when {@code pow2}, and capped at the device's largest
     * power-of-two work-group.
     */
    public static int tuned(Device d, Tuning t, String key, int want, boolean pow2) {
        int v = t.getInt(key, pow2(d, want, 0));
        return Math.min(pow2 ? requirePow2(t, key, v) : v, pow2(d, 1 << 30, 0));
    }
}
