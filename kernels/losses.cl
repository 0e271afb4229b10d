// Per-example log-likelihoods and divergences for VAEs and IWAEs, forward and backward.
//
// Shapes: inputs are R x C row-major views (R examples, C dimensions), every operand addressed
// base[off + r * ld + c]. A per-row output `out` is R x 1 (addressed out[offOut + r * ldOut]);
// its incoming gradient dOut is R x 1 too.
//
// Forward kernels come in two variants with the same arguments:
//   rows   one work-item per row (global size R), summing the row's C terms in index order with
//          Kahan compensation (the first kernel of each pair below);
//   group  the *_group kernels: one work-group per row, laid out by lanes.cl (GROUP_WG work-items
//          of LANE_VW-wide vectors; global (GROUP_WG, R), local (GROUP_WG, 1), or (1, any) when
//          GROUP_WG is 1); each lane sums its
//          elements with Kahan compensation, then lanes and work-items combine in fixed trees.
// Both run in a fixed order with no atomics, so the same inputs give bitwise the same sums on a
// device (the two variants round differently from each other). Backward kernels are elementwise,
// global size (C, R), except log-mean-exp's, which has the same two per-row variants. Every
// backward writes
//     d = beta * d + contribution
// where beta = 0 assigns and never reads d (it may hold garbage or NaN) and beta = 1 accumulates.
//
// Math (sums over c = 0..C-1; log2pi = log(2 pi); softplus(l) = log(1 + e^l)):
//   bernoulli_loglik         out[r] = sum_c x*l - softplus(l)          (log p(x | logits l))
//                            each term as (x*l - max(l, 0)) - log1p(exp(-|l|)), the first part
//                            (x - 1)*l for l >= 0: no overflow at |l| = 400, and no cancellation
//                            when x = 1, l >> 0 (term -log1p(exp(-l)) ~ -2e-9 at l = 20)
//     backward               dl = dOut[r] * (x - sigmoid(l))
//   gaussian_logdensity      out[r] = sum_c -0.5 * (log2pi + lv + (x - mu)^2 * exp(-lv))
//     backward               dx = -dOut[r] * (x - mu) * exp(-lv),  dmu = -dx,
//                            dlv = dOut[r] * 0.5 * ((x - mu)^2 * exp(-lv) - 1)
//   std_normal_logdensity    out[r] = sum_c -0.5 * (log2pi + x^2);      dx = -dOut[r] * x
//   kl_normal                out[r] = 0.5 * sum_c mu^2 + exp(lv) - 1 - lv
//                            = KL(N(mu, diag exp(lv)) || N(0, I)), Kingma & Welling 2014,
//                            "Auto-Encoding Variational Bayes", appendix B. exp(lv) - 1 - lv is
//                            computed without cancellation: its Taylor series for |lv| < 1/2,
//                            expm1(lv) - lv beyond, so a small per-dimension KL keeps its digits.
//   kl_normal_per_dim        out[r, c] = 0.5 * (mu^2 + exp(lv) - 1 - lv), out: R x C (free bits)
//     backward (both)        dmu = g * mu,  dlv = g * 0.5 * expm1(lv), with g = dOut[r] (per row)
//                            or dOut[r, c] (per dim): dOut is read at offD + r*ldD + c*incD
//   log_mean_exp             out[r] = log((1/K) sum_k exp(a[r, k])), a: R x K (IWAE bound over K
//                            importance samples, Burda, Grosse & Salakhutdinov 2016), computed as
//                            m + log(sum_k exp(a_k - m)) - log K with m = max_k a_k; a row of
//                            all -inf gives -inf
//     backward               da[r, k] = dOut[r] * w_k, w_k = exp(a_k - m) / sum_j exp(a_j - m)
//                            (the normalized importance weights); 0 for a row of all -inf

#include "mathutil.cl"
#include "lanes.cl"

#define LOG_2PI 1.8378770664093453f

// Kahan-compensated running sum: sum += v.
#define KAHAN_ADD(sum, comp, v) { float y_ = (v) - comp; float t_ = sum + y_; comp = (t_ - sum) - y_; sum = t_; }

// x*l - softplus(l) = (x*l - max(l, 0)) - log1p(exp(-|l|)).
inline float bernoulli_term(float x, float l) {
    float lin = l >= 0.0f ? (x - 1.0f) * l : x * l;
    return lin - gz_log1p(exp(-fabs(l)));
}

inline float sigmoid_f(float l) {
    float e = exp(-fabs(l));
    return l >= 0.0f ? 1.0f / (1.0f + e) : e / (1.0f + e);
}

inline float blend(float beta, float old, float contrib) {
    return beta == 0.0f ? contrib : beta * old + contrib;
}

// out: R x 1; x, l: R x C.
__kernel void bernoulli_loglik(__global float* out, const int offOut, const int ldOut,
                               __global const float* x, const int offX, const int ldX,
                               __global const float* l, const int offL, const int ldL,
                               const int R, const int C) {
    int r = get_global_id(0);
    if (r < R) {
        float sum = 0.0f, comp = 0.0f;
        for (int c = 0; c < C; c++) {
            KAHAN_ADD(sum, comp, bernoulli_term(x[offX + r * ldX + c], l[offL + r * ldL + c]));
        }
        out[offOut + r * ldOut] = sum;
    }
}

// dl: R x C; dOut: R x 1; x, l: R x C.
__kernel void bernoulli_loglik_backward(__global float* dl, const int offDl, const int ldDl,
                                        __global const float* dOut, const int offD, const int ldD,
                                        __global const float* x, const int offX, const int ldX,
                                        __global const float* l, const int offL, const int ldL,
                                        const float beta, const int R, const int C) {
    int c = get_global_id(0);
    int r = get_global_id(1);
    if (r < R && c < C) {
        float g = dOut[offD + r * ldD] * (x[offX + r * ldX + c] - sigmoid_f(l[offL + r * ldL + c]));
        int i = offDl + r * ldDl + c;
        dl[i] = blend(beta, beta == 0.0f ? 0.0f : dl[i], g);
    }
}

// out: R x 1; x, mu, lv: R x C.
__kernel void gaussian_logdensity(__global float* out, const int offOut, const int ldOut,
                                  __global const float* x, const int offX, const int ldX,
                                  __global const float* mu, const int offMu, const int ldMu,
                                  __global const float* lv, const int offLv, const int ldLv,
                                  const int R, const int C) {
    int r = get_global_id(0);
    if (r < R) {
        float sum = 0.0f, comp = 0.0f;
        for (int c = 0; c < C; c++) {
            float d = x[offX + r * ldX + c] - mu[offMu + r * ldMu + c];
            float v = lv[offLv + r * ldLv + c];
            KAHAN_ADD(sum, comp, -0.5f * (LOG_2PI + v + d * d * exp(-v)));
        }
        out[offOut + r * ldOut] = sum;
    }
}

// dx, dmu, dlv: R x C, each written only when its bit of `which` is set (1 = dx, 2 = dmu,
// 4 = dlv; an unset one may be any buffer); dOut: R x 1; x, mu, lv: R x C.
__kernel void gaussian_logdensity_backward(__global float* dx, const int offDx, const int ldDx,
                                           __global float* dmu, const int offDmu, const int ldDmu,
                                           __global float* dlv, const int offDlv, const int ldDlv,
                                           const int which,
                                           __global const float* dOut, const int offD, const int ldD,
                                           __global const float* x, const int offX, const int ldX,
                                           __global const float* mu, const int offMu, const int ldMu,
                                           __global const float* lv, const int offLv, const int ldLv,
                                           const float beta, const int R, const int C) {
    int c = get_global_id(0);
    int r = get_global_id(1);
    if (r < R && c < C) {
        float g = dOut[offD + r * ldD];
        float d = x[offX + r * ldX + c] - mu[offMu + r * ldMu + c];
        float iv = exp(-lv[offLv + r * ldLv + c]);
        float gx = -g * d * iv;
        if (which & 1) {
            int i = offDx + r * ldDx + c;
            dx[i] = blend(beta, beta == 0.0f ? 0.0f : dx[i], gx);
        }
        if (which & 2) {
            int i = offDmu + r * ldDmu + c;
            dmu[i] = blend(beta, beta == 0.0f ? 0.0f : dmu[i], -gx);
        }
        if (which & 4) {
            int i = offDlv + r * ldDlv + c;
            dlv[i] = blend(beta, beta == 0.0f ? 0.0f : dlv[i], 0.5f * g * (d * d * iv - 1.0f));
        }
    }
}

// out: R x 1; x: R x C.
__kernel void std_normal_logdensity(__global float* out, const int offOut, const int ldOut,
                                    __global const float* x, const int offX, const int ldX,
                                    const int R, const int C) {
    int r = get_global_id(0);
    if (r < R) {
        float sum = 0.0f, comp = 0.0f;
        for (int c = 0; c < C; c++) {
            float v = x[offX + r * ldX + c];
            KAHAN_ADD(sum, comp, -0.5f * (LOG_2PI + v * v));
        }
        out[offOut + r * ldOut] = sum;
    }
}

// dx: R x C; dOut: R x 1; x: R x C.
__kernel void std_normal_logdensity_backward(__global float* dx, const int offDx, const int ldDx,
                                             __global const float* dOut, const int offD, const int ldD,
                                             __global const float* x, const int offX, const int ldX,
                                             const float beta, const int R, const int C) {
    int c = get_global_id(0);
    int r = get_global_id(1);
    if (r < R && c < C) {
        float g = -dOut[offD + r * ldD] * x[offX + r * ldX + c];
        int i = offDx + r * ldDx + c;
        dx[i] = blend(beta, beta == 0.0f ? 0.0f : dx[i], g);
    }
}

// exp(v) - 1 - v >= 0. For |v| < 1/2 the series v^2/2! + ... + v^9/9! (truncation < 3e-9
// relative); beyond, expm1(v) - v loses at most a few bits.
inline float expm1_minus_x(float v) {
    if (fabs(v) < 0.5f) {
        float p = 1.0f / 362880.0f;
        p = p * v + 1.0f / 40320.0f;
        p = p * v + 1.0f / 5040.0f;
        p = p * v + 1.0f / 720.0f;
        p = p * v + 1.0f / 120.0f;
        p = p * v + 1.0f / 24.0f;
        p = p * v + 1.0f / 6.0f;
        p = p * v + 0.5f;
        return p * v * v;
    }
    return expm1(v) - v;
}

inline float kl_term(float m, float v) {
    return 0.5f * (m * m + expm1_minus_x(v));
}

// out: R x 1; mu, lv: R x C.
__kernel void kl_normal(__global float* out, const int offOut, const int ldOut,
                        __global const float* mu, const int offMu, const int ldMu,
                        __global const float* lv, const int offLv, const int ldLv,
                        const int R, const int C) {
    int r = get_global_id(0);
    if (r < R) {
        float sum = 0.0f, comp = 0.0f;
        for (int c = 0; c < C; c++) {
            KAHAN_ADD(sum, comp, kl_term(mu[offMu + r * ldMu + c], lv[offLv + r * ldLv + c]));
        }
        out[offOut + r * ldOut] = sum;
    }
}

// out, mu, lv: R x C.
__kernel void kl_normal_per_dim(__global float* out, const int offOut, const int ldOut,
                                __global const float* mu, const int offMu, const int ldMu,
                                __global const float* lv, const int offLv, const int ldLv,
                                const int R, const int C) {
    int c = get_global_id(0);
    int r = get_global_id(1);
    if (r < R && c < C) {
        out[offOut + r * ldOut + c] = kl_term(mu[offMu + r * ldMu + c], lv[offLv + r * ldLv + c]);
    }
}

// dmu, dlv: R x C; dOut read at offD + r*ldD + c*incD (incD = 0: R x 1 per-row gradient,
// incD = 1: R x C per-dim gradient); mu, lv: R x C.
__kernel void kl_normal_backward(__global float* dmu, const int offDmu, const int ldDmu,
                                 __global float* dlv, const int offDlv, const int ldDlv,
                                 __global const float* dOut, const int offD, const int ldD, const int incD,
                                 __global const float* mu, const int offMu, const int ldMu,
                                 __global const float* lv, const int offLv, const int ldLv,
                                 const float beta, const int R, const int C) {
    int c = get_global_id(0);
    int r = get_global_id(1);
    if (r < R && c < C) {
        float g = dOut[offD + r * ldD + c * incD];
        int iMu = offDmu + r * ldDmu + c;
        int iLv = offDlv + r * ldDlv + c;
        dmu[iMu] = blend(beta, beta == 0.0f ? 0.0f : dmu[iMu], g * mu[offMu + r * ldMu + c]);
        dlv[iLv] = blend(beta, beta == 0.0f ? 0.0f : dlv[iLv], 0.5f * g * expm1(lv[offLv + r * ldLv + c]));
    }
}

// out: R x 1; a: R x K.
__kernel void log_mean_exp(__global float* out, const int offOut, const int ldOut,
                           __global const float* a, const int offA, const int ldA,
                           const int R, const int K) {
    int r = get_global_id(0);
    if (r < R) {
        __global const float* row = a + offA + r * ldA;
        float m = -INFINITY;
        for (int k = 0; k < K; k++) {
            m = fmax(m, row[k]);
        }
        float res = -INFINITY;
        if (m != -INFINITY) {
            float s = 0.0f, comp = 0.0f;
            for (int k = 0; k < K; k++) {
                KAHAN_ADD(s, comp, exp(row[k] - m));
            }
            res = m + (log(s) - log((float)K));
        }
        out[offOut + r * ldOut] = res;
    }
}

// da: R x K; dOut: R x 1; a: R x K.
__kernel void log_mean_exp_backward(__global float* da, const int offDa, const int ldDa,
                                    __global const float* dOut, const int offD, const int ldD,
                                    __global const float* a, const int offA, const int ldA,
                                    const float beta, const int R, const int K) {
    int r = get_global_id(0);
    if (r < R) {
        __global const float* row = a + offA + r * ldA;
        __global float* drow = da + offDa + r * ldDa;
        float m = -INFINITY;
        for (int k = 0; k < K; k++) {
            m = fmax(m, row[k]);
        }
        float scale = 0.0f;
        if (m != -INFINITY) {
            float s = 0.0f, comp = 0.0f;
            for (int k = 0; k < K; k++) {
                KAHAN_ADD(s, comp, exp(row[k] - m));
            }
            scale = dOut[offD + r * ldD] / s;
        }
        for (int k = 0; k < K; k++) {
            float g = m == -INFINITY ? 0.0f : scale * exp(row[k] - m);
            drow[k] = blend(beta, beta == 0.0f ? 0.0f : drow[k], g);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Group variant: one work-group per row (see the header and lanes.cl). Same arguments as the
// per-row kernels above; launched with global (GROUP_WG, R), local (GROUP_WG, 1) or (1, any) when
// GROUP_WG is 1. Work-items past the last row fold row R - 1 again and write nothing. The terms are
// the scalar ones above, written again for floatv (LANE_VW floats).

inline floatv gz_log1p_v(floatv e) {
    floatv t = e / (2.0f + e);
    floatv t2 = t * t;
    floatv p = 1.0f / 15;
    p = fma(p, t2, 1.0f / 13);
    p = fma(p, t2, 1.0f / 11);
    p = fma(p, t2, 1.0f / 9);
    p = fma(p, t2, 1.0f / 7);
    p = fma(p, t2, 1.0f / 5);
    p = fma(p, t2, 1.0f / 3);
    p = fma(p, t2, 1.0f);
    return 2.0f * t * p;
}

inline floatv bernoulli_term_v(floatv x, floatv l) {
    floatv lin = l >= 0.0f ? (x - 1.0f) * l : x * l;
    return lin - gz_log1p_v(exp(-fabs(l)));
}

inline floatv gaussian_term_v(floatv x, floatv mu, floatv lv) {
    floatv d = x - mu;
    return -0.5f * (LOG_2PI + lv + d * d * exp(-lv));
}

inline floatv std_normal_term_v(floatv x) {
    return -0.5f * (LOG_2PI + x * x);
}

inline floatv kl_term_v(floatv m, floatv v) {
    floatv p = 1.0f / 362880.0f;
    p = p * v + 1.0f / 40320.0f;
    p = p * v + 1.0f / 5040.0f;
    p = p * v + 1.0f / 720.0f;
    p = p * v + 1.0f / 120.0f;
    p = p * v + 1.0f / 24.0f;
    p = p * v + 1.0f / 6.0f;
    p = p * v + 0.5f;
    floatv e = fabs(v) < 0.5f ? p * v * v : expm1(v) - v;
    return 0.5f * (m * m + e);
}

// total = the row's sum over c in [0, C) (lanes.cl's GROUP_LINE_SUM).
#define GROUP_ROW_SUM(total, lm, C, TERM_V, TERM_S) GROUP_LINE_SUM(total, lm, 0, C, TERM_V, TERM_S)

// out: R x 1; x, l: R x C.
__kernel void bernoulli_loglik_group(__global float* out, const int offOut, const int ldOut,
                            __global const float* x, const int offX, const int ldX,
                            __global const float* l, const int offL, const int ldL,
                            const int R, const int C) {
    __local float lm[GROUP_WG];
    const int r = min((int)get_global_id(1), R - 1);
    __global const float* xr = x + offX + r * ldX;
    __global const float* lr = l + offL + r * ldL;
    float total;
    GROUP_ROW_SUM(total, lm, C, bernoulli_term_v(vload_v(xr + c), vload_v(lr + c)), bernoulli_term(xr[c], lr[c]));
    if (get_local_id(0) == 0 && get_global_id(1) < R) {
        out[offOut + r * ldOut] = total;
    }
}

// out: R x 1; x, mu, lv: R x C.
__kernel void gaussian_logdensity_group(__global float* out, const int offOut, const int ldOut,
                               __global const float* x, const int offX, const int ldX,
                               __global const float* mu, const int offMu, const int ldMu,
                               __global const float* lv, const int offLv, const int ldLv,
                               const int R, const int C) {
    __local float lm[GROUP_WG];
    const int r = min((int)get_global_id(1), R - 1);
    __global const float* xr = x + offX + r * ldX;
    __global const float* mr = mu + offMu + r * ldMu;
    __global const float* vr = lv + offLv + r * ldLv;
    float total;
    GROUP_ROW_SUM(total, lm, C, gaussian_term_v(vload_v(xr + c), vload_v(mr + c), vload_v(vr + c)),
                  -0.5f * (LOG_2PI + vr[c] + (xr[c] - mr[c]) * (xr[c] - mr[c]) * exp(-vr[c])));
    if (get_local_id(0) == 0 && get_global_id(1) < R) {
        out[offOut + r * ldOut] = total;
    }
}

// out: R x 1; x: R x C.
__kernel void std_normal_logdensity_group(__global float* out, const int offOut, const int ldOut,
                                 __global const float* x, const int offX, const int ldX,
                                 const int R, const int C) {
    __local float lm[GROUP_WG];
    const int r = min((int)get_global_id(1), R - 1);
    __global const float* xr = x + offX + r * ldX;
    float total;
    GROUP_ROW_SUM(total, lm, C, std_normal_term_v(vload_v(xr + c)), -0.5f * (LOG_2PI + xr[c] * xr[c]));
    if (get_local_id(0) == 0 && get_global_id(1) < R) {
        out[offOut + r * ldOut] = total;
    }
}

// out: R x 1; mu, lv: R x C.
__kernel void kl_normal_group(__global float* out, const int offOut, const int ldOut,
                     __global const float* mu, const int offMu, const int ldMu,
                     __global const float* lv, const int offLv, const int ldLv,
                     const int R, const int C) {
    __local float lm[GROUP_WG];
    const int r = min((int)get_global_id(1), R - 1);
    __global const float* mr = mu + offMu + r * ldMu;
    __global const float* vr = lv + offLv + r * ldLv;
    float total;
    GROUP_ROW_SUM(total, lm, C, kl_term_v(vload_v(mr + c), vload_v(vr + c)), kl_term(mr[c], vr[c]));
    if (get_local_id(0) == 0 && get_global_id(1) < R) {
        out[offOut + r * ldOut] = total;
    }
}

// The row's max m (NaN ignored, as fmax does) and, unless m = -inf, s = sum_k exp(a_k - m); every
// work-item of the group gets both.
inline float2 lme_row_group(__local float* lm, __global const float* ar, const int K) {
    const int vend = lanes_vend(0, K);
    floatv mv = -INFINITY;
    for (int c = get_local_id(0) * LANE_VW; c < vend; c += GROUP_WG * LANE_VW) {
        mv = fmax(mv, vload_v(ar + c));
    }
    float mt = -INFINITY;
    for (int c = vend + get_local_id(0); c < K; c += GROUP_WG) {
        mt = fmax(mt, ar[c]);
    }
    const float m = group_max(lm, fmax(hmax_v(mv), mt));
    float s = 0.0f;
    if (m != -INFINITY) {  // the same for the whole group, so every work-item reaches the barriers
        GROUP_ROW_SUM(s, lm, K, exp(vload_v(ar + c) - m), exp(ar[c] - m));
    }
    return (float2)(m, s);
}

// out: R x 1; a: R x K.
__kernel void log_mean_exp_group(__global float* out, const int offOut, const int ldOut,
                        __global const float* a, const int offA, const int ldA,
                        const int R, const int K) {
    __local float lm[GROUP_WG];
    const int r = min((int)get_global_id(1), R - 1);
    const float2 ms = lme_row_group(lm, a + offA + r * ldA, K);
    if (get_local_id(0) == 0 && get_global_id(1) < R) {
        out[offOut + r * ldOut] = ms.x == -INFINITY ? -INFINITY : ms.x + (log(ms.y) - log((float)K));
    }
}

// da: R x K; dOut: R x 1; a: R x K.
__kernel void log_mean_exp_backward_group(__global float* da, const int offDa, const int ldDa,
                                 __global const float* dOut, const int offD, const int ldD,
                                 __global const float* a, const int offA, const int ldA,
                                 const float beta, const int R, const int K) {
    __local float lm[GROUP_WG];
    const int r = min((int)get_global_id(1), R - 1);
    __global const float* row = a + offA + r * ldA;
    __global float* drow = da + offDa + r * ldDa;
    const float2 ms = lme_row_group(lm, row, K);
    if (get_global_id(1) >= R) {
        return;  // after the last barrier
    }
    const float m = ms.x;
    const float scale = m == -INFINITY ? 0.0f : dOut[offD + r * ldD] / ms.y;
    const int vend = lanes_vend(0, K);
    for (int c = get_local_id(0) * LANE_VW; c < vend; c += GROUP_WG * LANE_VW) {
        floatv g = m == -INFINITY ? (floatv)0.0f : scale * exp(vload_v(row + c) - m);
        if (beta != 0.0f) {
            g = beta * vload_v(drow + c) + g;
        }
        vstore_gv(g, drow + c);
    }
    for (int c = vend + get_local_id(0); c < K; c += GROUP_WG) {
        float g = m == -INFINITY ? 0.0f : scale * exp(row[c] - m);
        drow[c] = blend(beta, beta == 0.0f ? 0.0f : drow[c], g);
    }
}

// ---------------------------------------------------------------------------------------------
// Group variants of the elementwise kernels (bernoulli_loglik_backward, kl_normal_per_dim,
// kl_normal_backward), with their arguments: each row is walked by one work-group in the lanes.cl
// layout (GROUP_WG work-items of LANE_VW-wide vectors, then the tail one element at a time) and
// launched like the group forwards, so a CPU runs one vector loop per row instead of one work-item
// per element. No reduction: every element gets the scalar kernel's expression (in vector form).

inline floatv sigmoid_v(floatv l) {
    floatv e = exp(-fabs(l));
    return l >= 0.0f ? 1.0f / (1.0f + e) : e / (1.0f + e);
}

// d[c .. c + LANE_VW) = beta * d + g (beta = 0: assigned, d not read).
inline void blend_store_v(__global float* d, float beta, floatv g) {
    vstore_gv(beta == 0.0f ? g : beta * vload_v(d) + g, d);
}

// One row of the Bernoulli backward in the group layout: dr = beta * dr + g * (x - sigmoid(l))
// over c in [0, C).
inline void bernoulli_backward_row(__global float* dr, __global const float* xr, __global const float* lr,
                                   const float g, const float beta, const int C) {
    const int vend = lanes_vend(0, C);
    for (int c = get_local_id(0) * LANE_VW; c < vend; c += GROUP_WG * LANE_VW) {
        blend_store_v(dr + c, beta, g * (vload_v(xr + c) - sigmoid_v(vload_v(lr + c))));
    }
    for (int c = vend + get_local_id(0); c < C; c += GROUP_WG) {
        dr[c] = blend(beta, beta == 0.0f ? 0.0f : dr[c], g * (xr[c] - sigmoid_f(lr[c])));
    }
}

// dl: R x C; dOut: R x 1; x, l: R x C.
__kernel void bernoulli_loglik_backward_group(__global float* dl, const int offDl, const int ldDl,
                                              __global const float* dOut, const int offD, const int ldD,
                                              __global const float* x, const int offX, const int ldX,
                                              __global const float* l, const int offL, const int ldL,
                                              const float beta, const int R, const int C) {
    const int r = get_global_id(1);
    if (r >= R) {
        return;
    }
    bernoulli_backward_row(dl + offDl + r * ldDl, x + offX + r * ldX, l + offL + r * ldL, dOut[offD + r * ldD], beta, C);
}

// out, mu, lv: R x C.
__kernel void kl_normal_per_dim_group(__global float* out, const int offOut, const int ldOut,
                                      __global const float* mu, const int offMu, const int ldMu,
                                      __global const float* lv, const int offLv, const int ldLv,
                                      const int R, const int C) {
    const int r = get_global_id(1);
    if (r >= R) {
        return;
    }
    __global const float* mr = mu + offMu + r * ldMu;
    __global const float* vr = lv + offLv + r * ldLv;
    __global float* orow = out + offOut + r * ldOut;
    const int vend = lanes_vend(0, C);
    for (int c = get_local_id(0) * LANE_VW; c < vend; c += GROUP_WG * LANE_VW) {
        vstore_gv(kl_term_v(vload_v(mr + c), vload_v(vr + c)), orow + c);
    }
    for (int c = vend + get_local_id(0); c < C; c += GROUP_WG) {
        orow[c] = kl_term(mr[c], vr[c]);
    }
}

// One row of the KL backward in the group layout: dmr = beta * dmr + g * mu and
// dvr = beta * dvr + g * 0.5 * expm1(lv) over c in [0, C), with g = g0 when incD == 0 (one
// gradient for the row; gr is not read) and g = gr[c] when incD == 1.
inline void kl_backward_row(__global float* dmr, __global float* dvr, const float g0, __global const float* gr, const int incD,
                            __global const float* mr, __global const float* vr, const float beta, const int C) {
    const int vend = lanes_vend(0, C);
    for (int c = get_local_id(0) * LANE_VW; c < vend; c += GROUP_WG * LANE_VW) {
        floatv g = incD == 0 ? (floatv)g0 : vload_v(gr + c);
        blend_store_v(dmr + c, beta, g * vload_v(mr + c));
        blend_store_v(dvr + c, beta, 0.5f * g * expm1(vload_v(vr + c)));
    }
    for (int c = vend + get_local_id(0); c < C; c += GROUP_WG) {
        float g = incD == 0 ? g0 : gr[c];
        dmr[c] = blend(beta, beta == 0.0f ? 0.0f : dmr[c], g * mr[c]);
        dvr[c] = blend(beta, beta == 0.0f ? 0.0f : dvr[c], 0.5f * g * expm1(vr[c]));
    }
}

// dmu, dlv: R x C; dOut read at offD + r*ldD + c*incD (0: R x 1, 1: R x C); mu, lv: R x C.
__kernel void kl_normal_backward_group(__global float* dmu, const int offDmu, const int ldDmu,
                                       __global float* dlv, const int offDlv, const int ldDlv,
                                       __global const float* dOut, const int offD, const int ldD, const int incD,
                                       __global const float* mu, const int offMu, const int ldMu,
                                       __global const float* lv, const int offLv, const int ldLv,
                                       const float beta, const int R, const int C) {
    const int r = get_global_id(1);
    if (r >= R) {
        return;
    }
    __global const float* gr = dOut + offD + r * ldD;
    kl_backward_row(dmu + offDmu + r * ldDmu, dlv + offDlv + r * ldDlv, gr[0], gr, incD, mu + offMu + r * ldMu,
                    lv + offLv + r * ldLv, beta, C);
}

// ---- the ELBO from its per-row terms (one launch each way) ------------------------------------
//
// elbo_terms: rec, kl R x 1 (log p(x | z) and KL per example); out[offOut + 0..3] gets
//     loss = beta * mean(kl) - mean(rec),  elbo = mean(rec) - mean(kl),  mean(rec),  mean(kl).
// One work-group of GROUP_WG work-items (global = local = GROUP_WG): work-item w sums rows
// w, w + GROUP_WG, ... in order, then group_sum's fixed tree; no atomics, the same sums every run.
__kernel void elbo_terms(__global float* out, const int offOut,
                         __global const float* rec, const int offRec, const int ldRec,
                         __global const float* kl, const int offKl, const int ldKl,
                         const float beta, const int R) {
    __local float lm[GROUP_WG];
    float a = 0.0f;
    float b = 0.0f;
    for (int r = get_local_id(0); r < R; r += GROUP_WG) {
        a += rec[offRec + r * ldRec];
        b += kl[offKl + r * ldKl];
    }
    const float m = group_sum(lm, a) / R;
    const float k = group_sum(lm, b) / R;
    if (get_local_id(0) == 0) {
        out[offOut] = beta * k - m;
        out[offOut + 1] = m - k;
        out[offOut + 2] = m;
        out[offOut + 3] = k;
    }
}

// Backward of elbo_terms' loss, g = dLoss[offDLoss]: dRec[r] = betaRec * dRec[r] - g / R and
// dKl[r] = betaKl * dKl[r] + beta * g / R (a beta of 0 assigns without reading); writeRec or
// writeKl = 0 leaves that gradient alone. Global size R (one work-item per row).
__kernel void elbo_terms_backward(__global float* dRec, const int offDRec, const int ldDRec,
                                  __global float* dKl, const int offDKl, const int ldDKl,
                                  __global const float* dLoss, const int offDLoss,
                                  const float beta, const float betaRec, const float betaKl,
                                  const int writeRec, const int writeKl, const int R) {
    const int r = get_global_id(0);
    if (r >= R) {
        return;
    }
    const float g = dLoss[offDLoss] / R;
    if (writeRec) {
        __global float* d = dRec + offDRec + r * ldDRec;
        *d = blend(betaRec, betaRec == 0.0f ? 0.0f : *d, -g);
    }
    if (writeKl) {
        __global float* d = dKl + offDKl + r * ldDKl;
        *d = blend(betaKl, betaKl == 0.0f ? 0.0f : *d, beta * g);
    }
}

// ---- the Bernoulli-decoder, standard-normal-prior ELBO in fewer launches ------------------------
//
// A VAE's usual loss, beta * mean_r KL(N(mu_r, exp(lv_r)) || N(0, I)) - mean_r log p(x_r | l_r),
// in three launches instead of seven: bernoulli_normal_rows gives both per-row terms at once
// (rec: R x 1 as bernoulli_loglik, kl: R x 1 as kl_normal, x, l: R x C, mu, lv: R x Z), elbo_terms
// reduces them, and bernoulli_normal_elbo_backward writes the three input gradients from the
// loss's gradient g = dLoss[offDLoss] (what elbo_terms_backward, bernoulli_loglik_backward and
// kl_normal_backward write through the per-row columns, with the same expressions, so the same
// bits):
//     dl  = betaL * dl + (-g / R) * (x - sigmoid(l))
//     dmu = betaKl * dmu + (beta * g / R) * mu,  dlv = betaKl * dlv + (beta * g / R) * 0.5 * expm1(lv)
// writeL = 0 leaves dl alone, writeKl = 0 dmu and dlv (their arguments may then be any buffer).

// Group layout (launched as the *_group kernels above, over R rows).
__kernel void bernoulli_normal_rows_group(__global float* rec, const int offRec, const int ldRec,
                                          __global float* kl, const int offKl, const int ldKl,
                                          __global const float* x, const int offX, const int ldX,
                                          __global const float* l, const int offL, const int ldL,
                                          __global const float* mu, const int offMu, const int ldMu,
                                          __global const float* lv, const int offLv, const int ldLv,
                                          const int R, const int C, const int Z) {
    __local float lm[GROUP_WG];
    const int r = min((int)get_global_id(1), R - 1);
    __global const float* xr = x + offX + r * ldX;
    __global const float* lr = l + offL + r * ldL;
    __global const float* mr = mu + offMu + r * ldMu;
    __global const float* vr = lv + offLv + r * ldLv;
    float totalRec;
    GROUP_ROW_SUM(totalRec, lm, C, bernoulli_term_v(vload_v(xr + c), vload_v(lr + c)), bernoulli_term(xr[c], lr[c]));
    float totalKl;
    GROUP_ROW_SUM(totalKl, lm, Z, kl_term_v(vload_v(mr + c), vload_v(vr + c)), kl_term(mr[c], vr[c]));
    if (get_local_id(0) == 0 && get_global_id(1) < R) {
        rec[offRec + r * ldRec] = totalRec;
        kl[offKl + r * ldKl] = totalKl;
    }
}

// The arguments of both bernoulli_normal_elbo_backward variants.
#define ELBO_BACKWARD_PARAMS \
    __global float* dl, const int offDl, const int ldDl, \
    __global float* dmu, const int offDmu, const int ldDmu, \
    __global float* dlv, const int offDlv, const int ldDlv, \
    __global const float* dLoss, const int offDLoss, \
    __global const float* x, const int offX, const int ldX, \
    __global const float* l, const int offL, const int ldL, \
    __global const float* mu, const int offMu, const int ldMu, \
    __global const float* lv, const int offLv, const int ldLv, \
    const float beta, const float betaL, const float betaKl, \
    const int writeL, const int writeKl, const int R, const int C, const int Z

__kernel void bernoulli_normal_elbo_backward_group(ELBO_BACKWARD_PARAMS) {
    const int r = get_global_id(1);
    if (r >= R) {
        return;
    }
    const float g = dLoss[offDLoss] / R;
    if (writeL) {
        bernoulli_backward_row(dl + offDl + r * ldDl, x + offX + r * ldX, l + offL + r * ldL, -g, betaL, C);
    }
    if (writeKl) {
        kl_backward_row(dmu + offDmu + r * ldDmu, dlv + offDlv + r * ldDlv, beta * g, mu, 0, mu + offMu + r * ldMu,
                        lv + offLv + r * ldLv, betaKl, Z);
    }
}

// Elementwise layout (global (max(C, Z), R), as the other backward kernels): work-item (c, r)
// writes dl[r, c] when c < C and dmu[r, c], dlv[r, c] when c < Z.
__kernel void bernoulli_normal_elbo_backward(ELBO_BACKWARD_PARAMS) {
    const int c = get_global_id(0);
    const int r = get_global_id(1);
    if (r >= R) {
        return;
    }
    const float g = dLoss[offDLoss] / R;
    if (writeL && c < C) {
        const int i = offDl + r * ldDl + c;
        dl[i] = blend(betaL, betaL == 0.0f ? 0.0f : dl[i], -g * (x[offX + r * ldX + c] - sigmoid_f(l[offL + r * ldL + c])));
    }
    if (writeKl && c < Z) {
        const float gk = beta * g;
        const int iMu = offDmu + r * ldDmu + c;
        const int iLv = offDlv + r * ldDlv + c;
        dmu[iMu] = blend(betaKl, betaKl == 0.0f ? 0.0f : dmu[iMu], gk * mu[offMu + r * ldMu + c]);
        dlv[iLv] = blend(betaKl, betaKl == 0.0f ? 0.0f : dlv[iLv], 0.5f * gk * expm1(lv[offLv + r * ldLv + c]));
    }
}
