package org.genzoo.host.autograd;

import java.util.ArrayList;
import java.util.List;
import org.genzoo.host.Device;
import org.genzoo.host.tensor.Tensor;

/**
 * A reverse-mode tape. While a tape is active on this thread ({@link #record}), the ops in
 * {@link F} compute their outputs into tensors the tape owns and record a backward step;
 * {@link #backward(Var)} replays those steps in reverse. Closing the tape returns every temporary
 * to the device's pool. In {@link #noGrad} mode nothing is recorded (evaluation).
 */
public final class Tape implements AutoCloseable {
    private static final ThreadLocal<Tape> CURRENT = new ThreadLocal<>();

    private final Device device;
    private final boolean grad;
    private final Tape previous;
    private final List<Runnable> steps = new ArrayList<>();
    private final List<Tensor> owned = new ArrayList<>();
    private boolean closed;
    private boolean backwardDone;

    private Tape(Device device, boolean grad) {
        this.device = device;
        this.grad = grad;
        this.previous = CURRENT.get();
        CURRENT.set(this);
    }

    /** Starts recording on this thread. */
    public static Tape record(Device device) {
        return new Tape(device, true);
    }

    /** Starts a tape that computes but records no backward steps. */
    public static Tape noGrad(Device device) {
        return new Tape(device, false);
    }

    /** The active tape. */
    public static Tape current() {
        Tape t = CURRENT.get();
        if (t == null) {
            throw new IllegalStateException("no tape is active: wrap the computation in try (Tape t = Tape.record(device)) {...}");
        }
        return t;
    }

    public Device device() {
        return device;
    }

    public boolean recording() {
        return grad;
    }

    /** A temporary this tape owns until it closes. */
    public Tensor alloc(int rows, int cols) {
        Tensor t = Tensor.empty(device, rows, cols);
        owned.add(t);
        return t;
    }

    /** A parameter on the tape: gradients flow into {@link Param#grad()}, accumulating. */
    public Var param(Param p) {
        return new Var(p.value(), p, grad);
    }

    /** A value that needs no gradient (data, targets, noise). */
    public Var constant(Tensor t) {
        return new Var(t, null, false);
    }

    /** A value that collects a gradient although it is not a parameter (e.g. an input to inspect). */
    public Var leaf(Tensor t) {
        return new Var(t, null, grad);
    }

    Var result(Tensor value, boolean requiresGrad) {
        return new Var(value, null, grad && requiresGrad);
    }

    void onBackward(Runnable step) {
        if (grad) {
            steps.add(step);
        }
    }

    /** Backpropagates from a 1 x 1 loss, seeding d loss = 1. */
    public void backward(Var loss) {
        backward(loss, 1f);
    }

    /** Backpropagates from a 1 x 1 loss with d loss = {@code seed} (e.g. -1 to maximize). */
    public void backward(Var loss, float seed) {
        if (!grad) {
            throw new IllegalStateException("backward on a noGrad tape");
        }
        if (backwardDone) {
            throw new IllegalStateException("backward already ran on this tape; record a new tape for the next step");
        }
        if (loss.rows() != 1 || loss.cols() != 1) {
            throw new IllegalArgumentException("backward needs a 1 x 1 loss, got " + loss.value().shape());
        }
        if (!loss.requiresGrad()) {
            throw new IllegalArgumentException("the loss does not depend on any parameter");
        }
        backwardDone = true;
        loss.prepareGrad(this);
        loss.grad().fill(seed);
        for (int i = steps.size() - 1; i >= 0; i--) {
            steps.get(i).run();
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (Tensor t : owned) {
            t.close();
        }
        owned.clear();
        steps.clear();
        if (CURRENT.get() == this) {
            if (previous == null) {
                CURRENT.remove();
            } else {
                CURRENT.set(previous);
            }
        }
    }
}
