// Reductions along rows (over columns: x R x C -> y R x 1) and along columns (over rows:
// x R x C -> y 1 x C): sum, mean, max, logsumexp, and the backward passes of sum, mean and
// logsumexp. Build-time define -DOP=<RED_SUM | RED_MEAN | RED_MAX | RED_LSE>, one program per op.
//
// Variants, each with the same arguments as the kernel it replaces and the same partial format:
//   tiled  reduce_rows / reduce_cols below: 2-D work-groups of at most WG work-items with a tree in
//          local memory, many work-items per line.
//   group  reduce_rows_group: one work-group per row (or per chunk of one) in the lanes.cl layout
//          (GROUP_WG work-items of LANE_VW-wide vectors); Kahan-compensated sums; logsumexp in two
//          branch-free passes (max, then sum of exp(x - max)) so the second pass vectorizes.
//   vec    reduce_cols_vec: one work-item per LANE_VW adjacent columns (a vector of them), running
//          down the rows of its chunk in order with Kahan compensation: one pass, no local memory,
//          coalesced on a GPU (adjacent work-items read adjacent columns) and one AVX op per
//          LANE_VW elements on a CPU. Bias gradients (B x H -> 1 x H) are one launch.
// Second passes over partials (G > 1) use the tiled *_pairs kernels whatever the first pass was.
//
// Determinism: no atomics. Each work-item folds a fixed, strided set of elements in a fixed order,
// then the work-group combines its work-items with a tree in local memory. Long lines are cut into
// G chunks, one work-group each, whose partial results go to a scratch buffer and are reduced by
// a further pass of the same shape. The host derives every launch shape (work-group size, G,
// chunk) from the tensor shape alone, so the same input on the same device gives bitwise the same
// output on every run.
//
// Accumulator: float2 a.
//   RED_SUM, RED_MEAN  a.x = running sum                           final: a.x  (mean: a.x / n)
//   RED_MAX            a.x = running max (NaN propagates)          final: a.x
//   RED_LSE            a.x = running max m, a.y = sum exp(x - m)   final: m + log(a.y)
// The logsumexp accumulator is the online (streaming) form: when a larger x arrives the sum is
// rescaled by exp(m_old - x), so every exp argument is <= 0 and nothing overflows. Rows of -inf
// give -inf; NaN propagates.
//
// Partial results (G > 1) are float2 pairs: rows pass writes part[r * G + g] (an R x G matrix),
// columns pass writes part[g * C + c] (a G x C matrix); the *_pairs kernels reduce those.
// `part` is not touched when G == 1 (the host may pass any buffer there).
//
// Output: y = beta * y + reduction; beta == 0 does not read y. The row result for row r is
// y[offY + r * ldY] (an R x 1 view), the column result for column c is y[offY + c] (a 1 x C view).
//
// Work-group sizes must be powers of two in the reduced dimension, at most WG (the host guarantees
// both and passes its WG). The trees run a fixed log2(WG) levels whatever the work-group shape:
// a barrier loop whose trip count varies with the local size (zero when one work-item owns a line)
// ran the code after it twice for one work-item under PoCL 3.1 (CPU), accumulating twice.

#ifndef WG
#define WG 256
#endif

#include "lanes.cl"

#define RED_SUM 1
#define RED_MEAN 2
#define RED_MAX 3
#define RED_LSE 4

#ifndef OP
#define OP RED_SUM
#endif

// part[i] = a, as one vstore2: clang split a plain store of (float2)(s, 0) into a store of
// <poison, 0> then one of s, which Oclgrind's uninitialized-value checker reports (the
// simulated-GPU test pass); the stored values are the same.
inline void store_part(__global float2* part, const int i, const float2 a) {
    vstore2(a, i, (__global float*)part);
}

inline float2 acc_init(void) {
#if OP == RED_SUM || OP == RED_MEAN
    return (float2)(0.0f, 0.0f);
#else
    return (float2)(-INFINITY, 0.0f);
#endif
}

// Folds one element into the accumulator.
inline float2 acc_add(float2 a, const float x) {
#if OP == RED_SUM || OP == RED_MEAN
    a.x += x;
#elif OP == RED_MAX
    if (x > a.x || isnan(x)) {
        a.x = isnan(a.x) ? a.x : x;
    }
#elif OP == RED_LSE
    if (x > a.x) {
        a.y = a.y * exp(a.x - x) + 1.0f;
        a.x = x;
    } else if (x != -INFINITY) {
        a.y += (x == a.x) ? 1.0f : exp(x - a.x);  // x == a.x also covers +inf == +inf
    }
#endif
    return a;
}

// Combines two accumulators (a first, then b: the order is fixed by the caller).
inline float2 acc_merge(const float2 a, const float2 b) {
// (Whole-vector forms: .y is 0 in both for sum, mean and max. Building (float2)(a.x + b.x, 0) made
// clang emit a store of <poison, 0> before the lane store, which Oclgrind reports as an
// uninitialized write.)
#if OP == RED_SUM || OP == RED_MEAN
    return a + b;
#elif OP == RED_MAX
    return (isnan(a.x) || a.x >= b.x) ? a : b;
#elif OP == RED_LSE
    const float m = fmax(a.x, b.x);
    if (m == -INFINITY) {
        return (float2)(m, a.y + b.y);  // both empty (0) or NaN-poisoned
    }
    const float sa = a.y == 0.0f ? 0.0f : a.y * (a.x == m ? 1.0f : exp(a.x - m));
    const float sb = b.y == 0.0f ? 0.0f : b.y * (b.x == m ? 1.0f : exp(b.x - m));
    return (float2)(m, sa + sb);
#endif
}

inline float acc_final(const float2 a, const float n) {
#if OP == RED_MEAN
    return a.x / n;
#elif OP == RED_LSE
    return a.x + log(a.y);
#else
    return a.x;
#endif
}

// out[i] = beta * out[i] + v; beta == 0 does not read out[i].
inline void store_beta(__global float* out, const int i, const float v, const float beta) {
    if (beta == 0.0f) {
        out[i] = v;
    } else {
        out[i] = beta * out[i] + v;
    }
}

// Tree over the first dimension of the work-group: lm holds LX x LY accumulators at
// lm[ly * LX + lx]; afterwards lm[ly * LX] holds the combination of row ly. Every work-item of
// the group must call it (barriers).
inline float2 tree_x(__local float2* lm, float2 a) {
    const int lx = get_local_id(0), LX = get_local_size(0);
    const int base = get_local_id(1) * LX;
    lm[base + lx] = a;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int h = WG >> 1; h > 0; h >>= 1) {
        if (h < LX && lx < h) {
            lm[base + lx] = acc_merge(lm[base + lx], lm[base + lx + h]);
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    return lm[base];
}

// Tree over the second dimension: afterwards every work-item gets the combination of column lx.
inline float2 tree_y(__local float2* lm, float2 a) {
    const int lx = get_local_id(0), LX = get_local_size(0);
    const int ly = get_local_id(1), LY = get_local_size(1);
    lm[ly * LX + lx] = a;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int h = WG >> 1; h > 0; h >>= 1) {
        if (h < LY && ly < h) {
            lm[ly * LX + lx] = acc_merge(lm[ly * LX + lx], lm[(ly + h) * LX + lx]);
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    return lm[lx];
}

// ---------------------------------------------------------------------------------------------
// Rows: global (G * LX, rows rounded up to LY), local (LX, LY). Work-group (g, .) reduces columns
// [g * chunk, min(C, (g + 1) * chunk)) of LY consecutive rows, LX work-items per row.

inline void rows_write(__global float* y, const int offY, const int ldY, __global float2* part,
                       const float2 total, const int r, const int R, const int G, const float n,
                       const float beta) {
    if (get_local_id(0) == 0 && r < R) {
        if (G == 1) {
            store_beta(y, offY + r * ldY, acc_final(total, n), beta);
        } else {
            store_part(part, r * G + get_group_id(0), total);
        }
    }
}

// x: R x C view.  y: R x 1 view (G == 1) or part: R x G pairs (G > 1).  lm: LX * LY float2.
__kernel void reduce_rows(__global float* y, const int offY, const int ldY, __global float2* part,
                          __global const float* x, const int offX, const int ldX,
                          const int R, const int C, const int chunk, const int G, const float n,
                          const float beta, __local float2* lm) {
    const int r = get_global_id(1);
    const int lo = get_group_id(0) * chunk;
    const int hi = min(C, lo + chunk);
    float2 a = acc_init();
    if (r < R) {
        for (int c = lo + get_local_id(0); c < hi; c += get_local_size(0)) {
            a = acc_add(a, x[offX + r * ldX + c]);
        }
    }
    rows_write(y, offY, ldY, part, tree_x(lm, a), r, R, G, n, beta);
}

// xp: R x C pairs (row stride C) from an earlier pass; otherwise as reduce_rows.
__kernel void reduce_rows_pairs(__global float* y, const int offY, const int ldY, __global float2* part,
                                __global const float2* xp,
                                const int R, const int C, const int chunk, const int G, const float n,
                                const float beta, __local float2* lm) {
    const int r = get_global_id(1);
    const int lo = get_group_id(0) * chunk;
    const int hi = min(C, lo + chunk);
    float2 a = acc_init();
    if (r < R) {
        for (int c = lo + get_local_id(0); c < hi; c += get_local_size(0)) {
            a = acc_merge(a, xp[r * C + c]);
        }
    }
    rows_write(y, offY, ldY, part, tree_x(lm, a), r, R, G, n, beta);
}

// ---------------------------------------------------------------------------------------------
// Columns: global (columns rounded up to LX, G * LY), local (LX, LY). Work-group (., g) reduces
// rows [g * chunk, min(R, (g + 1) * chunk)) of LX consecutive columns, LY work-items per column.

inline void cols_write(__global float* y, const int offY, __global float2* part, const float2 total,
                       const int c, const int C, const int G, const float n, const float beta) {
    if (get_local_id(1) == 0 && c < C) {
        if (G == 1) {
            store_beta(y, offY + c, acc_final(total, n), beta);
        } else {
            store_part(part, get_group_id(1) * C + c, total);
        }
    }
}

// x: R x C view.  y: 1 x C view (G == 1) or part: G x C pairs (G > 1).  lm: LX * LY float2.
__kernel void reduce_cols(__global float* y, const int offY, __global float2* part,
                          __global const float* x, const int offX, const int ldX,
                          const int R, const int C, const int chunk, const int G, const float n,
                          const float beta, __local float2* lm) {
    const int c = get_global_id(0);
    const int lo = get_group_id(1) * chunk;
    const int hi = min(R, lo + chunk);
    float2 a = acc_init();
    if (c < C) {
        for (int r = lo + get_local_id(1); r < hi; r += get_local_size(1)) {
            a = acc_add(a, x[offX + r * ldX + c]);
        }
    }
    cols_write(y, offY, part, tree_y(lm, a), c, C, G, n, beta);
}

// xp: R x C pairs (row stride C) from an earlier pass; otherwise as reduce_cols.
__kernel void reduce_cols_pairs(__global float* y, const int offY, __global float2* part,
                                __global const float2* xp,
                                const int R, const int C, const int chunk, const int G, const float n,
                                const float beta, __local float2* lm) {
    const int c = get_global_id(0);
    const int lo = get_group_id(1) * chunk;
    const int hi = min(R, lo + chunk);
    float2 a = acc_init();
    if (c < C) {
        for (int r = lo + get_local_id(1); r < hi; r += get_local_size(1)) {
            a = acc_merge(a, xp[r * C + c]);
        }
    }
    cols_write(y, offY, part, tree_y(lm, a), c, C, G, n, beta);
}

// ---------------------------------------------------------------------------------------------
// Backward: dx[r, c] = beta * dx[r, c] + w, one work-item per element, global (C, R).
//   RED_SUM   w = dy[line]
//   RED_MEAN  w = dy[line] / n
//   RED_LSE   w = dy[line] * exp(x[r, c] - y[line])      (softmax weights)
// The reduced vectors dy and y are addressed as base[off + r * sr + c * sc]: rows reduction
// (R x 1) sr = ld, sc = 0; columns reduction (1 x C) sr = 0, sc = 1. x and y are only read by
// RED_LSE (the host passes dy for them otherwise). Max has no backward kernel.
#if OP != RED_MAX
__kernel void reduce_backward(__global float* dx, const int offDx, const int ldDx,
                              __global const float* dy, const int offDy, const int srDy, const int scDy,
                              __global const float* x, const int offX, const int ldX,
                              __global const float* y, const int offY, const int srY, const int scY,
                              const float n, const float beta, const int R, const int C) {
    const int c = get_global_id(0);
    const int r = get_global_id(1);
    if (r >= R || c >= C) {
        return;
    }
    float w = dy[offDy + r * srDy + c * scDy];
#if OP == RED_MEAN
    w /= n;
#elif OP == RED_LSE
    w *= exp(x[offX + r * ldX + c] - y[offY + r * srY + c * scY]);
#endif
    store_beta(dx, offDx + r * ldDx + c, w, beta);
}
#endif

// ---------------------------------------------------------------------------------------------
// Group variant of reduce_rows: global (GROUP_WG * G, R), local (GROUP_WG, 1), or (1, any) when
// GROUP_WG is 1. Work-group (g, r) reduces columns [g * chunk, min(C, (g + 1) * chunk)) of row r;
// work-items past the last row fold row R - 1 again and write nothing. lm: GROUP_WG floats or more.

// NaN flags: max ignores NaN through fmax, so the group variants carry a flag and put NaN back.
inline float nan_or(const int bad, const float v) {
    return bad ? NAN : v;
}

inline floatv lse_term_v(const floatv v, const float m) {
    return v == m ? (floatv)1.0f : exp(v - m);
}

inline float lse_term(const float v, const float m) {
    return v == m ? 1.0f : exp(v - m);
}

__kernel void reduce_rows_group(__global float* y, const int offY, const int ldY, __global float2* part,
                       __global const float* x, const int offX, const int ldX,
                       const int R, const int C, const int chunk, const int G, const float n,
                       const float beta, __local float2* lm2) {
    __local float* lm = (__local float*)lm2;
    const int r = min((int)get_global_id(1), R - 1);
    const int lo = get_group_id(0) * chunk;
    const int hi = min(C, lo + chunk);
    __global const float* xr = x + offX + r * ldX;
    float2 total;
#if OP == RED_SUM || OP == RED_MEAN
    float s;
    GROUP_LINE_SUM(s, lm, lo, hi, vload_v(xr + c), xr[c]);
    total = (float2)(s, 0.0f);
#else
    const int vend = lanes_vend(lo, hi);
    floatv mv = -INFINITY;
    intv badv = 0;
    for (int c = lo + (int)get_local_id(0) * LANE_VW; c < vend; c += GROUP_WG * LANE_VW) {
        const floatv v = vload_v(xr + c);
        mv = fmax(mv, v);
        badv |= isnan(v);
    }
    float mt = -INFINITY;
    int bad = any_v(badv);
    for (int c = vend + (int)get_local_id(0); c < hi; c += GROUP_WG) {
        mt = fmax(mt, xr[c]);
        bad |= isnan(xr[c]);
    }
    const float m = group_max(lm, fmax(hmax_v(mv), mt));
#if OP == RED_MAX
    total = (float2)(nan_or(group_max(lm, bad ? 1.0f : 0.0f) != 0.0f, m), 0.0f);
#else
    // exp(x - m) with x == m counted as 1: covers m = +inf and m = -inf (all -inf: s = count, and
    // m + log(s) = -inf); a NaN makes s NaN.
    float s;
    GROUP_LINE_SUM(s, lm, lo, hi, lse_term_v(vload_v(xr + c), m), lse_term(xr[c], m));
    total = (float2)(m, s);
#endif
#endif
    if (get_local_id(0) == 0 && get_global_id(1) < R) {
        if (G == 1) {
            store_beta(y, offY + r * ldY, acc_final(total, n), beta);
        } else {
            store_part(part, r * G + get_group_id(0), total);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Vec variant of reduce_cols: global (ceil(C / LANE_VW), G), local (any, 1). Work-item (j, g)
// reduces rows [g * chunk, min(R, (g + 1) * chunk)) of columns [j * LANE_VW, j * LANE_VW + LANE_VW),
// or, for the last work-item of a row when C mod LANE_VW != 0, of each remaining column in turn.
// lm is not used.

// One column group's accumulator from rows [lo, hi) of the columns at xc (vector or scalar T).
#if OP == RED_SUM || OP == RED_MEAN
#define COLS_FOLD(T, LOAD, out) do { \
        T s_ = 0.0f, k_ = 0.0f; \
        for (int r_ = lo; r_ < hi; r_++) { \
            KAHAN_ADD_T(T, s_, k_, LOAD(xc + r_ * ldX)); \
        } \
        out##_x = s_ - k_; \
        out##_y = 0.0f; \
    } while (0)
#elif OP == RED_MAX
#define COLS_FOLD(T, LOAD, out) do { \
        T m_ = -INFINITY, bad_ = 0.0f; \
        for (int r_ = lo; r_ < hi; r_++) { \
            T v_ = LOAD(xc + r_ * ldX); \
            m_ = fmax(m_, v_); \
            bad_ = isnan(v_) ? (T)NAN : bad_; \
        } \
        out##_x = m_ + bad_; \
        out##_y = 0.0f; \
    } while (0)
#else
#define COLS_FOLD(T, LOAD, out) do { \
        T m_ = -INFINITY; \
        for (int r_ = lo; r_ < hi; r_++) { \
            m_ = fmax(m_, LOAD(xc + r_ * ldX)); \
        } \
        T s_ = 0.0f, k_ = 0.0f; \
        for (int r_ = lo; r_ < hi; r_++) { \
            T v_ = LOAD(xc + r_ * ldX); \
            KAHAN_ADD_T(T, s_, k_, v_ == m_ ? (T)1.0f : exp(v_ - m_)); \
        } \
        out##_x = m_; \
        out##_y = s_ - k_; \
    } while (0)
#endif

#define LOAD_S(p) (*(p))

inline void cols_vec_write(__global float* y, const int offY, __global float2* part, const float2 a,
                           const int c, const int C, const int G, const float n, const float beta) {
    if (G == 1) {
        store_beta(y, offY + c, acc_final(a, n), beta);
    } else {
        store_part(part, get_group_id(1) * C + c, a);
    }
}

__kernel void reduce_cols_vec(__global float* y, const int offY, __global float2* part,
                              __global const float* x, const int offX, const int ldX,
                              const int R, const int C, const int chunk, const int G, const float n,
                              const float beta, __local float2* lm) {
    const int c0 = get_global_id(0) * LANE_VW;
    const int g = get_global_id(1);
    const int lo = g * chunk;
    const int hi = min(R, lo + chunk);
    if (c0 >= C || g >= G) {
        return;
    }
    if (c0 + LANE_VW <= C) {
        __global const float* xc = x + offX + c0;
        floatv a_x, a_y;
        COLS_FOLD(floatv, vload_v, a);
        float ax[LANE_VW], ay[LANE_VW];
        vstore_v(a_x, ax);
        vstore_v(a_y, ay);
        for (int j = 0; j < LANE_VW; j++) {
            cols_vec_write(y, offY, part, (float2)(ax[j], ay[j]), c0 + j, C, G, n, beta);
        }
    } else {
        for (int c = c0; c < C; c++) {
            __global const float* xc = x + offX + c;
            float a_x, a_y;
            COLS_FOLD(float, LOAD_S, a);
            cols_vec_write(y, offY, part, (float2)(a_x, a_y), c, C, G, n, beta);
        }
    }
}
