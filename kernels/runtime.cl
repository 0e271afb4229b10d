// Runtime probes: kernels the host uses to measure the device itself, not model math.

// Does nothing: `genzoo bench launch` times enqueue + wait of this kernel, i.e. the fixed
// host-side cost every launch pays whatever the kernel does.
__kernel void empty(__global float* unused) {
}

#ifndef PEAK_ITERS
#define PEAK_ITERS 4096
#endif
// Vector width of one chain (1, 2, 4, 8 or 16) and independent chains per work-item (1..16).
#ifndef FMA_VEC
#define FMA_VEC 16
#endif
#ifndef FMA_CHAINS
#define FMA_CHAINS 8
#endif

// Lane sums as trees of halves in the forms Oclgrind 21.10's uninitialized-value checker can run
// (see lanes.cl): the last pair as dot(v, 1), a float16's halves from a private copy.
inline float probe_sum2(float2 v) { return dot(v, (float2)(1.0f)); }
inline float probe_sum4(float4 v) { return probe_sum2(v.lo + v.hi); }
inline float probe_sum8(float8 v) { return probe_sum4(v.lo + v.hi); }
inline float probe_sum16(float16 v) { float t[16]; vstore16(v, 0, t); return probe_sum8(vload8(0, t) + vload8(1, t)); }

#if FMA_VEC == 1
typedef float fvec;
#define FVEC_SUM(v) (v)
#elif FMA_VEC == 2
typedef float2 fvec;
#define FVEC_SUM(v) probe_sum2(v)
#elif FMA_VEC == 4
typedef float4 fvec;
#define FVEC_SUM(v) probe_sum4(v)
#elif FMA_VEC == 8
typedef float8 fvec;
#define FVEC_SUM(v) probe_sum8(v)
#elif FMA_VEC == 16
typedef float16 fvec;
#define FVEC_SUM(v) probe_sum16(v)
#else
#error "FMA_VEC must be 1, 2, 4, 8 or 16"
#endif

// FMA throughput probe: FMA_CHAINS independent chains of FMA_VEC-wide FMAs per work-item
// (independent chains hide the FMA latency; wide vectors or many work-items fill the SIMD
// lanes), PEAK_ITERS iterations. Chain c of work-item g starts at g*1e-9 + c*1e-3 in every lane.
// FLOPs = global * PEAK_ITERS * FMA_CHAINS * FMA_VEC * 2. The host tries several (vector,
// chains, work-group) shapes and keeps the fastest, since a CPU compiler that vectorizes across
// work-items and a GPU want different ones. The sum is stored so the loop cannot be dropped.
__kernel void fma_peak(__global float* out, const float a, const float b) {
    fvec x[FMA_CHAINS];
    const float x0 = get_global_id(0) * 1e-9f;
#pragma unroll
    for (int c = 0; c < FMA_CHAINS; c++) {
        x[c] = (fvec)(x0 + c * 1e-3f);
    }
    for (int i = 0; i < PEAK_ITERS; i++) {
#pragma unroll
        for (int c = 0; c < FMA_CHAINS; c++) {
            x[c] = fma(x[c], (fvec)a, (fvec)b);
        }
    }
    fvec s = x[0];
#pragma unroll
    for (int c = 1; c < FMA_CHAINS; c++) {
        s += x[c];
    }
    out[get_global_id(0)] = FVEC_SUM(s);
}

// Streaming bandwidth probe: y = x for n float4s. Bytes = 2 * 16 * n.
__kernel void stream_copy(__global float4* y, __global const float4* x, const int n) {
    int i = get_global_id(0);
    if (i < n) {
        y[i] = x[i];
    }
}
