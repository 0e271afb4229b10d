package org.genzoo.models.flow;

import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.genzoo.host.Device;
import org.genzoo.host.autograd.F;
import org.genzoo.host.autograd.Param;
import org.genzoo.host.ops.Reduce;
import org.genzoo.host.autograd.Tape;
import org.genzoo.host.autograd.Var;
import org.genzoo.host.tensor.Tensor;

/**
 * Radial flow (Rezende &amp; Mohamed 2015), defined in the generative direction:
 * x = f(z) = z + β h(α, r)(z − z0), r = ‖z − z0‖, h = 1 / (α + r), with α = softplus(α̂) &gt; 0 and
 * β = −α + softplus(β̂) &gt; −α, which makes f a bijection. log|det ∂x/∂z| =
 * (D − 1) log(1 + βh) + log(1 + βh + β h'(r) r) = (D − 1) log(1 + βh) + log(1 + αβh²).
 *
 * <p>{@link #inverse} (z → x) is the closed form, differentiable in z and the parameters.
 * {@link #forward} (x → z) finds r from r_x = ‖x − z0‖ = r (1 + β / (α + r)), a 1-D equation that is a
 * quadratic, r² + (α + β − r_x) r − α r_x = 0, whose non-negative root is taken in the cancellation-free
 * form; the residual is checked and a non-finite or inaccurate root is an error. It runs on the host
 * in double, carries no gradients (throws {@link IllegalStateException} in a recording tape) and is for
 * evaluation and tests.
 */
public final class Radial implements FlowLayer {
    /** Relative residual accepted for the root in r (double arithmetic reaches ~1e-15). */
    static final double ROOT_TOL = 1e-9;
    /** Added to r² before the square root so the gradient at z = z0 stays finite. */
    private static final float R2_EPS = 1e-12f;

    private final Device device;
    private final int dim;
    private final Param z0;
    private final Param alphaRaw;
    private final Param betaRaw;

    public Radial(Device device, String name, int dim, SplittableRandom init) {
        if (dim <= 0) {
            throw new IllegalArgumentException(name + ": a radial flow needs a positive dimension, got " + dim);
        }
        this.device = device;
        this.dim = dim;
        this.z0 = new Param(name + ".z0", device, 1, dim);
        this.alphaRaw = new Param(name + ".alpha", device, 1, 1);
        this.betaRaw = new Param(name + ".beta", device, 1, 1);
        float[] c = new float[dim];
        for (int j = 0; j < dim; j++) {
            c[j] = (float) (init.nextDouble() * 2 - 1);
        }
        z0.value().write(c);
        // α = softplus(0) = log 2; β = −α + softplus(β̂) starts near 0 (a near-identity layer) with β̂ = log(e^α − 1) + noise.
        alphaRaw.value().write(new float[] {0f});
        double a = Math.log(2);
        betaRaw.value().write(new float[] {(float) (Math.log(Math.expm1(a)) + 0.1 * (init.nextDouble() * 2 - 1))});
    }

    @Override
    public int dim() {
        return dim;
    }

    @Override
    public List<Param> params() {
        return List.of(z0, alphaRaw, betaRaw);
    }

    /** {α, β} as 1 x 1 Vars on the active tape. */
    private Var[] alphaBeta(Tape t) {
        Var alpha = F.softplus(t.param(alphaRaw));
        Var beta = F.sub(F.softplus(t.param(betaRaw)), alpha);
        return new Var[] {alpha, beta};
    }

    @Override
    public Step inverse(Var z) {
        requireWidth(z);
        Tape t = Tape.current();
        Var[] ab = alphaBeta(t);
        Var alpha = ab[0];
        Var beta = ab[1];
        Var d = F.addRow(z, F.scale(t.param(z0), -1f));
        Var r2 = F.addRow(F.reduceRows(Reduce.Op.SUM, F.square(d)), Planar.constant(t, 1, 1, R2_EPS));
        Var r = F.exp(F.scale(F.log(r2), 0.5f));
        Var h = F.exp(F.scale(F.log(F.addRow(r, alpha)), -1f));
        Var bh = F.matmul(h, false, beta, false);
        Var x = F.add(z, F.mul(F.matmul(bh, false, Planar.constant(t, 1, dim, 1f), false), d));
        Var one = Planar.constant(t, 1, 1, 1f);
        Var logdet = F.log(F.addRow(F.matmul(F.square(h), false, F.mul(alpha, beta), false), one));
        if (dim > 1) {
            logdet = F.add(logdet, F.scale(F.log(F.addRow(bh, one)), dim - 1));
        }
        return new Step(x, logdet);
    }

    @Override
    public Step forward(Var x) {
        requireWidth(x);
        Tape t = Tape.current();
        if (t.recording()) {
            throw new IllegalStateException("radial flow: the data direction x -> z is solved on the host and carries no"
                    + " gradients; only the generative direction z -> x (inverse) is differentiable, so train radial flows"
                    + " with the reverse-kl objective, or evaluate under Tape.noGrad");
        }
        double alpha = softplus(alphaRaw.value().get(0, 0));
        double beta = softplus(betaRaw.value().get(0, 0)) - alpha;
        double[] c = Planar.toDouble(z0.value().toArray());
        float[] hx = x.value().toArray();
        int n = x.rows();
        float[] hz = new float[hx.length];
        float[] ld = new float[n];
        for (int row = 0; row < n; row++) {
            double rx2 = 0;
            for (int j = 0; j < dim; j++) {
                double e = hx[row * dim + j] - c[j];
                rx2 += e * e;
            }
            double rx = Math.sqrt(rx2);
            double r = solveRadius(rx, alpha, beta, row);
            double h = 1 / (alpha + r);
            double scale = 1 / (1 + beta * h);
            for (int j = 0; j < dim; j++) {
                hz[row * dim + j] = (float) (c[j] + (hx[row * dim + j] - c[j]) * scale);
            }
            ld[row] = (float) -((dim - 1) * Math.log1p(beta * h) + Math.log1p(alpha * beta * h * h));
        }
        Tensor zt = t.alloc(n, dim);
        zt.write(hz);
        Tensor lt = t.alloc(n, 1);
        lt.write(ld);
        return new Step(t.constant(zt), t.constant(lt));
    }

    /** The r &gt;= 0 with r (1 + β / (α + r)) = rx (unique for α &gt; 0, β &gt; −α). */
    static double solveRadius(double rx, double alpha, double beta, int row) {
        double p = alpha + beta - rx;
        double disc = Math.sqrt(p * p + 4 * alpha * rx);
        double r = p > 0 ? 2 * alpha * rx / (p + disc) : 0.5 * (disc - p);
        double residual = r + beta * r / (alpha + r) - rx;
        if (!Double.isFinite(r) || r < 0 || Math.abs(residual) > ROOT_TOL * (1 + rx)) {
            throw new IllegalStateException(String.format(Locale.ROOT,
                    "radial flow: no accurate radius for example %d (r_x %.17g, alpha %.6g, beta %.6g: root %.17g, residual"
                            + " %.3g); the parameters may be non-finite", row, rx, alpha, beta, r, residual));
        }
        return r;
    }

    private static double softplus(double v) {
        return Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v)));
    }

    private void requireWidth(Var v) {
        if (v.cols() != dim) {
            throw new IllegalArgumentException("radial flow of width " + dim + " got an input with " + v.cols() + " columns");
        }
    }

    @Override
    public void close() {
        z0.close();
        alphaRaw.close();
        betaRaw.close();
    }
}
