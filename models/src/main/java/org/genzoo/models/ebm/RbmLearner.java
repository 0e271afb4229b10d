package org.genzoo.models.ebm;

import org.genzoo.host.Device;
import org.genzoo.host.ops.Elementwise;
import org.genzoo.host.ops.Reduce;
import org.genzoo.host.ops.Rng;
import org.genzoo.host.tensor.Tensor;
import org.genzoo.models.train.ModelState;

/**
 * The gradient statistics of one RBM training step, written into the parameters' gradients (the
 * trainer's statistics phase; no backward):
 * <ul>
 * <li>CD-k (Hinton 2002): the negative phase starts at the data's hidden sample and runs k full
 * Gibbs sweeps;</li>
 * <li>PCD-k (Tieleman 2008): the negative phase continues C persistent chains by k sweeps;</li>
 * <li>PT (Desjardins et al. 2010): T·C persistent chains, C at each inverse temperature
 * 1 = β_1 &gt; … &gt; β_T, k sweeps each, then one round of replica-exchange proposals between
 * neighbouring temperatures (even pairs on even steps, odd pairs on odd steps); the statistics come
 * from the β = 1 chains.</li>
 * </ul>
 * Positive phase: the data v0 with the hidden probabilities p(h | v0); negative phase: the chains'
 * visible samples with their hidden probabilities. Each step also yields a 1 x 1 monitor on the
 * device: the squared reconstruction error Σ|v0 − E[v | h0]|² per example (CD: the first sweep's
 * visible means, free; PCD and PT: E[v | h] at h = p(h | v0) on the batch's first
 * {@link #MONITOR_ROWS} rows, one small extra product). Chains, their hidden states, swap counters and the random counters are
 * model state: a resumed run continues bitwise.
 */
final class RbmLearner implements AutoCloseable {
    enum Method {
        CD, PCD, PT
    }

    /** Rows of the batch the PCD/PT monitor reconstructs. */
    static final int MONITOR_ROWS = 16;
    /** Rng streams (1 is the trainer's binarization). */
    static final int POS_STREAM = 2;
    static final int VIS_STREAM = 3;
    static final int HID_STREAM = 4;
    static final int SWAP_STREAM = 5;

    private final Rbm rbm;
    private final Method method;
    private final int k;
    private final int chains;
    private final int temps;
    private final Rng rng;
    private final Device dev;
    // positive phase and CD chains: B rows, allocated for the first batch's row count
    private int batch;
    private Tensor p0h;
    private Tensor s0h;
    private Tensor pv;
    private Tensor sv;
    private Tensor ph;
    private Tensor diff;
    // PCD/PT: positive and chain rows stacked for the one product of the W statistics
    // (stackH: p(h | v0) in rows [0, B), the chains' p(h | v) after them)
    private Tensor stackV;
    private Tensor stackH;
    private Tensor stackS;
    private final Tensor monitor;
    // persistent chains (PCD: C rows; PT: T·C rows), else null
    private final Tensor chainV;
    private final Tensor chainH;
    private final Tensor chainPv;
    private final Tensor rowTemps;
    private final Tensor x;
    private final Tensor energy;
    private final Tensor accepted;
    private final Tensor attempted;
    private final double[] betas;

    /**
     * {@code chains}: C (PCD, PT; ignored by CD); {@code betas}: PT's inverse temperatures, the first 1.
     */
    RbmLearner(Rbm rbm, Method method, int k, int chains, double[] betas, Rng rng) {
        if (k < 1) {
            throw new IllegalArgumentException("k (Gibbs sweeps per step) must be >= 1, got " + k);
        }
        this.rbm = rbm;
        this.method = method;
        this.k = k;
        this.rng = rng;
        this.dev = rbm.device();
        int d = rbm.visibleUnits();
        int h = rbm.hiddenUnits();
        this.monitor = Tensor.zeros(dev, 1, 1);
        if (method == Method.CD) {
            this.chains = 0;
            this.temps = 1;
            this.betas = new double[] {1};
            this.chainV = this.chainH = this.chainPv = this.rowTemps = this.x = this.energy = this.accepted = this.attempted = null;
        } else {
            if (chains < 1) {
                throw new IllegalArgumentException("persistent chains must be >= 1, got " + chains);
            }
            this.chains = chains;
            this.betas = method == Method.PT ? betas.clone() : new double[] {1};
            this.temps = this.betas.length;
            if (method == Method.PT && (temps < 2 || this.betas[0] != 1)) {
                throw new IllegalArgumentException("parallel tempering needs at least 2 inverse temperatures, the first 1");
            }
            int rows = temps * chains;
            this.chainV = Tensor.zeros(dev, rows, d);
            this.chainH = Tensor.zeros(dev, rows, h);
            this.chainPv = Tensor.empty(dev, rows, d);
            if (method == Method.PT) {
                float[] t = new float[rows];
                for (int i = 0; i < rows; i++) {
                    t[i] = (float) this.betas[i / chains];
                }
                this.rowTemps = Tensor.of(dev, rows, 1, t);
                this.x = Tensor.empty(dev, rows, h);
                this.energy = Tensor.empty(dev, rows, 1);
                this.accepted = Tensor.zeros(dev, rows, 1);
                this.attempted = Tensor.zeros(dev, rows, 1);
            } else {
                this.rowTemps = this.x = this.energy = this.accepted = this.attempted = null;
            }
        }
    }

    Method method() {
        return method;
    }

    /** The persistent chains' visible states (β = 1 block for PT), or null for CD. */
    Tensor chains() {
        return chainV == null ? null : chainV.rows(0, chains);
    }

    /** The visible states of the chains at temperature index t (PT), or of all chains (PCD). */
    Tensor chainsAt(int t) {
        return chainV == null ? null : chainV.rows(t * chains, (t + 1) * chains);
    }

    /**
     * Writes the gradient statistics for {@code v0} (B x D) into the RBM's gradients (which the
     * trainer zeroed) and returns the monitor (owned here). {@code step} is 0-based.
     */
    Tensor step(Tensor v0, long step) {
        ensureScratch(v0.rows());
        if (method != Method.CD) {
            return persistentStep(v0, step);
        }
        rbm.hiddenStep(p0h, s0h, v0, 1f, null, rng, POS_STREAM);
        // the chain's hidden samples overwrite s0h: the positive statistics use p0h only
        for (int i = 0; i < k; i++) {
            rbm.visibleStep(pv, sv, s0h, 1f, null, null, rng, VIS_STREAM);
            if (i == 0) {
                reconstruction(v0, pv);
            }
            rbm.hiddenStep(ph, s0h, sv, 1f, null, rng, HID_STREAM);
        }
        rbm.accumulateGradients(v0, p0h, sv, ph);
        return monitor;
    }

    /**
     * PCD and PT. The positive phase needs only p(h | v0); the first step also draws h to start the
     * chains. Rows are stacked: stackV = [v0; chains' v] (B + C rows), stackH = [p(h | v0); chains'
     * p(h | v)]. PCD computes both hidden sides of its last sweep in one fused half-step over the
     * stack (one product with W instead of two; the positive rows' draws are unused). The statistics of
     * W are one product stackVᵀ·stackH/C after the positive rows of stackH are scaled by −C/B, which equals
     * chainsᵀ·p_chains/C − v0ᵀ·p0/B and reads and writes grad W once. PT (T·C chains, per-row
     * temperatures) takes p(h | v0) from its own product and stacks only the statistics.
     */
    private Tensor persistentStep(Tensor v0, long step) {
        int b = batch;
        int rows = chainH.rows();
        Tensor p0 = stackH.rows(0, b);
        Tensor chainP = stackH.rows(b, b + rows);
        if (step == 0) {
            // chains start at the first batch's hidden samples (cycled when there are more chains than rows)
            rbm.hiddenStep(p0, s0h, v0, 1f, null, rng, POS_STREAM);
            for (int r0 = 0; r0 < rows; r0 += batch) {
                int m = Math.min(batch, rows - r0);
                chainH.rows(r0, r0 + m).copyFrom(s0h.rows(0, m));
            }
        }
        for (int i = 0; i < k - 1; i++) {
            rbm.visibleStep(chainPv, chainV, chainH, 1f, rowTemps, null, rng, VIS_STREAM);
            rbm.hiddenStep(chainP, chainH, chainV, 1f, rowTemps, rng, HID_STREAM);
        }
        rbm.visibleStep(chainPv, chainV, chainH, 1f, rowTemps, null, rng, VIS_STREAM);
        stackV.rows(0, b).copyFrom(v0);
        stackV.rows(b, b + chains).copyFrom(chainV.rows(0, chains));
        if (method == Method.PCD) {
            rbm.hiddenStep(stackH, stackS, stackV, 1f, null, rng, HID_STREAM);
            chainH.copyFrom(stackS.rows(b, b + rows));
        } else {
            rbm.hiddenMean(p0, v0);
            rbm.hiddenStep(chainP, chainH, chainV, 1f, rowTemps, rng, HID_STREAM);
        }
        int m = diff.rows();
        rbm.visibleMean(diff, p0.rows(0, m));
        reconstruction(v0.rows(0, m), diff);
        rbm.gibbs().biasStats(rbm.visibleBias().grad(), v0, -1f / b, chainV.rows(0, chains), 1f / chains);
        rbm.gibbs().biasStats(rbm.hiddenBias().grad(), p0, -1f / b, chainP.rows(0, chains), 1f / chains);
        Elementwise.scale(p0, p0, -(float) chains / b);
        rbm.gemm().gemm(rbm.weights().grad(), stackV, true, stackH.rows(0, b + chains), false, 1f / chains, 1f, null,
                org.genzoo.host.ops.Gemm.Act.NONE);
        if (method == Method.PT) {
            rbm.gemm().mm(x, chainV, false, rbm.weights().value(), false);
            rbm.gibbs().energy(energy, x, chainV, chainH, rbm.visibleBias().value(), rbm.hiddenBias().value());
            rbm.gibbs().swap(chainV, chainH, energy, rowTemps, accepted, attempted, (int) (step % 2), temps, rng, SWAP_STREAM,
                    rng.next(SWAP_STREAM));
        }
        return monitor;
    }

    /** Scratch for a batch of {@code rows} (re-made when the row count changes). */
    private void ensureScratch(int rows) {
        if (rows == batch && p0h != null) {
            return;
        }
        closeScratch();
        batch = rows;
        int d = rbm.visibleUnits();
        int h = rbm.hiddenUnits();
        p0h = Tensor.empty(dev, rows, h);
        s0h = Tensor.empty(dev, rows, h);
        if (method == Method.CD) {
            pv = Tensor.empty(dev, rows, d);
            sv = Tensor.empty(dev, rows, d);
            ph = Tensor.empty(dev, rows, h);
            diff = Tensor.empty(dev, rows, d);
        } else {
            diff = Tensor.empty(dev, Math.min(MONITOR_ROWS, rows), d);
            stackV = Tensor.empty(dev, rows + chains, d);
            stackH = Tensor.empty(dev, rows + chainH.rows(), h);
            stackS = method == Method.PCD ? Tensor.empty(dev, rows + chains, h) : null;
        }
    }

    private void closeScratch() {
        for (Tensor t : new Tensor[] {p0h, s0h, pv, sv, ph, diff, stackV, stackH, stackS}) {
            if (t != null) {
                t.close();
            }
        }
        p0h = s0h = pv = sv = ph = diff = stackV = stackH = stackS = null;
    }

    /** monitor = Σ (v − p)² / rows (p is overwritten). */
    private void reconstruction(Tensor v, Tensor p) {
        Tensor dd = diff.rows(0, v.rows());
        Elementwise.sub(dd, v, p);
        Elementwise.square(dd, dd);
        Reduce.sumAll(monitor, dd);
        Elementwise.scale(monitor, monitor, 1f / v.rows());
    }

    /** Accepted / attempted swaps per neighbouring pair (t, t+1), read back; empty unless PT. */
    double[] swapRates() {
        if (method != Method.PT) {
            return new double[0];
        }
        float[] a = accepted.toArray();
        float[] n = attempted.toArray();
        double[] out = new double[temps - 1];
        for (int t = 0; t < temps - 1; t++) {
            double sa = 0;
            double sn = 0;
            for (int q = 0; q < chains; q++) {
                sa += a[t * chains + q];
                sn += n[t * chains + q];
            }
            out[t] = sn == 0 ? Double.NaN : sa / sn;
        }
        return out;
    }

    ModelState state() {
        ModelState s = new ModelState().rng("gibbs", rng);
        if (chainV != null) {
            s.tensor("chains.v", chainV).tensor("chains.h", chainH);
        }
        if (accepted != null) {
            s.tensor("swaps.accepted", accepted).tensor("swaps.attempted", attempted);
        }
        return s;
    }

    @Override
    public void close() {
        closeScratch();
        for (Tensor t : new Tensor[] {monitor, chainV, chainH, chainPv, rowTemps, x, energy, accepted,
            attempted}) {
            if (t != null) {
                t.close();
            }
        }
    }
}
