package org.genzoo.service.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.genzoo.host.Device;
import org.genzoo.host.ops.GanLoss;
import org.genzoo.host.ops.OpCost;
import org.genzoo.host.ops.Penalty;
import org.genzoo.host.tensor.Tensor;

/**
 * Benchmark cases of the WGAN-GP penalty (kernels/penalty.cl) and the GAN losses (kernels/ganloss.cl)
 * at the bench step's shapes (batch 256, 2-D data; the critic's 2B = 512 outputs) and at MNIST's
 * width. Each validates against a plain-Java double computation from the same inputs first.
 */
final class GanCases {
    /** Float sums of at most 784 squares per row and of 512 rows against double. */
    private static final double ATOL = 1e-5;
    private static final double RTOL = 1e-4;
    private static final float LAMBDA = 10f;
    private static final float EPS = 1e-12f;

    private GanCases() {
    }

    static List<BenchCase> all() {
        List<BenchCase> list = new ArrayList<>();
        for (int d : new int[] {2, 784}) {
            list.add(new Case(Kind.INTERPOLATE, 256, d));
            list.add(new Case(Kind.PENALTY, 256, d));
            list.add(new Case(Kind.PENALTY_BACKWARD, 256, d));
        }
        list.add(new Case(Kind.LOSS, 512, 1));
        list.add(new Case(Kind.LOSS_BACKWARD, 512, 1));
        return list;
    }

    private enum Kind {
        INTERPOLATE, PENALTY, PENALTY_BACKWARD, LOSS, LOSS_BACKWARD
    }

    private static final class Case implements BenchCase {
        private final Kind kind;
        private final int b;
        private final int d;
        private float[] x;
        private float[] y;
        private float[] alpha;
        private Tensor tx;
        private Tensor ty;
        private Tensor ta;
        private Tensor out;
        private Tensor norms;
        private Tensor scalar;
        private Tensor one;

        Case(Kind kind, int b, int d) {
            this.kind = kind;
            this.b = b;
            this.d = d;
        }

        @Override
        public String family() {
            return kind == Kind.LOSS || kind == Kind.LOSS_BACKWARD ? "ganloss" : "penalty";
        }

        @Override
        public String name() {
            String what = switch (kind) {
                case INTERPOLATE -> "gp interpolate";
                case PENALTY -> "gp penalty";
                case PENALTY_BACKWARD -> "gp penalty backward";
                case LOSS -> "gan loss logsig + means";
                case LOSS_BACKWARD -> "gan loss logsig backward";
            };
            return String.format(Locale.ROOT, "%s %dx%d", what, b, d);
        }

        @Override
        public OpCost cost() {
            return switch (kind) {
                case INTERPOLATE -> Penalty.interpolateCost(b, d);
                case PENALTY -> Penalty.forwardCost(b, d);
                case PENALTY_BACKWARD -> Penalty.backwardCost(b, d, false);
                case LOSS -> GanLoss.forwardCost(GanLoss.Kind.LOGSIG, b);
                case LOSS_BACKWARD -> GanLoss.backwardCost(GanLoss.Kind.LOGSIG, b, false);
            };
        }

        private static float[] fill(SplittableRandom r, int k, double lo, double hi) {
            float[] v = new float[k];
            for (int i = 0; i < k; i++) {
                v[i] = (float) (lo + (hi - lo) * r.nextDouble());
            }
            return v;
        }

        @Override
        public void setup(Device device) {
            SplittableRandom r = new SplittableRandom(97L * b + d);
            // Rows scaled so that the norms fall on both sides of 1.
            double span = 1.5 / Math.sqrt(d);
            x = fill(r, b * d, -span * 1.7, span * 1.7);
            y = fill(r, b * d, -3, 3);
            alpha = fill(r, b, 0, 1);
            tx = Tensor.of(device, b, d, x);
            ty = Tensor.of(device, b, d, y);
            ta = Tensor.of(device, b, 1, alpha);
            out = Tensor.zeros(device, b, d);
            norms = Tensor.zeros(device, b, 1);
            scalar = Tensor.zeros(device, 1, 1);
            one = Tensor.of(device, 1, 1, new float[] {1f});
            Penalty.forward(scalar, norms, tx, EPS, LAMBDA);
        }

        private double norm(int i) {
            double q = 0;
            for (int j = 0; j < d; j++) {
                q += (double) x[i * d + j] * x[i * d + j];
            }
            return Math.sqrt(q + EPS);
        }

        private static void check(double want, float got, String what, int i) {
            if (!(Math.abs(got - want) <= ATOL + RTOL * Math.abs(want))) {
                throw new AssertionError(String.format(Locale.ROOT, "%s: element %d is %s, reference %.9g", what, i, got, want));
            }
        }

        @Override
        public void validate() {
            run();
            switch (kind) {
                case INTERPOLATE -> {
                    float[] got = out.toArray();
                    for (int k = 0; k < got.length; k++) {
                        double a = alpha[k / d];
                        check(y[k] + a * ((double) x[k] - y[k]), got[k], name(), k);
                    }
                }
                case PENALTY -> {
                    double s = 0;
                    for (int i = 0; i < b; i++) {
                        double n = norm(i);
                        s += (n - 1) * (n - 1);
                    }
                    check(LAMBDA * s / b, scalar.get(0, 0), name(), 0);
                }
                case PENALTY_BACKWARD -> {
                    float[] got = out.toArray();
                    for (int k = 0; k < got.length; k++) {
                        double n = norm(k / d);
                        check(2.0 * LAMBDA / b * (n - 1) / n * x[k], got[k], name(), k);
                    }
                }
                case LOSS -> {
                    double s = 0;
                    for (int i = 0; i < b; i++) {
                        double z = (i < b / 2 ? 1 : -1) * (double) y[i];
                        s += -Math.log1p(Math.exp(-z));
                    }
                    check(-s / (b / 2), scalar.get(0, 0), name(), 0);
                }
                case LOSS_BACKWARD -> {
                    float[] got = out.toArray();
                    for (int i = 0; i < b; i++) {
                        double sg = i < b / 2 ? 1 : -1;
                        double z = sg * y[i];
                        check(-1.0 / (b / 2) * sg / (1 + Math.exp(z)), got[i], name(), i);
                    }
                }
                default -> throw new IllegalStateException();
            }
        }

        @Override
        public void run() {
            switch (kind) {
                case INTERPOLATE -> Penalty.interpolate(out, tx, ty, ta);
                case PENALTY -> Penalty.forward(scalar, norms, tx, EPS, LAMBDA);
                case PENALTY_BACKWARD -> Penalty.backward(out, one, norms, tx, LAMBDA, 0f);
                // The discriminator's logistic loss on 2B outputs (real rows +1, fake rows −1), d_real and d_fake into norms' first two rows.
                case LOSS -> GanLoss.forward(GanLoss.Kind.LOGSIG, scalar, norms.rows(0, 2), ty.cols(0, 1), b / 2, 1f, -1f, -1f / (b / 2), null);
                case LOSS_BACKWARD -> GanLoss.backward(GanLoss.Kind.LOGSIG, out.cols(0, 1), one, ty.cols(0, 1), b / 2, 1f, -1f, -1f / (b / 2),
                        0f, null, 0f);
                default -> throw new IllegalStateException();
            }
        }

        @Override
        public void close() {
            for (Tensor t : new Tensor[] {tx, ty, ta, out, norms, scalar, one}) {
                if (t != null) {
                    t.close();
                }
            }
        }
    }
}
