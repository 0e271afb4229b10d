package org.genzoo.models.ebm;

import org.genzoo.host.Device;
import org.genzoo.host.autograd.Sgd;
import org.genzoo.host.ops.Gibbs;
import org.genzoo.host.ops.Rng;
import org.genzoo.host.tensor.Tensor;

/**
 * One RBM training step exactly as the rbm family runs it (the learner's statistics, then SGD with
 * momentum 0.5 and weight decay 1e-4 at learning rate 0.05), for the training benchmark.
 */
public final class RbmBenchStep implements AutoCloseable {
    private final Rbm rbm;
    private final RbmLearner learner;
    private final Sgd sgd;
    private Tensor last;
    private long step;

    /** {@code method}: "cd" or "pcd"; PCD runs as many chains as the batch has rows. */
    public RbmBenchStep(Device dev, int d, int h, String method, int k, int batch, long seed) {
        Rng rng = new Rng(seed);
        this.rbm = new Rbm(dev, null, "rbm", d, h, Gibbs.Units.BERNOULLI);
        rbm.init(rng, 0, 0.01f);
        this.learner = new RbmLearner(rbm, RbmLearner.Method.valueOf(method.toUpperCase(java.util.Locale.ROOT)), k, batch, new double[] {1},
                rng);
        this.sgd = new Sgd(dev, rbm.params(), 0.05f, 0.5f, 1e-4f);
    }

    public void step(Tensor batch) {
        last = learner.step(batch, step++);
        sgd.step();
    }

    /** The last step's reconstruction monitor (a device read). */
    public double monitor() {
        return last == null ? Double.NaN : last.get(0, 0);
    }

    @Override
    public void close() {
        sgd.close();
        learner.close();
        rbm.close();
    }
}
