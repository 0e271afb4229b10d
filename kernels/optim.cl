// Optimizer updates and gradient clipping. The update kernels see a contiguous vector of n floats
// (w: weights, g: gradient, m/v: optimizer state of the same length): one parameter, or all of an
// optimizer's parameters laid out flat in one buffer each (one launch per step for all of them).
// Every element is updated by the same expression whatever the launch shape, so the flat launch
// gives bitwise the results of one launch per parameter. Each work-item takes ITERS runs of LANE_VW
// consecutive elements, each run as one vector (lanes.cl: 16 or 8 lanes on a CPU, 1 or 4 on a GPU):
// a CPU takes many vectors per work-item (ITERS in the hundreds: a few dozen work-groups for a
// million weights, instead of tens of thousands of tiny ones that PoCL schedules one by one), a GPU
// one (ITERS = 1: one element per work-item, consecutive work-items on consecutive addresses).
//
// Adam (Kingma & Ba 2015) with bias correction; AdamW (Loshchilov & Hutter 2019) decays the
// weights directly, outside the adaptive step:
//   m = b1*m + (1-b1)*g            v = b2*v + (1-b2)*g^2
//   w = w - lr*wd*w (AdamW only)   w = w - lr * (m*c1) / (sqrt(v*c2) + eps)
// with c1 = 1/(1-b1^t), c2 = 1/(1-b2^t) computed on the host for step t (1-based).
// The gradient is first multiplied by gscale[0] (a device scalar, 1 when not clipping), so global
// norm clipping needs no host round trip. The update kernels consume the gradient: they set it to
// zero once read, so the next backward pass accumulates from zero without a separate fill launch.

#include "lanes.cl"

#ifndef ITERS
#define ITERS 1
#endif

// Work-item i updates elements [lo, hi) = [i * CHUNK, min(n, (i + 1) * CHUNK)): full vectors of
// LANE_VW from lo, then the last few (fewer than LANE_VW) one by one. The host launches
// ceil(n / CHUNK) work-items.
// With ITERS = 1 the loops below run at most once and are written without loops: PoCL vectorizes
// a loop-free kernel across work-items (one element per work-item, LANE_VW = 1) and not one with
// a loop.
#define CHUNK (LANE_VW * ITERS)
#define CHUNK_BOUNDS(lo, hi, vend) \
    const int lo = get_global_id(0) * CHUNK; \
    const int hi = max(lo, min(n, lo + CHUNK)); \
    const int vend = hi - (hi - lo) % LANE_VW;
#if ITERS == 1
#define CHUNK_VECTORS(i0) if (lo < vend) { const int i0 = lo;
#define CHUNK_TAIL(i) } else { for (int i = vend; i < hi; i++) {
#define CHUNK_END } }
#else
#define CHUNK_VECTORS(i0) for (int i0 = lo; i0 < vend; i0 += LANE_VW) {
#define CHUNK_TAIL(i) } for (int i = vend; i < hi; i++) {
#define CHUNK_END }
#endif

// Whole aligned vectors: when every buffer of an update sits on a floatv boundary (they start
// their device buffers, which drivers align to CL_DEVICE_MEM_BASE_ADDR_ALIGN, and each vector
// starts a multiple of LANE_VW floats in), the kernels load and store through floatv pointers,
// which a compiler emits as one instruction each; vload_v/vstore_v on an alignment it cannot see
// became three or four narrower stores per vector on PoCL's AVX-512 target (adam_step over the
// VAE's 653k weights: 193 us, 137 us aligned). Checked at run time, so any buffer still works.
#if LANE_VW == 1
#define V_ALIGNED(p) 1
#else
#define V_ALIGNED(p) ((((ulong)(p)) & (LANE_VW * 4 - 1)) == 0)
#endif
#define VLOADA(p) (*(__global const floatv*)(p))
#define VSTOREA(x, p) (*(__global floatv*)(p) = (x))

// One Adam element; the vector and scalar paths of adam_step run this same expression, so a
// weight's update does not depend on which path or launch shape reached it.
#define ADAM_BODY(T, wi, gi, mi, vi) do { \
        gi = gi * gscale[0] + l2Wd * wi; \
        mi = b1 * mi + (1.0f - b1) * gi; \
        vi = b2 * vi + (1.0f - b2) * gi * gi; \
        wi -= lr * decoupledWd * wi; \
        wi = wi - lr * (mi * c1) / (sqrt(vi * c2) + eps); \
    } while (0)

// w, m, v, g: n floats (one parameter, or every parameter of an optimizer laid out flat: one
// launch for all of them). Layout and launch: CHUNK_BOUNDS (global ceil(n / CHUNK)). Each array is read
// once and written once (g with zeros).
// The vector of LANE_VW elements from i0, loaded and stored with LD and ST.
#define ADAM_VECTOR(LD, ST) { \
        floatv wi = LD(w + i0), gi = LD(g + i0), mi = LD(m + i0), vi = LD(v + i0); \
        ST((floatv)0.0f, g + i0); \
        ADAM_BODY(floatv, wi, gi, mi, vi); \
        ST(mi, m + i0); \
        ST(vi, v + i0); \
        ST(wi, w + i0); \
    }

__kernel void adam_step(__global float* w, __global float* m, __global float* v,
                        __global float* g, __global const float* gscale,
                        const float lr, const float b1, const float b2, const float eps,
                        const float c1, const float c2, const float decoupledWd, const float l2Wd, const int n) {
    CHUNK_BOUNDS(lo, hi, vend)
    const bool aligned = V_ALIGNED(w) && V_ALIGNED(m) && V_ALIGNED(v) && V_ALIGNED(g);
    CHUNK_VECTORS(i0)
        if (aligned) ADAM_VECTOR(VLOADA, VSTOREA) else ADAM_VECTOR(vload_v, vstore_v)
    CHUNK_TAIL(i)
        float wi = w[i], gi = g[i], mi = m[i], vi = v[i];
        g[i] = 0.0f;
        ADAM_BODY(float, wi, gi, mi, vi);
        m[i] = mi;
        v[i] = vi;
        w[i] = wi;
    CHUNK_END
}

// SGD with (heavy-ball) momentum and L2 weight decay: u = mu*u + (g + wd*w); w = w - lr*u.
#define SGD_BODY(T, wi, gi, ui) do { \
        gi = gi * gscale[0] + wd * wi; \
        ui = mu * ui + gi; \
        wi -= lr * ui; \
    } while (0)

// w, u, g: n floats; layout and launch as adam_step.
#define SGD_VECTOR(LD, ST) { \
        floatv wi = LD(w + i0), gi = LD(g + i0), ui = LD(u + i0); \
        ST((floatv)0.0f, g + i0); \
        SGD_BODY(floatv, wi, gi, ui); \
        ST(ui, u + i0); \
        ST(wi, w + i0); \
    }

__kernel void sgd_step(__global float* w, __global float* u, __global float* g, __global const float* gscale,
                       const float lr, const float mu, const float wd, const int n) {
    CHUNK_BOUNDS(lo, hi, vend)
    const bool aligned = V_ALIGNED(w) && V_ALIGNED(u) && V_ALIGNED(g);
    CHUNK_VECTORS(i0)
        if (aligned) SGD_VECTOR(VLOADA, VSTOREA) else SGD_VECTOR(vload_v, vstore_v)
    CHUNK_TAIL(i)
        float wi = w[i], gi = g[i], ui = u[i];
        g[i] = 0.0f;
        SGD_BODY(float, wi, gi, ui);
        u[i] = ui;
        w[i] = wi;
    CHUNK_END
}

// Weight clipping (WGAN): w = clamp(w, -c, c); layout and launch as adam_step.
__kernel void clip_weights(__global float* w, const int off, const float c, const int n) {
    w += off;
    CHUNK_BOUNDS(lo, hi, vend)
    CHUNK_VECTORS(i0)
        vstore_v(clamp(vload_v(w + i0), -c, c), w + i0);
    CHUNK_TAIL(i)
        w[i] = clamp(w[i], -c, c);
    CHUNK_END
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

// Sum of squares of g[off .. off + n), one partial per work-group, tree-reduced in local memory
// (fixed order). partial[slot + group] = sum over the group's grid-stride slice of g^2.
__kernel void sumsq_partial(__global float* partial, const int slot, __global const float* g, const int off,
                            const int n) {
    __local float scratch[NORM_WG];
    int lid = get_local_id(0);
    float acc = 0.0f;
    for (int i = get_global_id(0); i < n; i += get_global_size(0)) {
        float x = g[off + i];
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
