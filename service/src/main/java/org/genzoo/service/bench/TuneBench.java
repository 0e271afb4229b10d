package org.genzoo.service.bench;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import org.genzoo.host.Device;
import org.genzoo.host.KernelBuildException;
import org.genzoo.host.LaunchRefusedException;
import org.genzoo.host.Tuning;
import org.genzoo.host.cl.ClDeviceInfo;
import org.genzoo.host.cl.ClException;
import org.genzoo.host.ops.Gemm;
import org.genzoo.host.tensor.Tensor;
import org.genzoo.service.cli.DeviceOptions;
import org.genzoo.service.cli.ExitCodes;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code genzoo bench tune [FAMILY]}: searches the declared parameter ranges of every variant of an
 * op family on the current device, rejects each configuration whose output differs from the
 * reference configuration's, times the rest with profiling events, and writes the fastest to
 * {@code $GENZOO_TUNING_DIR/<family>.properties} under a section that matches exactly this device
 * (vendor, name, driver), keeping the sections of other devices. The runtime reads that file when
 * an op is built (see {@link Tuning}).
 */
@Command(name = "tune", mixinStandardHelpOptions = true, description = {
        "Search an op family's tunables on this device: check every configuration against the reference configuration,",
        "time the rest (profiling events), write the fastest to $GENZOO_TUNING_DIR/<family>.properties."})
public final class TuneBench implements Callable<Integer> {
    /** Families with declared search ranges. */
    static final List<String> FAMILIES = List.of("gemm");

    /**
     * Two float32 products of inputs in [-1, 1) over K terms each differ from the exact sum by at
     * most about K·eps·(their magnitudes); 1e-6 per term per side is a 16x margin, so two correct
     * configurations differ by at most 2e-6·K + 2e-6.
     */
    static final double ATOL_PER_K = 2e-6;
    static final double ATOL = 2e-6;

    @Mixin
    DeviceOptions deviceOptions;

    @Parameters(index = "0", arity = "0..1", defaultValue = "gemm", description = "Op family to tune: ${COMPLETION-CANDIDATES}; default gemm.",
            completionCandidates = Families.class)
    String family;

    @Option(names = "--quick", description = "Tiny shapes and a handful of configurations (for a simulator such as Oclgrind).")
    boolean quick;

    @Option(names = "--budget", defaultValue = "60", description = "Seconds to spend on the search after the reference (default ${DEFAULT-VALUE}); "
            + "the defaults of each variant are always tried.")
    double budget;

    @Option(names = "--size", description = "M = N = K of the timed square product (default 1024, with --quick 17).")
    Integer size;

    @Option(names = "--reps", description = "Timed runs per shape; the median counts (default 5, with --quick 1).")
    Integer repsOption;

    private int reps;

    @Option(names = "--variant", description = "Only this variant (cpu or gpu); default every variant.")
    String variant;

    @Option(names = "--seed", defaultValue = "1", description = "Order in which the search visits configurations (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--dir", description = "Where to write <family>.properties (default $GENZOO_TUNING_DIR).")
    Path dir;

    @Spec
    CommandSpec spec;

    static final class Families extends ArrayList<String> {
        private static final long serialVersionUID = 1L;

        Families() {
            super(FAMILIES);
        }
    }

    /** One timed problem: C (m x n) = op(A) op(B) with the given transposes. */
    record Shape(int m, int n, int k, boolean ta, boolean tb) {
        String label() {
            return m + "x" + n + "x" + k + " " + (ta ? "T" : "N") + (tb ? "T" : "N");
        }
    }

    /** One configuration's outcome. */
    record Result(Gemm.Variant variant, Map<String, String> defines, String status, double nanos) {
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (!FAMILIES.contains(family)) {
            throw new IllegalArgumentException("bench tune: no search ranges are declared for family '" + family
                    + "'; tunable families: " + FAMILIES);
        }
        reps = repsOption != null ? repsOption : quick ? 1 : 5;
        if (reps < 1 || !(budget >= 0)) {
            throw new IllegalArgumentException("bench tune: --reps must be at least 1 and --budget at least 0");
        }
        Path target = dir != null ? dir : Tuning.tuningDir();
        if (target == null) {
            throw new IllegalArgumentException("bench tune: set GENZOO_TUNING_DIR (the runtime reads tuned files from there) or pass --dir");
        }
        int s = size != null ? size : quick ? 17 : 1024;
        if (s < 1) {
            throw new IllegalArgumentException("bench tune: --size must be at least 1, got " + s);
        }
        List<Shape> timed = new ArrayList<>(List.of(new Shape(s, s, s, false, false)));
        if (!quick) {
            timed.add(new Shape(128, 400, 784, false, false)); // the VAE's first layer, batch 128
        }
        List<Shape> checks = quick ? List.of(new Shape(13, 17, 9, false, false), new Shape(13, 17, 9, true, true))
                : List.of(new Shape(93, 144, 65, false, false), new Shape(93, 144, 65, true, true));
        try (Device dev = Device.open(deviceOptions.binding, deviceOptions.device)) {
            List<Gemm.Variant> variants = variant == null ? List.of(Gemm.Variant.values()) : List.of(Gemm.Variant.of(variant));
            out.printf(Locale.ROOT, "device: %s (%s, vendor %s, driver %s, %s binding)%n", dev.info().name(), dev.info().type(),
                    dev.info().vendor(), dev.info().driverVersion(), dev.api().name());
            Problem problem = new Problem(dev, checks, timed);
            try {
                Gemm.Variant refVariant = Gemm.defaultVariant(dev);
                Map<String, String> refDefines = Gemm.defaults(refVariant, dev);
                out.printf(Locale.ROOT, "reference configuration: %s %s; checked against a double-precision product at %s%n",
                        refVariant, refDefines, labels(checks));
                out.printf(Locale.ROOT, "every candidate must match it within %.0e*K + %.0e at %s; timed: %s, median of %d runs%n",
                        ATOL_PER_K, ATOL, labels(checks), labels(timed), reps);
                out.flush();
                try (Gemm ref = new Gemm(dev, refVariant, refDefines)) {
                    problem.setReference(ref);
                }
                List<Result> results = search(dev, problem, variants, out);
                Result best = null;
                for (Result r : results) {
                    if (r.status().equals("ok") && (best == null || r.nanos() < best.nanos())) {
                        best = r;
                    }
                }
                if (best == null) {
                    out.println("no configuration passed the check; nothing written");
                    out.flush();
                    return ExitCodes.FAILURE;
                }
                double flops = 0;
                for (Shape t : timed) {
                    flops += 2.0 * t.m() * t.n() * t.k();
                }
                Path file = write(target, dev, best, results, timed, checks, flops);
                out.printf(Locale.ROOT, "best: %s %s: %.3f ms, %.3g GFLOP/s%nwrote %s%n", best.variant(), best.defines(),
                        best.nanos() / 1e6, flops / best.nanos(), file);
            } finally {
                problem.close();
            }
        }
        out.flush();
        return ExitCodes.OK;
    }

    private static String labels(List<Shape> shapes) {
        List<String> l = new ArrayList<>();
        for (Shape s : shapes) {
            l.add(s.label());
        }
        return String.join(" + ", l);
    }

    /** Visits the variants' candidates round-robin (defaults first, then a seeded shuffle) until the budget is spent. */
    private List<Result> search(Device dev, Problem problem, List<Gemm.Variant> variants, PrintWriter out) {
        List<List<Map<String, String>>> queues = new ArrayList<>();
        for (Gemm.Variant v : variants) {
            List<Map<String, String>> space = new ArrayList<>(Gemm.searchSpace(v, dev, quick));
            Map<String, String> defaults = Gemm.defaults(v, dev);
            space.remove(defaults);
            Collections.shuffle(space, new Random(seed));
            space.add(0, defaults);
            queues.add(space);
            out.printf(Locale.ROOT, "%s variant: %d configurations in its declared ranges fit this device%n", v, space.size());
        }
        out.flush();
        List<Result> results = new ArrayList<>();
        long start = System.nanoTime();
        for (int i = 0; ; i++) {
            boolean any = false;
            for (int vi = 0; vi < variants.size(); vi++) {
                List<Map<String, String>> q = queues.get(vi);
                if (i >= q.size()) {
                    continue;
                }
                any = true;
                if (i > 0 && (System.nanoTime() - start) / 1e9 > budget) {
                    continue;
                }
                Result r = tryOne(dev, problem, variants.get(vi), q.get(i));
                results.add(r);
                out.printf(Locale.ROOT, "  %-4s %-70s %s%n", r.variant(), r.defines(), r.status().equals("ok")
                        ? String.format(Locale.ROOT, "%.3f ms", r.nanos() / 1e6) : r.status());
                out.flush();
            }
            if (!any || (System.nanoTime() - start) / 1e9 > budget && i > 0) {
                break;
            }
        }
        long ok = results.stream().filter(r -> r.status().equals("ok")).count();
        out.printf(Locale.ROOT, "tried %d configurations in %.0f s: %d passed, %d rejected%n", results.size(),
                (System.nanoTime() - start) / 1e9, ok, results.size() - ok);
        return results;
    }

    private Result tryOne(Device dev, Problem problem, Gemm.Variant v, Map<String, String> defines) {
        try (Gemm g = new Gemm(dev, v, defines)) {
            String wrong = problem.check(g);
            if (wrong != null) {
                return new Result(v, defines, "rejected: " + wrong, Double.NaN);
            }
            return new Result(v, defines, "ok", problem.time(g, reps));
        } catch (LaunchRefusedException e) {
            return new Result(v, defines, "rejected: over a device limit (" + firstLine(e.getMessage()) + ")", Double.NaN);
        } catch (KernelBuildException e) {
            return new Result(v, defines, "rejected: does not build (" + firstLine(e.getCause().getMessage()) + ")", Double.NaN);
        } catch (ClException e) {
            return new Result(v, defines, "rejected: " + e.call() + " failed with " + e.getMessage(), Double.NaN);
        }
    }

    private static String firstLine(String s) {
        int nl = s.indexOf('\n');
        String l = nl < 0 ? s : s.substring(0, nl);
        int colon = l.lastIndexOf(": ");
        return colon < 0 ? l : l.substring(colon + 2);
    }

    /** The check and timing operands, and the reference configuration's outputs at the check shapes. */
    static final class Problem implements AutoCloseable {
        private final Device dev;
        private final List<Shape> checks;
        private final List<Shape> timed;
        private final List<Tensor[]> checkOperands = new ArrayList<>();
        private final List<float[]> hostA = new ArrayList<>();
        private final List<float[]> hostB = new ArrayList<>();
        private final List<float[]> reference = new ArrayList<>();
        private final List<Tensor[]> timedOperands = new ArrayList<>();

        Problem(Device dev, List<Shape> checks, List<Shape> timed) {
            this.dev = dev;
            this.checks = checks;
            this.timed = timed;
            long s = 1;
            for (Shape c : checks) {
                float[] a = uniform(s++, c.m() * c.k());
                float[] b = uniform(s++, c.k() * c.n());
                hostA.add(a);
                hostB.add(b);
                checkOperands.add(operands(c, a, b));
            }
            for (Shape t : timed) {
                timedOperands.add(operands(t, uniform(s++, t.m() * t.k()), uniform(s++, t.k() * t.n())));
            }
        }

        private Tensor[] operands(Shape s, float[] a, float[] b) {
            return new Tensor[] {s.ta() ? Tensor.of(dev, s.k(), s.m(), a) : Tensor.of(dev, s.m(), s.k(), a),
                    s.tb() ? Tensor.of(dev, s.n(), s.k(), b) : Tensor.of(dev, s.k(), s.n(), b), Tensor.zeros(dev, s.m(), s.n())};
        }

        private static float[] uniform(long seed, int n) {
            SplittableRandom r = new SplittableRandom(seed);
            float[] x = new float[n];
            for (int i = 0; i < n; i++) {
                x[i] = (float) (r.nextDouble() * 2 - 1);
            }
            return x;
        }

        /** Runs the reference configuration, checks it against a double-precision product, keeps its outputs. */
        void setReference(Gemm ref) {
            for (int i = 0; i < checks.size(); i++) {
                Shape s = checks.get(i);
                float[] got = run(ref, i);
                double tol = ATOL_PER_K / 2 * s.k() + ATOL / 2;
                for (int r = 0; r < s.m(); r++) {
                    for (int c = 0; c < s.n(); c++) {
                        double want = 0;
                        for (int p = 0; p < s.k(); p++) {
                            double av = s.ta() ? hostA.get(i)[p * s.m() + r] : hostA.get(i)[r * s.k() + p];
                            double bv = s.tb() ? hostB.get(i)[c * s.k() + p] : hostB.get(i)[p * s.n() + c];
                            want += av * bv;
                        }
                        if (!(Math.abs(got[r * s.n() + c] - want) <= tol)) {
                            throw new IllegalStateException(String.format(Locale.ROOT,
                                    "bench tune: the reference configuration %s %s is wrong at %s: C[%d,%d] = %s, double product %.7f",
                                    ref.variant(), ref.defines(), s.label(), r, c, got[r * s.n() + c], want));
                        }
                    }
                }
                reference.add(got);
            }
        }

        private float[] run(Gemm g, int i) {
            Tensor[] t = checkOperands.get(i);
            Shape s = checks.get(i);
            t[2].fill(Float.NaN); // beta = 0 must not read C
            g.mm(t[2], t[0], s.ta(), t[1], s.tb());
            return t[2].toArray();
        }

        /** Null when {@code g} matches the reference everywhere, else what differs. */
        String check(Gemm g) {
            for (int i = 0; i < checks.size(); i++) {
                Shape s = checks.get(i);
                float[] got = run(g, i);
                float[] want = reference.get(i);
                double tol = ATOL_PER_K * s.k() + ATOL;
                for (int j = 0; j < got.length; j++) {
                    if (!(Math.abs(got[j] - want[j]) <= tol)) {
                        return String.format(Locale.ROOT, "output differs from the reference at %s C[%d,%d]: %s vs %s", s.label(),
                                j / s.n(), j % s.n(), got[j], want[j]);
                    }
                }
            }
            return null;
        }

        /** Sum over the timed shapes of the median device time of {@code reps} runs, after one warm-up each. */
        double time(Gemm g, int reps) {
            double total = 0;
            for (int i = 0; i < timed.size(); i++) {
                Shape s = timed.get(i);
                Tensor[] t = timedOperands.get(i);
                g.gemmTimed(t[2], t[0], s.ta(), t[1], s.tb(), 1f, 0f, null, Gemm.Act.NONE);
                long[] ns = new long[reps];
                for (int r = 0; r < reps; r++) {
                    ns[r] = g.gemmTimed(t[2], t[0], s.ta(), t[1], s.tb(), 1f, 0f, null, Gemm.Act.NONE);
                }
                Arrays.sort(ns);
                total += reps % 2 == 1 ? ns[reps / 2] : (ns[reps / 2 - 1] + ns[reps / 2]) / 2.0;
            }
            return total;
        }

        @Override
        public void close() {
            for (Tensor[] ts : checkOperands) {
                for (Tensor t : ts) {
                    t.close();
                }
            }
            for (Tensor[] ts : timedOperands) {
                for (Tensor t : ts) {
                    t.close();
                }
            }
        }
    }

    /** Writes the winner under this device's exact section, first, keeping other devices' sections. */
    private Path write(Path target, Device dev, Result best, List<Result> results, List<Shape> timed, List<Shape> checks,
            double flops) throws IOException {
        Files.createDirectories(target);
        Path file = target.resolve(family + ".properties");
        ClDeviceInfo d = dev.info();
        String header = Tuning.exactHeader(d);
        List<Tuning.Section> others = new ArrayList<>();
        if (Files.isRegularFile(file)) {
            try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                for (Tuning.Section sec : Tuning.parse(r, file.toString())) {
                    if (!sec.header().equals(header)) {
                        others.add(sec);
                    }
                }
            }
        }
        long ok = results.stream().filter(r -> r.status().equals("ok")).count();
        StringBuilder sb = new StringBuilder();
        sb.append("# Written by genzoo bench tune ").append(family).append(" (read by the runtime: see org.genzoo.host.Tuning).\n");
        sb.append(String.format(Locale.ROOT, "# device: %s; vendor: %s; driver: %s; platform: %s; type: %s; binding: %s%n", d.name(),
                d.vendor(), d.driverVersion(), d.platformName(), d.type(), dev.api().name()));
        sb.append("# date: ").append(Instant.now().truncatedTo(ChronoUnit.SECONDS)).append('\n');
        sb.append(String.format(Locale.ROOT, "# timed: %s, median of %d runs (profiling events): %.3f ms, %.3g GFLOP/s%n",
                labels(timed), reps, best.nanos() / 1e6, flops / best.nanos()));
        sb.append(String.format(Locale.ROOT, "# checked: every configuration against the reference at %s within %.0e*K + %.0e%n",
                labels(checks), ATOL_PER_K, ATOL));
        sb.append(String.format(Locale.ROOT, "# tried %d configurations%s: %d passed, %d rejected%n", results.size(),
                quick ? " (--quick ranges)" : "", ok, results.size() - ok));
        sb.append(header).append('\n');
        sb.append("VARIANT=").append(best.variant().name().toLowerCase(Locale.ROOT)).append('\n');
        Map<String, String> ordered = new LinkedHashMap<>();
        for (String key : best.variant().keys()) {
            if (best.defines().containsKey(key)) {
                ordered.put(key, best.defines().get(key));
            }
        }
        for (Map.Entry<String, String> e : ordered.entrySet()) {
            sb.append(e.getKey()).append('=').append(e.getValue()).append('\n');
        }
        for (Tuning.Section sec : others) {
            sb.append('\n').append(sec.header()).append('\n');
            for (Map.Entry<String, String> e : sec.values().entrySet()) {
                sb.append(e.getKey()).append('=').append(e.getValue()).append('\n');
            }
        }
        Path tmp = Files.createTempFile(target, family, ".tmp");
        Files.writeString(tmp, sb.toString(), StandardCharsets.UTF_8);
        try {
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        }
        return file;
    }
}
