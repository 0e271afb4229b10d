package org.genzoo.host.autograd;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.genzoo.host.Device;
import org.genzoo.host.tensor.Tensor;

/**
 * A reverse-mode tape. While a tape is active on this thread ({@link #record}), the ops in
 * {@link F} compute their outputs into tensors the tape owns and record a backward step;
 * {@link #backward(Var)} replays those steps in reverse. Closing the tape returns every temporary
 * to the device's pool. In {@link #noGrad} mode nothing is recorded (evaluation).
 *
 * <p>Double backward: ops that support it also record a {@link Node} whose vector-Jacobian product
 * is itself built from differentiable ops, so {@link #gradients} returns input gradients as Vars on
 * this tape (PyTorch's {@code create_graph}); a loss built from them (the WGAN-GP penalty on
 * ‖∇x D(x)‖) backpropagates into the parameters with the ordinary {@link #backward}.
 */
public final class Tape implements AutoCloseable {
    private static final ThreadLocal<Tape> CURRENT = new ThreadLocal<>();

    private final Device device;
    private final boolean grad;
    private final Tape previous;
    private final List<Runnable> steps = new ArrayList<>();
    private final List<Tensor> owned = new ArrayList<>();
    private final List<Node> nodes = new ArrayList<>();
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
        return new Var(value, null, grad && requiresGrad, true);
    }

    /**
     * The vector-Jacobian product of one op, built from differentiable ops on the active tape:
     * given d out (a Var of out's shape), the gradient Var of each input i with {@code need[i]}
     * (null elsewhere, or where the contribution is zero).
     */
    interface Vjp {
        Var[] apply(Var dout, boolean[] need);
    }

    /** One recorded op for {@link #gradients}: its output, inputs and differentiable VJP (null: none). */
    static final class Node {
        final String op;
        final Var out;
        final Var[] inputs;
        final Vjp vjp;

        Node(String op, Var out, Var[] inputs, Vjp vjp) {
            this.op = op;
            this.out = out;
            this.inputs = inputs;
            this.vjp = vjp;
        }
    }

    /**
     * Records how {@code out} was made for {@link #gradients}; {@code vjp} null marks an op without
     * a double backward (an error only when a gradient must pass through it).
     */
    void node(String op, Var out, Vjp vjp, Var... inputs) {
        if (grad) {
            Node n = new Node(op, out, inputs, vjp);
            out.node = n;
            nodes.add(n);
        }
    }

    /**
     * The gradients of Σ seed ⊙ out with respect to each of {@code wrt}, as Vars recorded on this
     * tape (differentiable again: a later {@link #backward} through a loss made from them reaches
     * every parameter they depend on). {@code seed} has out's shape (ones for the per-example
     * input gradient of a critic's B x 1 output). A {@code wrt} that out does not depend on gets a
     * zero gradient. Fails with the op's name when the path from a {@code wrt} to out crosses an
     * op without a double backward.
     */
    public Var[] gradients(Var out, Var seed, Var... wrt) {
        if (!grad) {
            throw new IllegalStateException("gradients on a noGrad tape: record with Tape.record(device)");
        }
        if (seed.rows() != out.rows() || seed.cols() != out.cols()) {
            throw new IllegalArgumentException("gradients: seed " + seed.value().shape() + " must have out's shape " + out.value().shape());
        }
        int end = nodes.size();
        // Vars out depends on, through recorded ops (reverse sweep).
        Set<Var> reach = Collections.newSetFromMap(new IdentityHashMap<>());
        reach.add(out);
        for (int i = end - 1; i >= 0; i--) {
            Node n = nodes.get(i);
            if (reach.contains(n.out)) {
                Collections.addAll(reach, n.inputs);
            }
        }
        for (Var v : reach) {
            if (v.derived() && v.node == null) {
                throw new IllegalStateException("gradients: " + v + " on the path to the output comes from an op that"
                        + " records no double backward (only the ops of F and spectral normalization do)");
            }
        }
        // Vars on a path from some wrt to out (forward sweep).
        Set<Var> needed = Collections.newSetFromMap(new IdentityHashMap<>());
        Collections.addAll(needed, wrt);
        for (int i = 0; i < end; i++) {
            Node n = nodes.get(i);
            if (!reach.contains(n.out)) {
                continue;
            }
            for (Var in : n.inputs) {
                if (needed.contains(in)) {
                    needed.add(n.out);
                    break;
                }
            }
        }
        Map<Var, Var> g = new IdentityHashMap<>();
        g.put(out, seed);
        for (int i = end - 1; i >= 0; i--) {
            Node n = nodes.get(i);
            Var dout = g.get(n.out);
            if (dout == null || !needed.contains(n.out)) {
                continue;
            }
            boolean[] need = new boolean[n.inputs.length];
            boolean any = false;
            for (int k = 0; k < need.length; k++) {
                need[k] = needed.contains(n.inputs[k]);
                any |= need[k];
            }
            if (!any) {
                continue;
            }
            if (n.vjp == null) {
                throw new IllegalStateException("gradients: op '" + n.op + "' has no double backward; use linear, matmul,"
                        + " relu, leaky relu, tanh, sigmoid and the arithmetic ops of F on the path to the input");
            }
            Var[] d = n.vjp.apply(dout, need);
            for (int k = 0; k < need.length; k++) {
                if (need[k] && d[k] != null) {
                    Var prev = g.get(n.inputs[k]);
                    g.put(n.inputs[k], prev == null ? d[k] : F.add(prev, d[k]));
                }
            }
        }
        Var[] res = new Var[wrt.length];
        for (int k = 0; k < wrt.length; k++) {
            Var d = g.get(wrt[k]);
            if (d == null) {
                Tensor z = alloc(wrt[k].rows(), wrt[k].cols());
                z.fill(0f);
                d = constant(z);
            }
            res[k] = d;
        }
        return res;
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
        nodes.clear();
        if (CURRENT.get() == this) {
            if (previous == null) {
                CURRENT.remove();
            } else {
                CURRENT.set(previous);
            }
        }
    }
}
