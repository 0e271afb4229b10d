package org.genzoo.host.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The kernel names that the OpenCL C sources in {@code kernels/*.cl} define, read from the source
 * text so that a kernel added to any file is found without a list to keep up to date. Handles the
 * three ways a kernel is named there: {@code __kernel ... void name(}, a name that is an
 * object-like macro ({@code void GEMM_NAME(} with {@code #define GEMM_NAME gemm} in any file: every
 * value counts), and a function-like macro that defines a kernel per use
 * ({@code #define BINARY_KERNEL(NAME, EXPR) __kernel void NAME(...)} then {@code BINARY_KERNEL(add, ...)}).
 * Conditional compilation is ignored: a kernel under any {@code #if} branch counts.
 */
public final class KernelInventory {
    private static final Pattern KERNEL = Pattern.compile("\\b(?:__)?kernel\\b[^;{}]*?\\bvoid\\s+(\\w+)\\s*\\(");
    private static final Pattern FUNCTION_MACRO = Pattern.compile("^\\s*#\\s*define\\s+(\\w+)\\(([^)]*)\\)(.*)$");
    private static final Pattern OBJECT_MACRO = Pattern.compile("^\\s*#\\s*define\\s+(\\w+)\\s+(\\w+)\\s*$");

    private KernelInventory() {
    }

    /** The kernels folder of the source tree: {@code kernels/} beside the module folder. */
    public static Path kernelsDir() {
        Path p = Path.of("").toAbsolutePath();
        for (Path d = p; d != null; d = d.getParent()) {
            Path k = d.resolve("kernels");
            if (Files.isDirectory(k) && Files.exists(d.resolve("pom.xml"))) {
                return k;
            }
        }
        throw new IllegalStateException("no kernels/ folder above " + p + ": run the test from the source tree");
    }

    /** Kernel name to the .cl files (file names) that define it, over every *.cl file in {@code dir}. */
    public static Map<String, Set<String>> kernels(Path dir) throws IOException {
        Map<String, String> sources = new TreeMap<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(f -> f.getFileName().toString().endsWith(".cl")).sorted().toList()) {
                sources.put(f.getFileName().toString(), Files.readString(f));
            }
        }
        return kernels(sources);
    }

    /** As {@link #kernels(Path)} for sources given as file name to text. */
    public static Map<String, Set<String>> kernels(Map<String, String> sources) {
        Map<String, Set<String>> objectMacros = new TreeMap<>();
        Map<String, List<String>> lines = new TreeMap<>();
        for (Map.Entry<String, String> e : sources.entrySet()) {
            List<String> ls = logicalLines(e.getValue());
            lines.put(e.getKey(), ls);
            for (String l : ls) {
                Matcher m = OBJECT_MACRO.matcher(l);
                if (m.matches()) {
                    objectMacros.computeIfAbsent(m.group(1), k -> new TreeSet<>()).add(m.group(2));
                }
            }
        }
        Map<String, Set<String>> out = new TreeMap<>();
        for (Map.Entry<String, List<String>> e : lines.entrySet()) {
            String file = e.getKey();
            Map<String, Integer> kernelMacros = new TreeMap<>();
            StringBuilder plain = new StringBuilder();
            for (String l : e.getValue()) {
                Matcher fm = FUNCTION_MACRO.matcher(l);
                if (fm.matches()) {
                    Matcher km = KERNEL.matcher(fm.group(3));
                    if (km.find()) {
                        List<String> params = List.of(fm.group(2).split("\\s*,\\s*"));
                        int i = params.indexOf(km.group(1));
                        if (i >= 0) {
                            kernelMacros.put(fm.group(1), i);
                        }
                    }
                    continue;
                }
                if (!l.stripLeading().startsWith("#")) {
                    plain.append(l).append('\n');
                }
            }
            Matcher km = KERNEL.matcher(plain);
            while (km.find()) {
                String name = km.group(1);
                for (String n : objectMacros.getOrDefault(name, Set.of(name))) {
                    out.computeIfAbsent(n, k -> new TreeSet<>()).add(file);
                }
            }
            for (Map.Entry<String, Integer> macro : kernelMacros.entrySet()) {
                Matcher use = Pattern.compile("\\b" + macro.getKey() + "\\s*\\(").matcher(plain);
                while (use.find()) {
                    List<String> args = arguments(plain, use.end());
                    if (macro.getValue() < args.size()) {
                        out.computeIfAbsent(args.get(macro.getValue()).strip(), k -> new TreeSet<>()).add(file);
                    }
                }
            }
        }
        return out;
    }

    /** The text without comments, with backslash-continued lines joined. */
    static List<String> logicalLines(String src) {
        String s = src.replaceAll("(?s)/\\*.*?\\*/", " ").replaceAll("//[^\\n]*", "").replace("\\\r\n", " ").replace("\\\n", " ");
        return List.of(s.split("\\r?\\n"));
    }

    /** The top-level comma-separated arguments of a call whose '(' ends just before {@code from}. */
    private static List<String> arguments(CharSequence s, int from) {
        List<String> args = new ArrayList<>();
        int depth = 0;
        StringBuilder cur = new StringBuilder();
        for (int i = from; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '(') {
                depth++;
            } else if (c == ')') {
                if (depth == 0) {
                    args.add(cur.toString());
                    return args;
                }
                depth--;
            } else if (c == ',' && depth == 0) {
                args.add(cur.toString());
                cur.setLength(0);
                continue;
            }
            cur.append(c);
        }
        return args;
    }
}
