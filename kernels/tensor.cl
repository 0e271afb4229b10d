// Tensor housekeeping: fill and strided 2-D copy. Row-major, every operand addressed as
// base[off + r * ld + c]. One work-item per element, global size (cols, rows).

// x[r, c] = value.  x: R x C view (offX, ldX).
__kernel void fill(__global float* x, const int offX, const int ldX, const float value, const int R, const int C) {
    int c = get_global_id(0);
    int r = get_global_id(1);
    if (r < R && c < C) {
        x[offX + r * ldX + c] = value;
    }
}

// y[r, c] = x[r, c].  y, x: R x C views.
__kernel void copy2d(__global float* y, const int offY, const int ldY,
                     __global const float* x, const int offX, const int ldX, const int R, const int C) {
    int c = get_global_id(0);
    int r = get_global_id(1);
    if (r < R && c < C) {
        y[offY + r * ldY + c] = x[offX + r * ldX + c];
    }
}

// Gather rows by index: y[r, c] = x[idx[r], c]. Minibatches from a device-resident dataset.
// y: R x C view; x: N x C view (rows indexed by idx, each 0 <= idx[r] < N, checked on the host);
// idx: R ints.
__kernel void gather_rows(__global float* y, const int offY, const int ldY,
                          __global const float* x, const int offX, const int ldX,
                          __global const int* idx, const int offIdx, const int R, const int C) {
    int c = get_global_id(0);
    int r = get_global_id(1);
    if (r < R && c < C) {
        y[offY + r * ldY + c] = x[offX + idx[offIdx + r] * ldX + c];
    }
}
