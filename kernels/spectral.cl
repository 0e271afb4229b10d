// Spectral normalization by power iteration (Miyato et al. 2018), in the soft form of invertible
// ResNets (Behrmann et al. 2019): W_sn = W / max(1, sigma / c) with a Lipschitz coefficient c < 1,
// so a layer's spectral norm is at most c and is left alone when it is already below c.
//
//   W: M x N (OUT x IN, row-major, contiguous), u: M (persisted across steps), v: N.
//   One power iteration:  v = normalize(W^T u);  u = normalize(W v).
//   sigma = u^T W v, differentiated in W with u, v held fixed: d sigma / dW = u v^T.
//   Soft normalization:   s = max(1, sigma / c);  W_sn = W / s.
//   Its backward (dWsn given; g = sum_k dWsn[k] W[k]):
//       dW = dWsn / s                            when sigma <= c (s = 1)
//       dW = dWsn / s - g / (s^2 c) * u v^T      when sigma >  c (ds/dsigma = 1/c)
//
// Every tensor argument is a device buffer plus an element offset. Scalars that the host never
// reads during a step (sigma, g) stay on the device as 1-element buffers.
// Parameter gradients accumulate (beta = 1) or are assigned (beta = 0, dW not read).
//
// Determinism: matrix-vector products are one work-item per output element with a fixed loop
// order; norms run in one work-group of WG work-items (fixed strided folds, then a tree of exactly
// log2(WG) levels in local memory); dot products run in work-groups over fixed chunks whose
// partials one work-group then sums in order. No atomics.

#ifndef WG
#define WG 256
#endif

// Below this norm a vector counts as zero: it is then left at zero instead of divided by ~0.
#define SPECTRAL_EPS 1e-12f

// Sum over the work-group of one float per work-item; every work-item gets the total. The loop runs
// log2(WG) levels whatever happens, with WG equal to the launch's local size.
inline float spectral_tree_sum(__local float* lm, const float a) {
    const int l = get_local_id(0);
    lm[l] = a;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int h = WG >> 1; h > 0; h >>= 1) {
        if (l < h) {
            lm[l] += lm[l + h];
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    const float total = lm[0];
    barrier(CLK_LOCAL_MEM_FENCE);
    return total;
}

// y[i] = sum_j W[i, j] x[j], i < M (the u update before normalization: W v).  Global M.
__kernel void spectral_matvec(__global float* y, const int offY, __global const float* W, const int offW,
                              __global const float* x, const int offX, const int M, const int N) {
    const int i = get_global_id(0);
    if (i < M) {
        float acc = 0.0f;
        for (int j = 0; j < N; j++) {
            acc = fma(W[offW + i * N + j], x[offX + j], acc);
        }
        y[offY + i] = acc;
    }
}

// y[j] = sum_i W[i, j] x[i], j < N (the v update before normalization: W^T u).  Global N; reads
// of W are coalesced across work-items.
__kernel void spectral_matvec_t(__global float* y, const int offY, __global const float* W, const int offW,
                                __global const float* x, const int offX, const int M, const int N) {
    const int j = get_global_id(0);
    if (j < N) {
        float acc = 0.0f;
        for (int i = 0; i < M; i++) {
            acc = fma(W[offW + i * N + j], x[offX + i], acc);
        }
        y[offY + j] = acc;
    }
}

// x = x / ||x|| in place (left as is when ||x|| < SPECTRAL_EPS).  One work-group of WG.
__kernel void spectral_normalize(__global float* x, const int offX, const int n, __local float* lm) {
    const int l = get_local_id(0);
    float a = 0.0f;
    for (int k = l; k < n; k += WG) {
        const float e = x[offX + k];
        a = fma(e, e, a);
    }
    const float norm = sqrt(spectral_tree_sum(lm, a));
    if (norm >= SPECTRAL_EPS) {
        const float inv = 1.0f / norm;
        for (int k = l; k < n; k += WG) {
            x[offX + k] *= inv;
        }
    }
}

// One power iteration and sigma for a small W in ONE work-group of WG (the host allows it when
// M * N is within its FUSE_MAX and v, W v and the tree fit in local memory):
//   v = normalize(W^T u);  wv = W v;  u = normalize(wv);  sigma = u . wv
// and copies of u, v and sigma (uc, vc, sc: the snapshots a recorded normalization reads in its
// backward). The same fma orders, strided folds and trees as spectral_matvec_t, spectral_normalize,
// spectral_matvec and spectral_dot_partial / _final with one partial (the host requires
// M <= 16 * WG, where the dot product has one partial), so the results are bitwise those of the
// seven launches it replaces. lv: N floats, lw: M floats, lm: WG floats of local memory.
__kernel void spectral_power_sigma(__global float* u, const int offU, __global float* v, const int offV,
                                   __global const float* W, const int offW, const int M, const int N,
                                   __global float* sigma, const int offS, __global float* uc, const int offUc,
                                   __global float* vc, const int offVc, __global float* sc, const int offSc,
                                   __local float* lm, __local float* lv, __local float* lw) {
    const int l = get_local_id(0);
    for (int j = l; j < N; j += WG) {
        float acc = 0.0f;
        for (int i = 0; i < M; i++) {
            acc = fma(W[offW + i * N + j], u[offU + i], acc);
        }
        lv[j] = acc;
    }
    // Every read of the old u happens before any work-item writes the new one (global fence).
    barrier(CLK_LOCAL_MEM_FENCE | CLK_GLOBAL_MEM_FENCE);
    float a = 0.0f;
    for (int k = l; k < N; k += WG) {
        const float e = lv[k];
        a = fma(e, e, a);
    }
    const float nv = sqrt(spectral_tree_sum(lm, a));
    if (nv >= SPECTRAL_EPS) {
        const float inv = 1.0f / nv;
        for (int k = l; k < N; k += WG) {
            lv[k] *= inv;
        }
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int i = l; i < M; i += WG) {
        float acc = 0.0f;
        for (int j = 0; j < N; j++) {
            acc = fma(W[offW + i * N + j], lv[j], acc);
        }
        lw[i] = acc;
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    a = 0.0f;
    for (int k = l; k < M; k += WG) {
        const float e = lw[k];
        a = fma(e, e, a);
    }
    const float nu = sqrt(spectral_tree_sum(lm, a));
    const float invU = 1.0f / nu;
    float d = 0.0f;
    for (int k = l; k < M; k += WG) {
        const float wv = lw[k];
        const float uk = nu >= SPECTRAL_EPS ? wv * invU : wv;
        u[offU + k] = uk;
        uc[offUc + k] = uk;
        d = fma(uk, wv, d);
    }
    for (int k = l; k < N; k += WG) {
        v[offV + k] = lv[k];
        vc[offVc + k] = lv[k];
    }
    const float s = spectral_tree_sum(lm, d);
    if (l == 0) {
        sigma[offS] = s;
        sc[offSc] = s;
    }
}

// Dot product a . b over n elements in two passes (sigma = u . (W v) and the backward's
// g = dWsn . W). Pass 1: work-group g folds [g * chunk, min(n, (g + 1) * chunk)) with stride WG and
// a tree, writing part[g]. Pass 2 (one work-group): out[0] = sum of the G partials in a fixed order.
// The host derives G and chunk from n alone, so the result does not depend on timing.
__kernel void spectral_dot_partial(__global float* part, __global const float* a, const int offA,
                                   __global const float* b, const int offB, const int n, const int chunk,
                                   __local float* lm) {
    const int l = get_local_id(0);
    const int lo = get_group_id(0) * chunk;
    const int hi = min(n, lo + chunk);
    float acc = 0.0f;
    for (int k = lo + l; k < hi; k += WG) {
        acc = fma(a[offA + k], b[offB + k], acc);
    }
    const float total = spectral_tree_sum(lm, acc);
    if (l == 0) {
        part[get_group_id(0)] = total;
    }
}

__kernel void spectral_dot_final(__global float* out, const int offOut, __global const float* part, const int G,
                                 __local float* lm) {
    const int l = get_local_id(0);
    float acc = 0.0f;
    for (int k = l; k < G; k += WG) {
        acc += part[k];
    }
    const float total = spectral_tree_sum(lm, acc);
    if (l == 0) {
        out[offOut] = total;
    }
}

// dW[i, j] = beta * dW[i, j] + dsigma[0] * u[i] * v[j].  Global (N, M).
__kernel void spectral_sigma_backward(__global float* dW, const int offDW, __global const float* dsigma, const int offDS,
                                      __global const float* u, const int offU, __global const float* v, const int offV,
                                      const float beta, const int M, const int N) {
    const int j = get_global_id(0);
    const int i = get_global_id(1);
    if (i < M && j < N) {
        const float g = dsigma[offDS] * u[offU + i] * v[offV + j];
        const int k = offDW + i * N + j;
        dW[k] = beta == 0.0f ? g : beta * dW[k] + g;
    }
}

// Wsn[k] = W[k] / max(lo, sigma[0] / c), k < n = M * N.  lo 1: the soft normalization of
// invertible ResNets; lo 0: W / (sigma / c), the full normalization of SN-GAN (Miyato et al. 2018).
// Global n.
__kernel void spectral_soft_normalize(__global float* Wsn, const int offWsn, __global const float* W, const int offW,
                                      __global const float* sigma, const int offS, const float c, const float lo,
                                      const int n) {
    const int k = get_global_id(0);
    if (k < n) {
        const float s = fmax(lo, sigma[offS] / c);
        Wsn[offWsn + k] = W[offW + k] / s;
    }
}

// dW[i, j] = beta * dW[i, j] + dWsn[i, j] / s - [sigma / c > lo] g / (s^2 c) * u[i] v[j],
// s = max(lo, sigma / c).  Global (N, M).
__kernel void spectral_soft_normalize_backward(__global float* dW, const int offDW,
                                               __global const float* dWsn, const int offDWsn,
                                               __global const float* g, const int offG,
                                               __global const float* sigma, const int offS,
                                               __global const float* u, const int offU,
                                               __global const float* v, const int offV,
                                               const float c, const float lo, const float beta, const int M,
                                               const int N) {
    const int j = get_global_id(0);
    const int i = get_global_id(1);
    if (i < M && j < N) {
        const float ratio = sigma[offS] / c;
        const float s = fmax(lo, ratio);
        const float coef = ratio > lo ? -g[offG] / (s * s * c) : 0.0f;
        const int k = i * N + j;
        const float d = dWsn[offDWsn + k] / s + coef * u[offU + i] * v[offV + j];
        dW[offDW + k] = beta == 0.0f ? d : beta * dW[offDW + k] + d;
    }
}
