package org.genzoo.models.train;

/** The training loss became NaN or infinite: the run stops and the state of that step is never checkpointed. */
public final class NonFiniteLossException extends IllegalStateException {
    private final long step;
    private final float value;

    /** @param step the 1-based optimizer step whose loss was {@code value} */
    public NonFiniteLossException(long step, float value, String detail) {
        super("training loss is " + value + " at step " + step + (detail.isEmpty() ? "" : "; " + detail));
        this.step = step;
        this.value = value;
    }

    public long step() {
        return step;
    }

    public float value() {
        return value;
    }
}
