package org.genzoo.host;

import org.genzoo.host.cl.ClApi;

/**
 * One kernel of a built program. Set arguments, then launch on a device's queue. Not thread-safe:
 * a device and its kernels belong to one thread at a time.
 */
public final class Kernel {
    private final ClApi api;
    private final Object handle;
    private final String name;

    Kernel(ClApi api, Object handle, String name) {
        this.api = api;
        this.handle = handle;
        this.name = name;
    }

    /** "file.cl:kernel_name". */
    public String name() {
        return name;
    }

    Object handle() {
        return handle;
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
        } else if (v instanceof Local l) {
            api.setArgLocal(handle, i, l.bytes());
        } else {
            throw new IllegalArgumentException(name + ": argument " + i + " has unsupported type "
                    + (v == null ? "null" : v.getClass().getName()));
        }
        return this;
    }

    /** Anything backed by one device buffer (tensors) can be passed as a kernel argument. */
    public interface Tensorlike {
        DeviceBuffer buffer();
    }
}
