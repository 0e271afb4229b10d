package org.genzoo.models.ebm;

import org.genzoo.host.Device;
import org.genzoo.host.ops.Gemm;
import org.genzoo.host.ops.Gibbs;
import org.genzoo.host.ops.Rng;
import org.genzoo.host.tensor.Tensor;

/**
 * The partition function and the variational lower bound of a {@link Dbm}.
 *
 * <p>Exact: the 2^H1 states of h1 are enumerated on the device; given h1, v and h2 are independent and
 * sum out in closed form: log p*(h1) = c1·h1 + Σ_i softplus((h1W1ᵀ + b)_i) + Σ_k softplus((h1W2 + c2)_k).
 *
 * <p>AIS (Salakhutdinov &amp; Hinton 2009, with h1 summed out analytically): the chains' state is
 * (v, h2) and p*_β(v, h2) = exp((1 − β)·a·v + β·(b·v + c2·h2)) · Π_j (1 + exp(β·(vW1 + h2W2ᵀ + c1)_j)),
 * a the base rates of the data, so p_0 is the independent-pixels model times uniform h1, h2
 * (log Z_0 = Σ_i softplus(a_i) + (H1 + H2)·log 2) and p_1 the DBM. The weight gains
 * (β_k − β_{k−1})·s + Σ_j [softplus(β_k x_j) − softplus(β_{k−1} x_j)] with s = (b − a)·v + c2·h2 and
 * x = vW1 + h2W2ᵀ + c1 (the RBM's {@link Gibbs#aisLogWeights} kernel); the transition at β_k samples
 * h1 ~ σ(β_k x), then v ~ σ(β_k (h1W1ᵀ + b) + (1 − β_k) a) and h2 ~ σ(β_k (h1W2 + c2)), a Gibbs sweep
 * of p_k(v, h1, h2) whose (v, h2) marginal is p_k.
 *
 * <p>Bound: for any q(h1, h2 | v), log p(v) ≥ E_q[−E(v, h1, h2)] + H(q) − log Z; with the factorial
 * mean-field q of {@link Dbm#meanField}, E_q[−E] = b·v + Σ_j μ1_j (vW1 + c1)_j + Σ_k μ2_k (μ1W2 + c2)_k.
 */
public final class DbmLogZ {
    /** The largest H1 enumerated (as for an RBM's hidden layer). */
    public static final int MAX_EXACT_HIDDEN = LogZ.MAX_EXACT_HIDDEN;

    private DbmLogZ() {
    }

    /** log Z by enumerating the 2^H1 states of the first hidden layer on the device. */
    public static double exact(Dbm m) {
        int h1 = m.hidden1();
        if (h1 > MAX_EXACT_HIDDEN) {
            throw new IllegalArgumentException("exact log Z of a DBM enumerates 2^H1 states; H1 = " + h1 + " is above " + MAX_EXACT_HIDDEN
                    + " (use AIS)");
        }
        Device dev = m.device();
        long states = 1L << h1;
        int chunk = (int) Math.min(LogZ.CHUNK, states);
        double max = Double.NEGATIVE_INFINITY;
        double sum = 0;
        try (Tensor hs = Tensor.empty(dev, chunk, h1); Tensor y = Tensor.empty(dev, chunk, m.visibleUnits());
                Tensor y2 = Tensor.empty(dev, chunk, m.hidden2()); Tensor f = Tensor.empty(dev, chunk, 1); Tensor f2 = Tensor.empty(dev, chunk, 1);
                Tensor zero = Tensor.zeros(dev, 1, h1)) {
            for (long s0 = 0; s0 < states; s0 += chunk) {
                m.gibbs().enumerateHidden(hs, s0);
                m.gemm().gemm(y, hs, false, m.w1().value(), true, 1f, 0f, m.b().value(), Gemm.Act.NONE);
                m.gibbs().hiddenLogMarginal(f, y, hs, m.c1().value());
                m.gemm().gemm(y2, hs, false, m.w2().value(), false, 1f, 0f, m.c2().value(), Gemm.Act.NONE);
                m.gibbs().hiddenLogMarginal(f2, y2, hs, zero);
                float[] a = f.toArray();
                float[] a2 = f2.toArray();
                for (int i = 0; i < a.length; i++) {
                    double v = (double) a[i] + a2[i];
                    if (v > max) {
                        sum = sum * Math.exp(max - v) + 1;
                        max = v;
                    } else {
                        sum += Math.exp(v - max);
                    }
                }
            }
        }
        return max + Math.log(sum);
    }

    /**
     * log Z of {@code m} by AIS with {@code chains} chains over {@code betas} (from {@link LogZ#schedule})
     * from the base rate {@code base} (1 x D logits, {@link LogZ#baseRate}); noise from {@code new Rng(seed)}.
     */
    public static LogZ.Estimate ais(Dbm m, float[] base, double[] betas, int chains, long seed) {
        int d = m.visibleUnits();
        int h1 = m.hidden1();
        int h2 = m.hidden2();
        if (base.length != d) {
            throw new IllegalArgumentException("base rate has " + base.length + " biases, the DBM has " + d + " visible units");
        }
        if (chains < 1 || betas.length < 2 || betas[0] != 0 || betas[betas.length - 1] != 1) {
            throw new IllegalArgumentException("AIS needs chains >= 1 and a schedule from 0 to 1");
        }
        Device dev = m.device();
        Gibbs g = m.gibbs();
        Rng rng = new Rng(seed);
        final int h1Stream = 0;
        final int vStream = 1;
        final int h2Stream = 2;
        float[] bv = m.b().value().toArray();
        float[] diff = new float[d];
        double logZ0 = (h1 + h2) * Math.log(2);
        for (int i = 0; i < d; i++) {
            diff[i] = bv[i] - base[i];
            logZ0 += Math.max(base[i], 0) + Math.log1p(Math.exp(-Math.abs(base[i])));
        }
        float[] c2 = m.c2().value().toArray();
        double[] lw = new double[chains];
        try (Tensor a = Tensor.of(dev, 1, d, base); Tensor dcol = Tensor.of(dev, d, 1, diff); Tensor c2col = Tensor.of(dev, h2, 1, c2);
                Tensor v = Tensor.empty(dev, chains, d); Tensor pv = Tensor.empty(dev, chains, d); Tensor x = Tensor.empty(dev, chains, h1);
                Tensor p1 = Tensor.empty(dev, chains, h1); Tensor s1 = Tensor.zeros(dev, chains, h1); Tensor p2 = Tensor.empty(dev, chains, h2);
                Tensor s2 = Tensor.empty(dev, chains, h2); Tensor s = Tensor.empty(dev, chains, 1); Tensor logw = Tensor.zeros(dev, chains, 2)) {
            // exact samples of the base model: v from the base rates, h2 uniform (σ(0) = 1/2)
            m.visibleStep(pv, v, s1, 0f, a, rng, vStream);
            m.h2Step(p2, s2, s1, 0f, rng, h2Stream);
            for (int k = 1; k < betas.length; k++) {
                float t0 = (float) betas[k - 1];
                float t1 = (float) betas[k];
                m.h1Logits(x, v, s2);
                m.gemm().mm(s, v, false, dcol, false);
                m.gemm().gemm(s, s2, false, c2col, false, 1f, 1f, null, Gemm.Act.NONE);
                g.aisLogWeights(logw, x, s, t0, t1);
                if (k < betas.length - 1) {
                    g.sampleLogits(p1, s1, x, t1, rng, h1Stream, rng.next(h1Stream));
                    m.visibleStep(pv, v, s1, t1, a, rng, vStream);
                    m.h2Step(p2, s2, s1, t1, rng, h2Stream);
                }
                if (k % 256 == 0) {
                    // Wait, not just flush, as LogZ.ais: every queued command holds driver memory (PoCL: dbm-20-mnist
                    // with 14,500 temperatures peaked at 537 MiB unsynchronized, 374 MiB with the wait).
                    dev.finish();
                }
            }
            float[] raw = logw.toArray();
            for (int i = 0; i < chains; i++) {
                lw[i] = raw[2 * i];
            }
        }
        return LogZ.summarize(lw, logZ0, betas.length - 1);
    }

    /**
     * The mean-field part of the bound per example: E_q[−E(v, h)] + H(q) for q = mean field with
     * {@code iters} rounds (add −log Z for the bound on log p(v)). data: N x D binary, in chunks.
     */
    public static double[] meanFieldTerms(Dbm m, Tensor data, int iters) {
        int n = data.rows();
        int d = m.visibleUnits();
        int h1 = m.hidden1();
        int h2 = m.hidden2();
        double[] out = new double[n];
        int chunk = 500;
        Device dev = m.device();
        int rows = Math.min(chunk, n);
        try (Tensor mu1 = Tensor.empty(dev, rows, h1); Tensor mu2 = Tensor.empty(dev, rows, h2); Tensor x1 = Tensor.empty(dev, rows, h1);
                Tensor x2 = Tensor.empty(dev, rows, h2); Tensor bv = Tensor.empty(dev, rows, 1);
                Tensor bcol = Tensor.of(dev, d, 1, m.b().value().toArray())) {
            for (int r0 = 0; r0 < n; r0 += chunk) {
                int k = Math.min(chunk, n - r0);
                Tensor v = data.rows(r0, r0 + k);
                Tensor u1 = mu1.rows(0, k);
                Tensor u2 = mu2.rows(0, k);
                Tensor y1 = x1.rows(0, k);
                Tensor y2 = x2.rows(0, k);
                m.meanField(u1, u2, y1, v, iters);
                m.gemm().gemm(y1, v, false, m.w1().value(), false, 1f, 0f, m.c1().value(), Gemm.Act.NONE);
                m.gemm().gemm(y2, u1, false, m.w2().value(), false, 1f, 0f, m.c2().value(), Gemm.Act.NONE);
                m.gemm().mm(bv.rows(0, k), v, false, bcol, false);
                float[] a1 = u1.toArray();
                float[] a2 = u2.toArray();
                float[] z1 = y1.toArray();
                float[] z2 = y2.toArray();
                float[] e0 = bv.rows(0, k).toArray();
                for (int i = 0; i < k; i++) {
                    double t = e0[i];
                    for (int j = 0; j < h1; j++) {
                        double mu = a1[i * h1 + j];
                        t += mu * z1[i * h1 + j] + entropy(mu);
                    }
                    for (int j = 0; j < h2; j++) {
                        double mu = a2[i * h2 + j];
                        t += mu * z2[i * h2 + j] + entropy(mu);
                    }
                    out[r0 + i] = t;
                }
            }
        }
        return out;
    }

    /** −μ log μ − (1 − μ) log(1 − μ), 0 at the ends. */
    static double entropy(double mu) {
        double e = 0;
        if (mu > 0) {
            e -= mu * Math.log(mu);
        }
        if (mu < 1) {
            e -= (1 - mu) * Math.log1p(-mu);
        }
        return e;
    }
}
