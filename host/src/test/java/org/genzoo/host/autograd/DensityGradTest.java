package org.genzoo.host.autograd;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Arrays;
import org.genzoo.host.ops.Rng;
import org.genzoo.host.tensor.Tensor;
import org.genzoo.host.testing.Check;
import org.genzoo.host.testing.OnDevice;
import org.junit.jupiter.api.Test;

/** The differentiable densities, KL, log-mean-exp, column views and the reparameterized sample vs FD. */
class DensityGradTest extends OnDevice {
    /** float32 forward/backward vs double central differences. */
    private static final double ATOL = 3e-4;
    private static final double RTOL = 3e-3;
    private static final int R = 3;
    private static final int C = 4;


    /**
     * p = [h (R x 2C)]: mu = h[:, :C], logvar = h[:, C:]; z = mu + exp(lv/2)·eps;
     * loss = Σ bernoulli(x | z) + Σ KL(mu, lv) + Σ log N(y; mu, lv) + Σ log N(z; 0, I)
     *      + Σ logmeanexp(z) + 0.5·Σ KLperdim(mu, lv).
     */
    private static double reference(double[] h, float[] x, float[] y, float[] eps) {
        double loss = 0;
        for (int r = 0; r < R; r++) {
            double[] z = new double[C];
            double mx = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < C; c++) {
                double mu = h[r * 2 * C + c];
                double lv = h[r * 2 * C + C + c];
                z[c] = mu + Math.exp(lv / 2) * eps[r * C + c];
                double l = z[c];
                loss += x[r * C + c] * l - (Math.max(l, 0) + Math.log1p(Math.exp(-Math.abs(l))));
                double kl = 0.5 * (mu * mu + Math.exp(lv) - 1 - lv);
                loss += kl + 0.5 * kl;
                double d = y[r * C + c] - mu;
                loss += -0.5 * (Math.log(2 * Math.PI) + lv + d * d / Math.exp(lv));
                loss += -0.5 * (Math.log(2 * Math.PI) + l * l);
                mx = Math.max(mx, l);
            }
            double s = 0;
            for (int c = 0; c < C; c++) {
                s += Math.exp(z[c] - mx);
            }
            loss += mx + Math.log(s / C);
        }
        return loss;
    }

    @Test
    void gradientsMatchFiniteDifferences() {
        long seed = 99;
        float[] h0 = Check.uniform(seed, R * 2 * C, -1, 1);
        float[] x = Check.uniform(seed + 1, R * C, 0, 1);
        float[] y = Check.uniform(seed + 2, R * C, -1, 1);
        Rng rng = new Rng(seed);
        Rng twin = new Rng(seed);
        try (Param h = new Param("h", dev, R, 2 * C); Tensor tx = Tensor.of(dev, R, C, x); Tensor ty = Tensor.of(dev, R, C, y);
             Tensor eps = Tensor.empty(dev, R, C)) {
            h.value().write(h0);
            twin.normal(eps, 3);
            float got;
            try (Tape t = Tape.record(dev)) {
                Var hv = t.param(h);
                Var mu = F.cols(hv, 0, C);
                Var lv = F.cols(hv, C, 2 * C);
                Var z = F.reparameterize(mu, lv, rng, 3);
                Var loss = F.add(F.add(F.sum(F.bernoulliLogLik(t.constant(tx), z)), F.sum(F.klStandardNormal(mu, lv, false))),
                        F.add(F.sum(F.gaussianLogDensity(t.constant(ty), mu, lv)), F.sum(F.standardNormalLogDensity(z))));
                loss = F.add(loss, F.add(F.sum(F.logMeanExp(z)), F.scale(F.sum(F.klStandardNormal(mu, lv, true)), 0.5f)));
                t.backward(loss);
                got = loss.value().get(0, 0);
            }
            float[] e = eps.toArray();
            double[] p0 = Check.toDouble(h0);
            assertEquals(reference(p0, x, y, e), got, 1e-4 * Math.abs(got) + 1e-4, "loss, seed " + seed);
            double[] fd = Check.finiteDiff(p -> reference(p, x, y, e), p0, 1e-5);
            Check.close(fd, h.grad().toArray(), ATOL, RTOL, "density gradients, seed " + seed + " " + Arrays.toString(h0));
        }
    }

    /**
     * F.elbo over column views of a derived (non-parameter) Var s = 2p (R x 3C): mu, lv, w = the
     * three column blocks; rec[r] = Σ_c mu·y, kl[r] = KL(mu, lv); elbo = β·mean(kl) − mean(rec).
     * With {@code direct}, s also has consumers of its own before and after the views
     * (Σ s⊙s and Σ s⊙q); without, the w block gets no gradient at all and must come out as 0.
     */
    private static double elboReference(double[] p, float[] y, float[] q, float beta, boolean direct, double[] terms) {
        double rec = 0;
        double kl = 0;
        double extra = 0;
        for (int r = 0; r < R; r++) {
            for (int c = 0; c < C; c++) {
                double mu = 2 * p[r * 3 * C + c];
                double lv = 2 * p[r * 3 * C + C + c];
                rec += mu * y[r * C + c];
                kl += 0.5 * (mu * mu + Math.exp(lv) - 1 - lv);
            }
            for (int c = 0; c < 3 * C; c++) {
                double sv = 2 * p[r * 3 * C + c];
                extra += sv * sv + sv * q[r * 3 * C + c];
            }
        }
        double mRec = rec / R;
        double mKl = kl / R;
        if (terms != null) {
            terms[0] = beta * mKl - mRec;
            terms[1] = mRec - mKl;
            terms[2] = mRec;
            terms[3] = mKl;
        }
        return beta * mKl - mRec + (direct ? extra : 0);
    }

    @Test
    void elboOverColumnViewsMatchesFiniteDifferences() {
        long seed = 7;
        float beta = 0.7f;
        float[] p0 = Check.uniform(seed, R * 3 * C, -1, 1);
        float[] y = Check.uniform(seed + 1, R * C, -1, 1);
        float[] q = Check.uniform(seed + 2, R * 3 * C, -1, 1);
        // 0: s has direct consumers too; 1: three views of s, w unread (the views' first
        // contribution zero-fills s's gradient); 2: s = 2·p[:, :2C] is exactly mu | lv, the two
        // views cover it (the KL backward assigns both halves, no fill).
        for (int mode = 0; mode < 3; mode++) {
            boolean direct = mode == 0;
            try (Param p = new Param("p", dev, R, 3 * C); Tensor ty = Tensor.of(dev, R, C, y); Tensor tq = Tensor.of(dev, R, 3 * C, q);
                 Tensor terms = Tensor.zeros(dev, 1, 4)) {
                p.value().write(p0);
                try (Tape t = Tape.record(dev)) {
                    Var pv = t.param(p);
                    Var s = F.scale(mode == 2 ? F.cols(pv, 0, 2 * C) : pv, 2f);
                    Var before = direct ? F.sum(F.mul(s, s)) : null;
                    Var mu = F.cols(s, 0, C);
                    Var lv = F.cols(s, C, 2 * C);
                    if (mode == 1) {
                        F.cols(s, 2 * C, 3 * C); // a view nothing reads
                    }
                    Var rec = F.reduceRows(org.genzoo.host.ops.Reduce.Op.SUM, F.mul(mu, t.constant(ty)));
                    Var loss = F.elbo(rec, F.klStandardNormal(mu, lv, false), beta, terms);
                    if (direct) {
                        loss = F.add(F.add(before, loss), F.sum(F.mul(s, t.constant(tq))));
                    }
                    java.util.List<String> launched = new java.util.ArrayList<>();
                    org.genzoo.host.Device.observeLaunches(k -> launched.add(k.name()));
                    try {
                        t.backward(loss);
                    } finally {
                        org.genzoo.host.Device.observeLaunches(null);
                    }
                    if (mode > 0) { // the seed's fill, plus s's zero fill unless the two views cover s
                        assertEquals(mode == 1 ? 2 : 1, launched.stream().filter(n -> n.endsWith(":fill")).count(),
                                "fills in the backward pass, mode " + mode + ": " + launched);
                    }
                }
                double[] d0 = Check.toDouble(p0);
                double[] want = new double[4];
                elboReference(d0, y, q, beta, direct, want);
                Check.close(want, terms.toArray(), 1e-5, 1e-5, "elbo terms [loss, elbo, recon, kl], seed " + seed);
                double[] fd = Check.finiteDiff(v -> elboReference(v, y, q, beta, direct, null), d0, 1e-5);
                float[] got = p.grad().toArray();
                Check.close(fd, got, ATOL, RTOL, "elbo gradients (mode " + mode + "), seed " + seed);
                if (!direct) {
                    for (int r = 0; r < R; r++) {
                        for (int c = 2 * C; c < 3 * C; c++) {
                            assertEquals(0f, got[r * 3 * C + c], "the unread view's columns get exactly 0, row " + r);
                        }
                    }
                }
            }
        }
    }

    /** Latent columns of the fused-ELBO case (C data columns beside them). */
    private static final int Z = 3;

    /**
     * β·mean_r KL(N(mu_r, exp(lv_r)) ‖ N(0, I)) − mean_r Σ_c x·l − softplus(l) with logits l = 2·p[:, :C],
     * mu = 2·p[:, C:C+Z], lv = 2·p[:, C+Z:]; with {@code direct}, plus Σ s⊙q over s = 2p.
     */
    private static double bernoulliElboReference(double[] p, float[] x, float[] q, float beta, boolean direct) {
        int w = C + 2 * Z;
        double rec = 0;
        double kl = 0;
        double extra = 0;
        for (int r = 0; r < R; r++) {
            for (int c = 0; c < C; c++) {
                double l = 2 * p[r * w + c];
                rec += x[r * C + c] * l - (Math.max(l, 0) + Math.log1p(Math.exp(-Math.abs(l))));
            }
            for (int c = 0; c < Z; c++) {
                double mu = 2 * p[r * w + C + c];
                double lv = 2 * p[r * w + C + Z + c];
                kl += 0.5 * (mu * mu + Math.exp(lv) - 1 - lv);
            }
            for (int c = 0; c < w; c++) {
                extra += 2 * p[r * w + c] * q[r * w + c];
            }
        }
        return beta * kl / R - rec / R + (direct ? extra : 0);
    }

    /**
     * F.bernoulliNormalElbo against finite differences and, bit for bit, against F.elbo over
     * F.bernoulliLogLik and F.klStandardNormal (terms and gradients): mode 0, logits, mu and lv are
     * three views of s = 2p, which also has a consumer of its own (the gradients accumulate); mode 1,
     * logits = 2·p[:, :C] is a Var of its own and mu | lv cover s = 2·p[:, C:] (every gradient is
     * assigned). Its backward is one launch where the composed one is three. Under every variant
     * of the losses family (the group layouts and the elementwise "rows" one).
     */
    @Test
    void fusedBernoulliElboMatchesComposedAndFiniteDifferences() {
        for (org.genzoo.host.ops.Losses.Config cfg : org.genzoo.host.ops.Losses.variants(dev)) {
            try (var scope = org.genzoo.host.ops.Losses.use(dev, cfg)) {
                fusedBernoulliElbo(cfg.toString());
            }
        }
    }

    private void fusedBernoulliElbo(String variant) {
        long seed = 17;
        float beta = 0.6f;
        int w = C + 2 * Z;
        float[] p0 = Check.uniform(seed, R * w, -1, 1);
        float[] x = Check.uniform(seed + 1, R * C, 0, 1);
        float[] q = Check.uniform(seed + 2, R * w, -1, 1);
        for (int mode = 0; mode < 2; mode++) {
            boolean direct = mode == 0;
            float[][] grads = new float[2][];
            float[][] terms = new float[2][];
            for (int fused = 0; fused < 2; fused++) {
                try (Param p = new Param("p", dev, R, w); Tensor tx = Tensor.of(dev, R, C, x); Tensor tq = Tensor.of(dev, R, w, q);
                     Tensor slots = Tensor.zeros(dev, 1, 4)) {
                    p.value().write(p0);
                    java.util.List<String> launched = new java.util.ArrayList<>();
                    try (Tape t = Tape.record(dev)) {
                        Var pv = t.param(p);
                        Var logits;
                        Var mu;
                        Var lv;
                        Var s = null;
                        if (direct) {
                            s = F.scale(pv, 2f);
                            logits = F.cols(s, 0, C);
                            mu = F.cols(s, C, C + Z);
                            lv = F.cols(s, C + Z, w);
                        } else {
                            logits = F.scale(F.cols(pv, 0, C), 2f);
                            Var s2 = F.scale(F.cols(pv, C, w), 2f);
                            mu = F.cols(s2, 0, Z);
                            lv = F.cols(s2, Z, 2 * Z);
                        }
                        Var xv = t.constant(tx);
                        Var loss = fused == 1 ? F.bernoulliNormalElbo(xv, logits, mu, lv, beta, slots)
                                : F.elbo(F.bernoulliLogLik(xv, logits), F.klStandardNormal(mu, lv, false), beta, slots);
                        if (direct) {
                            loss = F.add(loss, F.sum(F.mul(s, t.constant(tq))));
                        }
                        org.genzoo.host.Device.observeLaunches(k -> launched.add(k.name()));
                        try {
                            t.backward(loss);
                        } finally {
                            org.genzoo.host.Device.observeLaunches(null);
                        }
                    }
                    long fusedLaunches = launched.stream().filter(n -> n.contains("bernoulli_normal_elbo_backward")).count();
                    long composedLaunches = launched.stream().filter(n -> n.contains("elbo_terms_backward") || n.contains("kl_normal_backward")
                            || n.contains("bernoulli_loglik_backward")).count();
                    assertEquals(fused == 1 ? 1 : 0, fusedLaunches, "fused backward launches, mode " + mode + ", " + variant + ": " + launched);
                    assertEquals(fused == 1 ? 0 : 3, composedLaunches, "composed backward launches, mode " + mode + ", " + variant + ": " + launched);
                    grads[fused] = p.grad().toArray();
                    terms[fused] = slots.toArray();
                }
            }
            assertArrayEquals(terms[0], terms[1], "fused vs composed terms [loss, elbo, recon, kl], mode " + mode + ", " + variant);
            assertArrayEquals(grads[0], grads[1], "fused vs composed gradients, mode " + mode + ", " + variant);
            double[] d0 = Check.toDouble(p0);
            assertEquals(bernoulliElboReference(d0, x, q, beta, false), terms[1][0], 1e-5, "fused loss, mode " + mode + ", " + variant);
            double[] fd = Check.finiteDiff(v -> bernoulliElboReference(v, x, q, beta, direct), d0, 1e-5);
            Check.close(fd, grads[1], ATOL, RTOL, "fused elbo gradients (mode " + mode + ", " + variant + "), seed " + seed);
        }
    }
}
