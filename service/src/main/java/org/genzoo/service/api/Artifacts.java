package org.genzoo.service.api;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.genzoo.service.jobs.JobRunner;

/**
 * A job's artifact folder as the API shows it: names relative to the folder with "/" between
 * parts ({@code samples/step-000100.png}). {@link #resolve} is the only way from a client's name to
 * a file, and it never leaves the folder: no absolute names, no "." or ".." parts, no backslashes,
 * and the real path (symbolic links followed) must still lie inside the job's real folder.
 */
public final class Artifacts {
    /** Longest accepted artifact name. */
    public static final int MAX_NAME = 512;

    private Artifacts() {
    }

    /** Every regular file under {@code dir} (not following links), sorted by name; empty when the folder does not exist. */
    public static List<Map<String, Object>> list(Path dir) throws IOException {
        List<Map<String, Object>> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.comparing(q -> dir.relativize(q).toString())).toList()) {
                BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                if (!a.isRegularFile() || JobRunner.isTempFile(p.getFileName().toString())) {
                    continue; // links, folders, and the temp files of a write a crash interrupted
                }
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("name", name(dir, p));
                m.put("bytes", a.size());
                m.put("modified", a.lastModifiedTime().toInstant().toString());
                m.put("contentType", contentType(p.getFileName().toString()));
                out.add(m);
            }
        }
        return out;
    }

    static String name(Path dir, Path file) {
        StringBuilder sb = new StringBuilder();
        for (Path part : dir.relativize(file)) {
            if (sb.length() > 0) {
                sb.append('/');
            }
            sb.append(part);
        }
        return sb.toString();
    }

    /**
     * The file {@code name} names inside {@code dir}.
     *
     * @throws ApiException 400 for a name that is malformed or would leave the folder, 404 when there is no such file
     */
    public static Path resolve(Path dir, String name) throws IOException {
        return resolve(dir, name, String.valueOf(dir.getFileName()));
    }

    /**
     * As {@link #resolve(Path, String)}, with the job's id for the messages.
     *
     * @throws ApiException 400 for a name that is malformed or would leave the folder, 404 when there is no such file
     */
    public static Path resolve(Path dir, String name, String jobId) throws IOException {
        String why = badName(name);
        if (why != null) {
            throw new ApiException(400, "bad artifact name: " + why + "; names are relative to the job's folder, such as"
                    + " metrics.csv or samples/step-000100.png");
        }
        Path base = dir.toAbsolutePath().normalize();
        Path p = base.resolve(name).normalize();
        if (!p.startsWith(base) || p.equals(base)) {
            throw new ApiException(400, "bad artifact name: it leaves the job's folder");
        }
        if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS) || JobRunner.isTempFile(p.getFileName().toString())) {
            throw new ApiException(404, "no artifact " + name + " in job " + jobId + " (list them at /api/jobs/" + jobId + "/artifacts)");
        }
        Path real = p.toRealPath();
        if (!real.startsWith(base.toRealPath())) {
            throw new ApiException(400, "bad artifact name: it is a link that leads out of the job's folder");
        }
        if (!Files.isRegularFile(real)) {
            throw new ApiException(404, "artifact " + name + " of job " + jobId + " is a folder; list files at /api/jobs/" + jobId
                    + "/artifacts");
        }
        return real;
    }

    /** Why {@code name} cannot name an artifact, or null when its form is fine. */
    static String badName(String name) {
        if (name == null || name.isEmpty()) {
            return "it is empty";
        }
        if (name.length() > MAX_NAME) {
            return "it is longer than " + MAX_NAME + " characters";
        }
        if (name.startsWith("/")) {
            return "it is absolute";
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c < 0x20 || c == 0x7f || c == '\\' || c == ':') {
                return "it holds a control character, a backslash or a colon";
            }
        }
        for (String part : name.split("/", -1)) {
            if (part.isEmpty() || part.equals(".") || part.equals("..")) {
                return "it has an empty, \".\" or \"..\" part";
            }
        }
        return null;
    }

    static String contentType(String fileName) {
        String f = fileName.toLowerCase(Locale.ROOT);
        int dot = f.lastIndexOf('.');
        String ext = dot < 0 ? "" : f.substring(dot + 1);
        return switch (ext) {
            case "png" -> "image/png";
            case "csv" -> "text/csv; charset=utf-8";
            case "json" -> "application/json";
            case "log", "txt" -> "text/plain; charset=utf-8";
            case "yaml", "yml" -> "application/yaml";
            default -> "application/octet-stream";
        };
    }
}
