package org.genzoo.models.vae;

import java.util.ArrayList;
import java.util.List;

/**
 * Hyperparameters of a {@link Vae}: the architecture D -> hidden... -> L (encoder) and
 * L -> reversed hidden... -> D (decoder), the likelihood, the prior, and the objective with its
 * regularizers. Built with {@link #builder}; the constructor checks every field and throws an
 * {@link InvalidConfigException} naming each bad one.
 *
 * <p>The loss at optimizer step {@code s} (0-based) with the ELBO objective is
 * <pre>
 *   −E_q[log p(x|z)] + β(s)·Σ_g max(λ, KL_g)        free bits (λ = freeBits &gt; 0)
 *   −E_q[log p(x|z)] + γ·|KL − C(s)|                 controlled capacity (γ = capacityGamma &gt; 0)
 *   −E_q[log p(x|z)] + β(s)·KL                       otherwise (β-VAE; β = 1 is the plain VAE)
 * </pre>
 * all averaged over the batch, with β(s) = beta·min(1, s / warmupSteps) (KL annealing; no
 * annealing when warmupSteps = 0), C(s) = capacityMax·min(1, s / capacitySteps), and KL_g the
 * batch-mean KL of latent group g (Kingma et al. 2016). With the IWAE objective the loss is
 * −log (1/K) Σ_k w_k and no regularizer applies.
 *
 * @param dataDim        D, the data dimension
 * @param hidden         widths of the deterministic hidden layers between x and z (may be empty)
 * @param latentDim      L
 * @param activation     hidden-layer activation
 * @param likelihood     Bernoulli logits or a diagonal Gaussian
 * @param prior          p(z)
 * @param objective      ELBO or IWAE
 * @param samples        K, importance samples per example (1 for the ELBO)
 * @param kl             closed-form KL (standard normal prior only) or the single-sample estimate
 * @param beta           weight on the KL term (β-VAE), ≥ 0
 * @param warmupSteps    steps over which β rises linearly from 0 (0: no annealing)
 * @param freeBits       λ in nats per group (0: off); needs the closed-form KL
 * @param freeBitsGroups group index of every latent dimension (length L, indices 0..G−1, each
 *                       used); empty means one group per dimension
 * @param capacityMax    C_max in nats
 * @param capacitySteps  steps over which C rises linearly from 0 to C_max (0: C = C_max from the start)
 * @param capacityGamma  γ; 0 turns controlled capacity off
 * @param seed           seeds the weight initialization and the model's {@link org.genzoo.host.ops.Rng}
 */
public record VaeConfig(int dataDim, List<Integer> hidden, int latentDim, Activation activation, Likelihood likelihood,
        PriorSpec prior, Objective objective, int samples, KlEstimator kl, float beta, long warmupSteps, float freeBits,
        List<Integer> freeBitsGroups, float capacityMax, long capacitySteps, float capacityGamma, long seed) {

    public VaeConfig {
        hidden = hidden == null ? null : List.copyOf(hidden);
        freeBitsGroups = freeBitsGroups == null ? List.of() : List.copyOf(freeBitsGroups);
        List<InvalidConfigException.Violation> bad = new ArrayList<>();
        Checks c = new Checks(bad);
        c.positive("dataDim", dataDim);
        c.positive("latentDim", latentDim);
        c.widths("hidden", hidden);
        c.notNull("activation", activation);
        c.notNull("likelihood", likelihood);
        c.notNull("objective", objective);
        c.notNull("kl", kl);
        if (prior == null) {
            bad.add(new InvalidConfigException.Violation("prior", "is required"));
        } else if (prior instanceof PriorSpec.Mixture m && m.components() < 1) {
            bad.add(new InvalidConfigException.Violation("prior.components", "must be at least 1, got " + m.components()));
        } else if (prior instanceof PriorSpec.Vamp v && v.pseudoInputs() < 1) {
            bad.add(new InvalidConfigException.Violation("prior.pseudoInputs", "must be at least 1, got " + v.pseudoInputs()));
        }
        if (samples < 1) {
            bad.add(new InvalidConfigException.Violation("samples", "must be at least 1, got " + samples));
        } else if (objective == Objective.ELBO && samples != 1) {
            bad.add(new InvalidConfigException.Violation("samples", "the ELBO objective draws one sample per example, got "
                    + samples + "; use the IWAE objective for K > 1"));
        }
        if (kl == KlEstimator.ANALYTIC && prior != null && !(prior instanceof PriorSpec.StandardNormal)) {
            bad.add(new InvalidConfigException.Violation("kl", "the closed-form KL needs the standard normal prior; use SAMPLE"));
        }
        c.nonNegative("beta", beta);
        c.nonNegative("warmupSteps", warmupSteps);
        c.nonNegative("freeBits", freeBits);
        c.nonNegative("capacityMax", capacityMax);
        c.nonNegative("capacitySteps", capacitySteps);
        c.nonNegative("capacityGamma", capacityGamma);
        if (freeBits > 0 && kl != KlEstimator.ANALYTIC) {
            bad.add(new InvalidConfigException.Violation("freeBits", "free bits work on the per-dimension closed-form KL: set kl ANALYTIC"));
        }
        if (!freeBitsGroups.isEmpty()) {
            c.groups("freeBitsGroups", freeBitsGroups, latentDim);
        }
        if (capacityGamma > 0) {
            if (freeBits > 0) {
                bad.add(new InvalidConfigException.Violation("capacityGamma", "controlled capacity and free bits exclude each other"));
            }
            if (beta != 1f || warmupSteps != 0) {
                bad.add(new InvalidConfigException.Violation("capacityGamma",
                        "controlled capacity replaces the β·KL term: leave beta at 1 and warmupSteps at 0"));
            }
        }
        if (objective == Objective.IWAE) {
            if (beta != 1f) {
                bad.add(new InvalidConfigException.Violation("beta", "the IWAE bound has no KL weight: leave it at 1"));
            }
            if (warmupSteps != 0) {
                bad.add(new InvalidConfigException.Violation("warmupSteps", "KL annealing applies to the ELBO only"));
            }
            if (freeBits != 0) {
                bad.add(new InvalidConfigException.Violation("freeBits", "free bits apply to the ELBO only"));
            }
            if (capacityGamma != 0) {
                bad.add(new InvalidConfigException.Violation("capacityGamma", "controlled capacity applies to the ELBO only"));
            }
        }
        if (!bad.isEmpty()) {
            throw new InvalidConfigException("VaeConfig", bad);
        }
    }

    public static Builder builder(int dataDim, int latentDim) {
        return new Builder(dataDim, latentDim);
    }

    /** The IWAE paper's one-layer model (Burda et al. 2016): D-200-200-50, tanh, Bernoulli, N(0, I) prior. */
    public static Builder iwaePaper(int dataDim) {
        return builder(dataDim, 50).hidden(200, 200).activation(Activation.TANH);
    }

    public Builder toBuilder() {
        Builder b = new Builder(dataDim, latentDim);
        b.hidden = hidden;
        b.activation = activation;
        b.likelihood = likelihood;
        b.prior = prior;
        b.objective = objective;
        b.samples = samples;
        b.kl = kl;
        b.beta = beta;
        b.warmupSteps = warmupSteps;
        b.freeBits = freeBits;
        b.freeBitsGroups = freeBitsGroups;
        b.capacityMax = capacityMax;
        b.capacitySteps = capacitySteps;
        b.capacityGamma = capacityGamma;
        b.seed = seed;
        return b;
    }

    /** β(s) = beta·min(1, s / warmupSteps), or beta when there is no warm-up. */
    public float betaAt(long step) {
        return beta * ramp(step, warmupSteps);
    }

    /** C(s) = capacityMax·min(1, s / capacitySteps), or capacityMax when capacitySteps = 0. */
    public float capacityAt(long step) {
        return capacityMax * ramp(step, capacitySteps);
    }

    public boolean capacityEnabled() {
        return capacityGamma > 0;
    }

    /** Group index of each latent dimension (one group per dimension unless configured). */
    public int[] groupOf() {
        int[] g = new int[latentDim];
        for (int i = 0; i < latentDim; i++) {
            g[i] = freeBitsGroups.isEmpty() ? i : freeBitsGroups.get(i);
        }
        return g;
    }

    public int groupCount() {
        int n = 0;
        for (int g : groupOf()) {
            n = Math.max(n, g + 1);
        }
        return n;
    }

    static float ramp(long step, long steps) {
        if (steps <= 0) {
            return 1f;
        }
        return (float) Math.min(1.0, Math.max(0L, step) / (double) steps);
    }

    /** Field checks that collect violations instead of stopping at the first. */
    record Checks(List<InvalidConfigException.Violation> bad) {
        void positive(String field, long v) {
            if (v <= 0) {
                bad.add(new InvalidConfigException.Violation(field, "must be positive, got " + v));
            }
        }

        void nonNegative(String field, double v) {
            if (!(v >= 0) || Double.isInfinite(v)) {
                bad.add(new InvalidConfigException.Violation(field, "must be finite and non-negative, got " + v));
            }
        }

        void notNull(String field, Object v) {
            if (v == null) {
                bad.add(new InvalidConfigException.Violation(field, "is required"));
            }
        }

        void widths(String field, List<Integer> widths) {
            if (widths == null) {
                bad.add(new InvalidConfigException.Violation(field, "is required (may be empty)"));
                return;
            }
            for (int i = 0; i < widths.size(); i++) {
                if (widths.get(i) == null || widths.get(i) <= 0) {
                    bad.add(new InvalidConfigException.Violation(field + "[" + i + "]", "must be positive, got " + widths.get(i)));
                }
            }
        }

        void groups(String field, List<Integer> groups, int latentDim) {
            if (groups.size() != latentDim) {
                bad.add(new InvalidConfigException.Violation(field, "needs one group index per latent dimension (" + latentDim
                        + "), got " + groups.size()));
                return;
            }
            int max = -1;
            for (int i = 0; i < groups.size(); i++) {
                Integer g = groups.get(i);
                if (g == null || g < 0) {
                    bad.add(new InvalidConfigException.Violation(field + "[" + i + "]", "must be a group index >= 0, got " + g));
                    return;
                }
                max = Math.max(max, g);
            }
            boolean[] used = new boolean[max + 1];
            for (int g : groups) {
                used[g] = true;
            }
            for (int g = 0; g <= max; g++) {
                if (!used[g]) {
                    bad.add(new InvalidConfigException.Violation(field, "group " + g + " has no dimension (indices must be 0.."
                            + max + " with none skipped)"));
                    return;
                }
            }
        }
    }

    /** Defaults: no hidden layer list (set one), ReLU, Bernoulli, N(0, I), ELBO, closed-form KL, β = 1. */
    public static final class Builder {
        private final int dataDim;
        private final int latentDim;
        private List<Integer> hidden = List.of();
        private Activation activation = Activation.RELU;
        private Likelihood likelihood = Likelihood.BERNOULLI;
        private PriorSpec prior = new PriorSpec.StandardNormal();
        private Objective objective = Objective.ELBO;
        private int samples = 1;
        private KlEstimator kl = KlEstimator.ANALYTIC;
        private float beta = 1f;
        private long warmupSteps;
        private float freeBits;
        private List<Integer> freeBitsGroups = List.of();
        private float capacityMax;
        private long capacitySteps;
        private float capacityGamma;
        private long seed;

        private Builder(int dataDim, int latentDim) {
            this.dataDim = dataDim;
            this.latentDim = latentDim;
        }

        public Builder hidden(int... widths) {
            List<Integer> h = new ArrayList<>();
            for (int w : widths) {
                h.add(w);
            }
            this.hidden = h;
            return this;
        }

        public Builder activation(Activation a) {
            this.activation = a;
            return this;
        }

        public Builder likelihood(Likelihood l) {
            this.likelihood = l;
            return this;
        }

        /** Sets the prior; a prior other than N(0, I) switches the KL to the sample estimate. */
        public Builder prior(PriorSpec p) {
            this.prior = p;
            if (!(p instanceof PriorSpec.StandardNormal)) {
                this.kl = KlEstimator.SAMPLE;
            }
            return this;
        }

        public Builder elbo() {
            this.objective = Objective.ELBO;
            this.samples = 1;
            return this;
        }

        public Builder iwae(int k) {
            this.objective = Objective.IWAE;
            this.samples = k;
            return this;
        }

        public Builder kl(KlEstimator k) {
            this.kl = k;
            return this;
        }

        public Builder beta(float b) {
            this.beta = b;
            return this;
        }

        public Builder warmupSteps(long n) {
            this.warmupSteps = n;
            return this;
        }

        /** Free bits λ with one group per latent dimension. */
        public Builder freeBits(float lambda) {
            this.freeBits = lambda;
            this.freeBitsGroups = List.of();
            return this;
        }

        /** Free bits λ per group; {@code groupOf[i]} is latent dimension i's group. */
        public Builder freeBits(float lambda, int... groupOf) {
            this.freeBits = lambda;
            List<Integer> g = new ArrayList<>();
            for (int i : groupOf) {
                g.add(i);
            }
            this.freeBitsGroups = g;
            return this;
        }

        /** Controlled capacity (Burgess et al. 2018): γ·|KL − C|, C rising to cMax over {@code steps}. */
        public Builder capacity(float cMax, long steps, float gamma) {
            this.capacityMax = cMax;
            this.capacitySteps = steps;
            this.capacityGamma = gamma;
            return this;
        }

        public Builder seed(long s) {
            this.seed = s;
            return this;
        }

        public VaeConfig build() {
            return new VaeConfig(dataDim, hidden, latentDim, activation, likelihood, prior, objective, samples, kl, beta,
                    warmupSteps, freeBits, freeBitsGroups, capacityMax, capacitySteps, capacityGamma, seed);
        }
    }
}
