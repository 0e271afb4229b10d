package org.genzoo.models.flow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.genzoo.host.autograd.F;
import org.genzoo.host.autograd.Param;
import org.genzoo.host.autograd.Tape;
import org.genzoo.host.autograd.Var;
import org.genzoo.host.tensor.Tensor;
import org.genzoo.host.testing.Check;
import org.genzoo.host.testing.OnDevice;
import org.junit.jupiter.api.Test;

/**
 * Every flow layer of this package on random inputs and random parameters: its differentiable
 * direction against the double {@link FlowReference}; the log-det against log|det J| of the
 * reference's Jacobian by central differences (D ≤ 6); inverse(forward(x)) = x; and the backward
 * pass (input and parameter gradients of L = Σ w ⊙ out + Σ v ⊙ logdet) against central finite
 * differences of the reference in double.
 */
class FlowLayersTest extends OnDevice {
    /** float32 GEMMs and exp over O(1) values against double. */
    static final double OUT_TOL = 2e-4;
    /** Central-difference Jacobian with h = 1e-5 on the double reference: error ~h² plus rounding ~1e-11. */
    static final double JAC_TOL = 1e-6;
    /** Round trip in float32 through exp(±s) with |s| ≤ 3 and a few GEMMs. */
    static final double ROUND_TRIP_TOL = 5e-4;
    /** float32 backward against double central differences (h = 1e-6). */
    static final double GRAD_TOL = 1e-3;
    static final int B = 5;

    /** A layer with its reference, and whether its differentiable direction is the inverse (IAF). */
    record Case(String name, FlowLayer layer, FlowReference.Map ref, boolean inverseIsDifferentiable) {
    }

    static void randomize(List<Param> ps, long seed, double scale) {
        SplittableRandom r = new SplittableRandom(seed);
        for (Param p : ps) {
            float[] v = new float[p.size()];
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) ((r.nextDouble() * 2 - 1) * scale);
            }
            p.value().write(v);
        }
    }

    static List<double[]> values(List<Param> ps) {
        List<double[]> out = new ArrayList<>();
        for (Param p : ps) {
            out.add(Check.toDouble(p.value().toArray()));
        }
        return out;
    }

    static int[] sizes(int d, int[] hidden) {
        int[] s = new int[hidden.length + 2];
        s[0] = d;
        System.arraycopy(hidden, 0, s, 1, hidden.length);
        s[s.length - 1] = 2 * d;
        return s;
    }

    static List<float[]> madeMasks(Made m, int layers) {
        List<float[]> out = new ArrayList<>();
        for (int l = 0; l < layers; l++) {
            out.add(m.mask(l));
        }
        return out;
    }

    List<Case> cases(int d, long seed) {
        SplittableRandom init = new SplittableRandom(seed);
        List<Case> cs = new ArrayList<>();
        int[] hidden = {7, 5};
        for (String mask : new String[] {"half", "alternate"}) {
            AffineCouplingLayer c = new AffineCouplingLayer(dev, "c", d, mask, (int) (seed % 2), hidden, 2f, init);
            cs.add(new Case("coupling-" + mask, c, FlowReference.coupling(c.maskValues(), sizes(d, hidden), null, 2), false));
        }
        for (boolean iaf : new boolean[] {false, true}) {
            String order = iaf ? "random" : "reverse";
            Made made = new Made(dev, "m", d, hidden, Made.order(order, d, init), init);
            AutoregressiveLayer a = new AutoregressiveLayer(dev, made, 3f, iaf);
            cs.add(new Case(iaf ? "iaf" : "maf", a, FlowReference.coupling(null, sizes(d, hidden), madeMasks(made, 3), 3), iaf));
        }
        LuLinear lu = new LuLinear(dev, "lu", d, init);
        cs.add(new Case("lu", lu, FlowReference.lu(lu.permutationMatrix()), false));
        cs.add(new Case("actnorm", new ActNorm(dev, "an", d), FlowReference.actnorm(), false));
        Permutation p = Permutation.random(dev, d, init);
        cs.add(new Case("permute", p, FlowReference.permutation(p.permutation()), false));
        return cs;
    }

    /** (out, logdet) of the differentiable direction and of its opposite, without gradients. */
    static float[][] run(FlowLayer l, float[] x, int d, boolean inverseFirst) {
        try (Tape t = Tape.noGrad(dev); Tensor tx = Tensor.of(dev, B, d, x)) {
            Var in = t.constant(tx);
            FlowLayer.Step a = inverseFirst ? l.inverse(in) : l.forward(in);
            FlowLayer.Step b = inverseFirst ? l.forward(a.out()) : l.inverse(a.out());
            return new float[][] {a.out().value().toArray(), a.logdet().value().toArray(), b.out().value().toArray(),
                    b.logdet().value().toArray()};
        }
    }

    @Test
    void everyLayerMatchesItsReferenceInvertsAndHasTheJacobiansLogDet() {
        for (int d : new int[] {2, 3, 6}) {
            long seed = 77 + d;
            for (Case c : cases(d, seed)) {
                try (FlowLayer l = c.layer()) {
                    String what = c.name() + " D=" + d + " seed=" + seed;
                    randomize(l.params(), seed + 1, 0.5);
                    float[] x = Check.uniform(seed + 2, B * d, -2, 2);
                    float[][] got = run(l, x, d, c.inverseIsDifferentiable());
                    List<double[]> ps = values(l.params());
                    double[] refOut = new double[B * d];
                    double[] refLd = new double[B];
                    double[] jacLd = new double[B];
                    double[] negLd = new double[B];
                    for (int r = 0; r < B; r++) {
                        double[] xr = new double[d];
                        for (int j = 0; j < d; j++) {
                            xr[j] = x[r * d + j];
                        }
                        double[][] o = c.ref().apply(xr, ps);
                        System.arraycopy(o[0], 0, refOut, r * d, d);
                        refLd[r] = o[1][0];
                        negLd[r] = -o[1][0];
                        Function<double[], double[]> f = v -> c.ref().apply(v, ps)[0];
                        jacLd[r] = FlowReference.numericLogAbsDet(f, xr, 1e-5);
                        assertEquals(refLd[r], jacLd[r], JAC_TOL, what + ": the reference's log-det is not log|det J|, row " + r);
                    }
                    Check.close(refOut, got[0], OUT_TOL, OUT_TOL, what + " output");
                    Check.close(jacLd, got[1], OUT_TOL, OUT_TOL, what + " log-det vs log|det J|");
                    Check.close(Check.toDouble(x), got[2], ROUND_TRIP_TOL, ROUND_TRIP_TOL, what + " round trip");
                    Check.close(negLd, got[3], OUT_TOL, OUT_TOL, what + " log-det of the opposite direction");
                }
            }
        }
    }

    @Test
    void backwardMatchesFiniteDifferencesOfTheReference() {
        for (int d : new int[] {2, 5}) {
            long seed = 500 + d;
            for (Case c : cases(d, seed)) {
                try (FlowLayer l = c.layer()) {
                    String what = c.name() + " D=" + d + " seed=" + seed;
                    randomize(l.params(), seed + 1, 0.5);
                    float[] x = Check.uniform(seed + 2, B * d, -2, 2);
                    float[] w = Check.uniform(seed + 3, B * d, -1, 1);
                    float[] v = Check.uniform(seed + 4, B, -1, 1);
                    List<Param> params = l.params();
                    for (Param p : params) {
                        p.zeroGrad();
                    }
                    float[] dx;
                    try (Tape t = Tape.record(dev); Tensor tx = Tensor.of(dev, B, d, x); Tensor tw = Tensor.of(dev, B, d, w);
                            Tensor tv = Tensor.of(dev, B, 1, v)) {
                        Var in = t.leaf(tx);
                        FlowLayer.Step s = c.inverseIsDifferentiable() ? l.inverse(in) : l.forward(in);
                        Var loss = F.add(F.sum(F.mul(s.out(), t.constant(tw))), F.sum(F.mul(s.logdet(), t.constant(tv))));
                        t.backward(loss);
                        dx = in.grad().toArray();
                    }
                    List<double[]> ps = values(params);
                    double[] xd = Check.toDouble(x);
                    Function<double[], Double> lossOfX = xs -> refLoss(c.ref(), xs, ps, w, v, d);
                    Check.close(Check.finiteDiff(xs -> lossOfX.apply(xs), xd, 1e-6), dx, GRAD_TOL, GRAD_TOL, what + " dx");
                    for (int i = 0; i < params.size(); i++) {
                        int k = i;
                        double[] g = Check.finiteDiff(pv -> {
                            List<double[]> copy = new ArrayList<>(ps);
                            copy.set(k, pv);
                            return refLoss(c.ref(), xd, copy, w, v, d);
                        }, ps.get(i), 1e-6);
                        Check.close(g, params.get(i).grad().toArray(), GRAD_TOL, GRAD_TOL, what + " d" + params.get(i).name());
                    }
                }
            }
        }
    }

    static double refLoss(FlowReference.Map ref, double[] x, List<double[]> ps, float[] w, float[] v, int d) {
        double l = 0;
        for (int r = 0; r < B; r++) {
            double[] xr = new double[d];
            System.arraycopy(x, r * d, xr, 0, d);
            double[][] o = ref.apply(xr, ps);
            for (int j = 0; j < d; j++) {
                l += w[r * d + j] * o[0][j];
            }
            l += v[r] * o[1][0];
        }
        return l;
    }

    /**
     * MADE's autoregressive property through the Jacobian of the device computation: output
     * columns i and D + i have zero gradient with respect to every input at or after i in the
     * order, and (with dense enough hidden layers) a nonzero one for some input before it; the
     * MAF's z therefore has a triangular Jacobian in the order with e^{s_i} on the diagonal.
     */
    @Test
    void madeOutputsDependOnlyOnEarlierInputs() {
        int d = 6;
        for (String order : new String[] {"natural", "reverse", "random"}) {
            SplittableRandom init = new SplittableRandom(9);
            try (Made made = new Made(dev, "m", d, new int[] {16, 16}, Made.order(order, d, init), init)) {
                randomize(made.params(), 10, 0.7);
                int[] deg = made.degrees();
                float[] x = Check.uniform(11, B * d, -1, 1);
                for (int col = 0; col < 2 * d; col++) {
                    float[] dx;
                    try (Tape t = Tape.record(dev); Tensor tx = Tensor.of(dev, B, d, x)) {
                        Var in = t.leaf(tx);
                        Var h = made.forward(in);
                        t.backward(F.sum(F.cols(h, col, col + 1)));
                        dx = in.grad().toArray();
                    }
                    int i = col % d;
                    boolean anyEarlier = false;
                    for (int j = 0; j < d; j++) {
                        double sum = 0;
                        for (int r = 0; r < B; r++) {
                            sum += Math.abs(dx[r * d + j]);
                        }
                        if (deg[j] >= deg[i]) {
                            assertEquals(0.0, sum, 0.0, order + ": output column " + col + " (degree " + deg[i]
                                    + ") depends on input " + j + " (degree " + deg[j] + ")");
                        } else if (sum > 0) {
                            anyEarlier = true;
                        }
                    }
                    assertTrue(deg[i] == 1 || anyEarlier, order + ": output column " + col + " ignores every earlier input");
                }
            }
        }
    }

    @Test
    void sequentialDirectionsRefuseGradients() {
        SplittableRandom init = new SplittableRandom(3);
        try (AutoregressiveLayer maf = new AutoregressiveLayer(dev, new Made(dev, "m", 3, new int[] {4}, Made.order("natural", 3, init), init), 0f, false);
                Tape t = Tape.record(dev); Tensor z = Tensor.zeros(dev, 2, 3)) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> maf.inverse(t.constant(z)));
            assertTrue(e.getMessage().contains("forward (density"), e.getMessage());
        }
    }
}
