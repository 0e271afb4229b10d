package org.genzoo.host.testing;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test during which Oclgrind reported anything (a data race, an uninitialized read, an
 * out-of-bounds access, an API misuse). Oclgrind writes its diagnostics to the file named by
 * OCLGRIND_LOG; the bytes it appended while the test ran are the failure message. Registered for
 * every test by auto-detection (META-INF/services) in the simulated-GPU pass only; elsewhere
 * OCLGRIND_LOG is unset and it does nothing.
 */
public final class OclgrindLogCheck implements BeforeEachCallback, AfterEachCallback {
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(OclgrindLogCheck.class);
    /** How much of a report goes into the failure message. */
    private static final int MAX_MESSAGE = 4000;

    /** Log bytes before this offset were expected by a test (see {@link #acknowledge}) and are not failures. */
    private static volatile long acknowledged;

    /**
     * For a test that provokes a report on purpose: returns what Oclgrind logged since the test
     * started and marks it as expected. Empty when OCLGRIND_LOG is unset.
     */
    public static String acknowledge(ExtensionContext ctx) throws IOException {
        Path p = log();
        if (p == null) {
            return "";
        }
        long from = ctx.getStore(NS).getOrDefault("offset", Long.class, 0L);
        long to = size(p);
        acknowledged = to;
        return read(p, from, to);
    }

    private static String read(Path p, long from, long to) throws IOException {
        if (to <= from) {
            return "";
        }
        byte[] b;
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "r")) {
            f.seek(from);
            b = new byte[(int) Math.min(to - from, MAX_MESSAGE)];
            f.readFully(b);
        }
        return new String(b, StandardCharsets.UTF_8);
    }

    static Path log() {
        String p = System.getenv("OCLGRIND_LOG");
        return p == null || p.isBlank() ? null : Path.of(p);
    }

    static long size(Path p) throws IOException {
        return Files.exists(p) ? Files.size(p) : 0;
    }

    /** Set by {@link #beforeEach}: the extension is registered. */
    private static volatile boolean ranBeforeEach;

    /** Whether this extension has run before a test in this JVM (it is registered by auto-detection). */
    public static boolean ranBeforeEach() {
        return ranBeforeEach;
    }

    @Override
    public void beforeEach(ExtensionContext ctx) throws IOException {
        ranBeforeEach = true;
        // What an earlier test acknowledged is no excuse for this one (the log may have been
        // truncated since: Oclgrind rewrites OCLGRIND_LOG from the start for each new context).
        acknowledged = 0;
        Path p = log();
        if (p != null) {
            ctx.getStore(NS).put("offset", size(p));
        }
    }

    @Override
    public void afterEach(ExtensionContext ctx) throws IOException {
        Path p = log();
        if (p == null) {
            return;
        }
        long from = Math.max(ctx.getStore(NS).getOrDefault("offset", Long.class, 0L), acknowledged);
        long to = size(p);
        if (to < from) {
            from = acknowledged <= to ? acknowledged : 0; // a context opened during the test truncated the log: all of it is this test's
        }
        if (to <= from) {
            return;
        }
        throw new AssertionError("Oclgrind reported " + (to - from) + " bytes of diagnostics during " + ctx.getDisplayName() + " ("
                + p + ", from byte " + from + "):\n" + read(p, from, to));
    }
}
