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
 * A fixed permutation of the coordinates, z[j] = x[perm[j]]: reversal or a seeded random
 * permutation. Volume preserving (log-det 0), no parameters. Applied as a product with the 0/1
 * permutation matrix P (P[i, j] = [perm[j] = i], so z = x·P), exact in float32 because every output
 * has one nonzero term.
 */
public final class Permutation implements FlowLayer {
    private final Device device;
    private final int[] perm;
    private final Tensor p;
    private final Tensor pt;

    public Permutation(Device device, int[] perm) {
        int d = perm.length;
        boolean[] seen = new boolean[d];
        for (int v : perm) {
            if (v < 0 || v >= d || seen[v]) {
                throw new IllegalArgumentException("not a permutation of 0.." + (d - 1) + ": " + java.util.Arrays.toString(perm));
            }
            seen[v] = true;
        }
        this.device = device;
        this.perm = perm.clone();
        float[] m = new float[d * d];
        float[] mt = new float[d * d];
        for (int j = 0; j < d; j++) {
            m[perm[j] * d + j] = 1f;
            mt[j * d + perm[j]] = 1f;
        }
        this.p = Tensor.of(device, d, d, m);
        this.pt = Tensor.of(device, d, d, mt);
    }

    /** z[j] = x[D-1-j]. */
    public static Permutation reverse(Device device, int dim) {
        int[] perm = new int[dim];
        for (int j = 0; j < dim; j++) {
            perm[j] = dim - 1 - j;
        }
        return new Permutation(device, perm);
    }

    /** A uniformly random permutation (Fisher-Yates) from {@code rng}. */
    public static Permutation random(Device device, int dim, SplittableRandom rng) {
        return new Permutation(device, randomOrder(dim, rng));
    }

    /** The order {@link #random} uses: Fisher-Yates from {@code rng}. */
    static int[] randomOrder(int dim, SplittableRandom rng) {
        int[] perm = new int[dim];
        for (int j = 0; j < dim; j++) {
            perm[j] = j;
        }
        for (int j = dim - 1; j > 0; j--) {
            int k = rng.nextInt(j + 1);
            int tmp = perm[j];
            perm[j] = perm[k];
            perm[k] = tmp;
        }
        return perm;
    }

    /** The permutation, closing this layer (for callers that only want the seeded index order). */
    int[] permutationAndClose() {
        close();
        return perm.clone();
    }

    public int[] permutation() {
        return perm.clone();
    }

    @Override
    public int dim() {
        return perm.length;
    }

    @Override
    public Step forward(Var x) {
        return apply(x, p);
    }

    @Override
    public Step inverse(Var z) {
        return apply(z, pt);
    }

    private Step apply(Var x, Tensor m) {
        if (x.cols() != perm.length) {
            throw new IllegalArgumentException("permutation of width " + perm.length + " got " + x.cols() + " columns");
        }
        Tape t = Tape.current();
        Tensor zero = t.alloc(x.rows(), 1);
        zero.fill(0f);
        return new Step(F.matmul(x, false, t.constant(m), false), t.constant(zero));
    }

    @Override
    public List<Param> params() {
        return List.of();
    }

    @Override
    public void close() {
        p.close();
        pt.close();
    }
}
