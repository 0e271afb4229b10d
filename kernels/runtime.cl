// Runtime probes: kernels the host uses to measure the device itself, not model math.

// Does nothing: `genzoo bench launch` times enqueue + wait of this kernel, i.e. the fixed
// host-side cost every launch pays whatever the kernel does.
__kernel void empty(__global float* unused) {
}

#ifndef PEAK_ITERS
#define PEAK_ITERS 4096
#endif

// FMA throughput probe: 8 independent float16 FMA chains per work-item (enough to hide FMA
// latency on wide SIMD units), PEAK_ITERS iterations. FLOPs = global * PEAK_ITERS * 8 * 16 * 2.
// The result is stored so the compiler cannot drop the loop.
__kernel void fma_peak(__global float* out, const float a, const float b) {
    float16 x0 = (float16)(get_global_id(0) * 1e-9f), x1 = x0 + 1e-3f, x2 = x0 + 2e-3f, x3 = x0 + 3e-3f;
    float16 x4 = x0 + 4e-3f, x5 = x0 + 5e-3f, x6 = x0 + 6e-3f, x7 = x0 + 7e-3f;
    for (int i = 0; i < PEAK_ITERS; i++) {
        x0 = fma(x0, a, b); x1 = fma(x1, a, b); x2 = fma(x2, a, b); x3 = fma(x3, a, b);
        x4 = fma(x4, a, b); x5 = fma(x5, a, b); x6 = fma(x6, a, b); x7 = fma(x7, a, b);
    }
    float16 s = x0 + x1 + x2 + x3 + x4 + x5 + x6 + x7;
    out[get_global_id(0)] = s.s0 + s.s1 + s.s2 + s.s3 + s.s4 + s.s5 + s.s6 + s.s7
                          + s.s8 + s.s9 + s.sa + s.sb + s.sc + s.sd + s.se + s.sf;
}

// Streaming bandwidth probe: y = x for n float4s. Bytes = 2 * 16 * n.
__kernel void stream_copy(__global float4* y, __global const float4* x, const int n) {
    int i = get_global_id(0);
    if (i < n) {
        y[i] = x[i];
    }
}
