package org.genzoo.models.vae;

import java.util.ArrayList;
import java.util.List;

/**
 * Hyperparameters of a {@link HierarchicalVae} with two stochastic layers (Burda et al. 2016):
 * q(z1|x) through {@code hidden1}, q(z2|z1) through {@code hidden2}; p(z1|z2) through
 * {@code hidden2} reversed, p(x|z1) through {@code hidden1} reversed; p(z2) = N(0, I).
 * The ELBO loss at step s is −E_q[log p(x|z1)] + β(s)·E_q[log q(z1,z2|x) − log p(z1|z2) − log p(z2)]
 * (single-sample, β(s) = beta·min(1, s / warmupSteps)); the IWAE loss is −log (1/K) Σ_k w_k.
 *
 * @param dataDim     D
 * @param hidden1     deterministic widths between x and z1
 * @param latent1     L1
 * @param hidden2     deterministic widths between z1 and z2
 * @param latent2     L2
 * @param activation  hidden-layer activation
 * @param likelihood  p(x|z1)
 * @param objective   ELBO or IWAE
 * @param samples     K (1 for the ELBO)
 * @param beta        KL weight of the ELBO, ≥ 0
 * @param warmupSteps β annealing length (0: none)
 * @param seed        weight initialization and the model's Rng
 */
public record HvaeConfig(int dataDim, List<Integer> hidden1, int latent1, List<Integer> hidden2, int latent2, Activation activation,
        Likelihood likelihood, Objective objective, int samples, float beta, long warmupSteps, long seed) {

    public HvaeConfig {
        hidden1 = hidden1 == null ? null : List.copyOf(hidden1);
        hidden2 = hidden2 == null ? null : List.copyOf(hidden2);
        List<InvalidConfigException.Violation> bad = new ArrayList<>();
        VaeConfig.Checks c = new VaeConfig.Checks(bad);
        c.positive("dataDim", dataDim);
        c.widths("hidden1", hidden1);
        c.positive("latent1", latent1);
        c.widths("hidden2", hidden2);
        c.positive("latent2", latent2);
        c.notNull("activation", activation);
        c.notNull("likelihood", likelihood);
        c.notNull("objective", objective);
        if (samples < 1) {
            bad.add(new InvalidConfigException.Violation("samples", "must be at least 1, got " + samples));
        } else if (objective == Objective.ELBO && samples != 1) {
            bad.add(new InvalidConfigException.Violation("samples", "the ELBO objective draws one sample per example, got "
                    + samples + "; use the IWAE objective for K > 1"));
        }
        c.nonNegative("beta", beta);
        c.nonNegative("warmupSteps", warmupSteps);
        if (objective == Objective.IWAE) {
            if (beta != 1f) {
                bad.add(new InvalidConfigException.Violation("beta", "the IWAE bound has no KL weight: leave it at 1"));
            }
            if (warmupSteps != 0) {
                bad.add(new InvalidConfigException.Violation("warmupSteps", "KL annealing applies to the ELBO only"));
            }
        }
        if (!bad.isEmpty()) {
            throw new InvalidConfigException("HvaeConfig", bad);
        }
    }

    /**
     * The IWAE paper's two-layer model: D-200-200-100 (z1) -100-100-50 (z2), tanh, Bernoulli,
     * with the ELBO (K = 1) or the IWAE bound (K &gt; 1).
     */
    public static HvaeConfig iwaePaper(int dataDim, int samples, long seed) {
        return new HvaeConfig(dataDim, List.of(200, 200), 100, List.of(100, 100), 50, Activation.TANH, Likelihood.BERNOULLI,
                samples == 1 ? Objective.ELBO : Objective.IWAE, samples, 1f, 0, seed);
    }

    public HvaeConfig withObjective(Objective objective, int samples) {
        return new HvaeConfig(dataDim, hidden1, latent1, hidden2, latent2, activation, likelihood, objective, samples, beta,
                warmupSteps, seed);
    }

    public HvaeConfig withBeta(float beta, long warmupSteps) {
        return new HvaeConfig(dataDim, hidden1, latent1, hidden2, latent2, activation, likelihood, objective, samples, beta,
                warmupSteps, seed);
    }

    /** β(s) = beta·min(1, s / warmupSteps), or beta when there is no warm-up. */
    public float betaAt(long step) {
        return beta * VaeConfig.ramp(step, warmupSteps);
    }
}
