package org.genzoo.models.train;

import java.util.List;
import java.util.function.LongToIntFunction;
import org.genzoo.host.autograd.Tape;
import org.genzoo.host.autograd.Var;
import org.genzoo.host.tensor.Tensor;

/**
 * One part of a training step ({@link TrainableModel#phases()}). The trainer runs a step's phases in
 * order, each {@link #repeats(long)} times; after every run it steps the optimizers of the phase's
 * {@link #groups()} (their schedules, clipping and moments), which leaves those groups' gradients zeroed.
 *
 * <ul>
 * <li>{@link #backward}: the phase records a loss on a recording tape; the trainer runs the backward
 * and steps the groups. Gradients that reach parameters of other groups are zeroed afterwards, so a
 * discriminator update never leaks into the generator's next update.</li>
 * <li>{@link #statistics}: no backward. The phase runs on an evaluation tape ({@link Tape#noGrad}) and
 * writes the gradient of the objective to minimize into the {@link org.genzoo.host.autograd.Param#grad()}
 * of its groups' parameters itself (they are zero when it starts), as contrastive divergence does:
 * grad W = ⟨v hᵀ⟩_model − ⟨v hᵀ⟩_data. A phase with no groups updates nothing (a sampling sweep that
 * only advances persistent chains).</li>
 * </ul>
 *
 * <p>Each run may return a 1 x 1 value on the device (the loss, or a monitor such as a reconstruction
 * error; null for none). The step's training loss (metrics.csv, NaN/Inf check) is the value of the
 * last phase run in the step that returned one; with more than one phase, each phase's value (its last
 * run in a step) is also logged as {@code loss_<phase name>}, averaged over the log window like the
 * loss. A phase must not read anything back from the device.
 */
public final class Phase {
    /** Records the loss to minimize (1 x 1) for one run of a backward phase. */
    @FunctionalInterface
    public interface Backward {
        Var loss(Tape tape, StepContext ctx);
    }

    /**
     * One run of a phase without backward: writes its groups' gradients and returns a 1 x 1 value
     * (allocated on {@code tape} or owned by the model) or null.
     */
    @FunctionalInterface
    public interface Statistics {
        Tensor run(Tape tape, StepContext ctx);
    }

    private final String name;
    private final List<String> groups;
    private final LongToIntFunction repeats;
    private final Backward backward;
    private final Statistics statistics;

    private Phase(String name, List<String> groups, LongToIntFunction repeats, Backward backward, Statistics statistics) {
        if (name == null || !name.matches("[A-Za-z0-9_-]+")) {
            throw new IllegalArgumentException("a phase name is [A-Za-z0-9_-]+, got '" + name + "'");
        }
        this.name = name;
        this.groups = List.copyOf(groups);
        this.repeats = repeats;
        this.backward = backward;
        this.statistics = statistics;
    }

    /** A phase with a loss and its backward, updating {@code group}, once per step. */
    public static Phase backward(String name, String group, Backward loss) {
        return backward(name, List.of(group), s -> 1, loss);
    }

    /**
     * A phase with a loss and its backward, updating {@code groups}, {@code repeats.applyAsInt(step)}
     * times in the step with 0-based index {@code step} (0 skips it; WGAN's 100 critic updates early on).
     */
    public static Phase backward(String name, List<String> groups, LongToIntFunction repeats, Backward loss) {
        return new Phase(name, groups, repeats, loss, null);
    }

    /** A phase without backward that writes {@code group}'s gradients itself, once per step. */
    public static Phase statistics(String name, String group, Statistics run) {
        return statistics(name, List.of(group), s -> 1, run);
    }

    /** A phase without backward that writes the gradients of {@code groups} (may be empty) itself. */
    public static Phase statistics(String name, List<String> groups, LongToIntFunction repeats, Statistics run) {
        return new Phase(name, groups, repeats, null, run);
    }

    public String name() {
        return name;
    }

    /** The parameter groups this phase updates, by name. */
    public List<String> groups() {
        return groups;
    }

    /** Runs of this phase in the step with 0-based index {@code step}. */
    public int repeats(long step) {
        int n = repeats.applyAsInt(step);
        if (n < 0) {
            throw new IllegalStateException("phase " + name + " asked for " + n + " repeats at step " + (step + 1));
        }
        return n;
    }

    /** True for a phase with a backward pass. */
    public boolean hasBackward() {
        return backward != null;
    }

    public Backward backward() {
        return backward;
    }

    public Statistics statistics() {
        return statistics;
    }

    @Override
    public String toString() {
        return name + (hasBackward() ? " (backward" : " (statistics") + ", groups " + groups + ")";
    }
}
