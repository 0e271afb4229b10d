// Kernels used only by the binding contract tests.

// y[i] = a * x[i] + y[i] for i < n.
__kernel void saxpy(__global float* y, __global const float* x, const float a, const int n) {
    int i = get_global_id(0);
    if (i < n) {
        y[i] = a * x[i] + y[i];
    }
}

// One partial sum per work-group: a fixed-order tree reduction in local memory.
// partial[group] = sum of x[i] over the group's grid-stride slice. WG must be a power of two.
__kernel void reduce_sum(__global float* partial, __global const float* x, __local float* scratch, const int n) {
    int lid = get_local_id(0);
    int wg = get_local_size(0);
    float acc = 0.0f;
    for (int i = get_global_id(0); i < n; i += get_global_size(0)) {
        acc += x[i];
    }
    scratch[lid] = acc;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = wg / 2; s > 0; s >>= 1) {
        if (lid < s) {
            scratch[lid] += scratch[lid + s];
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (lid == 0) {
        partial[get_group_id(0)] = scratch[0];
    }
}

__kernel void empty(__global float* unused) {
}
