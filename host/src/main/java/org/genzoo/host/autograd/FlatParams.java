package org.genzoo.host.autograd;

import java.util.List;
import org.genzoo.host.Device;
import org.genzoo.host.tensor.Tensor;

/**
 * One optimizer's parameters laid out flat: every value in one device buffer, every gradient in
 * another, parameter {@code i} at {@code offset(i)} in both, so one kernel launch updates all of
 * them. The optimizer state (Adam's moments, SGD's momentum) uses the same layout. Each parameter's
 * {@link Param#value()} and {@link Param#grad()} become views into these buffers; the parameters
 * own them together and the last one closed frees them.
 *
 * <p>Each parameter starts at a multiple of {@link #ALIGN} floats (64 bytes, the alignment a fresh
 * pooled tensor has), so kernels see the same alignment as before; the padding is zero in every
 * buffer and stays zero under every update rule (a zero gradient on a zero weight moves nothing).
 */
final class FlatParams {
    /** Floats between parameter starts are a multiple of this (64 bytes). */
    static final int ALIGN = 16;

    private final List<Param> params;
    private final int[] offsets;
    private final Tensor values;
    private final Tensor grads;
    private int live;

    private FlatParams(Device device, List<Param> params) {
        this.params = List.copyOf(params);
        this.offsets = new int[params.size()];
        long n = 0;
        for (int i = 0; i < params.size(); i++) {
            offsets[i] = (int) n;
            n += (params.get(i).size() + ALIGN - 1) / ALIGN * ALIGN;
        }
        if (n > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("parameters total " + n + " floats, more than one flat buffer can index");
        }
        this.values = Tensor.zeros(device, 1, (int) Math.max(1, n));
        this.grads = Tensor.zeros(device, 1, (int) Math.max(1, n));
        this.live = params.size();
    }

    /**
     * Moves {@code params} (values and accumulated gradients copied on the device) into a new flat
     * layout and returns it. Parameters already in another layout leave it.
     */
    static FlatParams pack(Device device, List<Param> params) {
        for (Param p : params) {
            if (p.value().device() != device) {
                throw new IllegalArgumentException("parameter " + p.name() + " lives on another device than its optimizer");
            }
        }
        FlatParams f = new FlatParams(device, params);
        for (int i = 0; i < params.size(); i++) {
            Param p = params.get(i);
            p.moveTo(f, f.view(f.values, i), f.view(f.grads, i));
        }
        return f;
    }

    /** True while every parameter still lives here (another optimizer over them moves them out). */
    boolean holds(List<Param> ps) {
        for (Param p : ps) {
            if (p.home() != this) {
                return false;
            }
        }
        return true;
    }

    /** Floats in each flat buffer, padding included. */
    int size() {
        return values.size();
    }

    int offset(int i) {
        return offsets[i];
    }

    Tensor values() {
        return values;
    }

    Tensor grads() {
        return grads;
    }

    /** A zeroed buffer in this layout, for optimizer state. */
    Tensor newState() {
        return Tensor.zeros(values.device(), 1, values.size());
    }

    /** Parameter {@code i}'s part of a buffer in this layout, in the parameter's shape. */
    Tensor view(Tensor flat, int i) {
        Tensor v = params.get(i).value();
        return Tensor.wrap(flat.buffer(), flat.offset() + offsets[i], v.rows(), v.cols(), v.cols());
    }

    /** One parameter has left (closed, or moved to another layout); the last one frees the buffers. */
    void release() {
        if (--live == 0) {
            values.close();
            grads.close();
        }
    }
}
