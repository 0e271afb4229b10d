package org.genzoo.host.ops;

import org.genzoo.host.tensor.Tensor;

/** Argument checks shared by the ops whose kernels read small fixed-shape tensors (scalars, per-row values). */
final class ShapeChecks {
    private ShapeChecks() {
    }

    /** {@code s} must be 1 x 1. */
    static void scalar(Tensor s, String what) {
        if (s.rows() != 1 || s.cols() != 1) {
            throw new IllegalArgumentException(what + " must be 1 x 1, got " + s.shape());
        }
    }

    /** {@code v} must be a contiguous {@code rows} x 1 column (one value per row). */
    static void column(Tensor v, int rows, String what) {
        if (!v.contiguous() || v.rows() != rows || v.cols() != 1) {
            throw new IllegalArgumentException(what + " must be a contiguous " + rows + " x 1 tensor, got " + v.shape());
        }
    }
}
