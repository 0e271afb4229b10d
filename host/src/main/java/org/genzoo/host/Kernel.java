package org.genzoo.host;

import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import org.genzoo.host.cl.ClApi;
import org.genzoo.host.cl.ClDeviceInfo;
import org.genzoo.host.cl.ClKernelInfo;

/**
 * One kernel of a built program. Set arguments, then launch on a device's queue. Not thread-safe:
 * a device and its kernels belong to one thread at a time.
 */
public final class Kernel {
    private final ClApi api;
    private final Object handle;
    private final String name;
    private final ClDeviceInfo device;
    private final Map<String, String> defines;
    /** What the device says about this kernel, asked once before any {@code __local} argument is set. */
    private final ClKernelInfo info;
    /** Bytes of the {@code __local} arguments currently set, by argument index. */
    private final Map<Integer, Long> localArgs = new TreeMap<>();
    /**
     * What each argument index holds now (a buffer's handle, a boxed scalar or a {@link Local}), so
     * setting the value it already holds skips the driver call: OpenCL keeps arguments between launches.
     */
    private Object[] current = new Object[8];

    Kernel(ClApi api, Object handle, String name, ClDeviceInfo device, Map<String, String> defines) {
        this.api = api;
        this.handle = handle;
        this.name = name;
        this.device = device;
        this.defines = new TreeMap<>(defines);
        this.info = api.kernelInfo(handle, device);
    }

    /** "file.cl:kernel_name". */
    public String name() {
        return name;
    }

    /** The {@code -D} defines the kernel's program was built with, sorted by name. */
    public Map<String, String> defines() {
        return defines;
    }

    /**
     * The device's limits for this kernel: the work-group size it can launch with, its preferred
     * multiple, and its static {@code __local} use (without local arguments).
     */
    public ClKernelInfo info() {
        return info;
    }

    /** Static {@code __local} bytes plus the {@code __local} arguments set now. */
    public long localMemBytes() {
        long sum = info.localMemBytes();
        for (long b : localArgs.values()) {
            sum += b;
        }
        return sum;
    }

    Object handle() {
        return handle;
    }

    ClDeviceInfo device() {
        return device;
    }

    /** Size in bytes of a __local argument. */
    public record Local(long bytes) {
    }

    /**
     * Sets arguments in order from index 0: {@link DeviceBuffer}, {@link Tensorlike}, Integer,
     * Long, Float or {@link Local}.
     */
    public Kernel args(Object... values) {
        for (int i = 0; i < values.length; i++) {
            set(i, values[i]);
        }
        return this;
    }

    public Kernel set(int i, Object v) {
        Object held = v instanceof DeviceBuffer b ? b.handle() : v instanceof Tensorlike t ? t.buffer().handle() : v;
        if (i >= 0 && i < current.length && held != null && isSame(current[i], held)) {
            return this;
        }
        setNow(i, v);
        if (i >= current.length) {
            current = Arrays.copyOf(current, Math.max(i + 1, 2 * current.length));
        }
        current[i] = held;
        return this;
    }

    /** Buffers by handle identity, scalars and local sizes by value (floats by bits). */
    private static boolean isSame(Object held, Object v) {
        if (held == null) {
            return false;
        }
        if (v instanceof Integer || v instanceof Float || v instanceof Long || v instanceof Local) {
            return v.equals(held);
        }
        return held == v;
    }

    private void setNow(int i, Object v) {
        if (i >= 0 && i < current.length) {
            current[i] = null; // unknown until the driver call returns
        }
        if (v instanceof Local l) {
            api.setArgLocal(handle, i, l.bytes());
            localArgs.put(i, l.bytes());
            return;
        }
        localArgs.remove(i);
        if (v instanceof DeviceBuffer b) {
            api.setArgBuffer(handle, i, b.handle());
        } else if (v instanceof Tensorlike t) {
            api.setArgBuffer(handle, i, t.buffer().handle());
        } else if (v instanceof Integer x) {
            api.setArgInt(handle, i, x);
        } else if (v instanceof Float x) {
            api.setArgFloat(handle, i, x);
        } else if (v instanceof Long x) {
            api.setArgLong(handle, i, x);
        } else {
            throw new IllegalArgumentException(name + ": argument " + i + " has unsupported type "
                    + (v == null ? "null" : v.getClass().getName()));
        }
    }

    /** "file.cl:kernel [A=1, B=2]" for error messages. */
    String describe() {
        return name + " " + (defines.isEmpty() ? "(no defines)" : "with defines " + defines);
    }

    static String sizes(long[] s) {
        return s == null ? "(driver's choice)" : Arrays.toString(s);
    }

    /** Anything backed by one device buffer (tensors) can be passed as a kernel argument. */
    public interface Tensorlike {
        DeviceBuffer buffer();
    }
}
