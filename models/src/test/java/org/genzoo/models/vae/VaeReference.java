package org.genzoo.models.vae;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Plain-Java double-precision references of the VAE objectives, reading parameters from one flat
 * vector in {@link LatentModel#params()} order. Noise eps is given (the same numbers the device
 * drew), so the reference is a deterministic function of the parameters for finite differences.
 */
final class VaeReference {
    static final double LOG_2PI = Math.log(2 * Math.PI);

    private VaeReference() {
    }

    /** Reads consecutive blocks of the flat parameter vector. */
    static final class Cursor {
        final double[] p;
        int at;

        Cursor(double[] p) {
            this.p = p;
        }

        double[] take(int n) {
            double[] out = new double[n];
            System.arraycopy(p, at, out, 0, n);
            at += n;
            return out;
        }
    }

    /** y = act(x Wᵀ + b) layers; the last layer's activation is {@code lastAct}. */
    static final class Net {
        final List<double[]> w = new ArrayList<>();
        final List<double[]> b = new ArrayList<>();
        final int[] sizes;
        final Activation act;
        final boolean lastAct;

        Net(Cursor c, int[] sizes, Activation act, boolean lastAct) {
            this.sizes = sizes;
            this.act = act;
            this.lastAct = lastAct;
            for (int i = 0; i + 1 < sizes.length; i++) {
                w.add(c.take(sizes[i] * sizes[i + 1]));
                b.add(c.take(sizes[i + 1]));
            }
        }

        double[] apply(double[] x) {
            double[] h = x;
            for (int i = 0; i + 1 < sizes.length; i++) {
                int in = sizes[i];
                int out = sizes[i + 1];
                double[] y = new double[out];
                boolean activate = i + 2 < sizes.length || lastAct;
                for (int o = 0; o < out; o++) {
                    double s = b.get(i)[o];
                    for (int j = 0; j < in; j++) {
                        s += h[j] * w.get(i)[o * in + j];
                    }
                    y[o] = activate ? (act == Activation.TANH ? Math.tanh(s) : Math.max(0, s)) : s;
                }
                h = y;
            }
            return h;
        }
    }

    /** A GaussianMlp: trunk (activated) then a linear head to [mu | logvar]. */
    static final class GaussNet {
        final Net trunk;
        final Net head;
        final int out;

        GaussNet(Cursor c, int in, List<Integer> hidden, int out, Activation act) {
            this.out = out;
            int[] ts = new int[hidden.size() + 1];
            ts[0] = in;
            for (int i = 0; i < hidden.size(); i++) {
                ts[i + 1] = hidden.get(i);
            }
            trunk = hidden.isEmpty() ? null : new Net(c, ts, act, true);
            head = new Net(c, new int[] {ts[ts.length - 1], 2 * out}, act, false);
        }

        double[] apply(double[] x) {
            return head.apply(trunk == null ? x : trunk.apply(x));
        }
    }

    /** p(x|z) of either likelihood. */
    static final class Dec {
        final Likelihood lik;
        final Net logits;
        final GaussNet gauss;

        Dec(Cursor c, int latent, List<Integer> hidden, int data, Activation act, Likelihood lik) {
            this.lik = lik;
            if (lik == Likelihood.BERNOULLI) {
                int[] s = new int[hidden.size() + 2];
                s[0] = latent;
                for (int i = 0; i < hidden.size(); i++) {
                    s[i + 1] = hidden.get(i);
                }
                s[s.length - 1] = data;
                logits = new Net(c, s, act, false);
                gauss = null;
            } else {
                logits = null;
                gauss = new GaussNet(c, latent, hidden, data, act);
            }
        }

        double logLik(double[] x, double[] z) {
            if (lik == Likelihood.BERNOULLI) {
                double[] l = logits.apply(z);
                double s = 0;
                for (int i = 0; i < l.length; i++) {
                    s += x[i] * l[i] - softplus(l[i]);
                }
                return s;
            }
            double[] s = gauss.apply(z);
            int d = x.length;
            return logNormal(x, slice(s, 0, d), slice(s, d, 2 * d));
        }
    }

    static double softplus(double l) {
        return Math.max(l, 0) + Math.log1p(Math.exp(-Math.abs(l)));
    }

    static double[] slice(double[] a, int from, int to) {
        double[] out = new double[to - from];
        System.arraycopy(a, from, out, 0, to - from);
        return out;
    }

    static double logNormal(double[] x, double[] mu, double[] lv) {
        double s = 0;
        for (int i = 0; i < x.length; i++) {
            double d = x[i] - mu[i];
            s += -0.5 * (LOG_2PI + lv[i] + d * d * Math.exp(-lv[i]));
        }
        return s;
    }

    static double logStdNormal(double[] z) {
        double s = 0;
        for (double v : z) {
            s += -0.5 * (LOG_2PI + v * v);
        }
        return s;
    }

    static double logSumExp(double[] a) {
        double m = Double.NEGATIVE_INFINITY;
        for (double v : a) {
            m = Math.max(m, v);
        }
        double s = 0;
        for (double v : a) {
            s += Math.exp(v - m);
        }
        return m + Math.log(s);
    }

    static double[] row(float[] x, int r, int cols) {
        double[] out = new double[cols];
        for (int c = 0; c < cols; c++) {
            out[c] = x[r * cols + c];
        }
        return out;
    }

    /** z = mu + exp(lv / 2)·eps. */
    static double[] reparam(double[] mu, double[] lv, float[] eps, int row) {
        double[] z = new double[mu.length];
        for (int i = 0; i < mu.length; i++) {
            z[i] = mu[i] + Math.exp(lv[i] / 2) * eps[row * mu.length + i];
        }
        return z;
    }

    // ---- the one-layer VAE -------------------------------------------------------------------

    /** The parsed parameters of a {@link Vae}. */
    static final class VaeParams {
        final VaeConfig c;
        final GaussNet enc;
        final Dec dec;
        double[] means;
        double[] logvars;
        double[] logits;
        double[] pseudo;

        VaeParams(VaeConfig c, double[] p) {
            this.c = c;
            Cursor cur = new Cursor(p);
            enc = new GaussNet(cur, c.dataDim(), c.hidden(), c.latentDim(), c.activation());
            List<Integer> rev = new ArrayList<>(c.hidden());
            Collections.reverse(rev);
            dec = new Dec(cur, c.latentDim(), rev, c.dataDim(), c.activation(), c.likelihood());
            int l = c.latentDim();
            if (c.prior() instanceof PriorSpec.Mixture m) {
                means = cur.take(m.components() * l);
                logvars = cur.take(m.components() * l);
                logits = cur.take(m.components());
            } else if (c.prior() instanceof PriorSpec.Vamp v) {
                pseudo = cur.take(v.pseudoInputs() * c.dataDim());
            }
            if (cur.at != p.length) {
                throw new IllegalStateException("parsed " + cur.at + " of " + p.length + " parameters");
            }
        }

        double logPrior(double[] z) {
            int l = z.length;
            if (c.prior() instanceof PriorSpec.Mixture m) {
                int k = m.components();
                double norm = logSumExp(logits);
                double[] a = new double[k];
                for (int j = 0; j < k; j++) {
                    a[j] = logits[j] - norm + logNormal(z, slice(means, j * l, (j + 1) * l), slice(logvars, j * l, (j + 1) * l));
                }
                return logSumExp(a);
            }
            if (c.prior() instanceof PriorSpec.Vamp v) {
                int k = v.pseudoInputs();
                int d = c.dataDim();
                double[] a = new double[k];
                for (int j = 0; j < k; j++) {
                    double[] s = enc.apply(slice(pseudo, j * d, (j + 1) * d));
                    a[j] = logNormal(z, slice(s, 0, l), slice(s, l, 2 * l)) - Math.log(k);
                }
                return logSumExp(a);
            }
            return logStdNormal(z);
        }
    }

    /** The model's loss at {@code step}: x is B x D, eps is B·K x L (example-major). */
    static double vaeLoss(VaeConfig c, double[] p, float[] x, int batch, float[] eps, long step) {
        VaeParams m = new VaeParams(c, p);
        int l = c.latentDim();
        int d = c.dataDim();
        if (c.objective() == Objective.IWAE) {
            int k = c.samples();
            double total = 0;
            for (int b = 0; b < batch; b++) {
                double[] xb = row(x, b, d);
                double[] s = m.enc.apply(xb);
                double[] mu = slice(s, 0, l);
                double[] lv = slice(s, l, 2 * l);
                double[] lw = new double[k];
                for (int j = 0; j < k; j++) {
                    double[] z = reparam(mu, lv, eps, b * k + j);
                    lw[j] = m.dec.logLik(xb, z) + m.logPrior(z) - logNormal(z, mu, lv);
                }
                total += logSumExp(lw) - Math.log(k);
            }
            return -total / batch;
        }
        double recon = 0;
        double[] klDim = new double[l];
        double kl = 0;
        for (int b = 0; b < batch; b++) {
            double[] xb = row(x, b, d);
            double[] s = m.enc.apply(xb);
            double[] mu = slice(s, 0, l);
            double[] lv = slice(s, l, 2 * l);
            double[] z = reparam(mu, lv, eps, b);
            recon += m.dec.logLik(xb, z) / batch;
            if (c.kl() == KlEstimator.ANALYTIC) {
                for (int i = 0; i < l; i++) {
                    double v = 0.5 * (mu[i] * mu[i] + Math.exp(lv[i]) - 1 - lv[i]) / batch;
                    klDim[i] += v;
                    kl += v;
                }
            } else {
                kl += (logNormal(z, mu, lv) - m.logPrior(z)) / batch;
            }
        }
        double reg;
        if (c.capacityEnabled()) {
            double cap = c.capacityMax() * Math.min(1.0, c.capacitySteps() == 0 ? 1.0 : step / (double) c.capacitySteps());
            reg = c.capacityGamma() * Math.abs(kl - cap);
        } else {
            double beta = c.beta() * (c.warmupSteps() == 0 ? 1.0 : Math.min(1.0, step / (double) c.warmupSteps()));
            if (c.freeBits() > 0) {
                double[] g = groupKl(c, klDim);
                double s = 0;
                for (double v : g) {
                    s += Math.max(c.freeBits(), v);
                }
                reg = beta * s;
            } else {
                reg = beta * kl;
            }
        }
        return reg - recon;
    }

    /** Batch-mean KL per free-bits group. */
    static double[] groupKl(VaeConfig c, double[] klDim) {
        int[] g = c.groupOf();
        double[] out = new double[c.groupCount()];
        for (int i = 0; i < g.length; i++) {
            out[g[i]] += klDim[i];
        }
        return out;
    }

    /** Batch-mean closed-form KL per latent dimension (for choosing λ in tests). */
    static double[] klPerDim(VaeConfig c, double[] p, float[] x, int batch) {
        VaeParams m = new VaeParams(c, p);
        int l = c.latentDim();
        double[] klDim = new double[l];
        for (int b = 0; b < batch; b++) {
            double[] s = m.enc.apply(row(x, b, c.dataDim()));
            for (int i = 0; i < l; i++) {
                double mu = s[i];
                double lv = s[l + i];
                klDim[i] += 0.5 * (mu * mu + Math.exp(lv) - 1 - lv) / batch;
            }
        }
        return klDim;
    }
    // ---- the two-stochastic-layer VAE --------------------------------------------------------

    /** The {@link HierarchicalVae} loss: eps1 is B·K x L1, eps2 B·K x L2 (example-major). */
    static double hvaeLoss(HvaeConfig c, double[] p, float[] x, int batch, float[] eps1, float[] eps2, long step) {
        Cursor cur = new Cursor(p);
        GaussNet q1 = new GaussNet(cur, c.dataDim(), c.hidden1(), c.latent1(), c.activation());
        GaussNet q2 = new GaussNet(cur, c.latent1(), c.hidden2(), c.latent2(), c.activation());
        List<Integer> rev2 = new ArrayList<>(c.hidden2());
        Collections.reverse(rev2);
        GaussNet p1 = new GaussNet(cur, c.latent2(), rev2, c.latent1(), c.activation());
        List<Integer> rev1 = new ArrayList<>(c.hidden1());
        Collections.reverse(rev1);
        Dec dec = new Dec(cur, c.latent1(), rev1, c.dataDim(), c.activation(), c.likelihood());
        if (cur.at != p.length) {
            throw new IllegalStateException("parsed " + cur.at + " of " + p.length + " parameters");
        }
        int l1 = c.latent1();
        int l2 = c.latent2();
        int k = c.samples();
        double recon = 0;
        double kl = 0;
        double bound = 0;
        for (int b = 0; b < batch; b++) {
            double[] xb = row(x, b, c.dataDim());
            double[] s1 = q1.apply(xb);
            double[] mu1 = slice(s1, 0, l1);
            double[] lv1 = slice(s1, l1, 2 * l1);
            double[] lw = new double[k];
            for (int j = 0; j < k; j++) {
                double[] z1 = reparam(mu1, lv1, eps1, b * k + j);
                double[] s2 = q2.apply(z1);
                double[] mu2 = slice(s2, 0, l2);
                double[] lv2 = slice(s2, l2, 2 * l2);
                double[] z2 = reparam(mu2, lv2, eps2, b * k + j);
                double[] sp = p1.apply(z2);
                double logPx = dec.logLik(xb, z1);
                double d = logNormal(z1, mu1, lv1) + logNormal(z2, mu2, lv2) - logNormal(z1, slice(sp, 0, l1), slice(sp, l1, 2 * l1))
                        - logStdNormal(z2);
                lw[j] = logPx - d;
                recon += logPx / batch;
                kl += d / batch;
            }
            bound += (logSumExp(lw) - Math.log(k)) / batch;
        }
        if (c.objective() == Objective.IWAE) {
            return -bound;
        }
        double beta = c.beta() * (c.warmupSteps() == 0 ? 1.0 : Math.min(1.0, step / (double) c.warmupSteps()));
        return beta * kl - recon;
    }
}
