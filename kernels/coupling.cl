// RealNVP affine coupling, the elementwise part (Dinh, Sohl-Dickstein & Bengio 2017, "Density
// estimation using Real NVP"). The scale/shift network runs as ordinary GEMMs on the masked input
// m ⊙ x; these kernels take its output h = [raw | t] and do the rest:
//
//   forward  (x -> y):  y_j = x_j                                for m_j = 1 (passes through)
//                       y_j = x_j · exp(s_j) + t_j               for m_j = 0
//                       logdet = Σ_{j: m_j = 0} s_j
//   inverse  (y -> x):  x_j = (y_j − t_j) · exp(−s_j) for m_j = 0, x_j = y_j otherwise;
//                       logdet = −Σ_{j: m_j = 0} s_j
//   with the bounded log-scale s_j = S · tanh(raw_j / S) (S = bound > 0), or s_j = raw_j (S = 0).
//
//   backward of forward:  dx_j = dy_j · exp(s_j)               (m_j = 0; dy_j when m_j = 1)
//                         ds_j = dy_j · x_j · exp(s_j) + dlogdet
//                         dt_j = dy_j,  draw_j = ds_j · (1 − tanh²(raw_j / S))
//   backward of inverse:  e = exp(−s_j), dy_j = dx_j · e, dt_j = −dx_j · e,
//                         ds_j = −dx_j · (y_j − t_j) · e − dlogdet
//   dh is zero in the columns of passed-through dimensions. Nothing is saved by the forward: the
//   backward recomputes s from h.
//
//   Chained log-dets (hasPrev = 1): the forward and inverse write logdet = prev + (± Σ s), the
//   running sum of a flow's layers in one launch (the same float addition as a separate add), and
//   the backward also writes dprev = betaPrev·dprev + dlogdet (the work-item of column 0 of a row).
//   With hasPrev = 0 prev and dprev are not touched (the host may pass any buffer there).
//
// Shapes: x, y, dx, dy: B x D; h, dh: B x 2D (raw in columns [0, D), t in [D, 2D)); logdet,
// dlogdet: B x 1; mask: 1 x D of 0/1, contiguous. Every other operand is a view addressed as
// base[off + r * ld + c]. Gradient outputs: dx is written with beta (0 assigns and never reads dx,
// 1 accumulates: the network's backward also adds into dx); dh is assigned.
//
// Work decomposition: the log-det is a per-row sum, so forward and inverse give each row LX
// work-items (LX = 1 for narrow data, one row per work-item; else a power of two and a tree
// reduction in local memory, fixed order, deterministic) and each work-group LY rows. The
// backward kernels are purely elementwise (one work-item per element).
//
// ROWVEC = 1 (CPU devices, wide rows; needs LX = 1): a work-item runs its row in float16 chunks
// with explicit vector math (PoCL vectorizes across work-items only where the work-item body has
// no loop of its own, so the per-row loop above would run scalar exp calls), 16 partial log-det
// sums added in a fixed order at the end, then the D % 16 tail; affine_coupling_backward_vec does
// the backward 16 columns per work-item the same way.

#ifndef LX
#define LX 1
#endif
#ifndef LY
#define LY 64
#endif
#ifndef ROWVEC
#define ROWVEC 0
#endif

#include "lanes.cl"

// tanh from one exp: PoCL's tanh is a scalar library call on the CPU device, exp vectorizes.
// tanh|u| = (1 − e) / (1 + e) with e = exp(−2|u|) in (0, 1]: no overflow; near 0 the absolute
// error stays at float rounding (~6e-8), which is all the bounded log-scale needs.
inline float gz_tanh(float u) {
    float e = exp(-2.0f * fabs(u));
    return copysign((1.0f - e) / (1.0f + e), u);
}

// The bounded log-scale and tanh(raw / S) (th = 0 when unbounded, so 1 − th² = 1).
inline float coupling_scale(float raw, float bound, float* th) {
    if (bound > 0.0f) {
        float u = gz_tanh(raw / bound);
        *th = u;
        return bound * u;
    }
    *th = 0.0f;
    return raw;
}

// coupling_scale on 16 values at once (the same operations as gz_tanh and coupling_scale).
inline float16 coupling_scale16(float16 raw, float bound, float16* th) {
    if (bound > 0.0f) {
        const float16 u = raw / bound;
        const float16 e = exp(-2.0f * fabs(u));
        const float16 t = copysign((1.0f - e) / (1.0f + e), u);
        *th = t;
        return bound * t;
    }
    *th = (float16)(0.0f);
    return raw;
}

// Sum of the LX partial sums of this row in local memory (fixed order); every work-item of the
// row gets the total. part has LX * LY floats.
inline float coupling_row_sum(__local float* part, float v) {
#if LX == 1
    return v;
#else
    const int lx = get_local_id(0);
    const int base = get_local_id(1) * LX;
    part[base + lx] = v;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int w = LX / 2; w > 0; w >>= 1) {
        if (lx < w) {
            part[base + lx] += part[base + lx + w];
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    return part[base];
#endif
}

// direction = +1: forward; −1: inverse. Shared body of the two row kernels.
inline void coupling_rows(__global float* out, int oo, int ldo, __global float* logdet, int lo, int ldl,
                          __global const float* in, int io, int ldi, __global const float* h, int ho, int ldh,
                          __global const float* mask, float bound, int B, int D, int direction,
                          __global const float* prev, int po, int ldp, int hasPrev, __local float* part) {
    const int r = get_global_id(1);
    float acc = 0.0f;
#if ROWVEC
    int c0 = 0;
    if (r < B) {
        float16 acc16 = (float16)(0.0f);
        for (; c0 + 16 <= D; c0 += 16) {
            const float16 v = vload16(0, in + io + r * ldi + c0);
            const int16 pass = vload16(0, mask + c0) != 0.0f;
            float16 th;
            const float16 s = coupling_scale16(vload16(0, h + ho + r * ldh + c0), bound, &th);
            const float16 t = vload16(0, h + ho + r * ldh + D + c0);
            float16 o;
            if (direction > 0) {
                o = v * exp(s) + t;
            } else {
                o = (v - t) * exp(-s);
            }
            vstore16(select(o, v, pass), 0, out + oo + r * ldo + c0);
            acc16 += select(s, (float16)(0.0f), pass);
        }
        // The 16 partial sums as a fixed tree (halves added pairwise), through lanes.cl's gz_hsum16:
        // the same additions as acc16.lo + acc16.hi ... a2.x + a2.y, but in the two forms that
        // Oclgrind 21.10's uninitialized-value checker can run (the plain a2.x + a2.y becomes a
        // shufflevector with an undef mask lane, on which it dies with SIGSEGV; see lanes.cl).
        acc = gz_hsum16(acc16);
    }
#else
    const int c0 = get_local_id(0);
#endif
    if (r < B) {
        for (int c = c0; c < D; c += LX) {
            float v = in[io + r * ldi + c];
            if (mask[c] != 0.0f) {
                out[oo + r * ldo + c] = v;
            } else {
                float th;
                float s = coupling_scale(h[ho + r * ldh + c], bound, &th);
                float t = h[ho + r * ldh + D + c];
                out[oo + r * ldo + c] = direction > 0 ? v * exp(s) + t : (v - t) * exp(-s);
                acc += s;
            }
        }
    }
    float total = coupling_row_sum(part, acc);
    if (r < B && get_local_id(0) == 0) {
        const float own = direction > 0 ? total : -total;
        logdet[lo + r * ldl] = hasPrev ? prev[po + r * ldp] + own : own;
    }
}

__kernel __attribute__((reqd_work_group_size(LX, LY, 1)))
void affine_coupling_forward(__global float* y, const int yo, const int ldy,
                             __global float* logdet, const int lo, const int ldl,
                             __global const float* x, const int xo, const int ldx,
                             __global const float* h, const int ho, const int ldh,
                             __global const float* mask, const float bound, const int B, const int D,
                             __global const float* prev, const int po, const int ldp, const int hasPrev) {
    __local float part[LX * LY];
    coupling_rows(y, yo, ldy, logdet, lo, ldl, x, xo, ldx, h, ho, ldh, mask, bound, B, D, 1, prev, po, ldp, hasPrev, part);
}

__kernel __attribute__((reqd_work_group_size(LX, LY, 1)))
void affine_coupling_inverse(__global float* x, const int xo, const int ldx,
                             __global float* logdet, const int lo, const int ldl,
                             __global const float* y, const int yo, const int ldy,
                             __global const float* h, const int ho, const int ldh,
                             __global const float* mask, const float bound, const int B, const int D,
                             __global const float* prev, const int po, const int ldp, const int hasPrev) {
    __local float part[LX * LY];
    coupling_rows(x, xo, ldx, logdet, lo, ldl, y, yo, ldy, h, ho, ldh, mask, bound, B, D, -1, prev, po, ldp, hasPrev, part);
}

// The backward of one element (c, r): din's value and dh's raw and t columns of c.
static inline void coupling_backward_one(__global float* din, const int dio, const int lddi,
                                       __global float* dh, const int dho, const int lddh,
                                       __global const float* dout, const int doo, const int lddo,
                                       __global const float* dlogdet, const int dlo, const int lddl,
                                       __global const float* in, const int io, const int ldi,
                                       __global const float* h, const int ho, const int ldh,
                                       __global const float* mask, const float bound, const float beta,
                                       const int direction, const int D, const int r, const int c) {
    float g = dout[doo + r * lddo + c];
    float dv;
    float draw = 0.0f;
    float dt = 0.0f;
    if (mask[c] != 0.0f) {
        dv = g;
    } else {
        float th;
        float raw = h[ho + r * ldh + c];
        float s = coupling_scale(raw, bound, &th);
        float t = h[ho + r * ldh + D + c];
        float v = in[io + r * ldi + c];
        float dl = dlogdet[dlo + r * lddl];
        float ds;
        if (direction > 0) {
            float e = exp(s);
            dv = g * e;
            ds = g * v * e + dl;
            dt = g;
        } else {
            float e = exp(-s);
            dv = g * e;
            dt = -g * e;
            ds = -g * (v - t) * e - dl;
        }
        draw = ds * (1.0f - th * th);
    }
    __global float* p = din + dio + r * lddi + c;
    *p = beta == 0.0f ? dv : beta * *p + dv;
    dh[dho + r * lddh + c] = draw;
    dh[dho + r * lddh + D + c] = dt;
}

// dprev[r] = betaPrev·dprev[r] + dlogdet[r] (betaPrev == 0 does not read dprev): the chained log-det's
// gradient passed on to the layer before.
static inline void coupling_dprev(__global float* dprev, const int dpo, const int lddp, const float betaPrev,
                                  __global const float* dlogdet, const int dlo, const int lddl, const int r) {
    const float dl = dlogdet[dlo + r * lddl];
    __global float* q = dprev + dpo + r * lddp;
    *q = betaPrev == 0.0f ? dl : betaPrev * *q + dl;
}

// One work-item per element (c, r) of the B x D data; dh's raw and t columns of c are written by
// the same work-item. direction = +1: backward of forward (in = x); −1: backward of inverse (in = y).
__kernel void affine_coupling_backward(__global float* din, const int dio, const int lddi,
                                       __global float* dh, const int dho, const int lddh,
                                       __global const float* dout, const int doo, const int lddo,
                                       __global const float* dlogdet, const int dlo, const int lddl,
                                       __global const float* in, const int io, const int ldi,
                                       __global const float* h, const int ho, const int ldh,
                                       __global const float* mask, const float bound, const float beta,
                                       const int direction, const int B, const int D,
                                       __global float* dprev, const int dpo, const int lddp, const float betaPrev,
                                       const int hasPrev) {
    const int c = get_global_id(0);
    const int r = get_global_id(1);
    if (c >= D || r >= B) {
        return;
    }
    coupling_backward_one(din, dio, lddi, dh, dho, lddh, dout, doo, lddo, dlogdet, dlo, lddl, in, io, ldi, h, ho, ldh,
                          mask, bound, beta, direction, D, r, c);
    if (hasPrev && c == 0) {
        coupling_dprev(dprev, dpo, lddp, betaPrev, dlogdet, dlo, lddl, r);
    }
}

#if ROWVEC
// affine_coupling_backward with 16 columns per work-item: work-item (g, r) owns columns
// [16g, min(16g + 16, D)) of row r (same arguments, same formulas). LAUNCH: global
// {ceil(D / 16), B} (rounded up to the local size), any local size.
__kernel void affine_coupling_backward_vec(__global float* din, const int dio, const int lddi,
                                           __global float* dh, const int dho, const int lddh,
                                           __global const float* dout, const int doo, const int lddo,
                                           __global const float* dlogdet, const int dlo, const int lddl,
                                           __global const float* in, const int io, const int ldi,
                                           __global const float* h, const int ho, const int ldh,
                                           __global const float* mask, const float bound, const float beta,
                                           const int direction, const int B, const int D,
                                           __global float* dprev, const int dpo, const int lddp, const float betaPrev,
                                           const int hasPrev) {
    const int c0 = get_global_id(0) * 16;
    const int r = get_global_id(1);
    if (c0 >= D || r >= B) {
        return;
    }
    if (hasPrev && c0 == 0) {
        coupling_dprev(dprev, dpo, lddp, betaPrev, dlogdet, dlo, lddl, r);
    }
    if (c0 + 16 <= D) {
        const float16 g = vload16(0, dout + doo + r * lddo + c0);
        const int16 pass = vload16(0, mask + c0) != 0.0f;
        float16 th;
        const float16 s = coupling_scale16(vload16(0, h + ho + r * ldh + c0), bound, &th);
        const float16 t = vload16(0, h + ho + r * ldh + D + c0);
        const float16 v = vload16(0, in + io + r * ldi + c0);
        const float dl = dlogdet[dlo + r * lddl];
        float16 dv, dt, ds;
        if (direction > 0) {
            const float16 e = exp(s);
            dv = g * e;
            ds = g * v * e + dl;
            dt = g;
        } else {
            const float16 e = exp(-s);
            dv = g * e;
            dt = -g * e;
            ds = -g * (v - t) * e - dl;
        }
        const float16 zero = (float16)(0.0f);
        dv = select(dv, g, pass);
        const float16 draw = select(ds * (1.0f - th * th), zero, pass);
        dt = select(dt, zero, pass);
        __global float* p = din + dio + r * lddi + c0;
        vstore16(beta == 0.0f ? dv : beta * vload16(0, p) + dv, 0, p);
        vstore16(draw, 0, dh + dho + r * lddh + c0);
        vstore16(dt, 0, dh + dho + r * lddh + D + c0);
        return;
    }
    for (int c = c0; c < D; c++) {
        coupling_backward_one(din, dio, lddi, dh, dho, lddh, dout, doo, lddo, dlogdet, dlo, lddl, in, io, ldi, h, ho, ldh,
                              mask, bound, beta, direction, D, r, c);
    }
}
#endif
