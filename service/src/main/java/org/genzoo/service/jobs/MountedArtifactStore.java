package org.genzoo.service.jobs;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.genzoo.models.train.Checkpoints;

/**
 * An {@link ArtifactStore} on a filesystem path that every node mounts: job folders are
 * {@code <root>/jobs/<id>/}, laid out as a local run's output folder. A publication copies new and
 * changed files to {@code <root>/staging/<id>-p<pid>-<n>/} and fsyncs them; its commit renames them
 * into the job's folder (same filesystem, so each rename is atomic), so a reader (or a node that
 * died half-way) always sees whole files; a checkpoint counts only once its {@code checkpoint.json}
 * is there, and that file is renamed after the rest of its folder.
 */
public final class MountedArtifactStore implements ArtifactStore {
    private static final String TEMP_SUFFIX = ".genzoo-tmp";
    private static final java.util.concurrent.atomic.AtomicLong STAGES = new java.util.concurrent.atomic.AtomicLong();
    private final Path root;

    public MountedArtifactStore(Path root) throws IOException {
        this.root = root.toAbsolutePath();
        Files.createDirectories(this.root.resolve("jobs"));
    }

    @Override
    public Path jobFolder(String jobId) {
        if (jobId == null || !jobId.matches("j-[1-9][0-9]{0,18}")) {
            throw new IllegalArgumentException("not a job id: expected j-<number>, got " + jobId);
        }
        return root.resolve("jobs").resolve(jobId);
    }

    @Override
    public String describe() {
        return root.toString();
    }

    @Override
    public long fetch(String jobId, Path local) throws IOException {
        Path shared = jobFolder(jobId);
        Files.createDirectories(local);
        if (!Files.isDirectory(shared)) {
            return 0;
        }
        for (String f : List.of("metrics.csv", "train.log")) {
            if (Files.isRegularFile(shared.resolve(f))) {
                copyAtomically(shared.resolve(f), local.resolve(f));
            }
        }
        List<Path> checkpoints = Checkpoints.list(shared);
        if (checkpoints.isEmpty()) {
            return 0;
        }
        Path newest = checkpoints.get(0);
        Path target = local.resolve(shared.relativize(newest));
        Files.createDirectories(target);
        try (Stream<Path> s = Files.list(newest)) {
            for (Path f : s.filter(p -> !p.getFileName().toString().equals(Checkpoints.META)).toList()) {
                copyAtomically(f, target.resolve(f.getFileName().toString()));
            }
        }
        copyAtomically(newest.resolve(Checkpoints.META), target.resolve(Checkpoints.META));
        return Checkpoints.load(target).info().step();
    }

    @Override
    public Publication stage(String jobId, Path local) throws IOException {
        Path shared = jobFolder(jobId);
        Path staging = root.resolve("staging").resolve(jobId + "-p" + ProcessHandle.current().pid() + "-" + STAGES.incrementAndGet());
        List<Path> files = new ArrayList<>();
        Files.walkFileTree(local, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path f, BasicFileAttributes a) {
                if (a.isRegularFile() && !f.getFileName().toString().endsWith(TEMP_SUFFIX)) {
                    files.add(f);
                }
                return FileVisitResult.CONTINUE;
            }
        });
        // checkpoint.json files last: a checkpoint appears in the shared folder only once the rest of it is there.
        files.sort(Comparator.comparing((Path f) -> f.getFileName().toString().equals(Checkpoints.META)).thenComparing(Path::toString));
        List<String> moves = new ArrayList<>();
        try {
            for (Path f : files) {
                String rel = local.relativize(f).toString();
                Path dst = shared.resolve(rel);
                if (Files.isRegularFile(dst) && Files.size(dst) == Files.size(f) && Files.mismatch(dst, f) == -1L) {
                    continue;
                }
                Path staged = staging.resolve(rel);
                Files.createDirectories(staged.getParent());
                Files.copy(f, staged, StandardCopyOption.REPLACE_EXISTING);
                try (FileChannel ch = FileChannel.open(staged, StandardOpenOption.WRITE)) {
                    ch.force(true);
                }
                moves.add(rel);
            }
        } catch (IOException | RuntimeException e) {
            try {
                deleteTree(staging);
            } catch (IOException d) {
                e.addSuppressed(d);
            }
            throw e;
        }
        Set<String> keep = new HashSet<>();
        for (Path p : Checkpoints.list(local)) {
            keep.add(p.getFileName().toString());
        }
        return new Publication() {
            @Override
            public void commit() throws IOException {
                for (String rel : moves) {
                    if (!Files.exists(staging.resolve(rel))) {
                        continue; // renamed by an earlier try of this commit, whose transaction then failed (the database restarted)
                    }
                    Path dst = shared.resolve(rel);
                    Files.createDirectories(dst.getParent());
                    try {
                        Files.move(staging.resolve(rel), dst, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                    } catch (AtomicMoveNotSupportedException e) {
                        throw new IOException("the artifact store " + root + " cannot rename files atomically; use one POSIX filesystem"
                                + " for the whole folder", e);
                    }
                }
                // Checkpoints the run pruned locally (checkpoint.keep) go from the shared folder too, commit marker first.
                if (Files.isDirectory(Checkpoints.root(shared))) {
                    for (Path p : Checkpoints.list(shared)) {
                        if (!keep.contains(p.getFileName().toString())) {
                            Files.deleteIfExists(p.resolve(Checkpoints.META));
                            deleteTree(p);
                        }
                    }
                }
                deleteTree(staging);
            }

            @Override
            public void abandon() throws IOException {
                deleteTree(staging);
            }
        };
    }

    /** {@code src} to a temp file beside {@code dst}, fsynced, renamed over {@code dst}. */
    static void copyAtomically(Path src, Path dst) throws IOException {
        Files.createDirectories(dst.getParent());
        Path tmp = dst.resolveSibling(dst.getFileName() + "." + ProcessHandle.current().pid() + TEMP_SUFFIX);
        Files.copy(src, tmp, StandardCopyOption.REPLACE_EXISTING);
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
        try {
            Files.move(tmp, dst, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.deleteIfExists(tmp);
            throw new IOException("the artifact store " + dst.getParent() + " cannot rename files atomically; use a POSIX filesystem", e);
        }
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
