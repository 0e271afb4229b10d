package org.genzoo.service.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.function.DoubleUnaryOperator;
import org.genzoo.host.Device;
import org.genzoo.host.DeviceBuffer;
import org.genzoo.host.autograd.Adam;
import org.genzoo.host.autograd.Param;
import org.genzoo.host.ops.Elementwise;
import org.genzoo.host.ops.Gather;
import org.genzoo.host.ops.Losses;
import org.genzoo.host.ops.Rng;
import org.genzoo.host.ops.OpCost;
import org.genzoo.host.ops.Optim;
import org.genzoo.host.ops.Reduce;
import org.genzoo.host.tensor.Tensor;
import org.genzoo.models.data.DeviceDataset;

/**
 * Benchmark cases of the non-GEMM op families at the shapes of an MLP VAE step (batch 128,
 * 784-400-20), each validated against a plain-Java computation before it is timed.
 */
final class OpCases {
    private OpCases() {
    }

    /** Float functions vs double references on well-conditioned inputs: a few ulp. */
    private static final double RTOL = 1e-5;
    private static final double ATOL = 1e-6;

    static List<BenchCase> all() {
        List<BenchCase> list = new ArrayList<>();
        list.add(unary(Elementwise.Unary.TANH, 128, 400, Math::tanh));
        list.add(unary(Elementwise.Unary.SOFTPLUS, 128, 784, v -> Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v)))));
        list.add(unary(Elementwise.Unary.SIGMOID, 128, 784, v -> 1 / (1 + Math.exp(-v))));
        list.add(unary(Elementwise.Unary.TANH, 1024, 1024, Math::tanh));
        list.add(axpby(1024, 1024));
        // Reductions, losses and Philox in the device's tuned variant and in the variant it replaces
        // (the tiled trees, one work-item per row, the 2-D grid), timed side by side.
        for (boolean tuned : new boolean[] {true, false}) {
            list.add(reduceVariant(tuned, reduceRows(Reduce.Op.LOGSUMEXP, 128, 784)));
            list.add(reduceVariant(tuned, reduceRows(Reduce.Op.SUM, 1024, 1024)));
            list.add(reduceVariant(tuned, reduceCols(Reduce.Op.SUM, 128, 784)));
            list.add(reduceVariant(tuned, reduceCols(Reduce.Op.SUM, 512, 256))); // a RealNVP bias gradient
            list.add(lossesVariant(tuned, bernoulliLogLik(128, 784)));
        }
        list.add(gather(128, 784, 10000));
        list.add(gatherBinarize(128, 784, 10000));
        list.add(gatherBinarize(128, 784, 60000, true)); // as in training: the rows are not in cache
        for (String layout : new String[] {"grid", "flat"}) {
            list.add(rngVariant(layout, normal(1024, 1024)));
            list.add(rngVariant(layout, bernoulli(128, 784)));
        }
        list.add(reparameterize(128, 50));
        list.add(adam(400 * 784));
        // The VAE 784-400-20-400-784's parameters: one flat launch against one launch per parameter.
        int[][] vae = {{400, 784}, {1, 400}, {20, 400}, {1, 20}, {20, 400}, {1, 20}, {400, 20}, {1, 400}, {784, 400}, {1, 784}};
        list.add(adamParams(vae, true));
        list.add(adamParams(vae, false));
        return list;
    }

    /**
     * {@code inner} run in a chosen configuration of its op family: {@code apply} puts it in place
     * on the device for validate and for every run (a field set; no launch).
     */
    private static BenchCase inVariant(BenchCase inner, String label,
            java.util.function.Function<Device, org.genzoo.host.ops.OpConfigs.Scope> apply) {
        return new BenchCase() {
            Device dev;

            @Override
            public String family() {
                return inner.family();
            }

            @Override
            public String name() {
                return inner.name() + " [" + label + "]";
            }

            @Override
            public OpCost cost() {
                return inner.cost();
            }

            @Override
            public void setup(Device device) {
                dev = device;
                inner.setup(device);
            }

            @Override
            public void validate() {
                try (var s = apply.apply(dev)) {
                    inner.validate();
                }
            }

            @Override
            public void run() {
                try (var s = apply.apply(dev)) {
                    inner.run();
                }
            }

            @Override
            public void close() {
                inner.close();
            }
        };
    }

    static BenchCase reduceVariant(boolean tuned, BenchCase inner) {
        return inVariant(inner, tuned ? "tuned" : "tiled",
                d -> Reduce.use(d, tuned ? Reduce.Config.tuned(d) : Reduce.Config.tuned(d).tiled()));
    }

    static BenchCase lossesVariant(boolean tuned, BenchCase inner) {
        return inVariant(inner, tuned ? "tuned" : "work-item per row",
                d -> Losses.use(d, tuned ? Losses.Config.tuned(d) : Losses.Config.tuned(d).withRows("rows", 1, 1)));
    }

    static BenchCase rngVariant(String layout, BenchCase inner) {
        return inVariant(inner, layout, d -> Rng.use(d, new Rng.Config(layout, Rng.Config.tuned(d).wg())));
    }

    private static float[] uniform(long seed, int n, double lo, double hi) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (lo + (hi - lo) * r.nextDouble());
        }
        return x;
    }

    private static void check(double want, float got, String what, int i) {
        if (!(Math.abs(got - want) <= ATOL + RTOL * Math.abs(want))) {
            throw new AssertionError(String.format(Locale.ROOT, "%s: element %d is %s, reference %.9g", what, i, got, want));
        }
    }

    /** A case from three steps: setup (returns inputs' host copies), validate, run. */
    private abstract static class Simple implements BenchCase {
        final String family;
        final String name;
        final OpCost cost;
        Device dev;
        final List<AutoCloseable> owned = new ArrayList<>();

        Simple(String family, String name, OpCost cost) {
            this.family = family;
            this.name = name;
            this.cost = cost;
        }

        @Override
        public String family() {
            return family;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public OpCost cost() {
            return cost;
        }

        Tensor own(Tensor t) {
            owned.add(t);
            return t;
        }

        @Override
        public void close() {
            for (AutoCloseable c : owned) {
                try {
                    c.close();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }
        }
    }

    static BenchCase unary(Elementwise.Unary f, int r, int c, DoubleUnaryOperator ref) {
        return new Simple("elementwise", String.format(Locale.ROOT, "%s %dx%d", f.name().toLowerCase(Locale.ROOT), r, c),
                Elementwise.unaryCost(f, r, c)) {
            float[] hx;
            Tensor x;
            Tensor y;

            @Override
            public void setup(Device device) {
                dev = device;
                hx = uniform(1, r * c, -4, 4);
                x = own(Tensor.of(device, r, c, hx));
                y = own(Tensor.empty(device, r, c));
            }

            @Override
            public void validate() {
                run();
                float[] got = y.toArray();
                for (int i = 0; i < got.length; i++) {
                    check(ref.applyAsDouble(hx[i]), got[i], name(), i);
                }
            }

            @Override
            public void run() {
                Elementwise.unary(f, y, x);
            }
        };
    }

    static BenchCase axpby(int r, int c) {
        return new Simple("elementwise", String.format(Locale.ROOT, "axpby %dx%d", r, c), Elementwise.axpbyCost(r, c, true)) {
            float[] hx;
            float[] hy;
            Tensor x;
            Tensor y;

            @Override
            public void setup(Device device) {
                hx = uniform(2, r * c, -1, 1);
                hy = uniform(3, r * c, -1, 1);
                x = own(Tensor.of(device, r, c, hx));
                y = own(Tensor.of(device, r, c, hy));
            }

            @Override
            public void validate() {
                Elementwise.axpby(y, 0.5f, x, 0.25f);
                float[] got = y.toArray();
                for (int i = 0; i < got.length; i++) {
                    check(0.5 * hx[i] + 0.25 * hy[i], got[i], name(), i);
                }
            }

            @Override
            public void run() {
                Elementwise.axpby(y, 0.5f, x, 0.25f);
            }
        };
    }

    static BenchCase reduceRows(Reduce.Op op, int r, int c) {
        return new Simple("reduce", String.format(Locale.ROOT, "rows %s %dx%d", op.name().toLowerCase(Locale.ROOT), r, c),
                Reduce.rowsCost(op, r, c)) {
            float[] hx;
            Tensor x;
            Tensor y;

            @Override
            public void setup(Device device) {
                hx = uniform(4, r * c, -3, 3);
                x = own(Tensor.of(device, r, c, hx));
                y = own(Tensor.empty(device, r, 1));
            }

            @Override
            public void validate() {
                run();
                float[] got = y.toArray();
                for (int i = 0; i < r; i++) {
                    double want;
                    if (op == Reduce.Op.LOGSUMEXP) {
                        double mx = Double.NEGATIVE_INFINITY;
                        for (int j = 0; j < c; j++) {
                            mx = Math.max(mx, hx[i * c + j]);
                        }
                        double s = 0;
                        for (int j = 0; j < c; j++) {
                            s += Math.exp(hx[i * c + j] - mx);
                        }
                        want = mx + Math.log(s);
                    } else {
                        double s = 0;
                        for (int j = 0; j < c; j++) {
                            s += hx[i * c + j];
                        }
                        want = op == Reduce.Op.MEAN ? s / c : s;
                    }
                    // Sums of c values in [-3, 3]: float rounding grows like sqrt(c)·eps·3.
                    if (!(Math.abs(got[i] - want) <= 1e-4 * Math.sqrt(c) + 1e-5 * Math.abs(want))) {
                        throw new AssertionError(name() + ": row " + i + " is " + got[i] + ", reference " + want);
                    }
                }
            }

            @Override
            public void run() {
                Reduce.rows(op, y, x);
            }
        };
    }

    static BenchCase reduceCols(Reduce.Op op, int r, int c) {
        return new Simple("reduce", String.format(Locale.ROOT, "cols %s %dx%d", op.name().toLowerCase(Locale.ROOT), r, c),
                Reduce.colsCost(op, r, c)) {
            float[] hx;
            Tensor x;
            Tensor y;

            @Override
            public void setup(Device device) {
                hx = uniform(5, r * c, -3, 3);
                x = own(Tensor.of(device, r, c, hx));
                y = own(Tensor.empty(device, 1, c));
            }

            @Override
            public void validate() {
                run();
                float[] got = y.toArray();
                for (int j = 0; j < c; j++) {
                    double s = 0;
                    for (int i = 0; i < r; i++) {
                        s += hx[i * c + j];
                    }
                    if (!(Math.abs(got[j] - s) <= 1e-4 * Math.sqrt(r) + 1e-5 * Math.abs(s))) {
                        throw new AssertionError(name() + ": column " + j + " is " + got[j] + ", reference " + s);
                    }
                }
            }

            @Override
            public void run() {
                Reduce.cols(op, y, x);
            }
        };
    }

    static BenchCase gather(int rows, int cols, int n) {
        return new Simple("tensor", String.format(Locale.ROOT, "gather %d of %d rows x %d", rows, n, cols), Gather.rowsCost(rows, cols)) {
            float[] hx;
            int[] idx;
            Tensor x;
            Tensor y;
            DeviceBuffer bi;
            Gather g;

            @Override
            public void setup(Device device) {
                hx = uniform(6, n * cols, 0, 1);
                idx = new int[rows];
                SplittableRandom r = new SplittableRandom(7);
                for (int i = 0; i < rows; i++) {
                    idx[i] = r.nextInt(n);
                }
                x = own(Tensor.of(device, n, cols, hx));
                y = own(Tensor.empty(device, rows, cols));
                bi = device.upload(idx);
                owned.add(bi);
                g = new Gather(device);
            }

            @Override
            public void validate() {
                run();
                float[] got = y.toArray();
                for (int i = 0; i < rows; i++) {
                    for (int j = 0; j < cols; j++) {
                        if (got[i * cols + j] != hx[idx[i] * cols + j]) {
                            throw new AssertionError(name() + ": row " + i + " column " + j + " differs");
                        }
                    }
                }
            }

            @Override
            public void run() {
                g.rows(y, x, bi, 0);
            }
        };
    }

    /**
     * A binarized minibatch: {@code rows} of an n x cols data set gathered and binarized by the one
     * fused kernel, validated bitwise against a gather followed by {@link Rng#binarize}.
     */
    static BenchCase gatherBinarize(int rows, int cols, int n) {
        return gatherBinarize(rows, cols, n, false);
    }

    /**
     * With {@code nextBatch}, each run draws the next {@code rows} positions of a shuffled order of
     * all n rows, as {@code DeviceDataset} does in training: rows the previous runs did not touch,
     * so out of cache (and out of the TLB) when the data set is larger than the caches; else every
     * run gathers the same rows.
     */
    static BenchCase gatherBinarize(int rows, int cols, int n, boolean nextBatch) {
        return new Simple("rng", String.format(Locale.ROOT, "gather + binarize %d of %d rows x %d%s", rows, n, cols,
                nextBatch ? ", next batch of an epoch per run" : ""), Rng.gatherBinarizeCost(rows, cols)) {
            int[] idx;
            Tensor x;
            Tensor y;
            Tensor split;
            DeviceBuffer bi;
            Rng rng;
            int pos;
            int last;

            @Override
            public void setup(Device device) {
                if (nextBatch) {
                    idx = DeviceDataset.permutation(7, 0, n); // an epoch's order, as training draws it
                } else {
                    SplittableRandom r = new SplittableRandom(7);
                    idx = new int[rows];
                    for (int i = 0; i < rows; i++) {
                        idx[i] = r.nextInt(n);
                    }
                }
                x = own(Tensor.of(device, n, cols, uniform(6, n * cols, 0, 1)));
                y = own(Tensor.empty(device, rows, cols));
                split = own(Tensor.empty(device, rows, cols));
                bi = device.upload(idx);
                owned.add(bi);
                rng = new Rng(3);
            }

            @Override
            public void validate() {
                run();
                new Gather(x.device()).rows(split, x, bi, last);
                rng.binarize(split, split, 1, 0);
                if (!java.util.Arrays.equals(split.toArray(), y.toArray())) {
                    throw new AssertionError(name() + ": differs from a gather followed by binarize");
                }
            }

            @Override
            public void run() {
                last = pos;
                rng.gatherBinarize(y, x, bi, pos, 1, 0);
                if (nextBatch) {
                    pos = pos + 2 * rows <= n ? pos + rows : 0;
                }
            }
        };
    }

    static BenchCase adam(int n) {
        return new Simple("optim", "adam step " + n + " weights", Optim.adamCost(n)) {
            Param p;
            Adam adam;
            float[] w;
            float[] g;

            @Override
            public void setup(Device device) {
                p = new Param("w", device, 1, n);
                owned.add(p);
                w = uniform(8, n, -1, 1);
                g = uniform(9, n, -1, 1);
                p.value().write(w);
                adam = new Adam(device, List.of(p), 1e-3f);
                owned.add(adam);
            }

            @Override
            public void validate() {
                p.grad().write(g);
                adam.step();
                float[] got = p.value().toArray();
                for (int i = 0; i < n; i++) {
                    // First Adam step moves every weight by lr·sign(g) (bias-corrected m/sqrt(v) = ±1).
                    double want = w[i] - 1e-3 * Math.signum(g[i]) * Math.abs(g[i]) / (Math.abs(g[i]) + 1e-8);
                    check(want, got[i], name(), i);
                }
            }

            @Override
            public void run() {
                adam.step();
            }
        };
    }

    static BenchCase normal(int r, int c) {
        return new Simple("rng", String.format(Locale.ROOT, "philox normal %dx%d", r, c), Rng.normalCost(r, c)) {
            Tensor y;
            Rng rng;

            @Override
            public void setup(Device device) {
                y = own(Tensor.empty(device, r, c));
                rng = new Rng(1);
            }

            @Override
            public void validate() {
                run();
                float[] got = y.toArray();
                double m = 0;
                double v = 0;
                for (float g : got) {
                    m += g;
                    v += (double) g * g;
                }
                m /= got.length;
                v = v / got.length - m * m;
                // 5 standard errors of the mean and of the variance of n normal draws.
                double se = 5 / Math.sqrt(got.length);
                if (Math.abs(m) > se || Math.abs(v - 1) > se * Math.sqrt(2)) {
                    throw new AssertionError(name() + ": mean " + m + ", variance " + v);
                }
            }

            @Override
            public void run() {
                rng.normal(y, 0);
            }
        };
    }

    static BenchCase bernoulliLogLik(int r, int c) {
        return new Simple("losses", String.format(Locale.ROOT, "bernoulli loglik %dx%d", r, c), Losses.bernoulliLogLikCost(r, c)) {
            float[] hx;
            float[] hl;
            Tensor x;
            Tensor l;
            Tensor y;

            @Override
            public void setup(Device device) {
                hx = uniform(10, r * c, 0, 1);
                hl = uniform(11, r * c, -6, 6);
                x = own(Tensor.of(device, r, c, hx));
                l = own(Tensor.of(device, r, c, hl));
                y = own(Tensor.empty(device, r, 1));
            }

            @Override
            public void validate() {
                run();
                float[] got = y.toArray();
                for (int i = 0; i < r; i++) {
                    double s = 0;
                    double mag = 0;
                    for (int j = 0; j < c; j++) {
                        double lv = hl[i * c + j];
                        double term = hx[i * c + j] * lv - (Math.max(lv, 0) + Math.log1p(Math.exp(-Math.abs(lv))));
                        s += term;
                        mag += Math.abs(term);
                    }
                    // Row sums: rounding scales with the sum of |terms|.
                    if (!(Math.abs(got[i] - s) <= 1e-6 * mag + 1e-5)) {
                        throw new AssertionError(name() + ": row " + i + " is " + got[i] + ", reference " + s);
                    }
                }
            }

            @Override
            public void run() {
                Losses.bernoulliLogLik(y, x, l);
            }
        };
    }

    static BenchCase reparameterize(int r, int c) {
        return new Simple("rng", String.format(Locale.ROOT, "reparameterize %dx%d", r, c), Rng.reparameterizeCost(r, c, true)) {
            float[] hm;
            float[] hv;
            Tensor mu;
            Tensor lv;
            Tensor z;
            Tensor eps;
            Rng rng;

            @Override
            public void setup(Device device) {
                hm = uniform(12, r * c, -1, 1);
                hv = uniform(13, r * c, -2, 1);
                mu = own(Tensor.of(device, r, c, hm));
                lv = own(Tensor.of(device, r, c, hv));
                z = own(Tensor.empty(device, r, c));
                eps = own(Tensor.empty(device, r, c));
                rng = new Rng(2);
            }

            @Override
            public void validate() {
                run();
                float[] gz = z.toArray();
                float[] ge = eps.toArray();
                for (int i = 0; i < gz.length; i++) {
                    check(hm[i] + Math.exp(hv[i] / 2.0) * ge[i], gz[i], name(), i);
                }
            }

            @Override
            public void run() {
                rng.reparameterize(z, eps, mu, lv, 0);
            }
        };
    }

    static BenchCase bernoulli(int r, int c) {
        return new Simple("rng", String.format(Locale.ROOT, "philox bernoulli %dx%d", r, c), Rng.bernoulliCost(r, c)) {
            float[] hp;
            Tensor p;
            Tensor y;
            Rng rng;

            @Override
            public void setup(Device device) {
                hp = uniform(14, r * c, 0, 1);
                p = own(Tensor.of(device, r, c, hp));
                y = own(Tensor.empty(device, r, c));
                rng = new Rng(3);
            }

            @Override
            public void validate() {
                run();
                float[] got = y.toArray();
                double ones = 0;
                double want = 0;
                for (int i = 0; i < got.length; i++) {
                    if (got[i] != 0f && got[i] != 1f) {
                        throw new AssertionError(name() + ": element " + i + " is " + got[i] + ", not 0 or 1");
                    }
                    ones += got[i];
                    want += hp[i];
                }
                // The count of ones: 5 standard deviations (at most sqrt(n / 4)) around sum p.
                if (Math.abs(ones - want) > 5 * Math.sqrt(got.length / 4.0)) {
                    throw new AssertionError(name() + ": " + ones + " ones, expected " + want);
                }
            }

            @Override
            public void run() {
                rng.bernoulli(y, p, 1);
            }
        };
    }

    /**
     * Adam over parameters of the given shapes: the optimizer's one launch over the flat layout
     * ({@code flat}), or one launch per parameter on separate tensors (the update before the flat
     * layout), one element per work-item. Both validated against the first step's closed form.
     */
    static BenchCase adamParams(int[][] shapes, boolean flat) {
        int n = 0;
        for (int[] s : shapes) {
            n += s[0] * s[1];
        }
        int total = n;
        return new Simple("optim", String.format(Locale.ROOT, "adam %d params, %d weights [%s]", shapes.length, total,
                flat ? "one flat launch" : "launch per parameter"), Optim.adamCost(total)) {
            final List<Param> params = new ArrayList<>();
            final List<Tensor> m = new ArrayList<>();
            final List<Tensor> v = new ArrayList<>();
            Adam adam;
            Optim perParameter;
            Tensor scale;
            long step;
            final List<float[]> w = new ArrayList<>();
            final List<float[]> g = new ArrayList<>();

            @Override
            public void setup(Device device) {
                for (int i = 0; i < shapes.length; i++) {
                    Param p = new Param("p" + i, device, shapes[i][0], shapes[i][1]);
                    owned.add(p);
                    w.add(uniform(20 + i, p.size(), -1, 1));
                    g.add(uniform(40 + i, p.size(), -1, 1));
                    p.value().write(w.get(i));
                    params.add(p);
                }
                if (flat) {
                    adam = new Adam(device, params, 1e-3f);
                    owned.add(adam);
                } else {
                    perParameter = new Optim(device, 1, 1, 64, 64, 16);
                    for (Param p : params) {
                        m.add(own(Tensor.zeros(device, p.value().rows(), p.value().cols())));
                        v.add(own(Tensor.zeros(device, p.value().rows(), p.value().cols())));
                    }
                    scale = own(Tensor.zeros(device, 1, 1));
                    scale.fill(1f);
                }
            }

            @Override
            public void validate() {
                for (int i = 0; i < params.size(); i++) {
                    params.get(i).grad().write(g.get(i));
                }
                run();
                for (int i = 0; i < params.size(); i++) {
                    float[] got = params.get(i).value().toArray();
                    for (int k = 0; k < got.length; k++) {
                        float gk = g.get(i)[k];
                        // First Adam step: every weight moves by lr * g / (|g| + eps).
                        check(w.get(i)[k] - 1e-3 * gk / (Math.abs(gk) + 1e-8), got[k], name(), k);
                    }
                }
            }

            @Override
            public void run() {
                if (flat) {
                    adam.step();
                } else {
                    step++;
                    for (int i = 0; i < params.size(); i++) {
                        Param p = params.get(i);
                        perParameter.adam(p.value(), m.get(i), v.get(i), p.grad(), scale, 1e-3f, 0.9f, 0.999f, 1e-8f, step, 0f, 0f);
                    }
                }
            }
        };
    }
}
