package org.genzoo.host.autograd;

import org.genzoo.host.Device;
import org.genzoo.host.tensor.Tensor;

/**
 * A trainable parameter: a contiguous tensor and its gradient of the same shape. Parameter
 * gradients accumulate across backward passes until {@link #zeroGrad()}; the optimizers zero them
 * after each step.
 */
public final class Param implements AutoCloseable {
    private final String name;
    private final Tensor value;
    private final Tensor grad;

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

    @Override
    public void close() {
        value.close();
        grad.close();
    }

    @Override
    public String toString() {
        return name + " " + value.shape();
    }
}
