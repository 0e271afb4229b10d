// Small math helpers shared by kernel files (pulled in with #include "mathutil.cl").

#ifndef GZ_MATHUTIL_CL
#define GZ_MATHUTIL_CL

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

#endif
