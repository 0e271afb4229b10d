package org.genzoo.service.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.genzoo.host.Device;
import org.genzoo.host.ops.AffineCoupling;
import org.genzoo.host.ops.OpCost;
import org.genzoo.host.tensor.Tensor;

/**
 * Kernel bench cases of the flow layers' elementwise kernels ({@code kernels/coupling.cl}): the
 * affine coupling forward, inverse and backward at the RealNVP toy shape (batch 512, D = 2) and an
 * image shape (batch 128, D = 784), alternating mask, log-scale bound 2. Each validates against a
 * double reference before timing.
 */
final class FlowCases {
    /** float32 exp/tanh against double. */
    private static final double RTOL = 2e-5;
    private static final double ATOL = 2e-5;
    private static final float BOUND = 2f;

    private FlowCases() {
    }

    static List<BenchCase> all() {
        List<BenchCase> list = new ArrayList<>();
        for (int[] s : new int[][] {{512, 2}, {128, 784}}) {
            for (String kind : new String[] {"forward", "inverse", "backward"}) {
                list.add(new Coupling(kind, s[0], s[1]));
            }
        }
        return list;
    }

    private static final class Coupling implements BenchCase {
        final String kind;
        final int b;
        final int d;
        float[] x;
        float[] h;
        float[] dy;
        float[] dl;
        float[] mask;
        Tensor tx;
        Tensor th;
        Tensor tm;
        Tensor ty;
        Tensor tl;
        Tensor tdy;
        Tensor tdl;
        Tensor tdh;

        Coupling(String kind, int b, int d) {
            this.kind = kind;
            this.b = b;
            this.d = d;
        }

        @Override
        public String family() {
            return "coupling";
        }

        @Override
        public String name() {
            return String.format(Locale.ROOT, "affine_coupling %s %dx%d", kind, b, d);
        }

        @Override
        public OpCost cost() {
            return kind.equals("backward") ? AffineCoupling.backwardCost(b, d, false) : AffineCoupling.forwardCost(b, d);
        }

        @Override
        public void setup(Device device) {
            SplittableRandom r = new SplittableRandom(5 + d);
            x = fill(r, b * d);
            h = fill(r, b * 2 * d);
            dy = fill(r, b * d);
            dl = fill(r, b);
            mask = new float[d];
            for (int j = 0; j < d; j++) {
                mask[j] = j % 2 == 0 ? 1f : 0f;
            }
            tx = Tensor.of(device, b, d, x);
            th = Tensor.of(device, b, 2 * d, h);
            tm = Tensor.of(device, 1, d, mask);
            ty = Tensor.zeros(device, b, d);
            tl = Tensor.zeros(device, b, 1);
            tdy = Tensor.of(device, b, d, dy);
            tdl = Tensor.of(device, b, 1, dl);
            tdh = Tensor.zeros(device, b, 2 * d);
        }

        private static float[] fill(SplittableRandom r, int n) {
            float[] v = new float[n];
            for (int i = 0; i < n; i++) {
                v[i] = (float) (r.nextDouble() * 4 - 2);
            }
            return v;
        }

        @Override
        public void validate() {
            run();
            float[] out = ty.toArray();
            float[] ld = tl.toArray();
            float[] dh = tdh.toArray();
            for (int r = 0; r < b; r++) {
                double sum = 0;
                for (int c = 0; c < d; c++) {
                    int i = r * d + c;
                    double want;
                    double wantRaw = 0;
                    double wantT = 0;
                    if (mask[c] != 0) {
                        want = kind.equals("backward") ? dy[i] : x[i];
                    } else {
                        double th = Math.tanh(h[r * 2 * d + c] / BOUND);
                        double s = BOUND * th;
                        double t = h[r * 2 * d + d + c];
                        if (kind.equals("forward")) {
                            want = x[i] * Math.exp(s) + t;
                        } else if (kind.equals("inverse")) {
                            want = (x[i] - t) * Math.exp(-s);
                        } else {
                            want = dy[i] * Math.exp(s);
                            wantRaw = (dy[i] * x[i] * Math.exp(s) + dl[r]) * (1 - th * th);
                            wantT = dy[i];
                        }
                        sum += kind.equals("inverse") ? -s : s;
                    }
                    check(want, out[i], "output", i);
                    if (kind.equals("backward")) {
                        check(wantRaw, dh[r * 2 * d + c], "d raw", i);
                        check(wantT, dh[r * 2 * d + d + c], "d t", i);
                    }
                }
                if (!kind.equals("backward")) {
                    check(sum, ld[r], "logdet", r);
                }
            }
        }

        private void check(double want, float got, String what, int i) {
            if (!(Math.abs(got - want) <= ATOL * Math.max(1, d / 100.0) + RTOL * Math.abs(want))) {
                throw new AssertionError(String.format(Locale.ROOT, "%s %s: element %d is %s, reference %.9g", name(), what, i, got, want));
            }
        }

        @Override
        public void run() {
            switch (kind) {
                case "forward" -> AffineCoupling.forward(ty, tl, tx, th, tm, BOUND);
                case "inverse" -> AffineCoupling.inverse(ty, tl, tx, th, tm, BOUND);
                default -> AffineCoupling.backward(ty, 0f, tdh, tdy, tdl, tx, th, tm, BOUND);
            }
        }

        @Override
        public void close() {
            for (Tensor t : new Tensor[] {tx, th, tm, ty, tl, tdy, tdl, tdh}) {
                if (t != null) {
                    t.close();
                }
            }
        }
    }
}
