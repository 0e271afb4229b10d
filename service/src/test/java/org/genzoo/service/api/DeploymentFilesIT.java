package org.genzoo.service.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * After {@code package}: every path a Dockerfile in docker/ copies from the build context exists
 * (the jar included, so an image built right after the project's build has everything it copies),
 * and the .dockerignore files let exactly those paths into the context.
 */
class DeploymentFilesIT {
    static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    /** The Dockerfiles of docker/ and docker/local/. */
    static List<Path> dockerfiles() throws Exception {
        List<Path> out = new ArrayList<>();
        for (Path dir : List.of(ROOT.resolve("docker"), ROOT.resolve("docker/local"))) {
            try (Stream<Path> s = Files.list(dir)) {
                s.filter(p -> {
                    String n = p.getFileName().toString();
                    return (n.startsWith("Dockerfile") || n.endsWith(".Dockerfile")) && !n.endsWith(".dockerignore");
                }).sorted().forEach(out::add);
            }
        }
        return out;
    }

    /** Sources of COPY/ADD instructions that read the build context (not --from=stage). */
    static List<String> copySources(Path dockerfile) throws Exception {
        List<String> out = new ArrayList<>();
        for (String line : Files.readAllLines(dockerfile)) {
            String t = line.strip();
            if (!(t.startsWith("COPY ") || t.startsWith("ADD "))) {
                continue;
            }
            List<String> words = new ArrayList<>(List.of(t.split("\\s+")));
            words.remove(0);
            if (words.stream().anyMatch(w -> w.startsWith("--from="))) {
                continue;
            }
            words.removeIf(w -> w.startsWith("--"));
            out.addAll(words.subList(0, words.size() - 1));
        }
        return out;
    }

    @Test
    void everyPathTheDockerfilesCopyExistsAndIsInTheContext() throws Exception {
        List<Path> files = dockerfiles();
        assertTrue(files.size() >= 4, files.toString());
        List<String> rootIgnore = Files.readAllLines(ROOT.resolve(".dockerignore"));
        int copies = 0;
        for (Path df : files) {
            Path ignore = df.resolveSibling(df.getFileName() + ".dockerignore");
            assertTrue(Files.isRegularFile(ignore), df + " has its own " + ignore.getFileName());
            List<String> own = Files.readAllLines(ignore);
            assertEquals("*", own.stream().filter(l -> !l.isBlank() && !l.startsWith("#")).findFirst().orElse(""),
                    ignore + " starts by leaving everything out");
            for (String src : copySources(df)) {
                copies++;
                Path p = ROOT.resolve(src);
                assertTrue(Files.isRegularFile(p) && Files.size(p) > 0, df.getFileName() + " copies " + src + ", which is missing after the build");
                assertTrue(own.contains("!" + src), ignore.getFileName() + " lets " + src + " into the context");
                assertTrue(rootIgnore.contains("!" + src), ".dockerignore lets " + src + " into the context (podman reads that one)");
                if (src.endsWith(".sh")) {
                    assertTrue(Files.isExecutable(p), src + " is executable");
                }
            }
        }
        assertTrue(copies >= 5, "COPY instructions found: " + copies);
        try (JarFile jar = new JarFile(ROOT.resolve("service/target/genzoo.jar").toFile())) {
            assertEquals("org.genzoo.service.cli.GenZooCli", jar.getManifest().getMainAttributes().getValue("Main-Class"),
                    "the jar the images copy is the runnable shaded jar");
            assertFalse(jar.getEntry("org/genzoo/kernels/gemm.cl") == null, "the jar carries the kernels");
        }
    }
}
