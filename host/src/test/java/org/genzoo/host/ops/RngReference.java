package org.genzoo.host.ops;

/**
 * Plain-Java Philox-4x32-10 (Salmon et al. 2011) and the noise ops of kernels/rng.cl, written from
 * the equations. uint32 words are Java ints; products are taken as unsigned 64-bit.
 */
final class RngReference {
    static final int M0 = 0xD2511F53;
    static final int M1 = 0xCD9E8D57;
    static final int W0 = 0x9E3779B9;
    static final int W1 = 0xBB67AE85;
    /** 2^-24: the step of the 24-bit uniforms. */
    static final double STEP = 1.0 / (1 << 24);

    private RngReference() {
    }

    /** One Philox-4x32-10 block: counter (4 words), key (2 words) -> 4 words. */
    static int[] philox(int[] ctr, int[] key) {
        int c0 = ctr[0], c1 = ctr[1], c2 = ctr[2], c3 = ctr[3];
        int k0 = key[0], k1 = key[1];
        for (int round = 0; round < 10; round++) {
            if (round > 0) {
                k0 += W0;
                k1 += W1;
            }
            long p0 = Integer.toUnsignedLong(M0) * Integer.toUnsignedLong(c0);
            long p1 = Integer.toUnsignedLong(M1) * Integer.toUnsignedLong(c2);
            int hi0 = (int) (p0 >>> 32), lo0 = (int) p0;
            int hi1 = (int) (p1 >>> 32), lo1 = (int) p1;
            c0 = hi1 ^ c1 ^ k0;
            c1 = lo1;
            c2 = hi0 ^ c3 ^ k1;
            c3 = lo0;
        }
        return new int[] {c0, c1, c2, c3};
    }

    /** The block for element i of a draw at (seed, stream, counter): ctr = (i, counter lo, counter hi, stream). */
    static int[] block(long seed, int stream, long counter, int i) {
        return philox(new int[] {i, (int) counter, (int) (counter >>> 32), stream}, new int[] {(int) seed, (int) (seed >>> 32)});
    }

    /** (u >>> 8) * 2^-24: exact in float and double. */
    static double u24(int u) {
        return (u >>> 8) * STEP;
    }

    /** Box-Muller, cosine branch, from two words. */
    static double boxMuller(int a, int b) {
        return Math.sqrt(-2 * Math.log(1 - u24(a))) * Math.cos(2 * Math.PI * u24(b));
    }

    /**
     * Binarize's word for (r, c) of an R x C draw: word (c mod 64) / 16 of the block at
     * ctr.x = r * BR + 16 * (c / 64) + c mod 16, BR = 16 * ceil(C / 64).
     */
    static int binarizeWord(long seed, int stream, long counter, int r, int c, int cols) {
        int br = 16 * ((cols + 63) / 64);
        return block(seed, stream, counter, r * br + 16 * (c / 64) + c % 16)[(c % 64) / 16];
    }

    /** Binarize of row-major R x C x: y = u < x ? 1 : 0 with u from {@link #binarizeWord}, compared with the float x. */
    static double[] binarize(long seed, int stream, long counter, float[] x, int rows, int cols) {
        double[] out = new double[rows * cols];
        for (int i = 0; i < out.length; i++) {
            out[i] = u24(binarizeWord(seed, stream, counter, i / cols, i % cols, cols)) < x[i] ? 1 : 0;
        }
        return out;
    }

    /** Row-major R x C uniforms at (seed, stream, counter). */
    static double[] uniform(long seed, int stream, long counter, int rows, int cols) {
        double[] out = new double[rows * cols];
        for (int i = 0; i < out.length; i++) {
            out[i] = u24(block(seed, stream, counter, i)[0]);
        }
        return out;
    }

    static double[] normal(long seed, int stream, long counter, int rows, int cols) {
        double[] out = new double[rows * cols];
        for (int i = 0; i < out.length; i++) {
            int[] w = block(seed, stream, counter, i);
            out[i] = boxMuller(w[0], w[1]);
        }
        return out;
    }

    /** y = u < p ? 1 : 0, the comparison done on the float p the kernel sees. */
    static double[] bernoulli(long seed, int stream, long counter, float[] p) {
        double[] out = new double[p.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = u24(block(seed, stream, counter, i)[0]) < p[i] ? 1 : 0;
        }
        return out;
    }

    /** z = mu + exp(logvar / 2) * eps. */
    static double[] reparameterize(double[] mu, double[] logvar, double[] eps) {
        double[] z = new double[mu.length];
        for (int i = 0; i < z.length; i++) {
            z[i] = mu[i] + Math.exp(0.5 * logvar[i]) * eps[i];
        }
        return z;
    }

    /** {dmu, dlogvar} = {dz, dz * eps * exp(logvar / 2) / 2}. */
    static double[][] reparameterizeBackward(double[] dz, double[] eps, double[] logvar) {
        double[] dmu = dz.clone();
        double[] dlv = new double[dz.length];
        for (int i = 0; i < dz.length; i++) {
            dlv[i] = 0.5 * dz[i] * eps[i] * Math.exp(0.5 * logvar[i]);
        }
        return new double[][] {dmu, dlv};
    }
}
