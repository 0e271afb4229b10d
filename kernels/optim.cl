// Optimizer updates and gradient clipping. Every parameter is a contiguous vector of n floats
// (w: weights, g: gradient, m/v: optimizer state of the same length). One work-item per element.
//
// Adam (Kingma & Ba 2015) with bias correction; AdamW (Loshchilov & Hutter 2019) decays the
// weights directly, outside the adaptive step:
//   m = b1*m + (1-b1)*g            v = b2*v + (1-b2)*g^2
//   w = w - lr*wd*w (AdamW only)   w = w - lr * (m*c1) / (sqrt(v*c2) + eps)
// with c1 = 1/(1-b1^t), c2 = 1/(1-b2^t) computed on the host for step t (1-based).
// The gradient is first multiplied by gscale[0] (a device scalar, 1 when not clipping), so global
// norm clipping needs no host round trip. The update kernels consume the gradient: they set it to
// zero once read, so the next backward pass accumulates from zero without a separate fill launch.

__kernel void adam_step(__global float* w, __global float* m, __global float* v,
                        __global float* g, __global const float* gscale,
                        const float lr, const float b1, const float b2, const float eps,
                        const float c1, const float c2, const float decoupledWd, const float l2Wd, const int n) {
    int i = get_global_id(0);
    if (i >= n) {
        return;
    }
    float wi = w[i];
    float gi = g[i] * gscale[0] + l2Wd * wi;
    g[i] = 0.0f;
    float mi = b1 * m[i] + (1.0f - b1) * gi;
    float vi = b2 * v[i] + (1.0f - b2) * gi * gi;
    m[i] = mi;
    v[i] = vi;
    wi -= lr * decoupledWd * wi;
    w[i] = wi - lr * (mi * c1) / (sqrt(vi * c2) + eps);
}

// SGD with (heavy-ball) momentum and L2 weight decay: u = mu*u + (g + wd*w); w = w - lr*u.
__kernel void sgd_step(__global float* w, __global float* u, __global float* g, __global const float* gscale,
                       const float lr, const float mu, const float wd, const int n) {
    int i = get_global_id(0);
    if (i >= n) {
        return;
    }
    float gi = g[i] * gscale[0] + wd * w[i];
    g[i] = 0.0f;
    float ui = mu * u[i] + gi;
    u[i] = ui;
    w[i] -= lr * ui;
}

// Weight clipping (WGAN): w = clamp(w, -c, c).
__kernel void clip_weights(__global float* w, const float c, const int n) {
    int i = get_global_id(0);
    if (i < n) {
        w[i] = clamp(w[i], -c, c);
    }
}

#ifndef NORM_WG
#define NORM_WG 64
#endif

// scratch[0] = sum of every work-item's acc, in a fixed order (trip count fixed at compile time:
// PoCL 3.1 mishandles barrier loops whose trip count depends on the local size).
inline void tree_sum(__local float* scratch, int lid, float acc) {
    scratch[lid] = acc;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = NORM_WG / 2; s > 0; s >>= 1) {
        if (lid < s) {
            scratch[lid] += scratch[lid + s];
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
}

// Sum of squares of g, one partial per work-group, tree-reduced in local memory (fixed order).
// partial[slot + group] = sum over the group's grid-stride slice of g^2.
__kernel void sumsq_partial(__global float* partial, const int slot, __global const float* g, const int n) {
    __local float scratch[NORM_WG];
    int lid = get_local_id(0);
    float acc = 0.0f;
    for (int i = get_global_id(0); i < n; i += get_global_size(0)) {
        float x = g[i];
        acc += x * x;
    }
    tree_sum(scratch, lid, acc);
    if (lid == 0) {
        partial[slot + get_group_id(0)] = scratch[0];
    }
}

// One work-group: norm[0] = sqrt(sum of partial[0..count)), scale[0] = min(1, maxNorm / (norm + 1e-6)).
__kernel void clip_scale(__global float* norm, __global float* scale, __global const float* partial,
                         const int count, const float maxNorm) {
    __local float scratch[NORM_WG];
    int lid = get_local_id(0);
    float acc = 0.0f;
    for (int i = lid; i < count; i += NORM_WG) {
        acc += partial[i];
    }
    tree_sum(scratch, lid, acc);
    if (lid == 0) {
        float nrm = sqrt(scratch[0]);
        norm[0] = nrm;
        scale[0] = maxNorm > 0.0f ? fmin(1.0f, maxNorm / (nrm + 1e-6f)) : 1.0f;
    }
}
