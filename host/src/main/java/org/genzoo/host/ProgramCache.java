package org.genzoo.host;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.genzoo.host.cl.ClApi;
import org.genzoo.host.cl.ClDeviceInfo;
import org.genzoo.host.cl.ClException;

/**
 * Builds each (device, driver, source, defines, options) program once per process, and keeps the
 * device binary on disk so the next process skips the compiler. The key hashes the device identity
 * with its driver version, the expanded source text, the sorted defines and the build options, so
 * any change to one of them misses the cache.
 */
public final class ProgramCache implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(ProgramCache.class.getName());

    /** Flush denormals to zero: training state drifts into denormals and x86 cores slow down on them. */
    public static final String BASE_OPTIONS = "-cl-denorms-are-zero";

    private final ClApi api;
    private final ClDeviceInfo device;
    private final Object context;
    private final Path diskDir;
    /** Built programs by content key (device, options, expanded source). */
    private final Map<String, Program> programs = new HashMap<>();
    /**
     * The same programs by what callers ask for: ops look up their kernel before every launch, and
     * sources do not change within a process, so a hit skips reading, expanding and hashing them.
     */
    private final Map<Request, Program> byRequest = new HashMap<>();
    private int compiled;
    private int loadedFromDisk;

    ProgramCache(ClApi api, ClDeviceInfo device, Object context, Path diskDir) {
        this.api = api;
        this.device = device;
        this.context = context;
        this.diskDir = diskDir;
    }

    /** The default cache folder: GENZOO_CACHE_DIR, else $XDG_CACHE_HOME/genzoo, else ~/.cache/genzoo. */
    public static Path defaultDir() {
        String explicit = System.getenv("GENZOO_CACHE_DIR");
        if (explicit == null || explicit.isBlank()) {
            explicit = System.getProperty("genzoo.cache.dir");
        }
        if (explicit != null && !explicit.isBlank()) {
            return Path.of(explicit);
        }
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("genzoo");
    }

    /** The program for a kernel file with the given defines (values may be empty strings). */
    private record Request(String file, Map<String, String> defines) {
    }

    public Program get(String file, Map<String, String> defines) {
        Request request = new Request(file, defines);
        Program hit = byRequest.get(request);
        if (hit != null) {
            return hit;
        }
        TreeMap<String, String> sorted = new TreeMap<>(defines);
        String source = KernelSources.load(file);
        StringBuilder opts = new StringBuilder(BASE_OPTIONS);
        for (Map.Entry<String, String> e : sorted.entrySet()) {
            opts.append(" -D").append(e.getKey());
            if (!e.getValue().isEmpty()) {
                opts.append('=').append(e.getValue());
            }
        }
        String options = opts.toString();
        String key = key(source, options);
        Program p = programs.get(key);
        if (p == null) {
            p = build(file, sorted, source, options, key);
            programs.put(key, p);
        }
        byRequest.put(new Request(file, Map.copyOf(defines)), p);
        return p;
    }

    private String key(String source, String options) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(device.cacheIdentity().getBytes(StandardCharsets.UTF_8));
            md.update((byte) 0);
            md.update(api.name().getBytes(StandardCharsets.UTF_8));
            md.update((byte) 0);
            md.update(options.getBytes(StandardCharsets.UTF_8));
            md.update((byte) 0);
            md.update(source.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 missing from the JVM", e);
        }
    }

    private Program build(String file, Map<String, String> defines, String source, String options, String key) {
        Path bin = diskDir == null ? null : diskDir.resolve("programs").resolve(key + ".bin");
        if (bin != null && Files.isRegularFile(bin)) {
            Object handle = null;
            try {
                handle = api.createProgramFromBinary(context, device, Files.readAllBytes(bin));
                api.buildProgram(handle, device, options);
                loadedFromDisk++;
                return new Program(api, handle, file, device, defines);
            } catch (ClException | IOException e) {
                LOG.log(Level.FINE, "cached binary " + bin + " unusable, rebuilding from source", e);
                if (handle != null) {
                    api.release(handle);
                }
            }
        }
        Object handle = api.createProgramFromSource(context, source);
        try {
            api.buildProgram(handle, device, options);
        } catch (ClException e) {
            String log = safeLog(handle);
            api.release(handle);
            throw new KernelBuildException(file, defines, options, device.name(), log, e);
        }
        compiled++;
        if (bin != null) {
            store(bin, handle);
        }
        return new Program(api, handle, file, device, defines);
    }

    private String safeLog(Object handle) {
        try {
            return api.buildLog(handle, device);
        } catch (ClException e) {
            return "(build log unavailable: " + e.getMessage() + ")";
        }
    }

    private void store(Path bin, Object handle) {
        try {
            byte[] bytes = api.programBinary(handle);
            if (bytes.length == 0) {
                return;
            }
            Files.createDirectories(bin.getParent());
            Path tmp = Files.createTempFile(bin.getParent(), bin.getFileName().toString(), ".tmp");
            Files.write(tmp, bytes);
            try {
                Files.move(tmp, bin, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, bin, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException | ClException e) {
            // The disk cache only saves start-up time; a read-only home must not stop training.
            LOG.log(Level.FINE, "could not store program binary " + bin, e);
        }
    }

    /** Programs compiled from source in this process. */
    public int compiledCount() {
        return compiled;
    }

    /** Programs loaded from the on-disk binary cache in this process. */
    public int loadedFromDiskCount() {
        return loadedFromDisk;
    }

    @Override
    public void close() {
        for (Program p : programs.values()) {
            p.close();
        }
        programs.clear();
        byRequest.clear();
    }
}
