package org.genzoo.models.flow;

import java.util.ArrayList;
import java.util.List;
import org.genzoo.host.Device;
import org.genzoo.host.autograd.F;
import org.genzoo.host.autograd.Param;
import org.genzoo.host.autograd.Tape;
import org.genzoo.host.autograd.Var;
import org.genzoo.host.ops.Elementwise;
import org.genzoo.host.ops.Rng;
import org.genzoo.host.tensor.Tensor;

/**
 * A normalizing flow: layers f_1..f_n applied in order in the data direction, x -> z = f_n(...f_1(x)),
 * over a standard normal base N(0, I) (Rezende & Mohamed 2015; Papamakarios et al. 2021 review).
 * log p(x) = log N(z; 0, I) + Σ_i log|det ∂f_i/∂h_{i-1}|. Sampling draws z ~ N(0, T²I) (temperature
 * T; T = 1 is the model itself) and runs the inverses in reverse order.
 *
 * <p>The flow owns its layers: closing it closes them.
 */
public final class Flow implements AutoCloseable {
    private final Device device;
    private final int dim;
    private final List<FlowLayer> layers;

    public Flow(Device device, int dim, List<FlowLayer> layers) {
        if (dim <= 0) {
            throw new IllegalArgumentException("a flow needs a positive dimension, got " + dim);
        }
        for (int i = 0; i < layers.size(); i++) {
            if (layers.get(i).dim() != dim) {
                throw new IllegalArgumentException("flow layer " + i + " has width " + layers.get(i).dim()
                        + " but the flow has width " + dim + ": every layer must map R^D to R^D");
            }
        }
        this.device = device;
        this.dim = dim;
        this.layers = List.copyOf(layers);
    }

    public int dim() {
        return dim;
    }

    public Device device() {
        return device;
    }

    public List<FlowLayer> layers() {
        return layers;
    }

    /** Every parameter of every layer, layer by layer. */
    public List<Param> params() {
        List<Param> all = new ArrayList<>();
        for (FlowLayer l : layers) {
            all.addAll(l.params());
        }
        return all;
    }

    /** z and the summed log|det ∂z/∂x| (B x 1) of the data direction, on the active tape. */
    public FlowLayer.Step forward(Var x) {
        requireWidth(x, "forward");
        Var h = x;
        Var logdet = null;
        for (FlowLayer l : layers) {
            FlowLayer.Step s = l.forward(h, logdet);
            h = s.out();
            logdet = s.logdet();
        }
        if (logdet == null) {
            logdet = Tape.current().constant(zeros(x.rows()));
        }
        return new FlowLayer.Step(h, logdet);
    }

    /** x and the summed log|det ∂x/∂z| (B x 1) of the generative direction, on the active tape. */
    public FlowLayer.Step inverse(Var z) {
        requireWidth(z, "inverse");
        Var h = z;
        Var logdet = null;
        for (int i = layers.size() - 1; i >= 0; i--) {
            FlowLayer.Step s = layers.get(i).inverse(h, logdet);
            h = s.out();
            logdet = s.logdet();
        }
        if (logdet == null) {
            logdet = Tape.current().constant(zeros(z.rows()));
        }
        return new FlowLayer.Step(h, logdet);
    }

    /** log p(x) per example (B x 1), on the active tape. */
    public Var logProb(Var x) {
        FlowLayer.Step s = forward(x);
        return F.add(F.standardNormalLogDensity(s.out()), s.logdet());
    }

    /**
     * Runs the data-dependent initializations (ActNorm) with the first batch: each layer sees the
     * batch as transformed by the layers before it. Call once, before the first training step.
     */
    public void initialize(Tensor firstBatch) {
        if (firstBatch.cols() != dim) {
            throw new IllegalArgumentException("initialize: the batch has " + firstBatch.cols() + " columns, the flow " + dim);
        }
        try (Tape t = Tape.noGrad(device)) {
            Var h = t.constant(firstBatch);
            for (FlowLayer l : layers) {
                l.initialize(h.value());
                h = l.forward(h).out();
            }
        }
    }

    /** n draws of the flow at temperature T (z ~ N(0, T²I)), without gradients; the caller owns the n x D result. */
    public Tensor sample(int n, double temperature, Rng rng, int stream) {
        Tensor out = Tensor.empty(device, n, dim);
        try (Tape t = Tape.noGrad(device)) {
            Tensor z = t.alloc(n, dim);
            drawBase(z, temperature, rng, stream);
            out.copyFrom(inverse(t.constant(z)).out().value());
        } catch (RuntimeException e) {
            out.close();
            throw e;
        }
        return out;
    }

    /** A sample x and its log-density under the flow, both B x 1-per-row Vars on the active tape. */
    public record Sample(Var x, Var logProb) {
    }

    /**
     * n draws in the generative direction with gradients (reverse KL): x = T(z) with z ~ N(0, T²I),
     * log q(x) = log N(z; 0, T²I) − Σ log|det ∂x/∂z|. Every layer's inverse must be differentiable.
     */
    public Sample sampleWithLogProb(int n, double temperature, Rng rng, int stream) {
        Tape t = Tape.current();
        Tensor z = t.alloc(n, dim);
        drawBase(z, temperature, rng, stream);
        // log N(z; 0, T²I) = log N(z / T; 0, I) − D log T (a constant: z carries no gradient).
        Tensor zs = t.alloc(n, dim);
        Elementwise.scale(zs, z, (float) (1.0 / temperature));
        Var base = F.standardNormalLogDensity(t.constant(zs));
        if (temperature != 1.0) {
            Tensor shift = t.alloc(n, 1);
            shift.fill((float) (-dim * Math.log(temperature)));
            base = F.add(base, t.constant(shift));
        }
        FlowLayer.Step s = inverse(t.constant(z));
        return new Sample(s.out(), F.sub(base, s.logdet()));
    }

    private void drawBase(Tensor z, double temperature, Rng rng, int stream) {
        if (!(temperature > 0) || Double.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be a positive finite number, got " + temperature);
        }
        rng.normal(z, stream);
        if (temperature != 1.0) {
            Elementwise.scale(z, z, (float) temperature);
        }
    }

    private Tensor zeros(int rows) {
        Tensor z = Tape.current().alloc(rows, 1);
        z.fill(0f);
        return z;
    }

    private void requireWidth(Var v, String what) {
        if (v.cols() != dim) {
            throw new IllegalArgumentException(what + ": input has " + v.cols() + " columns, the flow expects " + dim);
        }
    }

    @Override
    public void close() {
        for (FlowLayer l : layers) {
            l.close();
        }
    }
}
