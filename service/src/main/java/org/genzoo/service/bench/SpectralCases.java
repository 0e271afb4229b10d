package org.genzoo.service.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.genzoo.host.Device;
import org.genzoo.host.ops.OpCost;
import org.genzoo.host.ops.Spectral;
import org.genzoo.host.tensor.Tensor;

/**
 * Benchmark cases of the spectral-normalization kernels at i-ResNet shapes (hidden widths 128 and
 * 512, the 2-D input layer): one power iteration with σ, and the soft-normalization forward and
 * backward. Each validates against a plain-Java double computation from the same inputs first.
 */
final class SpectralCases {
    /** A float matrix-vector product of n terms in [-1, 1): error below about n·eps; the unit vectors' entries then carry that relative error. */
    private static final double ATOL = 2e-5;
    private static final double RTOL = 2e-5;

    private SpectralCases() {
    }

    static List<BenchCase> all() {
        List<BenchCase> list = new ArrayList<>();
        for (int[] s : new int[][] {{128, 128}, {128, 2}, {512, 512}, {2048, 2048}}) {
            list.add(new Case(Kind.POWER, s[0], s[1]));
        }
        // The one-work-group power step of small weights (SN-GAN's 128 x 128), where the device fuses it.
        for (int[] s : new int[][] {{128, 128}, {128, 2}}) {
            list.add(new Case(Kind.POWER_FUSED, s[0], s[1]));
        }
        for (int[] s : new int[][] {{128, 128}, {512, 512}, {2048, 2048}}) {
            list.add(new Case(Kind.NORMALIZE, s[0], s[1]));
            list.add(new Case(Kind.BACKWARD, s[0], s[1]));
        }
        return list;
    }

    private enum Kind {
        POWER, POWER_FUSED, NORMALIZE, BACKWARD
    }

    private static final class Case implements BenchCase {
        private static final float C = 0.9f;
        private final Kind kind;
        private final int m;
        private final int n;
        private double[] w;
        private double[] u0;
        private double[] v0;
        private double[] dwsn;
        private Tensor tw;
        private Tensor tu;
        private Tensor tv;
        private Tensor sigma;
        private Tensor out;
        private Tensor grad;
        private Tensor scratch;
        private Tensor uc;
        private Tensor vc;
        private Tensor sc;

        Case(Kind kind, int m, int n) {
            this.kind = kind;
            this.m = m;
            this.n = n;
        }

        @Override
        public String family() {
            return "spectral";
        }

        @Override
        public String name() {
            String what = switch (kind) {
                case POWER -> "power iteration + sigma";
                case POWER_FUSED -> "power step (fused)";
                case NORMALIZE -> "soft normalize";
                case BACKWARD -> "soft normalize backward";
            };
            return String.format(Locale.ROOT, "%s %dx%d", what, m, n);
        }

        @Override
        public OpCost cost() {
            return switch (kind) {
                case POWER -> {
                    OpCost a = Spectral.powerIterationCost(m, n);
                    OpCost b = Spectral.sigmaCost(m, n);
                    yield OpCost.of(a.flops() + b.flops(), a.bytes() + b.bytes());
                }
                case POWER_FUSED -> Spectral.powerStepCost(m, n);
                case NORMALIZE -> Spectral.softNormalizeCost(m, n);
                case BACKWARD -> Spectral.softNormalizeBackwardCost(m, n, false);
            };
        }

        private static double[] fill(SplittableRandom r, int k) {
            double[] x = new double[k];
            for (int i = 0; i < k; i++) {
                x[i] = (float) (r.nextDouble() * 2 - 1);
            }
            return x;
        }

        private static double[] unit(double[] x) {
            double s = 0;
            for (double e : x) {
                s += e * e;
            }
            double[] y = new double[x.length];
            for (int i = 0; i < x.length; i++) {
                y[i] = (float) (x[i] / Math.sqrt(s));
            }
            return y;
        }

        private static float[] f(double[] x) {
            float[] y = new float[x.length];
            for (int i = 0; i < x.length; i++) {
                y[i] = (float) x[i];
            }
            return y;
        }

        @Override
        public void setup(Device device) {
            SplittableRandom r = new SplittableRandom(31L * m + n);
            w = fill(r, m * n);
            u0 = unit(fill(r, m));
            v0 = unit(fill(r, n));
            dwsn = fill(r, m * n);
            tw = Tensor.of(device, m, n, f(w));
            tu = Tensor.of(device, 1, m, f(u0));
            tv = Tensor.of(device, 1, n, f(v0));
            sigma = Tensor.zeros(device, 1, 1);
            out = Tensor.zeros(device, m, n);
            grad = Tensor.of(device, m, n, f(dwsn));
            scratch = Tensor.zeros(device, 1, 1);
            if (kind == Kind.POWER_FUSED) {
                if (!Spectral.fusesPowerStep(tw)) {
                    throw new IllegalStateException(name() + ": this device does not fuse a " + m + " x " + n
                            + " power step (FUSE_MAX in kernels/tuning/spectral.properties)");
                }
                uc = Tensor.zeros(device, 1, m);
                vc = Tensor.zeros(device, 1, n);
                sc = Tensor.zeros(device, 1, 1);
            }
        }

        private double[] wv(double[] v) {
            double[] y = new double[m];
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    y[i] += w[i * n + j] * v[j];
                }
            }
            return y;
        }

        private double sigmaRef(double[] u, double[] v) {
            double[] y = wv(v);
            double s = 0;
            for (int i = 0; i < m; i++) {
                s += u[i] * y[i];
            }
            return s;
        }

        private static void check(double want, float got, String what, int i) {
            if (!(Math.abs(got - want) <= ATOL + RTOL * Math.abs(want))) {
                throw new AssertionError(String.format(Locale.ROOT, "%s: element %d is %s, reference %.9g", what, i, got, want));
            }
        }

        @Override
        public void validate() {
            switch (kind) {
                case POWER, POWER_FUSED -> {
                    tu.write(f(u0));
                    run();
                    double[] v = new double[n];
                    for (int i = 0; i < m; i++) {
                        for (int j = 0; j < n; j++) {
                            v[j] += w[i * n + j] * u0[i];
                        }
                    }
                    v = unit(v);
                    double[] u = unit(wv(v));
                    float[] gu = tu.toArray();
                    float[] gv = tv.toArray();
                    for (int i = 0; i < m; i++) {
                        check(u[i], gu[i], name() + " u", i);
                    }
                    for (int j = 0; j < n; j++) {
                        check(v[j], gv[j], name() + " v", j);
                    }
                    double s = sigmaRef(u, v);
                    check(s, sigma.get(0, 0), name() + " sigma", 0);
                    tu.write(f(u0));
                }
                case NORMALIZE, BACKWARD -> {
                    Spectral.sigma(sigma, tu, tw, tv);
                    double sg = sigmaRef(u0, v0);
                    double s = Math.max(1, sg / C);
                    run();
                    float[] got = out.toArray();
                    if (kind == Kind.NORMALIZE) {
                        for (int k = 0; k < got.length; k++) {
                            check(w[k] / s, got[k], name(), k);
                        }
                    } else {
                        double g = 0;
                        for (int k = 0; k < w.length; k++) {
                            g += dwsn[k] * w[k];
                        }
                        double coef = sg / C > 1 ? -g / (s * s * C) : 0;
                        for (int i = 0; i < m; i++) {
                            for (int j = 0; j < n; j++) {
                                int k = i * n + j;
                                // Tolerance scaled by the rank-one term's dot product over m*n terms.
                                double want = dwsn[k] / s + coef * u0[i] * v0[j];
                                double tol = ATOL + RTOL * Math.abs(want) + 1e-7 * Math.sqrt(m * n) * Math.abs(u0[i] * v0[j] / (s * s * C)) * 4;
                                if (!(Math.abs(got[k] - want) <= tol)) {
                                    throw new AssertionError(String.format(Locale.ROOT, "%s: element %d is %s, reference %.9g", name(), k, got[k], want));
                                }
                            }
                        }
                    }
                }
                default -> throw new IllegalStateException();
            }
        }

        @Override
        public void run() {
            switch (kind) {
                case POWER -> {
                    Spectral.powerIteration(tu, tv, tw, 1);
                    Spectral.sigma(sigma, tu, tw, tv);
                }
                case POWER_FUSED -> Spectral.powerStep(tu, tv, tw, sigma, uc, vc, sc);
                case NORMALIZE -> Spectral.softNormalize(out, tw, sigma, C);
                case BACKWARD -> Spectral.softNormalizeBackward(out, grad, tw, sigma, tu, tv, C, 0f, scratch);
                default -> throw new IllegalStateException();
            }
        }

        @Override
        public void close() {
            for (Tensor t : new Tensor[] {tw, tu, tv, sigma, out, grad, scratch, uc, vc, sc}) {
                if (t != null) {
                    t.close();
                }
            }
        }
    }
}
