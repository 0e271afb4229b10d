package org.genzoo.models.flow;

import java.util.List;
import org.genzoo.host.Device;
import org.genzoo.host.autograd.F;
import org.genzoo.host.autograd.Param;
import org.genzoo.host.autograd.Tape;
import org.genzoo.host.autograd.Var;
import org.genzoo.host.tensor.Tensor;

/**
 * ActNorm (Kingma & Dhariwal 2018): a per-coordinate affine map z = (x + b) ⊙ exp(logScale),
 * log|det| = Σ logScale. {@link #initialize} sets b = −mean and logScale = −log(std + 1e-6) of the
 * first batch, so the first batch leaves the layer with zero mean and unit variance per coordinate;
 * after that both are ordinary parameters. Before initialization it is the identity.
 */
public final class ActNorm implements FlowLayer {
    /** Keeps a constant coordinate from giving an infinite scale. */
    static final double STD_FLOOR = 1e-6;
    private final int dim;
    private final Param bias;
    private final Param logScale;
    private boolean initialized;

    public ActNorm(Device device, String name, int dim) {
        this.dim = dim;
        this.bias = new Param(name + ".bias", device, 1, dim);
        this.logScale = new Param(name + ".logScale", device, 1, dim);
    }

    @Override
    public int dim() {
        return dim;
    }

    public boolean initialized() {
        return initialized;
    }

    @Override
    public void initialize(Tensor firstBatch) {
        if (firstBatch.cols() != dim) {
            throw new IllegalArgumentException("ActNorm of width " + dim + " got a batch of " + firstBatch.cols() + " columns");
        }
        int b = firstBatch.rows();
        if (b < 2) {
            throw new IllegalArgumentException("ActNorm needs at least 2 rows to estimate a scale, got " + b);
        }
        float[] x = firstBatch.toArray();
        float[] bs = new float[dim];
        float[] ls = new float[dim];
        for (int c = 0; c < dim; c++) {
            double mean = 0;
            for (int r = 0; r < b; r++) {
                mean += x[r * dim + c];
            }
            mean /= b;
            double var = 0;
            for (int r = 0; r < b; r++) {
                double d = x[r * dim + c] - mean;
                var += d * d;
            }
            var /= b;
            bs[c] = (float) -mean;
            ls[c] = (float) -Math.log(Math.sqrt(var) + STD_FLOOR);
        }
        bias.value().write(bs);
        logScale.value().write(ls);
        initialized = true;
    }

    private Var logdet(int rows, boolean negate) {
        Var sum = F.sum(Tape.current().param(logScale));
        return FlowOps.broadcastRow(negate ? F.scale(sum, -1f) : sum, rows);
    }

    @Override
    public Step forward(Var x) {
        Tape t = Tape.current();
        Var scale = FlowOps.broadcastRow(F.exp(t.param(logScale)), x.rows());
        return new Step(F.mul(F.addRow(x, t.param(bias)), scale), logdet(x.rows(), false));
    }

    @Override
    public Step inverse(Var z) {
        Tape t = Tape.current();
        Var scale = FlowOps.broadcastRow(F.exp(F.scale(t.param(logScale), -1f)), z.rows());
        return new Step(F.addRow(F.mul(z, scale), F.scale(t.param(bias), -1f)), logdet(z.rows(), true));
    }

    @Override
    public List<Param> params() {
        return List.of(bias, logScale);
    }

    /** Marks the layer initialized without data (parameters restored from a checkpoint). */
    public void markInitialized() {
        initialized = true;
    }

    @Override
    public void close() {
        bias.close();
        logScale.close();
    }
}
