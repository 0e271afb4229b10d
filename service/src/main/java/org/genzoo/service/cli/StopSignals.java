package org.genzoo.service.cli;

import java.util.ArrayList;
import java.util.List;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * Ctrl-C (SIGINT) and SIGTERM (what {@code docker stop}, systemd and {@code kill} send) as a request
 * to stop gracefully, handled without starting the JVM's shutdown: the command finishes its work
 * (a checkpoint, a requeue) while everything still works, then returns its exit code. Starting the
 * JVM's shutdown first, as the default handlers do, makes any code that registers a shutdown hook on
 * the way out (ImageIO, font and temp-file caches) throw {@code IllegalStateException: Shutdown in
 * progress}. A second signal ends the process at once with the shell's code (128 + signal number).
 * Where the signals cannot be taken over (the JVM runs with {@code -Xrs}), {@link #install} returns
 * an instance that handled nothing, and the caller's shutdown hook is the fallback.
 */
final class StopSignals implements AutoCloseable {
    private final List<Signal> signals = new ArrayList<>();
    private final List<SignalHandler> previous = new ArrayList<>();
    private volatile String received;

    private StopSignals() {
    }

    /**
     * Takes over SIGINT and SIGTERM; {@code onFirst} runs (on the signal thread) with the signal's name
     * the first time one arrives.
     */
    static StopSignals install(java.util.function.Consumer<String> onFirst) {
        StopSignals s = new StopSignals();
        SignalHandler h = sig -> {
            synchronized (s) {
                if (s.received != null) {
                    Runtime.getRuntime().halt(128 + sig.getNumber());
                }
                s.received = "SIG" + sig.getName();
            }
            onFirst.accept(s.received);
        };
        for (String name : new String[] {"INT", "TERM"}) {
            try {
                Signal sig = new Signal(name);
                SignalHandler old = Signal.handle(sig, h);
                s.signals.add(sig);
                s.previous.add(old);
            } catch (IllegalArgumentException | UnsupportedOperationException notHere) {
                // this signal is reserved here (-Xrs, or not on this OS): the shutdown hook covers it
            }
        }
        return s;
    }

    /** The signal that asked to stop ("SIGINT", "SIGTERM"), or null. */
    String received() {
        return received;
    }

    /** Gives the signals back to the JVM's own handlers. */
    @Override
    public void close() {
        for (int i = 0; i < signals.size(); i++) {
            try {
                Signal.handle(signals.get(i), previous.get(i));
            } catch (IllegalArgumentException ignored) {
                // nothing to restore
            }
        }
    }
}
