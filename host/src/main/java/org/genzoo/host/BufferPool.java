package org.genzoo.host;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;

/**
 * Reuses device buffers by size class so a training loop allocates nothing in its steady state.
 * Sizes round up to a multiple of 256 bytes below 64 KiB, and to one of eight steps per power of
 * two above (at most 12.5% waste).
 */
public final class BufferPool implements AutoCloseable {
    private final Device device;
    private final Map<Long, Deque<DeviceBuffer>> free = new HashMap<>();
    private long freeBytes;
    private long hits;
    private long misses;

    BufferPool(Device device) {
        this.device = device;
    }

    static long sizeClass(long bytes) {
        if (bytes <= 0) {
            return 256;
        }
        if (bytes <= 65536) {
            return (bytes + 255) & ~255L;
        }
        int top = 63 - Long.numberOfLeadingZeros(bytes - 1);
        long step = 1L << (top - 3);
        return ((bytes + step - 1) / step) * step;
    }

    /** A buffer of at least {@code bytes}; closing it returns it here. */
    public DeviceBuffer acquire(long bytes) {
        long cls = sizeClass(bytes);
        Deque<DeviceBuffer> q = free.get(cls);
        if (q != null && !q.isEmpty()) {
            hits++;
            freeBytes -= cls;
            return q.pop();
        }
        misses++;
        return new DeviceBuffer(device, device.createBufferHandle(cls), cls, this);
    }

    public DeviceBuffer acquireFloats(long n) {
        return acquire(n * 4);
    }

    void giveBack(DeviceBuffer b) {
        free.computeIfAbsent(b.bytes(), k -> new ArrayDeque<>()).push(b);
        freeBytes += b.bytes();
    }

    /** Bytes held by the pool and not in use. */
    public long freeBytes() {
        return freeBytes;
    }

    public long hits() {
        return hits;
    }

    public long misses() {
        return misses;
    }

    /** Releases every idle buffer back to the device. */
    public void trim() {
        for (Deque<DeviceBuffer> q : free.values()) {
            for (DeviceBuffer b : q) {
                device.releaseBuffer(b.handle(), b.bytes());
            }
        }
        free.clear();
        freeBytes = 0;
    }

    @Override
    public void close() {
        trim();
    }
}
