package org.genzoo.models.flow;

import java.util.List;
import org.genzoo.host.Device;
import org.genzoo.host.autograd.Param;
import org.genzoo.host.autograd.Tape;
import org.genzoo.host.autograd.Var;
import org.genzoo.host.ops.AutoregressiveUpdate;
import org.genzoo.host.tensor.Tensor;

/**
 * A masked autoregressive flow layer built on one {@link Made}: the affine autoregressive map
 * u_i = v_i·exp(s_i(v_{<i})) + t_i(v_{<i}), log|det| = Σ s_i, with s bounded like the coupling's
 * (in the usual notation v_i = mu_i + exp(alpha_i)·u_i, alpha = −s, mu = −t·exp(−s)).
 *
 * <ul>
 * <li>MAF (Papamakarios et al. 2017): the map runs in the data direction x -> z. The density is one
 *     parallel MADE pass (differentiable); sampling takes D sequential passes of MADE plus the
 *     {@code made_autoregressive_update} kernel.</li>
 * <li>IAF (Kingma et al. 2016): the same layer used in the sampling direction, z -> x = the map of
 *     z: sampling (and the sample's own log-density) is one parallel pass and differentiable, the
 *     density of an outside point takes D sequential passes.</li>
 * </ul>
 * The sequential direction runs without gradients: on a recording tape it throws
 * IllegalStateException naming the direction that is differentiable.
 */
public final class AutoregressiveLayer implements FlowLayer {
    private final Device device;
    private final Made made;
    private final float bound;
    private final boolean inverseAutoregressive;
    private final Tensor noMask;

    public AutoregressiveLayer(Device device, Made made, float bound, boolean inverseAutoregressive) {
        this.device = device;
        this.made = made;
        this.bound = bound;
        this.inverseAutoregressive = inverseAutoregressive;
        this.noMask = Tensor.zeros(device, 1, made.dim());
    }

    public Made made() {
        return made;
    }

    public boolean isIaf() {
        return inverseAutoregressive;
    }

    @Override
    public int dim() {
        return made.dim();
    }

    /** The parallel direction: out = in·exp(s(in)) + t(in). */
    private Step parallel(Var in) {
        return FlowOps.affine(in, made.forward(in), noMask, bound, 1);
    }

    /** The sequential direction: solves out·exp(s(out)) + t(out) = in for out, D MADE passes, no gradient. */
    private Step sequential(Var in, String direction) {
        Tape outer = Tape.current();
        if (outer.recording()) {
            throw new IllegalStateException((inverseAutoregressive ? "IAF" : "MAF") + ": the " + direction
                    + " direction is sequential (D passes) and has no gradient; it is differentiable in the "
                    + (inverseAutoregressive ? "inverse (sampling, z -> x) direction: train an IAF by reverse KL or as a VAE posterior, "
                            + "or use MAF for maximum likelihood" : "forward (density, x -> z) direction: use IAF to differentiate samples")
                    + "; run this direction under Tape.noGrad");
        }
        int b = in.rows();
        int d = made.dim();
        Tensor out = outer.alloc(b, d);
        Tensor logdet = outer.alloc(b, 1);
        try (Tape t = Tape.noGrad(device)) {
            Tensor x = t.alloc(b, d);
            x.fill(0f);
            Var xv = t.constant(x);
            List<Var> weights = made.frozenWeights();
            for (int step = 1; step < d; step++) {
                try (Tape pass = Tape.noGrad(device)) {
                    AutoregressiveUpdate.update(x, in.value(), made.forward(xv, weights).value(), made.degreeBuffer(), step, bound);
                }
            }
            // The last pass solves every column at once (the earlier ones come out unchanged) and gives the log-det.
            Step s = FlowOps.affine(in, made.forward(xv, weights), noMask, bound, -1);
            out.copyFrom(s.out().value());
            logdet.copyFrom(s.logdet().value());
        }
        return new Step(outer.constant(out), outer.constant(logdet));
    }

    @Override
    public Step forward(Var x) {
        return inverseAutoregressive ? sequential(x, "forward (density, x -> z)") : parallel(x);
    }

    @Override
    public Step inverse(Var z) {
        return inverseAutoregressive ? parallel(z) : sequential(z, "inverse (sampling, z -> x)");
    }

    @Override
    public List<Param> params() {
        return made.params();
    }

    @Override
    public void close() {
        made.close();
        noMask.close();
    }
}
