package org.genzoo.host;

import java.nio.ByteBuffer;

/**
 * A device buffer with one owner. Closing a pooled buffer returns it to its pool; closing any other
 * releases the device memory. Sizes and offsets in the float/int helpers are in elements.
 */
public final class DeviceBuffer implements AutoCloseable {
    private final Device device;
    private final Object handle;
    private final long bytes;
    private final BufferPool pool;
    private boolean closed;

    DeviceBuffer(Device device, Object handle, long bytes, BufferPool pool) {
        this.device = device;
        this.handle = handle;
        this.bytes = bytes;
        this.pool = pool;
    }

    public Object handle() {
        if (closed) {
            throw new IllegalStateException("device buffer used after close");
        }
        return handle;
    }

    public Device device() {
        return device;
    }

    /** Capacity in bytes (a pooled buffer may be larger than what was asked for). */
    public long bytes() {
        return bytes;
    }

    public long floats() {
        return bytes / 4;
    }

    public void write(float[] src) {
        write(src, 0, src.length, 0);
    }

    /** Copies src[srcOff, srcOff+n) into elements [dstOff, dstOff+n); blocks until done. */
    public void write(float[] src, int srcOff, int n, long dstOff) {
        checkRange(dstOff, n);
        for (int done = 0; done < n; done += STAGING_CHUNK) {
            int m = Math.min(STAGING_CHUNK, n - done);
            ByteBuffer bb = device.staging((long) m * 4);
            bb.asFloatBuffer().put(src, srcOff + done, m);
            hostWrite((dstOff + done) * 4, bb);
        }
    }

    /**
     * Elements one staged transfer moves at most (16 MiB): larger copies go in pieces, so the device's
     * direct staging buffer (host memory kept for the device's life) never grows to a data set's size.
     */
    static final int STAGING_CHUNK = 4 << 20;

    public void write(int[] src) {
        write(src, 0, src.length, 0);
    }

    public void write(int[] src, int srcOff, int n, long dstOff) {
        checkRange(dstOff, n);
        for (int done = 0; done < n; done += STAGING_CHUNK) {
            int m = Math.min(STAGING_CHUNK, n - done);
            ByteBuffer bb = device.staging((long) m * 4);
            bb.asIntBuffer().put(src, srcOff + done, m);
            hostWrite((dstOff + done) * 4, bb);
        }
    }

    public float[] readFloats(long off, int n) {
        float[] out = new float[n];
        read(out, 0, n, off);
        return out;
    }

    public void read(float[] dst, int dstOff, int n, long srcOff) {
        checkRange(srcOff, n);
        for (int done = 0; done < n; done += STAGING_CHUNK) {
            int m = Math.min(STAGING_CHUNK, n - done);
            ByteBuffer bb = device.staging((long) m * 4);
            device.api().readBuffer(device.queue(), handle(), (srcOff + done) * 4, bb, true);
            bb.asFloatBuffer().get(dst, dstOff + done, m);
        }
    }

    public int[] readInts(long off, int n) {
        checkRange(off, n);
        int[] out = new int[n];
        for (int done = 0; done < n; done += STAGING_CHUNK) {
            int m = Math.min(STAGING_CHUNK, n - done);
            ByteBuffer bb = device.staging((long) m * 4);
            device.api().readBuffer(device.queue(), handle(), (off + done) * 4, bb, true);
            bb.asIntBuffer().get(out, done, m);
        }
        return out;
    }

    /** Enqueues a device-side copy of n elements from src[srcOff..] to this[dstOff..]. */
    public void copyFrom(DeviceBuffer src, long srcOff, long dstOff, long n) {
        src.checkRange(srcOff, n);
        checkRange(dstOff, n);
        if (n > 0) {
            device.api().copyBuffer(device.queue(), src.handle(), srcOff * 4, handle(), dstOff * 4, n * 4);
        }
    }

    /**
     * Writes {@code bb} at byte {@code at}, blocking. On Oclgrind a write to part of a buffer is
     * done as a read of the whole buffer, the patch, and a write of the whole buffer: after a
     * partial host write, Oclgrind 21.10's uninitialized-value checker treats the rest of the
     * buffer as uninitialized for good, even after kernels have written it (the simulated-GPU
     * pass then reports correct kernels; OclgrindSelfCheck#aPartialHostWriteIsNotReported).
     * Same contents either way; other devices take the plain write.
     */
    private void hostWrite(long at, ByteBuffer bb) {
        if (!device.wholeBufferWrites() || (at == 0 && bb.remaining() == bytes)) {
            device.api().writeBuffer(device.queue(), handle(), at, bb, true);
            return;
        }
        ByteBuffer all = ByteBuffer.allocateDirect(Math.toIntExact(bytes)).order(java.nio.ByteOrder.nativeOrder());
        device.api().readBuffer(device.queue(), handle(), 0, all, true);
        all.clear();
        all.position(Math.toIntExact(at));
        all.put(bb);
        all.clear();
        device.api().writeBuffer(device.queue(), handle(), 0, all, true);
    }

    private void checkRange(long off, long n) {
        if (off < 0 || n < 0 || (off + n) * 4 > bytes) {
            throw new IndexOutOfBoundsException("elements [" + off + ", " + (off + n) + ") outside a buffer of "
                    + (bytes / 4) + " 4-byte elements");
        }
    }

    public boolean isClosed() {
        return closed;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (pool != null) {
            pool.giveBack(new DeviceBuffer(device, handle, bytes, pool));
        } else {
            device.releaseBuffer(handle, bytes);
        }
    }
}
