package org.genzoo.host.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.genzoo.host.autograd.Adam;
import org.genzoo.host.autograd.Param;
import org.genzoo.host.autograd.Sgd;
import org.genzoo.host.ops.Reduce.Op;
import org.genzoo.host.tensor.Tensor;
import org.genzoo.host.testing.Check;
import org.genzoo.host.testing.OnDevice;
import org.junit.jupiter.api.Test;

/**
 * Every variant of the reduce, losses, rng and optim families at the odd sizes that break tiling
 * (1, 7, 33, 93), against the same double references as their own tests. Small enough to run on
 * a simulated GPU: with Oclgrind registered as a platform,
 * {@code OCLGRIND_DATA_RACES=1 OCLGRIND_UNINITIALIZED=1 GENZOO_DEVICE=oclgrind mvn ... -Dtest=VariantsOddShapesTest}
 * runs each kernel variant under its data-race, uninitialized-read and bounds checks (Oclgrind
 * reports on stderr; the run log must hold none of its error lines).
 */
class VariantsOddShapesTest extends OnDevice {
    /**
     * Rows x columns: 1, 7, 33 and 93 in both places, and lines of one. (No 93 x 93 nor 93 x 1: they
     * held most of the work-items, and Oclgrind's time is the simulated-GPU pass's budget; 7 x 93,
     * 93 x 7 and 33 x 1 break the same tiles.)
     */
    private static final int[][] SHAPES = {{1, 1}, {1, 93}, {33, 1}, {7, 33}, {33, 7}, {7, 93}, {93, 7}};
    /** Row and column sums of at most 93 terms of |x| <= 3, depth under 20 roundings: 20 * 2^-24 * 279. */
    private static final double SUM_ATOL = 4e-4;
    /** Logsumexp and log-mean-exp: a few ulp of results of magnitude up to ~10 (as in ReduceTest/LossesTest). */
    private static final double LSE_ATOL = 3e-6;
    private static final double LSE_RTOL = 1e-6;
    /** Loss row sums: relative to the sum of |terms| (LossesTest.SUM_RTOL), taken as an absolute bound on 93-term rows. */
    private static final double LOSS_RTOL = 1e-6;
    /** Elementwise loss gradients and per-dimension KL: a few float roundings of one term (as LossesTest). */
    private static final double GRAD_ATOL = 1e-6;
    private static final double GRAD_RTOL = 1e-5;
    /** Optimizer steps: as OptimizerTest. */
    private static final double OPT_ATOL = 2e-6;
    private static final double OPT_RTOL = 2e-5;

    @Test
    void reduceEveryVariant() {
        long seed = 901;
        for (Reduce.Config cfg : Reduce.variants(dev)) {
            try (var scope = Reduce.use(dev, cfg)) {
                for (int[] s : SHAPES) {
                    int R = s[0], C = s[1];
                    float[] x = Check.uniform(seed, R * C, -3, 3);
                    double[] xd = Check.toDouble(x);
                    for (Op op : Op.values()) {
                        String what = op + " " + R + "x" + C + " " + cfg + " (seed " + seed + ")";
                        trace("reduce " + what);
                        double atol = op == Op.LOGSUMEXP ? LSE_ATOL : SUM_ATOL;
                        double rtol = op == Op.LOGSUMEXP ? LSE_RTOL : 0;
                        try (Tensor tx = Tensor.of(dev, R, C, x); Tensor yr = Tensor.empty(dev, R, 1); Tensor yc = Tensor.empty(dev, 1, C)) {
                            Reduce.rows(op, yr, tx);
                            Check.close(ReduceReference.rows(op, xd, R, C), yr.toArray(), atol, rtol, "rows " + what);
                            Reduce.cols(op, yc, tx);
                            Check.close(ReduceReference.cols(op, xd, R, C), yc.toArray(), atol, rtol, "cols " + what);
                        }
                    }
                }
            }
        }
    }

    @Test
    void lossesEveryVariant() {
        long seed = 902;
        for (Losses.Config cfg : Losses.variants(dev)) {
            try (var scope = Losses.use(dev, cfg)) {
                for (int[] s : SHAPES) {
                    int R = s[0], C = s[1], n = R * C;
                    float[] x = Check.uniform(seed, n, 0, 1);
                    float[] l = Check.uniform(seed + 1, n, -8, 8);
                    float[] mu = Check.uniform(seed + 2, n, -3, 3);
                    float[] lv = Check.uniform(seed + 3, n, -3, 3);
                    float[] a = Check.uniform(seed + 4, n, -30, 0);
                    float[] dOut = Check.uniform(seed + 5, R, -2, 2);
                    double[] xd = Check.toDouble(x), ld = Check.toDouble(l), mud = Check.toDouble(mu), lvd = Check.toDouble(lv);
                    double[] ad = Check.toDouble(a);
                    String what = R + "x" + C + " " + cfg + " (seed " + seed + ")";
                    trace("losses " + what);
                    try (Tensor tx = Tensor.of(dev, R, C, x); Tensor tl = Tensor.of(dev, R, C, l); Tensor tm = Tensor.of(dev, R, C, mu);
                            Tensor tv = Tensor.of(dev, R, C, lv); Tensor ta = Tensor.of(dev, R, C, a); Tensor out = Tensor.empty(dev, R, 1);
                            Tensor td = Tensor.of(dev, R, 1, dOut); Tensor da = Tensor.empty(dev, R, C)) {
                        Losses.bernoulliLogLik(out, tx, tl);
                        closeRows(LossesReference.bernoulliTerms(xd, ld), R, C, out.toArray(), "bernoulli " + what);
                        Losses.gaussianLogDensity(out, tx, tm, tv);
                        closeRows(LossesReference.gaussianTerms(xd, mud, lvd), R, C, out.toArray(), "gaussian " + what);
                        Losses.standardNormalLogDensity(out, tm);
                        closeRows(LossesReference.standardNormalTerms(mud), R, C, out.toArray(), "std normal " + what);
                        Losses.klStandardNormal(out, tm, tv);
                        closeRows(LossesReference.klPerDim(mud, lvd), R, C, out.toArray(), "kl " + what);
                        Losses.logMeanExp(out, ta);
                        Check.close(LossesReference.logMeanExp(ad, R, C), out.toArray(), LSE_ATOL, LSE_RTOL, "logMeanExp " + what);
                        Losses.logMeanExpBackward(da, td, ta, 0f);
                        Check.close(LossesReference.logMeanExpBackward(Check.toDouble(dOut), ad, R, C), da.toArray(), 1e-6, 1e-5,
                                "logMeanExp backward " + what);
                        double[] dOutD = Check.toDouble(dOut);
                        Losses.bernoulliLogLikBackward(da, td, tx, tl, 0f);
                        Check.close(LossesReference.bernoulliLogLikBackward(dOutD, xd, ld, R, C), da.toArray(), GRAD_ATOL, GRAD_RTOL,
                                "bernoulli backward " + what);
                        Losses.klStandardNormalPerDim(da, tm, tv);
                        Check.close(LossesReference.klPerDim(mud, lvd), da.toArray(), GRAD_ATOL, GRAD_RTOL, "kl per dim " + what);
                        try (Tensor dmu = Tensor.empty(dev, R, C); Tensor dlv = Tensor.empty(dev, R, C)) {
                            double[][] ref = LossesReference.klBackward(dOutD, false, mud, lvd, R, C);
                            Losses.klStandardNormalBackward(dmu, dlv, td, tm, tv, 0f);
                            Check.close(ref[0], dmu.toArray(), GRAD_ATOL, GRAD_RTOL, "kl backward dmu " + what);
                            Check.close(ref[1], dlv.toArray(), GRAD_ATOL, GRAD_RTOL, "kl backward dlogvar " + what);
                            // beta = 1 accumulates onto what is there: twice the gradient
                            Losses.klStandardNormalPerDimBackward(dmu, dlv, ta, tm, tv, 1f);
                            double[][] per = LossesReference.klBackward(ad, true, mud, lvd, R, C);
                            for (int i = 0; i < n; i++) {
                                per[0][i] += ref[0][i];
                                per[1][i] += ref[1][i];
                            }
                            Check.close(per[0], dmu.toArray(), GRAD_ATOL, GRAD_RTOL, "kl per dim backward dmu " + what);
                            Check.close(per[1], dlv.toArray(), GRAD_ATOL, GRAD_RTOL, "kl per dim backward dlogvar " + what);
                        }
                        checkElboTerms(R, seed, what);
                        checkBernoulliNormalElbo(R, C, x, l, mu, lv, tx, tl, tm, tv, what);
                    }
                }
            }
        }
    }

    /** ELBO_ATOL: means of R values in [-2, 2] summed in float32 (a few ulp of the sum); the backward is one division. */
    private static final double ELBO_ATOL = 1e-6;
    private static final double ELBO_RTOL = 1e-5;

    /**
     * Losses.elboTerms and its backward over R rows vs double: [β·mean(kl) − mean(rec), mean(rec) −
     * mean(kl), mean(rec), mean(kl)]; dRec = −g/R assigned over NaN (beta 0 must not read it),
     * dKl = old + β·g/R accumulated (beta 1).
     */
    private static void checkElboTerms(int rows, long seed, String what) {
        float beta = 0.7f;
        float g = 1.3f;
        float[] rec = Check.uniform(seed + 6, rows, -2, 2);
        float[] kl = Check.uniform(seed + 7, rows, -2, 2);
        float[] old = Check.uniform(seed + 8, rows, -1, 1);
        try (Tensor tr = Tensor.of(dev, rows, 1, rec); Tensor tk = Tensor.of(dev, rows, 1, kl); Tensor terms = Tensor.empty(dev, 1, 4);
                Tensor dLoss = Tensor.of(dev, 1, 1, new float[] {g}); Tensor dRec = Tensor.empty(dev, rows, 1);
                Tensor dKl = Tensor.of(dev, rows, 1, old)) {
            Losses.elboTerms(terms, tr, tk, beta);
            double mr = 0;
            double mk = 0;
            for (int r = 0; r < rows; r++) {
                mr += rec[r];
                mk += kl[r];
            }
            mr /= rows;
            mk /= rows;
            Check.close(new double[] {beta * mk - mr, mr - mk, mr, mk}, terms.toArray(), ELBO_ATOL, ELBO_RTOL, "elbo terms " + what);
            dRec.fill(Float.NaN);
            Losses.elboTermsBackward(dRec, 0f, dKl, 1f, dLoss, beta);
            double[] wantRec = new double[rows];
            double[] wantKl = new double[rows];
            for (int r = 0; r < rows; r++) {
                wantRec[r] = -(double) g / rows;
                wantKl[r] = old[r] + (double) beta * g / rows;
            }
            Check.close(wantRec, dRec.toArray(), ELBO_ATOL, ELBO_RTOL, "elbo backward dRec " + what);
            Check.close(wantKl, dKl.toArray(), ELBO_ATOL, ELBO_RTOL, "elbo backward dKl " + what);
        }
    }

    /**
     * Losses.bernoulliNormalRows (rec and kl per row in one launch) and its ELBO backward in one
     * launch vs double, with mu and logvar the first Z = (C + 1) / 2 columns of R x C tensors (views
     * with a leading dimension past their width): dLogits assigned over NaN (beta 0 must not read it),
     * dMu and dLogvar accumulated onto old values (beta 1); then each side left out in turn.
     */
    private static void checkBernoulliNormalElbo(int rows, int cols, float[] x, float[] l, float[] mu, float[] lv, Tensor tx, Tensor tl,
            Tensor tm, Tensor tv, String what) {
        int z = (cols + 1) / 2;
        float beta = 0.7f;
        float g = 1.3f;
        double[] muZ = new double[rows * z];
        double[] lvZ = new double[rows * z];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < z; c++) {
                muZ[r * z + c] = mu[r * cols + c];
                lvZ[r * z + c] = lv[r * cols + c];
            }
        }
        double[] xd = Check.toDouble(x);
        double[] ld = Check.toDouble(l);
        float[] old = Check.uniform(rows * 31L + cols, rows * z, -1, 1);
        Tensor mz = tm.cols(0, z);
        Tensor vz = tv.cols(0, z);
        try (Tensor rec = Tensor.empty(dev, rows, 1); Tensor kl = Tensor.empty(dev, rows, 1); Tensor dLoss = Tensor.of(dev, 1, 1, new float[] {g});
                Tensor dl = Tensor.empty(dev, rows, cols); Tensor dmu = Tensor.of(dev, rows, z, old); Tensor dlv = Tensor.of(dev, rows, z, old)) {
            Losses.bernoulliNormalRows(rec, kl, tx, tl, mz, vz);
            closeRows(LossesReference.bernoulliTerms(xd, ld), rows, cols, rec.toArray(), "fused rows rec " + what);
            closeRows(LossesReference.klPerDim(muZ, lvZ), rows, z, kl.toArray(), "fused rows kl " + what);
            dl.fill(Float.NaN);
            Losses.bernoulliNormalElboBackward(dl, 0f, dmu, dlv, 1f, dLoss, tx, tl, mz, vz, beta);
            double[] gRec = new double[rows];
            double[] gKl = new double[rows];
            java.util.Arrays.fill(gRec, -(double) g / rows);
            java.util.Arrays.fill(gKl, (double) beta * g / rows);
            double[] wantL = LossesReference.bernoulliLogLikBackward(gRec, xd, ld, rows, cols);
            double[][] wantKl = LossesReference.klBackward(gKl, false, muZ, lvZ, rows, z);
            for (int i = 0; i < rows * z; i++) {
                wantKl[0][i] += old[i];
                wantKl[1][i] += old[i];
            }
            Check.close(wantL, dl.toArray(), GRAD_ATOL, GRAD_RTOL, "fused elbo backward dLogits " + what);
            Check.close(wantKl[0], dmu.toArray(), GRAD_ATOL, GRAD_RTOL, "fused elbo backward dMu " + what);
            Check.close(wantKl[1], dlv.toArray(), GRAD_ATOL, GRAD_RTOL, "fused elbo backward dLogvar " + what);
            // Left out: dLogits alone (dMu, dLogvar untouched), then dMu and dLogvar alone (dLogits untouched).
            dmu.write(old);
            dlv.write(old);
            dl.fill(Float.NaN);
            Losses.bernoulliNormalElboBackward(dl, 0f, null, null, 0f, dLoss, tx, tl, mz, vz, beta);
            Check.close(wantL, dl.toArray(), GRAD_ATOL, GRAD_RTOL, "fused elbo backward dLogits alone " + what);
            Check.close(Check.toDouble(old), dmu.toArray(), 0, 0, "fused elbo backward leaves dMu alone " + what);
            dl.fill(2f);
            Losses.bernoulliNormalElboBackward(null, 0f, dmu, dlv, 0f, dLoss, tx, tl, mz, vz, beta);
            java.util.Arrays.fill(gKl, (double) beta * g / rows);
            double[][] assigned = LossesReference.klBackward(gKl, false, muZ, lvZ, rows, z);
            Check.close(assigned[0], dmu.toArray(), GRAD_ATOL, GRAD_RTOL, "fused elbo backward dMu alone " + what);
            Check.close(assigned[1], dlv.toArray(), GRAD_ATOL, GRAD_RTOL, "fused elbo backward dLogvar alone " + what);
            for (float v : dl.toArray()) {
                assertEquals(2f, v, "fused elbo backward leaves dLogits alone " + what);
            }
        }
    }

    /** With GENZOO_TRACE_TESTS set, names each case on stderr before it runs (to place a simulator's report). */
    private static void trace(String what) {
        if (System.getenv("GENZOO_TRACE_TESTS") != null) {
            System.err.println("case: " + what);
        }
    }

    private static void closeRows(double[] terms, int R, int C, float[] got, String what) {
        double[] want = LossesReference.rowSums(terms, R, C, false);
        double[] mag = LossesReference.rowSums(terms, R, C, true);
        for (int r = 0; r < R; r++) {
            double tol = LOSS_RTOL * mag[r] + 1e-37;
            if (!(Math.abs(got[r] - want[r]) <= tol)) {
                throw new AssertionError(what + ": row " + r + " is " + got[r] + ", reference " + want[r] + " (tolerance " + tol + ")");
            }
        }
    }

    /** R - 1, ..., 1, 0: a gather that reverses the rows. */
    private static int[] reversed(int r) {
        int[] idx = new int[r];
        for (int i = 0; i < r; i++) {
            idx[i] = r - 1 - i;
        }
        return idx;
    }

    @Test
    void rngEveryVariant() {
        long seed = 903;
        for (Rng.Config cfg : Rng.variants(dev)) {
            try (var scope = Rng.use(dev, cfg)) {
                for (int[] s : SHAPES) {
                    int R = s[0], C = s[1], n = R * C;
                    float[] p = Check.uniform(seed, n, 0, 1);
                    String what = R + "x" + C + " " + cfg + " (seed " + seed + ")";
                    Rng rng = new Rng(seed);
                    try (Tensor out = Tensor.empty(dev, R, C); Tensor tp = Tensor.of(dev, R, C, p); Tensor wide = Tensor.zeros(dev, R, C + 3)) {
                        rng.uniform(out, 1, 5);
                        Check.close(RngReference.uniform(seed, 1, 5, R, C), out.toArray(), 0, 0, "uniform " + what);
                        rng.bernoulli(out, tp, 2, 6);
                        Check.close(RngReference.bernoulli(seed, 2, 6, p), out.toArray(), 0, 0, "bernoulli " + what);
                        rng.binarize(out, tp, 2, 6);
                        Check.close(RngReference.binarize(seed, 2, 6, p, R, C), out.toArray(), 0, 0, "binarize " + what);
                        try (var idx = dev.upload(reversed(R))) {
                            rng.gatherBinarize(out, tp, idx, 0, 2, 6);
                            float[] rev = new float[n];
                            for (int r = 0; r < R; r++) {
                                System.arraycopy(p, (R - 1 - r) * C, rev, r * C, C);
                            }
                            Check.close(RngReference.binarize(seed, 2, 6, rev, R, C), out.toArray(), 0, 0, "gatherBinarize " + what);
                        }
                        // A view (row stride C + 3): the same numbers as a contiguous tensor of its shape.
                        Tensor view = wide.cols(1, C + 1);
                        rng.normal(view, 3, 7);
                        double[] ref = RngReference.normal(seed, 3, 7, R, C);
                        float[] got = new float[n];
                        float[] all = wide.toArray();
                        for (int r = 0; r < R; r++) {
                            System.arraycopy(all, r * (C + 3) + 1, got, r * C, C);
                            assertEquals(0f, all[r * (C + 3)], "left of the view untouched " + what);
                        }
                        Check.close(ref, got, 1e-6, 1e-5, "normal on a view " + what);
                    }
                }
            }
        }
    }

    /**
     * Writes a gradient by a device copy from a fresh tensor. (A host write of part of a buffer,
     * as into one parameter's part of the flat layout, makes Oclgrind 21.10 report the rest of that
     * buffer as uninitialized when a kernel later reads it, although the rest holds the zeros a
     * fill kernel wrote and read back as zeros: a host write of the first 8649 of 8656 zeroed
     * floats is enough. Copying on the device keeps its report to the kernels' own reads.)
     */
    private static void setGrad(Param p, float[] g) {
        try (Tensor t = Tensor.of(dev, p.value().rows(), p.value().cols(), g)) {
            p.grad().copyFrom(t);
        }
    }

    @Test
    void optimEveryVariant() {
        long seed = 904;
        for (Optim o : Optim.variants(dev)) {
            try (var scope = Optim.use(o)) {
                List<Param> ps = new ArrayList<>();
                List<double[]> w = new ArrayList<>();
                List<float[]> g = new ArrayList<>();
                for (int i = 0; i < SHAPES.length; i++) {
                    int R = SHAPES[i][0], C = SHAPES[i][1];
                    Param p = new Param("p" + i, dev, R, C);
                    float[] w0 = Check.uniform(seed + i, R * C, -1, 1);
                    p.value().write(w0);
                    ps.add(p);
                    w.add(Check.toDouble(w0));
                    g.add(Check.uniform(seed + 100 + i, R * C, -1, 1));
                }
                try (Sgd sgd = new Sgd(dev, ps, 0.1f, 0.5f, 0f)) {
                    sgd.clipWeights(0.9f);
                    List<double[]> u = new ArrayList<>();
                    for (double[] wi : w) {
                        u.add(new double[wi.length]);
                    }
                    for (int t = 0; t < 2; t++) {
                        for (int i = 0; i < ps.size(); i++) {
                            setGrad(ps.get(i), g.get(i));
                            for (int k = 0; k < w.get(i).length; k++) {
                                u.get(i)[k] = 0.5 * u.get(i)[k] + g.get(i)[k];
                                w.get(i)[k] = Math.max(-0.9, Math.min(0.9, w.get(i)[k] - 0.1 * u.get(i)[k]));
                            }
                        }
                        sgd.step();
                    }
                    for (int i = 0; i < ps.size(); i++) {
                        Check.close(w.get(i), ps.get(i).value().toArray(), OPT_ATOL, OPT_RTOL, "sgd " + ps.get(i) + " " + o);
                    }
                }
                try (Adam adam = new Adam(dev, ps, 0.01f)) {
                    adam.clipGradNorm(1f);
                    for (int i = 0; i < ps.size(); i++) {
                        setGrad(ps.get(i), g.get(i));
                    }
                    adam.step();
                    double sq = 0;
                    for (float[] gi : g) {
                        for (float v : gi) {
                            sq += (double) v * v;
                        }
                    }
                    double scale = Math.min(1, 1 / (Math.sqrt(sq) + 1e-6));
                    for (int i = 0; i < ps.size(); i++) {
                        double[] want = w.get(i).clone();
                        for (int k = 0; k < want.length; k++) {
                            double gk = g.get(i)[k] * scale;
                            // First Adam step: m/(1-b1) = g, v/(1-b2) = g^2, so w moves by lr * g / (|g| + eps).
                            want[k] -= 0.01 * gk / (Math.abs(gk) + 1e-8);
                        }
                        Check.close(want, ps.get(i).value().toArray(), OPT_ATOL, OPT_RTOL, "adam " + ps.get(i) + " " + o);
                    }
                } finally {
                    ps.forEach(Param::close);
                }
            }
        }
    }
}
