package org.genzoo.host;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads OpenCL C sources from the classpath (packaged from the top-level kernels/ folder), with
 * {@code #include "other.cl"} expanded in place, each file at most once.
 */
public final class KernelSources {
    private KernelSources() {
    }

    public static final String ROOT = "/org/genzoo/kernels/";
    private static final Pattern INCLUDE = Pattern.compile("^\\s*#include\\s+\"([^\"]+)\"\\s*$", Pattern.MULTILINE);

    public static String load(String file) {
        return expand(file, new HashSet<>());
    }

    private static String expand(String file, Set<String> seen) {
        if (!seen.add(file)) {
            return "";
        }
        String text = read(file);
        Matcher m = INCLUDE.matcher(text);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(sb, Matcher.quoteReplacement(expand(m.group(1), seen)));
        }
        m.appendTail(sb);
        return sb.toString();
    }

    private static String read(String file) {
        try (InputStream in = KernelSources.class.getResourceAsStream(ROOT + file)) {
            if (in == null) {
                throw new IllegalArgumentException("kernel source '" + file + "' is not on the classpath under " + ROOT);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read kernel source " + file, e);
        }
    }
}
