package org.genzoo.host.ops;

/**
 * The launch configuration an op family uses on one device: the one its tuning gives, or one a
 * test, benchmark or tuner puts in place for a while with {@link #use} (to run every variant
 * through the same calls against the same reference). Each family keeps one per device through
 * {@code Device.shared} with a subclass of its own as the key; like the device, not thread-safe.
 */
public class OpConfigs<C> {
    private final C tuned;
    private C current;

    OpConfigs(C tuned) {
        this.tuned = tuned;
        this.current = tuned;
    }

    C tuned() {
        return tuned;
    }

    C current() {
        return current;
    }

    /** Puts {@code c} in place until the returned scope is closed, which restores the one before. */
    Scope use(C c) {
        C before = current;
        current = c;
        return () -> current = before;
    }

    /** A configuration in place; closing it puts back the one before. */
    public interface Scope extends AutoCloseable {
        @Override
        void close();
    }
}
