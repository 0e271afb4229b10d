package org.genzoo.host;

import org.lwjgl.system.JNI;
import org.lwjgl.system.Library;
import org.lwjgl.system.MemoryStack;
import org.lwjgl.system.MemoryUtil;
import org.lwjgl.system.Platform;
import org.lwjgl.system.SharedLibrary;

/**
 * The process's C environment, which OpenCL drivers read when they start (Java's
 * {@link System#getenv} is a copy taken at JVM start-up and cannot be changed). Calls the C
 * library's {@code getenv} and {@code setenv} through LWJGL; POSIX only.
 */
public final class NativeEnv {
    /**
     * PoCL's CPU device pins its worker threads to cores with POCL_AFFINITY=1; unpinned, Linux often
     * stacks the workers on one core for short kernels and GEMM speed halves at random. The
     * {@code genzoo} launcher exports the same default.
     */
    public static final String POCL_AFFINITY = "POCL_AFFINITY";

    private static SharedLibrary libc;

    private NativeEnv() {
    }

    private static synchronized SharedLibrary libc() {
        if (Platform.get() == Platform.WINDOWS) {
            throw new UnsupportedOperationException("the C environment is set through POSIX setenv; not on Windows");
        }
        if (libc == null) {
            libc = Library.loadNative(NativeEnv.class, "org.lwjgl", Platform.get() == Platform.MACOSX ? "libc.dylib" : "libc.so.6");
        }
        return libc;
    }

    /** C getenv(name), or null. */
    public static String get(String name) {
        long fn = libc().getFunctionAddress("getenv");
        try (MemoryStack s = MemoryStack.stackPush()) {
            long p = JNI.invokePP(MemoryUtil.memAddress(s.UTF8(name)), fn);
            return p == 0 ? null : MemoryUtil.memUTF8(p);
        }
    }

    /**
     * glibc's {@code malloc_trim(0)}: returns the C heap's free memory (what the OpenCL driver and its
     * compiler freed, kept in malloc's arenas) to the OS. False where the C library has no such call
     * (musl, macOS, Windows) or nothing was returned.
     */
    public static boolean mallocTrim() {
        if (Platform.get() != Platform.LINUX) {
            return false;
        }
        long fn = libc().getFunctionAddress("malloc_trim");
        return fn != 0 && JNI.invokePI(0L, fn) != 0;
    }

    /** C setenv(name, value, 0): sets {@code name} unless the environment has it; returns the value in force. */
    public static String setIfAbsent(String name, String value) {
        long fn = libc().getFunctionAddress("setenv");
        try (MemoryStack s = MemoryStack.stackPush()) {
            int rc = JNI.invokePPI(MemoryUtil.memAddress(s.UTF8(name)), MemoryUtil.memAddress(s.UTF8(value)), 0, fn);
            if (rc != 0) {
                throw new IllegalStateException("setenv(" + name + ") failed");
            }
        }
        return get(name);
    }

    /** The PoCL defaults the launcher sets (POCL_AFFINITY=1 unless set); call before the first OpenCL call. */
    public static String applyPoclDefaults() {
        return setIfAbsent(POCL_AFFINITY, "1");
    }
}
