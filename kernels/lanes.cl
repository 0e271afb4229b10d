// Lanes for the row-group kernel variants of reduce.cl and losses.cl (pulled in with
// #include "lanes.cl"): one line (a row, or a chunk of one) is folded by GROUP_WG work-items of
// one work-group, each holding LANE_VW floats in an OpenCL vector. Element c of the line belongs
// to lane (c mod LANE_VW) of work-item (c / LANE_VW) mod GROUP_WG while full vectors last; the
// tail (C mod (LANE_VW) elements) is folded one element at a time by work-item
// (c - full) mod GROUP_WG. A work-item then sums its lanes in a fixed tree (hsum_v), and the
// work-group combines its work-items with a fixed tree in local memory (group_sum, group_max).
// No atomics, no order that depends on timing: one input on one device gives one result.
//
// Two shapes from one source, chosen per device by the op's tuning:
//   CPU (PoCL): GROUP_WG = 1, LANE_VW = 16 (AVX-512) or 8: one work-item per line with explicit
//               vectors. PoCL vectorizes across work-items only when a kernel has no inner loop,
//               so a per-row loop over scalars runs scalar; explicit float16 runs one AVX-512 op
//               per 16 elements, and GROUP_WG = 1 compiles the tree and its barriers away.
//   GPU:        GROUP_WG = 64..256, LANE_VW = 1 or 4: consecutive work-items read consecutive
//               addresses (coalesced), and the tree runs log2(GROUP_WG) levels in local memory.
//
// GROUP_WG must be a power of two and equal to the launch's local size in dimension 0, and the
// local size in dimension 1 must be 1 unless GROUP_WG is 1 (then a work-group may hold any number
// of lines, one per work-item: no tree, no barrier); the host guarantees both. The tree loops have
// compile-time trip counts (PoCL 3.1 mishandles barrier loops whose trip count depends on the
// local size).

#ifndef GZ_LANES_CL
#define GZ_LANES_CL

#ifndef GROUP_WG
#define GROUP_WG 1
#endif
#ifndef LANE_VW
#define LANE_VW 16
#endif

#if LANE_VW == 16
typedef float16 floatv;
typedef int16 intv;
#define vload_v(p) vload16(0, p)
#define vstore_v(v, p) vstore16(v, 0, p)
#define hsum_v(a) gz_hsum16(a)
#define hmax_v(a) gz_hmax16(a)
#define any_v(m) any(m)
#elif LANE_VW == 8
typedef float8 floatv;
typedef int8 intv;
#define vload_v(p) vload8(0, p)
#define vstore_v(v, p) vstore8(v, 0, p)
#define hsum_v(a) gz_hsum8(a)
#define hmax_v(a) gz_hmax8(a)
#define any_v(m) any(m)
#elif LANE_VW == 4
typedef float4 floatv;
typedef int4 intv;
#define vload_v(p) vload4(0, p)
#define vstore_v(v, p) vstore4(v, 0, p)
#define hsum_v(a) gz_hsum4(a)
#define hmax_v(a) gz_hmax4(a)
#define any_v(m) any(m)
#elif LANE_VW == 1
typedef float floatv;
typedef int intv;
#define vload_v(p) (*(p))
#define vstore_v(v, p) (*(p) = (v))
#define hsum_v(a) (a)
#define hmax_v(a) (a)
#define any_v(m) ((m) != 0)
#else
#error "LANE_VW must be 1, 4, 8 or 16"
#endif

// A whole floatv stored at a global address: one store instruction when p sits on a vector
// boundary, else vstore_v. PoCL's AVX-512 code, not knowing a pointer's alignment, splits a
// vstore16 into three or four narrower stores (an aligned floatv store is one); the bits stored
// are the same either way.
#if LANE_VW == 1
#define vstore_gv(v, p) vstore_v(v, p)
#else
inline void vstore_gv(floatv v, __global float* p) {
    if ((((ulong)p) & (LANE_VW * 4 - 1)) == 0) {
        *(__global floatv*)p = v;
    } else {
        vstore_v(v, p);
    }
}
#endif

// Fixed-order horizontal sums and maxima: halves added pairwise, as a tree. Two forms keep
// Oclgrind 21.10's uninitialized-value checker (the simulated-GPU test pass) able to run them, with
// the same bits as the plain tree: the last pair is added as dot(b, 1) (b.x * 1 and b.y * 1 are
// exact), since clang turns b.x + b.y into a shufflevector with an undef mask lane on which that
// checker crashes (host/src/test/resources/oclgrind/shuffle-undef-mask.cl); and a float16's halves
// are read back from a private copy, since it reports lanes 8..15 taken out of a float16 by a
// shuffle as uninitialized (oclgrind/float16-shuffle.cl). Both fold away in an optimizing compiler.
inline float gz_hsum4(float4 a) { float2 b = a.lo + a.hi; return dot(b, (float2)(1.0f)); }
inline float gz_hsum8(float8 a) { return gz_hsum4(a.lo + a.hi); }
inline float gz_hsum16(float16 a) { float t[16]; vstore16(a, 0, t); return gz_hsum8(vload8(0, t) + vload8(1, t)); }
inline float gz_hmax4(float4 a) { float2 b = fmax(a.lo, a.hi); return fmax(b.x, b.y); }
inline float gz_hmax8(float8 a) { return gz_hmax4(fmax(a.lo, a.hi)); }
inline float gz_hmax16(float16 a) { float t[16]; vstore16(a, 0, t); return gz_hmax8(fmax(vload8(0, t), vload8(1, t))); }

// Kahan-compensated running sum in any float type: sum += v (the true sum is sum - comp).
#define KAHAN_ADD_T(T, sum, comp, v) { T y_ = (v) - comp; T t_ = sum + y_; comp = (t_ - sum) - y_; sum = t_; }

// Work-group combinations over dimension 0 (GROUP_WG work-items), fixed tree order; every
// work-item gets the result. lm holds GROUP_WG floats. The leading barrier lets a kernel call
// them back to back on the same lm.
inline float group_sum(__local float* lm, float v) {
#if GROUP_WG == 1
    return v;
#else
    const int lid = get_local_id(0);
    barrier(CLK_LOCAL_MEM_FENCE);
    lm[lid] = v;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int h = GROUP_WG / 2; h > 0; h >>= 1) {
        if (lid < h) {
            lm[lid] += lm[lid + h];
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    return lm[0];
#endif
}

// Maximum; NaN inputs are ignored here (fmax), so callers that must propagate NaN track it apart.
inline float group_max(__local float* lm, float v) {
#if GROUP_WG == 1
    return v;
#else
    const int lid = get_local_id(0);
    barrier(CLK_LOCAL_MEM_FENCE);
    lm[lid] = v;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int h = GROUP_WG / 2; h > 0; h >>= 1) {
        if (lid < h) {
            lm[lid] = fmax(lm[lid], lm[lid + h]);
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    return lm[0];
#endif
}

// How far the full vectors of a line [lo, hi) reach: they cover [lo, vend) with
// vend = lo + ((hi - lo) / LANE_VW) * LANE_VW; work-item w takes the vectors starting at
// lo + (w + k * GROUP_WG) * LANE_VW, then the tail elements vend + w + k * GROUP_WG.
inline int lanes_vend(const int lo, const int hi) {
    return lo + ((hi - lo) / LANE_VW) * LANE_VW;
}

// total = sum over c in [lo, hi) of a line's terms in that layout, Kahan-compensated per lane:
// TERM_V is the floatv of the terms at c .. c + LANE_VW - 1, TERM_S the term at c (both written in
// terms of `c`). Every work-item of the group must run it (barriers) and gets the total.
#define GROUP_LINE_SUM(total, lm, lo, hi, TERM_V, TERM_S) do { \
        const int vend_ = lanes_vend((lo), (hi)); \
        floatv s_ = 0.0f, k_ = 0.0f; \
        for (int c = (lo) + (int)get_local_id(0) * LANE_VW; c < vend_; c += GROUP_WG * LANE_VW) { \
            KAHAN_ADD_T(floatv, s_, k_, TERM_V); \
        } \
        float ts_ = 0.0f, tk_ = 0.0f; \
        for (int c = vend_ + (int)get_local_id(0); c < (hi); c += GROUP_WG) { \
            KAHAN_ADD_T(float, ts_, tk_, TERM_S); \
        } \
        total = group_sum(lm, hsum_v(s_ - k_) + (ts_ - tk_)); \
    } while (0)

#endif
