package org.genzoo.models.train;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Crash-safe file replacement: write to {@code <name>.tmp-<random>} beside the target, force it to
 * disk, rename it over the target atomically, then force the folder so the rename itself is durable.
 * A crash at any point leaves either the old file or the new one, never a torn file; stray temp
 * files are ignored by readers (their names end in {@code .tmp-*}).
 */
public final class AtomicFiles {
    /** Marks temp files: {@code name + TEMP_MARK + random}. */
    public static final String TEMP_MARK = ".tmp-";

    private AtomicFiles() {
    }

    /** Writes the content into an open channel. */
    @FunctionalInterface
    public interface Writer {
        void write(FileChannel out) throws IOException;
    }

    /** Writes, fsyncs and renames; returns {@code target}. */
    public static Path write(Path target, Writer writer) throws IOException {
        Path tmp = writeTemp(target, writer);
        commit(tmp, target);
        return target;
    }

    public static Path writeString(Path target, String text) throws IOException {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        return write(target, ch -> writeFully(ch, ByteBuffer.wrap(b)));
    }

    public static Path writeBytes(Path target, byte[] bytes) throws IOException {
        return write(target, ch -> writeFully(ch, ByteBuffer.wrap(bytes)));
    }

    /** First half of {@link #write}: the fsynced temp file, not yet renamed (tests use it to simulate a crash). */
    public static Path writeTemp(Path target, Writer writer) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, target.getFileName().toString() + TEMP_MARK, "");
        boolean ok = false;
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            writer.write(ch);
            ch.force(true);
            ok = true;
        } finally {
            if (!ok) {
                Files.deleteIfExists(tmp);
            }
        }
        return tmp;
    }

    /** Second half of {@link #write}: the atomic rename and the folder sync. */
    public static void commit(Path tmp, Path target) throws IOException {
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.deleteIfExists(tmp);
            throw new IOException("the file system under " + target.getParent() + " cannot rename atomically", e);
        }
        syncDirectory(target.toAbsolutePath().getParent());
    }

    /** Forces a folder's entries to disk (best effort: some platforms cannot open a folder). */
    public static void syncDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // Not every OS lets a folder be opened; the rename is still atomic there.
        }
    }

    public static boolean isTemp(Path p) {
        return p.getFileName().toString().contains(TEMP_MARK);
    }

    public static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }
}
