// Small math helpers shared by kernel files (pulled in with #include "mathutil.cl").

#ifndef GZ_MATHUTIL_CL
#define GZ_MATHUTIL_CL

// A float16 stored at a global address: one store instruction when p sits on a 64-byte boundary,
// else vstore16 (which PoCL's AVX-512 code, not knowing the alignment, splits into three or four
// narrower stores). The same bits either way.
inline void gz_store16(float16 v, __global float* p) {
    if ((((ulong)p) & 63) == 0) {
        *(__global float16*)p = v;
    } else {
        vstore16(v, 0, p);
    }
}

// log(1 + e) for 0 <= e <= 1 (softplus and friends call it with e = exp(-|x|)).
// PoCL 3.1's log and log1p are scalar library calls on the CPU device (6-7 ns an element, 8x
// slower than exp); this is a short polynomial that vectorizes. With t = e / (2 + e) in [0, 1/3],
// log1p(e) = 2 atanh(t) = 2 (t + t^3/3 + t^5/5 + ...); the terms kept reach t^15, so the
// truncation error is below t^16/17 < 2e-9 relative, under float epsilon. No cancellation: for
// tiny e, t = e/2 and the result is e.
inline float gz_log1p(float e) {
    float t = e / (2.0f + e);
    float t2 = t * t;
    float p = 1.0f / 15;
    p = fma(p, t2, 1.0f / 13);
    p = fma(p, t2, 1.0f / 11);
    p = fma(p, t2, 1.0f / 9);
    p = fma(p, t2, 1.0f / 7);
    p = fma(p, t2, 1.0f / 5);
    p = fma(p, t2, 1.0f / 3);
    p = fma(p, t2, 1.0f);
    return 2.0f * t * p;
}

// Natural log for positive normal floats, to about 2 ulp, in vector-friendly arithmetic (PoCL's
// log is a scalar call). x = 2^e * m with m in [sqrt(1/2), sqrt(2)); log m = 2 atanh(t),
// t = (m - 1) / (m + 1) in [-0.172, 0.172], series to t^11 (truncation below 1e-10 relative);
// e * ln 2 is added in two parts so the sum keeps its low bits.
inline float gz_log(float x) {
    uint bits = as_uint(x);
    int e = (int)((bits >> 23) & 0xffu) - 127;
    float m = as_float((bits & 0x007fffffu) | 0x3f800000u);
    int big = m > 1.41421356f;
    m = big ? 0.5f * m : m;
    e += big;
    float t = (m - 1.0f) / (m + 1.0f);
    float t2 = t * t;
    float p = 1.0f / 11;
    p = fma(p, t2, 1.0f / 9);
    p = fma(p, t2, 1.0f / 7);
    p = fma(p, t2, 1.0f / 5);
    p = fma(p, t2, 1.0f / 3);
    p = fma(p, t2, 1.0f);
    float fe = (float)e;
    return fma(fe, 0.693145752f, fma(fe, 1.42860677e-6f, 2.0f * t * p));
}

// cos(pi * x) for x in [0, 2], vector-friendly (PoCL's cospi is a scalar call). Reflect into
// w in [0, 1/2]: cos(pi x) = cos(pi (2 - x)) and cos(pi y) = -cos(pi (1 - y)); then a Taylor
// series in a = pi w <= pi/2 to a^14 (truncation below 1e-10).
inline float gz_cospi(float x) {
    float y = x > 1.0f ? 2.0f - x : x;
    int flip = y > 0.5f;
    float w = flip ? 1.0f - y : y;
    float a = 3.14159265f * w;
    float a2 = a * a;
    float p = -1.0f / 87178291200.0f;
    p = fma(p, a2, 1.0f / 479001600.0f);
    p = fma(p, a2, -1.0f / 3628800.0f);
    p = fma(p, a2, 1.0f / 40320.0f);
    p = fma(p, a2, -1.0f / 720.0f);
    p = fma(p, a2, 1.0f / 24.0f);
    p = fma(p, a2, -0.5f);
    p = fma(p, a2, 1.0f);
    return flip ? -p : p;
}

#endif
