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
 * An invertible linear layer z = x·Wᵀ with the LU parametrization of Glow (Kingma & Dhariwal 2018):
 * W = P·L·(U + diag(s)), P a fixed permutation, L unit lower triangular, U strictly upper
 * triangular, s = sign ⊙ exp(logScale) with the signs fixed at initialization; log|det W| =
 * Σ log|s| = Σ logScale, the same for every example. Starts at W = P (L = I, U = 0, s = 1) with a
 * seeded random P, a random permutation of the coordinates.
 *
 * <p>Both directions are differentiable. The inverse uses W⁻¹ computed on the host in double (it
 * reads the D x D matrix back), which suits sampling and small D; the forward stays on the device.
 * Building W costs two D x D x D products per call.
 */
public final class LuLinear implements FlowLayer {
    private final int dim;
    private final Param lower;
    private final Param upper;
    private final Param logScale;
    private final Tensor lowerMask;
    private final Tensor upperMask;
    private final Tensor eye;
    private final Tensor perm;
    private final Tensor sign;

    public LuLinear(Device device, String name, int dim, SplittableRandom init) {
        if (dim < 1) {
            throw new IllegalArgumentException(name + ": dimension must be positive, got " + dim);
        }
        this.dim = dim;
        lower = new Param(name + ".lower", device, dim, dim);
        upper = new Param(name + ".upper", device, dim, dim);
        logScale = new Param(name + ".logScale", device, 1, dim);
        float[] lm = new float[dim * dim];
        float[] um = new float[dim * dim];
        float[] id = new float[dim * dim];
        for (int i = 0; i < dim; i++) {
            for (int j = 0; j < dim; j++) {
                lm[i * dim + j] = j < i ? 1f : 0f;
                um[i * dim + j] = j > i ? 1f : 0f;
            }
            id[i * dim + i] = 1f;
        }
        lowerMask = Tensor.of(device, dim, dim, lm);
        upperMask = Tensor.of(device, dim, dim, um);
        eye = Tensor.of(device, dim, dim, id);
        int[] p = Permutation.random(device, dim, init).permutationAndClose();
        float[] pm = new float[dim * dim];
        for (int i = 0; i < dim; i++) {
            pm[i * dim + p[i]] = 1f;
        }
        perm = Tensor.of(device, dim, dim, pm);
        float[] sg = new float[dim];
        java.util.Arrays.fill(sg, 1f);
        sign = Tensor.of(device, 1, dim, sg);
    }

    @Override
    public int dim() {
        return dim;
    }

    /** W = P·(L ⊙ M_L + I)·(U ⊙ M_U + diag(sign ⊙ exp(logScale))) on the active tape. */
    public Var weight() {
        Tape t = Tape.current();
        Var l = F.add(FlowOps.maskedWeights(t.param(lower), lowerMask), t.constant(eye));
        Var s = F.mul(t.constant(sign), F.exp(t.param(logScale)));
        Var u = F.add(FlowOps.maskedWeights(t.param(upper), upperMask), F.mul(FlowOps.broadcastRow(s, dim), t.constant(eye)));
        return F.matmul(F.matmul(t.constant(perm), false, l, false), false, u, false);
    }

    private Var logdet(int rows, boolean negate) {
        Var sum = F.sum(Tape.current().param(logScale));
        return FlowOps.broadcastRow(negate ? F.scale(sum, -1f) : sum, rows);
    }

    @Override
    public Step forward(Var x) {
        return new Step(F.matmul(x, false, weight(), true), logdet(x.rows(), false));
    }

    @Override
    public Step inverse(Var z) {
        return new Step(F.matmul(z, false, FlowOps.inverse(weight()), true), logdet(z.rows(), true));
    }

    @Override
    public List<Param> params() {
        return List.of(lower, upper, logScale);
    }

    /** P as a row-major D x D 0/1 matrix (for tests). */
    float[] permutationMatrix() {
        return perm.toArray();
    }

    /** Sets the free entries (for tests): lower and upper D x D (masked), logScale 1 x D. */
    void set(float[] l, float[] u, float[] logs) {
        lower.value().write(l);
        upper.value().write(u);
        logScale.value().write(logs);
    }

    @Override
    public void close() {
        for (Param p : params()) {
            p.close();
        }
        lowerMask.close();
        upperMask.close();
        eye.close();
        perm.close();
        sign.close();
    }
}
