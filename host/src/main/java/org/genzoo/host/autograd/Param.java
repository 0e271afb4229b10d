package org.genzoo.host.autograd;

import org.genzoo.host.Device;
import org.genzoo.host.tensor.Tensor;

/**
 * A trainable parameter: a contiguous tensor and its gradient of the same shape. Parameter
 * gradients accumulate across backward passes until {@link #zeroGrad()}; the optimizers zero them
 * after each step.
 *
 * <p>An optimizer moves its parameters into one flat layout ({@link FlatParams}) so that one
 * launch updates them all: from then on {@link #value()} and {@link #grad()} are views into shared
 * buffers. Read them from the parameter when needed rather than keeping the tensors from before
 * the optimizer was made.
 */
public final class Param implements AutoCloseable {
    private final String name;
    private Tensor value;
    private Tensor grad;
    /** The flat layout this parameter lives in, or null while it owns its own tensors. */
    private FlatParams home;
    private boolean closed;

    public Param(String name, Device device, int rows, int cols) {
        this.name = name;
        this.value = Tensor.zeros(device, rows, cols);
        this.grad = Tensor.zeros(device, rows, cols);
    }

    public String name() {
        return name;
    }

    public Tensor value() {
        return value;
    }

    public Tensor grad() {
        return grad;
    }

    public int size() {
        return value.size();
    }

    public void zeroGrad() {
        grad.fill(0f);
    }

    FlatParams home() {
        return home;
    }

    /** Copies value and gradient into {@code value} and {@code grad} (views of {@code to}) and lives there from now on. */
    void moveTo(FlatParams to, Tensor value, Tensor grad) {
        value.copyFrom(this.value);
        grad.copyFrom(this.grad);
        leave();
        this.value = value;
        this.grad = grad;
        this.home = to;
    }

    private void leave() {
        if (home != null) {
            home.release();
        } else {
            value.close();
            grad.close();
        }
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            leave();
            home = null;
        }
    }

    @Override
    public String toString() {
        return name + " " + value.shape();
    }
}
