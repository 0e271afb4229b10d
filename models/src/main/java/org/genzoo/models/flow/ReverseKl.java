package org.genzoo.models.flow;

import org.genzoo.host.autograd.F;
import org.genzoo.host.autograd.Tape;
import org.genzoo.host.autograd.Var;
import org.genzoo.host.ops.Rng;

/**
 * Reverse-KL fitting of a flow to an unnormalized density p(x) ∝ exp(−U(x)) (Rezende &amp; Mohamed
 * 2015): with x = T(z), z ~ N(0, I) and q the flow's density,
 * <pre>
 * loss = E_z[ log N(z) − log|det ∂T/∂z| + U(T(z)) ] = E_q[ log q(x) + U(x) ] = KL(q ‖ p) − log Z ≥ −log Z.
 * </pre>
 * The expectation is a Monte-Carlo mean over fresh base draws each step; the gradient is the
 * reparameterization gradient, so every layer's generative direction must be differentiable
 * (planar, radial, coupling, IAF, LU, ActNorm, permutations; not MAF or the i-ResNet, whose
 * inverses are iterative). The data set plays no part: see {@code FlowFamily}.
 */
public final class ReverseKl {
    private ReverseKl() {
    }

    /** The 1 x 1 loss over n draws on the active tape (the base noise comes from {@code rng}'s {@code stream}). */
    public static Var loss(Flow flow, Energies energy, int n, Rng rng, int stream) {
        return F.mean(perSample(flow, energy, n, rng, stream));
    }

    /**
     * The annealed loss E_q[log q + β U] (Rezende &amp; Mohamed 2015 train with β rising from 0.01 to 1):
     * at β &lt; 1 the target exp(−βU) is flatter, which keeps the flow from settling on one mode early.
     */
    public static Var loss(Flow flow, Energies energy, int n, Rng rng, int stream, float beta) {
        if (!(beta > 0) || beta > 1) {
            throw new IllegalArgumentException("reverse KL: the inverse temperature beta must be in (0, 1], got " + beta);
        }
        if (beta == 1f) {
            return loss(flow, energy, n, rng, stream);
        }
        Flow.Sample s = sample(flow, energy, n, rng, stream);
        return F.mean(F.add(s.logProb(), F.scale(energy.apply(s.x()), beta)));
    }

    /** The annealing schedule β_t = min(1, 0.01 + t / steps) (β = 1 when steps is 0). */
    public static float annealedBeta(long step, long steps) {
        return steps <= 0 ? 1f : (float) Math.min(1.0, 0.01 + (double) step / steps);
    }

    private static Flow.Sample sample(Flow flow, Energies energy, int n, Rng rng, int stream) {
        if (flow.dim() != 2) {
            throw new IllegalArgumentException("reverse KL against energy " + energy.specName() + " needs a flow on R^2, this flow has D = "
                    + flow.dim());
        }
        return flow.sampleWithLogProb(n, 1.0, rng, stream);
    }

    /** log q(x) + U(x) per draw (n x 1). */
    public static Var perSample(Flow flow, Energies energy, int n, Rng rng, int stream) {
        Flow.Sample s = sample(flow, energy, n, rng, stream);
        return F.add(s.logProb(), energy.apply(s.x()));
    }

    /** A Monte-Carlo estimate of the loss: mean, its standard error, and KL(q ‖ p) = mean + log Z. */
    public record Estimate(double loss, double stderr, int samples, double logZ) {
        public double kl() {
            return loss + logZ;
        }
    }

    /**
     * The loss estimated without gradients from {@code n} draws in chunks of {@code chunk} (reads
     * the per-draw values back to the host).
     */
    public static Estimate estimate(Flow flow, Energies energy, int n, int chunk, Rng rng, int stream) {
        if (n < 2 || chunk < 1) {
            throw new IllegalArgumentException("estimate: need n >= 2 draws and a positive chunk, got " + n + " and " + chunk);
        }
        double sum = 0;
        double sumSq = 0;
        int done = 0;
        while (done < n) {
            int m = Math.min(chunk, n - done);
            float[] v;
            try (Tape t = Tape.noGrad(flow.device())) {
                v = perSample(flow, energy, m, rng, stream).value().toArray();
            }
            for (float e : v) {
                sum += e;
                sumSq += (double) e * e;
            }
            done += m;
        }
        double mean = sum / n;
        double var = Math.max(0, (sumSq - n * mean * mean) / (n - 1));
        return new Estimate(mean, Math.sqrt(var / n), n, energy.logZ());
    }
}
