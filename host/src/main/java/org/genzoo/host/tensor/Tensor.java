package org.genzoo.host.tensor;

import org.genzoo.host.Device;
import org.genzoo.host.DeviceBuffer;
import org.genzoo.host.Kernel;
import org.genzoo.host.Tuning;
import org.genzoo.host.WorkGroups;

/**
 * A float32 matrix on a device, row-major: element (r, c) lives at {@code buffer[offset + r*ld + c]}.
 * A tensor made by {@link #empty}/{@link #zeros}/{@link #of} owns pooled storage and returns it on
 * {@link #close()}; a view ({@link #cols}, {@link #rows(int, int)}) shares its parent's storage and
 * owns nothing. Vectors are 1 x N (or N x 1) tensors. Batch x features is the usual layout.
 */
public final class Tensor implements AutoCloseable, Kernel.Tensorlike {
    private final Device device;
    private final DeviceBuffer buffer;
    private final int offset;
    private final int rows;
    private final int cols;
    private final int ld;
    private final boolean owner;

    private Tensor(Device device, DeviceBuffer buffer, int offset, int rows, int cols, int ld, boolean owner) {
        if (rows < 0 || cols < 0) {
            throw new IllegalArgumentException("negative shape " + rows + " x " + cols);
        }
        this.device = device;
        this.buffer = buffer;
        this.offset = offset;
        this.rows = rows;
        this.cols = cols;
        this.ld = ld;
        this.owner = owner;
    }

    /** Uninitialized storage (contents are whatever the pool held). */
    public static Tensor empty(Device device, int rows, int cols) {
        long n = (long) rows * cols;
        if (n > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("tensor " + rows + " x " + cols + " exceeds 2^31 elements");
        }
        return new Tensor(device, device.pool().acquireFloats(Math.max(1, n)), 0, rows, cols, cols, true);
    }

    public static Tensor zeros(Device device, int rows, int cols) {
        Tensor t = empty(device, rows, cols);
        t.fill(0f);
        return t;
    }

    /** A rows x cols tensor holding {@code data} (row-major, length rows*cols). */
    public static Tensor of(Device device, int rows, int cols, float[] data) {
        if (data.length != (long) rows * cols) {
            throw new IllegalArgumentException("data has " + data.length + " values, shape " + rows + " x " + cols + " needs "
                    + (long) rows * cols);
        }
        Tensor t = empty(device, rows, cols);
        t.buffer.write(data);
        return t;
    }

    /** Wraps a buffer the caller keeps owning. */
    public static Tensor wrap(DeviceBuffer buffer, int offset, int rows, int cols, int ld) {
        if (cols > ld && rows > 1) {
            throw new IllegalArgumentException("ld " + ld + " smaller than cols " + cols);
        }
        long last = rows == 0 || cols == 0 ? 0 : offset + (long) (rows - 1) * ld + cols;
        if (last > buffer.floats()) {
            throw new IllegalArgumentException("view ends at element " + last + " past a buffer of " + buffer.floats());
        }
        return new Tensor(buffer.device(), buffer, offset, rows, cols, ld, false);
    }

    /** Columns [from, to) of every row, sharing storage. */
    public Tensor cols(int from, int to) {
        if (from < 0 || to > cols || from > to) {
            throw new IndexOutOfBoundsException("columns [" + from + ", " + to + ") of a tensor with " + cols + " columns");
        }
        return new Tensor(device, buffer, offset + from, rows, to - from, ld, false);
    }

    /** Rows [from, to), sharing storage. */
    public Tensor rows(int from, int to) {
        if (from < 0 || to > rows || from > to) {
            throw new IndexOutOfBoundsException("rows [" + from + ", " + to + ") of a tensor with " + rows + " rows");
        }
        return new Tensor(device, buffer, offset + from * ld, to - from, cols, ld, false);
    }

    public Device device() {
        return device;
    }

    @Override
    public DeviceBuffer buffer() {
        return buffer;
    }

    public int offset() {
        return offset;
    }

    public int rows() {
        return rows;
    }

    public int cols() {
        return cols;
    }

    /** Row stride in elements. */
    public int ld() {
        return ld;
    }

    public int size() {
        return rows * cols;
    }

    public boolean contiguous() {
        return ld == cols || rows <= 1;
    }

    public boolean sameShape(Tensor o) {
        return rows == o.rows && cols == o.cols;
    }

    public String shape() {
        return rows + " x " + cols;
    }

    /** Throws unless {@code o} has this shape; {@code what} names the operands in the message. */
    public void requireShape(Tensor o, String what) {
        if (!sameShape(o)) {
            throw new IllegalArgumentException(what + ": shapes differ, " + shape() + " vs " + o.shape());
        }
    }

    /** The housekeeping kernels' work-group: WG items (kernels/tuning/tensor.properties, else the device's limit up to 256). */
    private long[] local() {
        return localFor(device, rows, cols);
    }

    /** A 2-D work-group for a rows x cols launch of the tensor.cl kernels on {@code d}. */
    public static long[] localFor(Device d, int rows, int cols) {
        Tuning t = d.tuning("tensor");
        return WorkGroups.local2d(WorkGroups.requirePow2(t, "WG", t.getInt("WG", WorkGroups.pow2(d, 256, 0))), rows, cols);
    }

    public void fill(float value) {
        if (size() == 0) {
            return;
        }
        Kernel k = device.kernel("tensor.cl", "fill").args(this, offset, ld, value, rows, cols);
        device.launch(k, new long[] {cols, rows}, local());
    }

    /** this = src (same shape, any strides). */
    public void copyFrom(Tensor src) {
        requireShape(src, "copy");
        if (size() == 0) {
            return;
        }
        Kernel k = device.kernel("tensor.cl", "copy2d").args(this, offset, ld, src, src.offset, src.ld, rows, cols);
        device.launch(k, new long[] {cols, rows}, local());
    }

    /** Writes row-major host data into this tensor (blocking). */
    public void write(float[] data) {
        if (data.length != size()) {
            throw new IllegalArgumentException("data has " + data.length + " values, tensor " + shape() + " holds " + size());
        }
        if (contiguous()) {
            buffer.write(data, 0, data.length, offset);
        } else {
            for (int r = 0; r < rows; r++) {
                buffer.write(data, r * cols, cols, offset + (long) r * ld);
            }
        }
    }

    /** Reads this tensor to a row-major host array (blocking; waits for queued work). */
    public float[] toArray() {
        float[] out = new float[size()];
        if (contiguous()) {
            buffer.read(out, 0, out.length, offset);
        } else {
            for (int r = 0; r < rows; r++) {
                buffer.read(out, r * cols, cols, offset + (long) r * ld);
            }
        }
        return out;
    }

    /** Element (r, c), read from the device: for tests and scalars. */
    public float get(int r, int c) {
        return buffer.readFloats(offset + (long) r * ld + c, 1)[0];
    }

    public boolean isOwner() {
        return owner;
    }

    @Override
    public void close() {
        if (owner) {
            buffer.close();
        }
    }

    @Override
    public String toString() {
        return "Tensor(" + shape() + (contiguous() ? "" : ", ld " + ld) + ")";
    }
}
