package org.genzoo.host.ops;

import java.util.List;
import java.util.Map;
import org.genzoo.host.Device;
import org.genzoo.host.Kernel;
import org.genzoo.host.tensor.Tensor;

/**
 * Per-example log-likelihoods and divergences (kernels/losses.cl): each forward maps R x C inputs
 * to an R x 1 output (one value per example), summed over columns in a fixed order.
 *
 * <p>Every backward takes the output gradient dOut (R x 1, or R x C for the per-dimension KL) and
 * writes {@code d = beta * d + contribution}: beta = 0 assigns without reading d, beta = 1
 * accumulates (say, into a dmu that another term already wrote). Gradient arguments come first,
 * then dOut, then the forward's inputs, then beta. Argument order elsewhere: outputs, then inputs.
 *
 * <p>Variants of the per-row kernels (the forwards and log-mean-exp's backward), same arguments:
 * {@code group} (one work-group per row, GROUP_WG work-items of LANE_VW-wide vectors: one
 * work-item of 16 lanes on an AVX-512 CPU, 64-256 work-items on a GPU) or {@code rows} (one
 * work-item per row, the first kernel). Under {@code group} the Bernoulli and KL backwards and the
 * per-dimension KL run in the same row layout too (their {@code _group} kernels); under
 * {@code rows}, and for the other backwards, one work-item per element. The variant and every launch size come from
 * {@code kernels/tuning/losses.properties} for the device, else from its type and limits.
 */
public final class Losses {
    public static final String FILE = "losses.cl";
    public static final String FAMILY = "losses";

    private Losses() {
    }

    /**
     * One device's configuration.
     *
     * @param rows    "group" or "rows": the per-row kernels
     * @param groupWg GROUP_WG of the group kernels (a power of two)
     * @param groupRows rows per work-group of the group kernels when GROUP_WG is 1 (a power of two)
     * @param laneVw  LANE_VW of the group kernels (1, 4, 8 or 16)
     * @param rowWg   work-group size of the one-work-item-per-row kernels
     * @param elemWg  work-items per 2-D work-group of the elementwise backward kernels (a power of two)
     */
    public record Config(String rows, int groupWg, int groupRows, int laneVw, int rowWg, int elemWg) {
        public Config {
            if (!rows.equals("group") && !rows.equals("rows")) {
                throw new IllegalArgumentException("losses ROWS must be group or rows, got " + rows);
            }
            if (laneVw != 1 && laneVw != 4 && laneVw != 8 && laneVw != 16) {
                throw new IllegalArgumentException("losses LANE_VW must be 1, 4, 8 or 16, got " + laneVw);
            }
            if (Integer.bitCount(groupWg) != 1 || Integer.bitCount(groupRows) != 1 || Integer.bitCount(elemWg) != 1 || rowWg < 1) {
                throw new IllegalArgumentException("losses GROUP_WG, GROUP_ROWS and ELEM_WG must be powers of two, ROW_WG positive: "
                        + this);
            }
        }

        /** From the device's tuning file, else defaults from its type and limits. */
        public static Config tuned(Device d) {
            OpTuning t = OpTuning.of(d, FAMILY);
            boolean cpu = OpTuning.isCpu(d);
            return new Config(t.choice("ROWS", "group", "group", "rows"), t.pow2("GROUP_WG", cpu ? 1 : OpTuning.pow2Cap(d, 128)),
                    t.pow2("GROUP_ROWS", OpTuning.pow2Cap(d, 16)), t.getInt("LANE_VW", OpTuning.defaultLanes(d)), t.getInt("ROW_WG", OpTuning.pow2Cap(d, 64)),
                    t.pow2("ELEM_WG", OpTuning.pow2Cap(d, 256)));
        }

        public Config withRows(String variant, int groupWg, int laneVw) {
            return new Config(variant, groupWg, groupRows, laneVw, rowWg, elemWg);
        }

        Map<String, String> defines() {
            return Map.of("GROUP_WG", Integer.toString(groupWg), "LANE_VW", Integer.toString(laneVw));
        }
    }

    /** The configurations worth checking on {@code d}: tuned, one work-item per row, and the group kernels in a CPU and two GPU shapes. */
    public static List<Config> variants(Device d) {
        Config t = Config.tuned(d);
        java.util.LinkedHashSet<Config> out = new java.util.LinkedHashSet<>();
        out.add(t);
        out.add(t.withRows("rows", 1, 1));
        out.add(t.withRows("group", 1, 16));
        out.add(t.withRows("group", OpTuning.pow2Cap(d, 64), 1));
        out.add(t.withRows("group", OpTuning.pow2Cap(d, 32), 4));
        return List.copyOf(out);
    }

    private static final class State extends OpConfigs<Config> {
        State(Device d) {
            super(Config.tuned(d));
        }
    }

    private static State state(Device d) {
        return d.shared(State.class, State::new);
    }

    public static Config config(Device d) {
        return state(d).current();
    }

    /** Uses {@code c} on {@code d} until the returned scope closes (tests, benchmarks, the tuner). */
    public static OpConfigs.Scope use(Device d, Config c) {
        return state(d).use(c);
    }

    // ---- Bernoulli log-likelihood from logits --------------------------------------------------

    /** out[r] = sum_c x*l - softplus(l) = log p(x | logits l).  out: R x 1; x, logits: R x C. */
    public static void bernoulliLogLik(Tensor out, Tensor x, Tensor logits) {
        x.requireShape(logits, "bernoulliLogLik x vs logits");
        requireRowVector(out, x, "bernoulliLogLik out");
        same(out, x, logits);
        rowLaunch(x, "bernoulli_loglik", out, out.offset(), out.ld(), x, x.offset(), x.ld(),
                logits, logits.offset(), logits.ld(), x.rows(), x.cols());
    }

    /** dLogits = beta*dLogits + dOut[r] * (x - sigmoid(l)).  dLogits, x, logits: R x C; dOut: R x 1. */
    public static void bernoulliLogLikBackward(Tensor dLogits, Tensor dOut, Tensor x, Tensor logits, float beta) {
        x.requireShape(logits, "bernoulliLogLikBackward x vs logits");
        x.requireShape(dLogits, "bernoulliLogLikBackward x vs dLogits");
        requireRowVector(dOut, x, "bernoulliLogLikBackward dOut");
        same(dLogits, dOut, x, logits);
        groupOrElementLaunch(x, "bernoulli_loglik_backward", dLogits, dLogits.offset(), dLogits.ld(), dOut, dOut.offset(), dOut.ld(),
                x, x.offset(), x.ld(), logits, logits.offset(), logits.ld(), beta, x.rows(), x.cols());
    }

    // ---- diagonal Gaussian log-density ---------------------------------------------------------

    /**
     * out[r] = sum_c log N(x; mu, exp(logvar)) = sum_c -0.5*(log 2pi + logvar + (x-mu)^2 exp(-logvar)).
     * out: R x 1; x, mu, logvar: R x C.
     */
    public static void gaussianLogDensity(Tensor out, Tensor x, Tensor mu, Tensor logvar) {
        x.requireShape(mu, "gaussianLogDensity x vs mu");
        x.requireShape(logvar, "gaussianLogDensity x vs logvar");
        requireRowVector(out, x, "gaussianLogDensity out");
        same(out, x, mu, logvar);
        rowLaunch(x, "gaussian_logdensity", out, out.offset(), out.ld(), x, x.offset(), x.ld(),
                mu, mu.offset(), mu.ld(), logvar, logvar.offset(), logvar.ld(), x.rows(), x.cols());
    }

    /**
     * Backward of {@link #gaussianLogDensity}: dx = -g (x-mu) exp(-logvar), dmu = -dx,
     * dlogvar = g/2 ((x-mu)^2 exp(-logvar) - 1), g = dOut[r]; each with beta semantics. Any of dx,
     * dmu, dlogvar may be null (not wanted, say for data x). dx, dmu, dlogvar, x, mu, logvar: R x C;
     * dOut: R x 1.
     */
    public static void gaussianLogDensityBackward(Tensor dx, Tensor dmu, Tensor dlogvar, Tensor dOut, Tensor x, Tensor mu,
            Tensor logvar, float beta) {
        x.requireShape(mu, "gaussianLogDensityBackward x vs mu");
        x.requireShape(logvar, "gaussianLogDensityBackward x vs logvar");
        requireRowVector(dOut, x, "gaussianLogDensityBackward dOut");
        same(dOut, x, mu, logvar);
        int which = 0;
        Tensor[] grads = {dx, dmu, dlogvar};
        String[] names = {"dx", "dmu", "dlogvar"};
        for (int i = 0; i < 3; i++) {
            if (grads[i] != null) {
                x.requireShape(grads[i], "gaussianLogDensityBackward x vs " + names[i]);
                same(x, grads[i]);
                which |= 1 << i;
            } else {
                grads[i] = x; // never written: its bit of `which` is clear
            }
        }
        if (which == 0) {
            return;
        }
        elementLaunch(x, "gaussian_logdensity_backward", grads[0], grads[0].offset(), grads[0].ld(),
                grads[1], grads[1].offset(), grads[1].ld(), grads[2], grads[2].offset(), grads[2].ld(), which,
                dOut, dOut.offset(), dOut.ld(), x, x.offset(), x.ld(), mu, mu.offset(), mu.ld(),
                logvar, logvar.offset(), logvar.ld(), beta, x.rows(), x.cols());
    }

    // ---- standard normal log-density -----------------------------------------------------------

    /** out[r] = sum_c -0.5*(log 2pi + x^2).  out: R x 1; x: R x C. */
    public static void standardNormalLogDensity(Tensor out, Tensor x) {
        requireRowVector(out, x, "standardNormalLogDensity out");
        same(out, x);
        rowLaunch(x, "std_normal_logdensity", out, out.offset(), out.ld(), x, x.offset(), x.ld(), x.rows(), x.cols());
    }

    /** dx = beta*dx - dOut[r] * x.  dx, x: R x C; dOut: R x 1. */
    public static void standardNormalLogDensityBackward(Tensor dx, Tensor dOut, Tensor x, float beta) {
        x.requireShape(dx, "standardNormalLogDensityBackward x vs dx");
        requireRowVector(dOut, x, "standardNormalLogDensityBackward dOut");
        same(dx, dOut, x);
        elementLaunch(x, "std_normal_logdensity_backward", dx, dx.offset(), dx.ld(), dOut, dOut.offset(), dOut.ld(),
                x, x.offset(), x.ld(), beta, x.rows(), x.cols());
    }

    // ---- KL(N(mu, exp(logvar)) || N(0, I)) -----------------------------------------------------

    /** out[r] = 0.5 * sum_c mu^2 + exp(logvar) - 1 - logvar (Kingma & Welling 2014).  out: R x 1; mu, logvar: R x C. */
    public static void klStandardNormal(Tensor out, Tensor mu, Tensor logvar) {
        mu.requireShape(logvar, "klStandardNormal mu vs logvar");
        requireRowVector(out, mu, "klStandardNormal out");
        same(out, mu, logvar);
        rowLaunch(mu, "kl_normal", out, out.offset(), out.ld(), mu, mu.offset(), mu.ld(),
                logvar, logvar.offset(), logvar.ld(), mu.rows(), mu.cols());
    }

    /** dmu = beta*dmu + dOut[r]*mu, dlogvar = beta*dlogvar + dOut[r]*(exp(logvar)-1)/2.  dOut: R x 1; the rest R x C. */
    public static void klStandardNormalBackward(Tensor dmu, Tensor dlogvar, Tensor dOut, Tensor mu, Tensor logvar, float beta) {
        requireRowVector(dOut, mu, "klStandardNormalBackward dOut");
        klBackward(dmu, dlogvar, dOut, 0, mu, logvar, beta);
    }

    /** Per dimension, no sum (for free bits): out[r, c] = 0.5*(mu^2 + exp(logvar) - 1 - logvar).  out, mu, logvar: R x C. */
    public static void klStandardNormalPerDim(Tensor out, Tensor mu, Tensor logvar) {
        mu.requireShape(logvar, "klStandardNormalPerDim mu vs logvar");
        mu.requireShape(out, "klStandardNormalPerDim mu vs out");
        same(out, mu, logvar);
        groupOrElementLaunch(mu, "kl_normal_per_dim", out, out.offset(), out.ld(), mu, mu.offset(), mu.ld(),
                logvar, logvar.offset(), logvar.ld(), mu.rows(), mu.cols());
    }

    /** dmu = beta*dmu + dOut[r,c]*mu, dlogvar = beta*dlogvar + dOut[r,c]*(exp(logvar)-1)/2.  All R x C. */
    public static void klStandardNormalPerDimBackward(Tensor dmu, Tensor dlogvar, Tensor dOut, Tensor mu, Tensor logvar, float beta) {
        mu.requireShape(dOut, "klStandardNormalPerDimBackward mu vs dOut");
        klBackward(dmu, dlogvar, dOut, 1, mu, logvar, beta);
    }

    private static void klBackward(Tensor dmu, Tensor dlogvar, Tensor dOut, int incD, Tensor mu, Tensor logvar, float beta) {
        mu.requireShape(logvar, "klBackward mu vs logvar");
        mu.requireShape(dmu, "klBackward mu vs dmu");
        mu.requireShape(dlogvar, "klBackward mu vs dlogvar");
        same(dmu, dlogvar, dOut, mu, logvar);
        groupOrElementLaunch(mu, "kl_normal_backward", dmu, dmu.offset(), dmu.ld(), dlogvar, dlogvar.offset(), dlogvar.ld(),
                dOut, dOut.offset(), dOut.ld(), incD, mu, mu.offset(), mu.ld(), logvar, logvar.offset(), logvar.ld(),
                beta, mu.rows(), mu.cols());
    }

    // ---- the ELBO from per-row terms ---------------------------------------------------------------

    /**
     * terms[0..3] = [beta·mean(kl) − mean(rec), mean(rec) − mean(kl), mean(rec), mean(kl)] in one
     * launch (one work-group). rec, kl: R x 1 (R >= 1); terms: 1 x 4.
     */
    public static void elboTerms(Tensor terms, Tensor rec, Tensor kl, float beta) {
        if (rec.cols() != 1 || rec.rows() < 1) {
            throw new IllegalArgumentException("elboTerms rec: must be R x 1 with R >= 1, got " + rec.shape());
        }
        requireRowVector(kl, rec, "elboTerms kl");
        if (terms.rows() != 1 || terms.cols() != 4) {
            throw new IllegalArgumentException("elboTerms terms: must be 1 x 4 (loss, elbo, recon, kl), got " + terms.shape());
        }
        same(terms, rec, kl);
        Device d = terms.device();
        Config c = config(d);
        Kernel k = d.kernel(FILE, "elbo_terms", c.defines()).args(terms, terms.offset(), rec, rec.offset(), rec.ld(), kl,
                kl.offset(), kl.ld(), beta, rec.rows());
        d.launch(k, new long[] {c.groupWg}, new long[] {c.groupWg});
    }

    /**
     * Backward of {@link #elboTerms}' loss (dLoss: 1 x 1): dRec = betaRec·dRec − dLoss/R and
     * dKl = betaKl·dKl + beta·dLoss/R, in one launch; a null gradient is left out.
     */
    public static void elboTermsBackward(Tensor dRec, float betaRec, Tensor dKl, float betaKl, Tensor dLoss, float beta) {
        if (dRec == null && dKl == null) {
            return;
        }
        // A left-out gradient's arguments repeat the other one's (the kernel does not touch them).
        Tensor rec = dRec != null ? dRec : dKl;
        Tensor kl = dKl != null ? dKl : dRec;
        if (rec.cols() != 1 || kl.cols() != 1 || rec.rows() != kl.rows()) {
            throw new IllegalArgumentException("elboTermsBackward: dRec and dKl must be R x 1, got "
                    + (dRec == null ? "none" : dRec.shape()) + " and " + (dKl == null ? "none" : dKl.shape()));
        }
        if (dLoss.rows() != 1 || dLoss.cols() != 1) {
            throw new IllegalArgumentException("elboTermsBackward dLoss: must be 1 x 1, got " + dLoss.shape());
        }
        Device d = rec.device();
        Config c = config(d);
        Kernel k = d.kernel(FILE, "elbo_terms_backward", c.defines()).args(rec, rec.offset(), rec.ld(), kl, kl.offset(), kl.ld(),
                dLoss, dLoss.offset(), beta, betaRec, betaKl, dRec != null ? 1 : 0, dKl != null ? 1 : 0, rec.rows());
        d.launch(k, new long[] {rec.rows()}, new long[] {Elementwise.pow2Cap(rec.rows(), c.elemWg)});
    }

    // ---- the Bernoulli-decoder, standard-normal-prior ELBO in fewer launches ---------------------

    /**
     * rec[r] = Σ_c x·l − softplus(l) (as {@link #bernoulliLogLik}) and kl[r] = KL(N(mu, exp(lv)) ‖ N(0, I))
     * (as {@link #klStandardNormal}) in one launch (the group variant; two launches in the rows
     * variant).  rec, kl: R x 1; x, logits: R x C; mu, logvar: R x Z.
     */
    public static void bernoulliNormalRows(Tensor rec, Tensor kl, Tensor x, Tensor logits, Tensor mu, Tensor logvar) {
        x.requireShape(logits, "bernoulliNormalRows x vs logits");
        mu.requireShape(logvar, "bernoulliNormalRows mu vs logvar");
        requireRowVector(rec, x, "bernoulliNormalRows rec");
        requireRowVector(kl, x, "bernoulliNormalRows kl");
        requireRowVector(kl, mu, "bernoulliNormalRows kl (rows of mu)");
        same(rec, kl, x, logits, mu, logvar);
        if (!config(x.device()).rows.equals("group")) {
            bernoulliLogLik(rec, x, logits);
            klStandardNormal(kl, mu, logvar);
            return;
        }
        rowLaunch(x, "bernoulli_normal_rows", rec, rec.offset(), rec.ld(), kl, kl.offset(), kl.ld(), x, x.offset(), x.ld(),
                logits, logits.offset(), logits.ld(), mu, mu.offset(), mu.ld(), logvar, logvar.offset(), logvar.ld(),
                x.rows(), x.cols(), mu.cols());
    }

    /**
     * The backward of {@link #elboTerms}' loss through {@link #bernoulliNormalRows}, in one launch
     * (g = dLoss, 1 x 1): dLogits = betaL·dLogits − (g/R)·(x − sigmoid(l)), dMu = betaKl·dMu +
     * (β·g/R)·mu, dLogvar = betaKl·dLogvar + (β·g/R)·expm1(lv)/2: the bits {@link #elboTermsBackward}
     * followed by {@link #bernoulliLogLikBackward} and {@link #klStandardNormalBackward} give. A null
     * dLogits, or null dMu and dLogvar, is left out.
     */
    public static void bernoulliNormalElboBackward(Tensor dLogits, float betaL, Tensor dMu, Tensor dLogvar, float betaKl, Tensor dLoss,
            Tensor x, Tensor logits, Tensor mu, Tensor logvar, float beta) {
        if ((dMu == null) != (dLogvar == null)) {
            throw new IllegalArgumentException("bernoulliNormalElboBackward: dMu and dLogvar are written together; give both or neither");
        }
        if (dLogits == null && dMu == null) {
            return;
        }
        x.requireShape(logits, "bernoulliNormalElboBackward x vs logits");
        mu.requireShape(logvar, "bernoulliNormalElboBackward mu vs logvar");
        if (mu.rows() != x.rows()) {
            throw new IllegalArgumentException("bernoulliNormalElboBackward mu: must have " + x.rows() + " rows, got " + mu.shape());
        }
        if (dLogits != null) {
            x.requireShape(dLogits, "bernoulliNormalElboBackward x vs dLogits");
        }
        if (dMu != null) {
            mu.requireShape(dMu, "bernoulliNormalElboBackward mu vs dMu");
            mu.requireShape(dLogvar, "bernoulliNormalElboBackward mu vs dLogvar");
        }
        if (dLoss.rows() != 1 || dLoss.cols() != 1) {
            throw new IllegalArgumentException("bernoulliNormalElboBackward dLoss: must be 1 x 1, got " + dLoss.shape());
        }
        same(dLoss, x, logits, mu, logvar);
        if (x.rows() == 0) {
            return;
        }
        // A left-out gradient's arguments repeat an input (the kernel does not touch them).
        Tensor dl = dLogits != null ? dLogits : x;
        Tensor dm = dMu != null ? dMu : mu;
        Tensor dv = dLogvar != null ? dLogvar : mu;
        Object[] args = {dl, dl.offset(), dl.ld(), dm, dm.offset(), dm.ld(), dv, dv.offset(), dv.ld(), dLoss, dLoss.offset(),
                x, x.offset(), x.ld(), logits, logits.offset(), logits.ld(), mu, mu.offset(), mu.ld(), logvar, logvar.offset(), logvar.ld(),
                beta, betaL, betaKl, dLogits != null ? 1 : 0, dMu != null ? 1 : 0, x.rows(), x.cols(), mu.cols()};
        Device d = x.device();
        Config c = config(d);
        if (c.rows.equals("group")) {
            rowLaunch(x, "bernoulli_normal_elbo_backward", args);
            return;
        }
        elementLaunch(d, x.rows(), Math.max(x.cols(), mu.cols()), "bernoulli_normal_elbo_backward", args);
    }

    // ---- log-mean-exp (IWAE) -------------------------------------------------------------------

    /**
     * out[r] = log((1/K) sum_k exp(a[r, k])), stable (max subtracted); the IWAE bound from K log
     * importance weights (Burda et al. 2016). A row of all -inf gives -inf.  out: R x 1; a: R x K, K >= 1.
     */
    public static void logMeanExp(Tensor out, Tensor a) {
        requireRowVector(out, a, "logMeanExp out");
        requireSamples(a, "logMeanExp");
        same(out, a);
        rowLaunch(a, "log_mean_exp", out, out.offset(), out.ld(), a, a.offset(), a.ld(), a.rows(), a.cols());
    }

    /** da[r, k] = beta*da + dOut[r] * softmax_k(a[r, :]).  da, a: R x K; dOut: R x 1. */
    public static void logMeanExpBackward(Tensor da, Tensor dOut, Tensor a, float beta) {
        a.requireShape(da, "logMeanExpBackward a vs da");
        requireRowVector(dOut, a, "logMeanExpBackward dOut");
        requireSamples(a, "logMeanExpBackward");
        same(da, dOut, a);
        rowLaunch(a, "log_mean_exp_backward", da, da.offset(), da.ld(), dOut, dOut.offset(), dOut.ld(),
                a, a.offset(), a.ld(), beta, a.rows(), a.cols());
    }

    // ---- costs (bytes: each operand read or written once; beta != 0 adds a read of each gradient) ----

    /** Forward: per element a multiply-add, exp, log1p and 4 Kahan adds (~10 ops); reads x and logits. */
    public static OpCost bernoulliLogLikCost(int rows, int cols) {
        double n = (double) rows * cols;
        return OpCost.of(n * 10, n * 8 + rows * 4.0);
    }

    /** Backward: exp, divide and 3 ops per element; reads dOut, x, logits, writes dLogits. */
    public static OpCost bernoulliLogLikBackwardCost(int rows, int cols, float beta) {
        double n = (double) rows * cols;
        return OpCost.of(n * (beta == 0f ? 5 : 7), n * 4 * (beta == 0f ? 3 : 4) + rows * 4.0);
    }

    /** Forward: per element exp and ~10 ops; reads x, mu, logvar. */
    public static OpCost gaussianLogDensityCost(int rows, int cols) {
        double n = (double) rows * cols;
        return OpCost.of(n * 11, n * 12 + rows * 4.0);
    }

    /** Backward for {@code grads} of dx, dmu, dlogvar (1 to 3): exp and ~4 ops, plus 2 per gradient. */
    public static OpCost gaussianLogDensityBackwardCost(int rows, int cols, int grads, float beta) {
        double n = (double) rows * cols;
        return OpCost.of(n * (5 + grads * (beta == 0f ? 2 : 4)), n * 4 * (3 + grads * (beta == 0f ? 1 : 2)) + rows * 4.0);
    }

    /** Forward: 7 ops per element; reads x. */
    public static OpCost standardNormalLogDensityCost(int rows, int cols) {
        double n = (double) rows * cols;
        return OpCost.of(n * 7, n * 4 + rows * 4.0);
    }

    public static OpCost standardNormalLogDensityBackwardCost(int rows, int cols, float beta) {
        double n = (double) rows * cols;
        return OpCost.of(n * (beta == 0f ? 2 : 4), n * 4 * (beta == 0f ? 2 : 3) + rows * 4.0);
    }

    /** Forward: expm1 and ~8 ops per element; reads mu, logvar. */
    public static OpCost klStandardNormalCost(int rows, int cols) {
        double n = (double) rows * cols;
        return OpCost.of(n * 9, n * 8 + rows * 4.0);
    }

    public static OpCost klStandardNormalBackwardCost(int rows, int cols, float beta) {
        double n = (double) rows * cols;
        return OpCost.of(n * (beta == 0f ? 4 : 8), n * 4 * (beta == 0f ? 4 : 6) + rows * 4.0);
    }

    public static OpCost klStandardNormalPerDimCost(int rows, int cols) {
        double n = (double) rows * cols;
        return OpCost.of(n * 5, n * 12);
    }

    public static OpCost klStandardNormalPerDimBackwardCost(int rows, int cols, float beta) {
        double n = (double) rows * cols;
        return OpCost.of(n * (beta == 0f ? 4 : 8), n * 4 * (beta == 0f ? 5 : 7));
    }

    /** Forward: max pass, then exp and 4 Kahan adds per element; reads a twice (counted once). */
    public static OpCost logMeanExpCost(int rows, int k) {
        double n = (double) rows * k;
        return OpCost.of(n * 7, n * 4 + rows * 4.0);
    }

    /** Backward: recomputes max and sum, then exp and a multiply per element; reads a, writes da. */
    public static OpCost logMeanExpBackwardCost(int rows, int k, float beta) {
        double n = (double) rows * k;
        return OpCost.of(n * (beta == 0f ? 9 : 11), n * 4 * (beta == 0f ? 2 : 3) + rows * 4.0);
    }

    // ---- helpers -------------------------------------------------------------------------------

    private static void requireRowVector(Tensor v, Tensor x, String what) {
        if (v.rows() != x.rows() || v.cols() != 1) {
            throw new IllegalArgumentException(what + ": must be " + x.rows() + " x 1, got " + v.shape());
        }
    }

    private static void requireSamples(Tensor a, String what) {
        if (a.cols() < 1) {
            throw new IllegalArgumentException(what + ": needs K >= 1 samples per row, got " + a.shape());
        }
    }

    private static void same(Tensor first, Tensor... rest) {
        for (Tensor t : rest) {
            if (t.device() != first.device()) {
                throw new IllegalArgumentException("tensors live on different devices");
            }
        }
    }

    /** A per-row kernel in the configured variant: {@code kernel} or {@code kernel_group}. */
    private static void rowLaunch(Tensor shape, String kernel, Object... args) {
        if (shape.rows() == 0) {
            return;
        }
        Device d = shape.device();
        Config c = config(d);
        if (c.rows.equals("group")) {
            Kernel k = d.kernel(FILE, kernel + "_group", c.defines()).args(args);
            d.launch(k, new long[] {c.groupWg, shape.rows()}, new long[] {c.groupWg,
                    Reduce.groupRows(c.groupWg, c.groupRows, shape.rows())});
        } else {
            Kernel k = d.kernel(FILE, kernel, c.defines()).args(args);
            d.launch(k, new long[] {shape.rows()}, new long[] {c.rowWg});
        }
    }

    /** An elementwise kernel with a {@code _group} form: that one in the group variant, else one work-item per element. */
    private static void groupOrElementLaunch(Tensor shape, String kernel, Object... args) {
        if (config(shape.device()).rows.equals("group")) {
            rowLaunch(shape, kernel, args);
        } else {
            elementLaunch(shape, kernel, args);
        }
    }

    private static void elementLaunch(Tensor shape, String kernel, Object... args) {
        elementLaunch(shape.device(), shape.rows(), shape.cols(), kernel, args);
    }

    /** An elementwise kernel over a rows x cols grid (work-item (c, r)); nothing when it is empty. */
    private static void elementLaunch(Device d, int rows, int cols, String kernel, Object... args) {
        if (rows == 0 || cols == 0) {
            return;
        }
        Config c = config(d);
        Kernel k = d.kernel(FILE, kernel, c.defines()).args(args);
        int lx = Elementwise.pow2Cap(cols, c.elemWg);
        int ly = Elementwise.pow2Cap(rows, c.elemWg / lx);
        d.launch(k, new long[] {cols, rows}, new long[] {lx, ly});
    }
}
