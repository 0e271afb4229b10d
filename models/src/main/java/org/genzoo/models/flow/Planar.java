package org.genzoo.models.flow;

import java.util.List;
import java.util.SplittableRandom;
import org.genzoo.host.Device;
import org.genzoo.host.autograd.F;
import org.genzoo.host.autograd.Param;
import org.genzoo.host.autograd.Tape;
import org.genzoo.host.autograd.Var;
import org.genzoo.host.tensor.Tensor;

/**
 * Planar flow (Rezende &amp; Mohamed 2015), defined in the generative direction:
 * x = f(z) = z + û h(wᵀz + b) with h = tanh and the invertibility reparameterization
 * û = u + (m(wᵀu) − wᵀu) w / ‖w‖², m(s) = −1 + softplus(s), so wᵀû = m(wᵀu) &gt; −1 and f is a
 * bijection. log|det ∂x/∂z| = log(1 + h'(wᵀz + b) wᵀû).
 *
 * <p>{@link #inverse} (z → x) is the closed form, differentiable in z and the parameters: this is the
 * direction reverse-KL training uses. {@link #forward} (x → z) solves the 1-D equation
 * a + m tanh(a) = wᵀx + b for a = wᵀz + b (Newton steps safeguarded by bisection on the bracket
 * |a − (wᵀx + b)| ≤ |m|, in double on the host), then z = x − û tanh(a). It carries no gradients:
 * in a recording tape it throws {@link IllegalStateException}. It reads x and the parameters back
 * from the device, so it is for evaluation and tests, not for training steps.
 */
public final class Planar implements FlowLayer {
    /** Root-finding tolerance on a (the equation is solved in double). */
    static final double ROOT_TOL = 1e-12;
    static final int ROOT_MAX_ITER = 200;

    private final Device device;
    private final int dim;
    private final Param u;
    private final Param w;
    private final Param b;

    public Planar(Device device, String name, int dim, SplittableRandom init) {
        if (dim <= 0) {
            throw new IllegalArgumentException(name + ": a planar flow needs a positive dimension, got " + dim);
        }
        this.device = device;
        this.dim = dim;
        this.u = new Param(name + ".u", device, 1, dim);
        this.w = new Param(name + ".w", device, 1, dim);
        this.b = new Param(name + ".b", device, 1, 1);
        // w of norm ~1 (û divides by ‖w‖²), u small: the layer starts near the identity.
        float[] wv = new float[dim];
        float[] uv = new float[dim];
        double scale = 1 / Math.sqrt(dim);
        for (int j = 0; j < dim; j++) {
            wv[j] = (float) ((init.nextDouble() < 0.5 ? -1 : 1) * (0.5 + 0.5 * init.nextDouble()) * scale);
            uv[j] = (float) ((init.nextDouble() * 2 - 1) * 0.1 * scale);
        }
        w.value().write(wv);
        u.value().write(uv);
    }

    @Override
    public int dim() {
        return dim;
    }

    @Override
    public List<Param> params() {
        return List.of(u, w, b);
    }

    /** The reparameterized û (1 x D) and m = wᵀû (1 x 1) on the active tape. */
    private Var[] uHat(Tape t) {
        Var wv = t.param(w);
        Var uv = t.param(u);
        Var wu = F.matmul(wv, false, uv, true);
        Var ww = F.matmul(wv, false, wv, true);
        Var m = F.addRow(F.softplus(wu), constant(t, 1, 1, -1f));
        Var coef = F.mul(F.sub(m, wu), F.exp(F.scale(F.log(ww), -1f)));
        Var uh = F.add(uv, F.matmul(coef, false, wv, false));
        return new Var[] {uh, m};
    }

    /** x = z + û tanh(wᵀz + b), log|det ∂x/∂z| = log(1 + (1 − tanh²) m); differentiable. */
    @Override
    public Step inverse(Var z) {
        requireWidth(z);
        Tape t = Tape.current();
        Var[] um = uHat(t);
        Var uh = um[0];
        Var m = um[1];
        Var h = F.tanh(F.linear(z, t.param(w), t.param(b), F.LinearAct.NONE));
        Var x = F.add(z, F.matmul(h, false, uh, false));
        // 1 + m − h² m: the 1 + m part is a 1 x 1 row added to every example.
        Var onePlusM = F.addRow(m, constant(t, 1, 1, 1f));
        Var logdet = F.log(F.addRow(F.scale(F.matmul(F.square(h), false, m, false), -1f), onePlusM));
        return new Step(x, logdet);
    }

    /** z from x by 1-D root finding on the host, without gradients; logdet = −log(1 + (1 − tanh²(a)) m). */
    @Override
    public Step forward(Var x) {
        requireWidth(x);
        Tape t = Tape.current();
        if (t.recording()) {
            throw new IllegalStateException("planar flow: the data direction x -> z is solved by root finding and carries no"
                    + " gradients; only the generative direction z -> x (inverse) is differentiable, so train planar flows"
                    + " with the reverse-kl objective, or evaluate under Tape.noGrad");
        }
        double[] hu;
        double mv;
        try (Tape g = Tape.noGrad(device)) {
            Var[] um = uHat(g);
            hu = toDouble(um[0].value().toArray());
            mv = um[1].value().get(0, 0);
        }
        double[] hw = toDouble(w.value().toArray());
        double hb = b.value().get(0, 0);
        float[] hx = x.value().toArray();
        int n = x.rows();
        float[] hz = new float[hx.length];
        float[] ld = new float[n];
        for (int r = 0; r < n; r++) {
            double c = hb;
            for (int j = 0; j < dim; j++) {
                c += hw[j] * hx[r * dim + j];
            }
            double a = solve(c, mv, r);
            double th = Math.tanh(a);
            for (int j = 0; j < dim; j++) {
                hz[r * dim + j] = (float) (hx[r * dim + j] - hu[j] * th);
            }
            ld[r] = (float) -Math.log(1 + (1 - th * th) * mv);
        }
        Tensor zt = t.alloc(n, dim);
        zt.write(hz);
        Tensor lt = t.alloc(n, 1);
        lt.write(ld);
        return new Step(t.constant(zt), t.constant(lt));
    }

    /** The root of a + m tanh(a) = c (m &gt; −1: strictly increasing), within |c| ± |m|. */
    static double solve(double c, double m, int row) {
        double lo = c - Math.abs(m) - ROOT_TOL;
        double hi = c + Math.abs(m) + ROOT_TOL;
        double a = c;
        for (int it = 0; it < ROOT_MAX_ITER; it++) {
            double th = Math.tanh(a);
            double f = a + m * th - c;
            if (f > 0) {
                hi = a;
            } else {
                lo = a;
            }
            if (Math.abs(f) <= ROOT_TOL * (1 + Math.abs(c)) || hi - lo <= ROOT_TOL * (1 + Math.abs(c))) {
                return a;
            }
            double next = a - f / (1 + m * (1 - th * th));
            a = next > lo && next < hi ? next : 0.5 * (lo + hi);
        }
        throw new IllegalStateException(String.format(java.util.Locale.ROOT,
                "planar flow: root finding for example %d did not converge in %d iterations (a + %.6g tanh(a) = %.6g, bracket"
                        + " [%.17g, %.17g]); the parameters may be non-finite", row, ROOT_MAX_ITER, m, c, lo, hi));
    }

    private void requireWidth(Var v) {
        if (v.cols() != dim) {
            throw new IllegalArgumentException("planar flow of width " + dim + " got an input with " + v.cols() + " columns");
        }
    }

    /** A rows x cols constant filled with {@code value}, owned by the tape. */
    static Var constant(Tape t, int rows, int cols, float value) {
        Tensor c = t.alloc(rows, cols);
        c.fill(value);
        return t.constant(c);
    }

    static double[] toDouble(float[] x) {
        double[] d = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            d[i] = x[i];
        }
        return d;
    }

    @Override
    public void close() {
        u.close();
        w.close();
        b.close();
    }
}
