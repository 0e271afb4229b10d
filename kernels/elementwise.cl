// Elementwise ops: binary arithmetic, scaling, a broadcast row add, and unary activations with
// their backward passes.
//
// Every operand is a row-major view addressed as base[off + r * ld + c]; every kernel runs one
// work-item per element on a 2-D range (cols, rows) and guards its tail (the host rounds the
// global size up to the work-group size), so column views (ld > cols) work everywhere.
// Arguments go outputs, then inputs, then scalars, then sizes R (rows) and C (cols).
//
// Aliasing: an output may be the very same view as an input (in-place): each work-item reads
// its inputs before it writes its own output element, and no other work-item touches that
// element. Partly overlapping views are not supported.
//
// beta: kernels that take `beta` compute out = beta * out + value. beta == 0 assigns and never
// reads out (activation gradients, fresh outputs: the old contents may be NaN garbage); beta == 1
// accumulates (parameter gradients, a tensor used twice).
//
// Unary activations are one generic kernel pair selected at build time with -DOP=<name>, one
// program per activation (the host's program cache keys on the defines):
//
//   OP                 forward y = f(x)                          backward reads   f'
//   OP_RELU            max(x, 0)                                 x                [x > 0]
//   OP_LEAKY_RELU      x > 0 ? x : p * x          (p = slope)    x                x > 0 ? 1 : p
//   OP_ELU             x > 0 ? x : p * expm1(x)   (p = alpha)    x                x > 0 ? 1 : p * exp(x)
//   OP_TANH            tanh(x)                                   y                (1 - y)(1 + y)
//   OP_SIGMOID         1 / (1 + exp(-x))                         y                y (1 - y)
//   OP_SOFTPLUS        log(1 + exp(x))                           x                sigmoid(x)
//   OP_EXP             exp(x)                                    y                y
//   OP_LOG             log(x)                                    x                1 / x
//   OP_SQUARE          x * x                                     x                2 x
//   OP_LOG_SIGMOID     log(sigmoid(x)) = -softplus(-x)           x                sigmoid(-x)
//
// Backward reads the forward output y where f' is a cheap function of y (tanh, sigmoid, exp), so
// those activations may run in place; everything else reads the input x. From-y derivatives
// lose what float cannot hold next to 1: tanh'(x) and sigmoid'(x) come out 0 instead of a value
// below ~6e-8 once y rounds to +-1 (|x| > ~9 for tanh, x > ~17 for sigmoid).
//
// Numerically safe forms (finite, relative error ~1e-6 for |x| up to 400; results below the
// smallest normal float flush to zero under -cl-denorms-are-zero):
//   softplus(x)    = max(x, 0) + log1p(exp(-|x|))
//   sigmoid(x)     = x >= 0 ? 1 / (1 + e) : e / (1 + e),   e = exp(-|x|)
//   logsigmoid(x)  = min(x, 0) - log1p(exp(-|x|))
// NaN inputs give NaN outputs (relu included), so a poisoned value reaches the loss check.

#include "mathutil.cl"

#define OP_RELU 1
#define OP_LEAKY_RELU 2
#define OP_ELU 3
#define OP_TANH 4
#define OP_SIGMOID 5
#define OP_SOFTPLUS 6
#define OP_EXP 7
#define OP_LOG 8
#define OP_SQUARE 9
#define OP_LOG_SIGMOID 10

// The element this work-item owns; leave if it lies in the rounded-up tail.
#define ELEMENT_OR_RETURN \
    const int c = get_global_id(0); \
    const int r = get_global_id(1); \
    if (r >= R || c >= C) { \
        return; \
    }

#define AT(off, ld) ((off) + r * (ld) + c)

inline float sigmoid_f(float x) {
    const float e = exp(-fabs(x));
    return x >= 0.0f ? 1.0f / (1.0f + e) : e / (1.0f + e);
}

inline float softplus_f(float x) {
    return fmax(x, 0.0f) + gz_log1p(exp(-fabs(x)));
}

inline float log_sigmoid_f(float x) {
    return fmin(x, 0.0f) - gz_log1p(exp(-fabs(x)));
}

// out[i] = beta * out[i] + v; beta == 0 does not read out[i].
inline void store_beta(__global float* out, const int i, const float v, const float beta) {
    if (beta == 0.0f) {
        out[i] = v;
    } else {
        out[i] = beta * out[i] + v;
    }
}

// ---------------------------------------------------------------------------------------------
// Binary ops: y = beta * y + a (op) b.  y, a, b: R x C views.

#define BINARY_KERNEL(NAME, EXPR) \
__kernel void NAME(__global float* y, const int offY, const int ldY, \
                   __global const float* a, const int offA, const int ldA, \
                   __global const float* b, const int offB, const int ldB, \
                   const float beta, const int R, const int C) { \
    ELEMENT_OR_RETURN \
    const float av = a[AT(offA, ldA)]; \
    const float bv = b[AT(offB, ldB)]; \
    store_beta(y, AT(offY, ldY), (EXPR), beta); \
}

BINARY_KERNEL(add, av + bv)
BINARY_KERNEL(sub, av - bv)
BINARY_KERNEL(mul, av * bv)

// y = alpha * x + beta * y (scale: beta = 0; axpy: beta = 1).  y, x: R x C views.
__kernel void axpby(__global float* y, const int offY, const int ldY,
                    __global const float* x, const int offX, const int ldX,
                    const float alpha, const float beta, const int R, const int C) {
    ELEMENT_OR_RETURN
    store_beta(y, AT(offY, ldY), alpha * x[AT(offX, ldX)], beta);
}

// y[r, c] = x[r, c] + b[c].  y, x: R x C views; b: 1 x C view (elements b[offB + c]).
__kernel void add_row(__global float* y, const int offY, const int ldY,
                      __global const float* x, const int offX, const int ldX,
                      __global const float* b, const int offB, const int R, const int C) {
    ELEMENT_OR_RETURN
    y[AT(offY, ldY)] = x[AT(offX, ldX)] + b[offB + c];
}

// ---------------------------------------------------------------------------------------------
// Unary activations (only built when OP is defined).

#ifdef OP

// f(x); p is the slope (leaky relu) or alpha (elu), unused otherwise.
inline float unary_f(const float x, const float p) {
#if OP == OP_RELU
    return x < 0.0f ? 0.0f : x;
#elif OP == OP_LEAKY_RELU
    return x > 0.0f ? x : p * x;
#elif OP == OP_ELU
    return x > 0.0f ? x : p * expm1(x);
#elif OP == OP_TANH
    return tanh(x);
#elif OP == OP_SIGMOID
    return sigmoid_f(x);
#elif OP == OP_SOFTPLUS
    return softplus_f(x);
#elif OP == OP_EXP
    return exp(x);
#elif OP == OP_LOG
    return log(x);
#elif OP == OP_SQUARE
    return x * x;
#elif OP == OP_LOG_SIGMOID
    return log_sigmoid_f(x);
#else
#error "unknown OP"
#endif
}

// f' as a function of the saved value s (x or y, see the table above).
inline float unary_df(const float s, const float p) {
#if OP == OP_RELU
    return s > 0.0f ? 1.0f : 0.0f;
#elif OP == OP_LEAKY_RELU
    return s > 0.0f ? 1.0f : p;
#elif OP == OP_ELU
    return s > 0.0f ? 1.0f : p * exp(s);
#elif OP == OP_TANH
    return (1.0f - s) * (1.0f + s);
#elif OP == OP_SIGMOID
    return s * (1.0f - s);
#elif OP == OP_SOFTPLUS
    return sigmoid_f(s);
#elif OP == OP_EXP
    return s;
#elif OP == OP_LOG
    return 1.0f / s;
#elif OP == OP_SQUARE
    return 2.0f * s;
#elif OP == OP_LOG_SIGMOID
    return sigmoid_f(-s);
#endif
}

// y = f(x).  y, x: R x C views (y may be x).
__kernel void unary_forward(__global float* y, const int offY, const int ldY,
                            __global const float* x, const int offX, const int ldX,
                            const float p, const int R, const int C) {
    ELEMENT_OR_RETURN
    y[AT(offY, ldY)] = unary_f(x[AT(offX, ldX)], p);
}

// dx = beta * dx + dy * f'(s).  dx, dy, s: R x C views; s is x or y as the table says.
__kernel void unary_backward(__global float* dx, const int offDx, const int ldDx,
                             __global const float* dy, const int offDy, const int ldDy,
                             __global const float* s, const int offS, const int ldS,
                             const float p, const float beta, const int R, const int C) {
    ELEMENT_OR_RETURN
    const float g = dy[AT(offDy, ldDy)] * unary_df(s[AT(offS, ldS)], p);
    store_beta(dx, AT(offDx, ldDx), g, beta);
}

#endif
