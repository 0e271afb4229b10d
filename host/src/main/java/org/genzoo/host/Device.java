package org.genzoo.host;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.genzoo.host.cl.ClApi;
import org.genzoo.host.cl.ClDeviceInfo;

/**
 * One OpenCL device opened for work: a context, an in-order profiling queue, a program cache and a
 * buffer pool. A Device belongs to one thread at a time (one worker per device).
 */
public final class Device implements AutoCloseable {
    private final ClApi api;
    private final ClDeviceInfo info;
    private final Object context;
    private final Object queue;
    private final ProgramCache programs;
    private final BufferPool pool;
    /** CL_DEVICE_MAX_WORK_ITEM_SIZES; its length is the number of dimensions the device launches. */
    private final long[] maxWorkItemSizes;
    private final AtomicLong allocatedBytes = new AtomicLong();
    /** Host writes to part of a buffer go through a whole-buffer write (Oclgrind; see DeviceBuffer). */
    private final boolean wholeBufferWrites;
    private ByteBuffer staging = ByteBuffer.allocateDirect(1 << 16).order(ByteOrder.nativeOrder());

    private KernelTimingListener timingListener;
    private int sampleEvery = 0;
    private long launches;
    private final List<Pending> pending = new ArrayList<>();
    private final Map<Class<?>, Object> shared = new java.util.LinkedHashMap<>();
    private final Map<String, Tuning> tunings = new java.util.HashMap<>();

    private record Pending(String kernel, Object event) {
    }

    /** Told of every kernel any device launches (see {@link #observeLaunches}); null when none. */
    private static volatile java.util.function.Consumer<Kernel> launchObserver;

    /** Receives device times of sampled kernel launches. */
    @FunctionalInterface
    public interface KernelTimingListener {
        void onKernel(String kernel, long deviceNanos);

        /**
         * The same launch with its profiling timestamps (device clock, nanoseconds): when it started
         * and ended. The gaps between one launch's end and the next one's start are time the device
         * spent idle or switching. Defaults to {@link #onKernel} with the difference.
         */
        default void onKernelSpan(String kernel, long startNanos, long endNanos) {
            onKernel(kernel, endNanos - startNanos);
        }
    }

    private Device(ClApi api, ClDeviceInfo info, java.nio.file.Path cacheDir) {
        this.api = api;
        this.info = info;
        this.context = api.createContext(info);
        Object q = null;
        try {
            q = api.createQueue(context, info, true);
        } finally {
            if (q == null) {
                api.release(context);
            }
        }
        this.queue = q;
        this.maxWorkItemSizes = api.maxWorkItemSizes(info);
        this.wholeBufferWrites = info.name().contains("Oclgrind");
        this.programs = new ProgramCache(api, info, context, cacheDir);
        this.pool = new BufferPool(this);
    }

    /** Opens the device that {@code selector} names with the binding that {@code binding} names (null = env/default). */
    public static Device open(String binding, String selector) {
        ClApi api = Bindings.resolve(binding);
        ClDeviceInfo info = DeviceSelector.select(api.devices(), DeviceSelector.fromOptionOrEnv(selector));
        return open(api, info);
    }

    public static Device open(ClApi api, ClDeviceInfo info) {
        return new Device(api, info, ProgramCache.defaultDir());
    }

    public ClApi api() {
        return api;
    }

    public ClDeviceInfo info() {
        return info;
    }

    /** The largest local size along each dimension (CL_DEVICE_MAX_WORK_ITEM_SIZES); a copy. */
    public long[] maxWorkItemSizes() {
        return maxWorkItemSizes.clone();
    }

    Object queue() {
        return queue;
    }

    public ProgramCache programs() {
        return programs;
    }

    public BufferPool pool() {
        return pool;
    }

    /** The kernel {@code name} from {@code file} built with {@code defines}. */
    public Kernel kernel(String file, String name, Map<String, String> defines) {
        return programs.get(file, defines).kernel(name);
    }

    public Kernel kernel(String file, String name) {
        return kernel(file, name, Map.of());
    }

    boolean wholeBufferWrites() {
        return wholeBufferWrites;
    }

    /** The tunables of an op family on this device, read once (see {@link Tuning}). */
    public Tuning tuning(String family) {
        return tunings.computeIfAbsent(family, f -> Tuning.load(f, info));
    }

    /**
     * One instance per device of a helper (an op with cached state such as {@link org.genzoo.host.ops.Gemm}),
     * made on first use; closed with the device when it is AutoCloseable.
     */
    public <T> T shared(Class<T> type, java.util.function.Function<Device, T> make) {
        Object o = shared.get(type);
        if (o == null) {
            o = make.apply(this);
            shared.put(type, o);
        }
        return type.cast(o);
    }

    /** A fresh, unpooled buffer the caller owns. */
    public DeviceBuffer allocate(long bytes) {
        return new DeviceBuffer(this, createBufferHandle(bytes), bytes, null);
    }

    public DeviceBuffer upload(float[] data) {
        DeviceBuffer b = pool.acquireFloats(Math.max(1, data.length));
        b.write(data);
        return b;
    }

    public DeviceBuffer upload(int[] data) {
        DeviceBuffer b = pool.acquireFloats(Math.max(1, data.length));
        b.write(data);
        return b;
    }

    Object createBufferHandle(long bytes) {
        if (bytes <= 0) {
            throw new IllegalArgumentException("buffer size must be positive, got " + bytes);
        }
        Object h = api.createBuffer(context, bytes);
        allocatedBytes.addAndGet(bytes);
        return h;
    }

    void releaseBuffer(Object handle, long bytes) {
        api.release(handle);
        allocatedBytes.addAndGet(-bytes);
    }

    /** Device memory currently allocated through this device (pooled idle buffers included). */
    public long allocatedBytes() {
        return allocatedBytes.get();
    }

    ByteBuffer staging(long bytes) {
        if (bytes > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("transfer of " + bytes + " bytes is too large for one call");
        }
        if (staging.capacity() < bytes) {
            int cap = (int) Math.min(Integer.MAX_VALUE, Math.max(bytes, staging.capacity() * 2L));
            staging = ByteBuffer.allocateDirect(cap).order(ByteOrder.nativeOrder());
        }
        staging.clear();
        staging.limit((int) bytes);
        return staging;
    }

    /**
     * Enqueues a kernel. {@code local} may be null; when given, each global size is rounded up to a
     * multiple of it (kernels guard their tails). Every {@code sampleEvery}-th launch is profiled
     * when a timing listener is set. A configuration over a device limit is refused before anything
     * is enqueued ({@link LaunchRefusedException}); a failing enqueue names the kernel, its defines
     * and its sizes.
     */
    public void launch(Kernel k, long[] global, long[] local) {
        long[] g = roundUp(global, local);
        check(k, g, local);
        observe(k);
        boolean sample = timingListener != null && sampleEvery > 0 && (launches++ % sampleEvery == 0);
        Object ev = enqueue(k, g, local, sample);
        if (sample) {
            pending.add(new Pending(k.name(), ev));
            if (pending.size() >= 256) {
                drainTimings();
            }
        }
    }

    /** Enqueues, waits, and returns the kernel's device time in nanoseconds from its profiling event. */
    public long launchTimed(Kernel k, long[] global, long[] local) {
        long[] g = roundUp(global, local);
        check(k, g, local);
        observe(k);
        Object ev = enqueue(k, g, local, true);
        try {
            api.waitForEvent(ev);
            long[] t = api.eventProfile(ev);
            return t[3] - t[2];
        } finally {
            api.release(ev);
        }
    }

    /**
     * Tells {@code observer} of every kernel launched from now on, on any device of this JVM, just
     * before it is enqueued (null stops it). For test passes that check which kernels they ran;
     * the observer runs on the launching thread and must be quick and thread-safe.
     */
    public static void observeLaunches(java.util.function.Consumer<Kernel> observer) {
        launchObserver = observer;
    }

    private static void observe(Kernel k) {
        java.util.function.Consumer<Kernel> o = launchObserver;
        if (o != null) {
            o.accept(k);
        }
    }

    private Object enqueue(Kernel k, long[] g, long[] local, boolean wantEvent) {
        try {
            return api.enqueueKernel(queue, k.handle(), g, local, wantEvent);
        } catch (org.genzoo.host.cl.ClException e) {
            throw new org.genzoo.host.cl.ClException("clEnqueueNDRangeKernel", e.status(), k.describe() + ", global "
                    + Kernel.sizes(g) + ", local " + Kernel.sizes(local) + " on " + info.name());
        }
    }

    /**
     * Refuses a launch that the device cannot run: more dimensions than it has, a local size over
     * CL_DEVICE_MAX_WORK_ITEM_SIZES, a work-group over the kernel's CL_KERNEL_WORK_GROUP_SIZE, or
     * static plus argument {@code __local} memory over CL_DEVICE_LOCAL_MEM_SIZE.
     */
    public void check(Kernel k, long[] global, long[] local) {
        // The refusal's prefix, built only when a launch is refused (this runs before every launch).
        java.util.function.Supplier<String> what = () -> k.describe() + ", global " + Kernel.sizes(global) + ", local "
                + Kernel.sizes(local) + " on " + info.name() + ": ";
        if (global.length < 1 || global.length > maxWorkItemSizes.length) {
            throw new LaunchRefusedException(what.get() + global.length + " dimensions, the device launches 1 to "
                    + maxWorkItemSizes.length);
        }
        for (long x : global) {
            if (x < 1) {
                throw new LaunchRefusedException(what.get() + "every global size must be at least 1");
            }
        }
        if (local != null) {
            if (local.length != global.length) {
                throw new LaunchRefusedException(what.get() + "local has " + local.length + " dimensions, global " + global.length);
            }
            long items = 1;
            for (int i = 0; i < local.length; i++) {
                if (local[i] < 1 || local[i] > maxWorkItemSizes[i]) {
                    throw new LaunchRefusedException(what.get() + "local size " + local[i] + " in dimension " + i
                            + " exceeds the device's limit " + maxWorkItemSizes[i] + " (CL_DEVICE_MAX_WORK_ITEM_SIZES "
                            + java.util.Arrays.toString(maxWorkItemSizes) + ")");
                }
                items *= local[i];
            }
            long wg = Math.min(k.info().workGroupSize(), info.maxWorkGroupSize());
            if (items > wg) {
                throw new LaunchRefusedException(what.get() + "a work-group of " + items + " work-items exceeds the limit " + wg
                        + " (CL_KERNEL_WORK_GROUP_SIZE " + k.info().workGroupSize() + ", CL_DEVICE_MAX_WORK_GROUP_SIZE "
                        + info.maxWorkGroupSize() + ")");
            }
        }
        long lm = k.localMemBytes();
        if (lm > info.localMemBytes()) {
            throw new LaunchRefusedException(what.get() + lm + " bytes of __local memory exceed the device's "
                    + info.localMemBytes() + " (CL_DEVICE_LOCAL_MEM_SIZE)");
        }
    }

    private static long[] roundUp(long[] global, long[] local) {
        if (local == null) {
            return global;
        }
        long[] g = new long[global.length];
        for (int i = 0; i < g.length; i++) {
            g[i] = Math.max(local[i], (global[i] + local[i] - 1) / local[i] * local[i]);
        }
        return g;
    }

    /** Profile one launch in every {@code every} (0 turns sampling off) and report to the listener. */
    public void setKernelTiming(KernelTimingListener listener, int every) {
        drainTimings();
        this.timingListener = listener;
        this.sampleEvery = every;
    }

    private void drainTimings() {
        if (pending.isEmpty()) {
            return;
        }
        api.finish(queue);
        for (Pending p : pending) {
            long[] t = api.eventProfile(p.event());
            api.release(p.event());
            if (timingListener != null) {
                timingListener.onKernelSpan(p.kernel(), t[2], t[3]);
            }
        }
        pending.clear();
    }

    public void flush() {
        api.flush(queue);
    }

    /** Waits for everything enqueued so far, then reports sampled kernel times. */
    public void finish() {
        api.finish(queue);
        drainTimings();
    }

    @Override
    public void close() {
        try {
            api.finish(queue);
            for (Pending p : pending) {
                api.release(p.event());
            }
            pending.clear();
        } finally {
            for (Object o : shared.values()) {
                if (o instanceof AutoCloseable c) {
                    try {
                        c.close();
                    } catch (Exception e) {
                        throw new IllegalStateException("closing " + o.getClass().getSimpleName(), e);
                    }
                }
            }
            shared.clear();
            pool.close();
            programs.close();
            api.release(queue);
            api.release(context);
        }
    }
}
