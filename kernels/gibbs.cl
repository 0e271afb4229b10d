// Gibbs sampling for restricted Boltzmann machines, and the statistics around it: CD/PCD gradient
// statistics, free energies, annealed importance sampling (AIS), exact log Z by enumeration, and
// replica swaps for parallel tempering.
//
// The model. A Bernoulli RBM with visible v in {0,1}^D, hidden h in {0,1}^H, weights W (D x H),
// visible bias b (1 x D) and hidden bias c (1 x H) has energy
//     E(v, h) = -(v W h + b.v + c.h),      p(v, h) = exp(-E) / Z,
// and its conditionals factorize:
//     p(h_j = 1 | v) = sigmoid((v W)_j + c_j),     p(v_i = 1 | h) = sigmoid((h W^T)_i + b_i).
// Summing out h gives the free energy F(v) = -b.v - sum_j softplus((v W)_j + c_j), p(v) = exp(-F)/Z.
// A Gaussian-Bernoulli RBM (unit variance, standardized data) has v in R^D and
//     E(v, h) = |v - b|^2 / 2 - v W h - c.h,  v | h ~ N(h W^T + b, I),
//     F(v) = |v - b|^2 / 2 - sum_j softplus((v W)_j + c_j).
//
// Tempering. The distribution at inverse temperature t blends the model with a base-rate model
// whose only parameters are visible biases a (Salakhutdinov & Murray 2008):
//     p_t(v, h) ~ exp((1 - t) a.v + t (v W h + b.v + c.h))
// so the half-step logits become t x + (1 - t) a (visible side, with x = h W^T + b) and t x
// (hidden side, x = v W + c). Without a base (parallel tempering) this is p^t.
//
// Gibbs half-step (the fused kernel): one matrix product, the temperature, the sigmoid and the
// Philox draw in the product's epilogue:
//     x = op(A) op(B) + bias            (A: R x K rows of states, B: the weights, bias: 1 x N)
//     z = t_r x + (1 - t_r) base        (t_r = temp * rowTemps[r] when useTemps, else temp; base when useBase)
//     P = sigmoid(z), S = U < P         (Bernoulli units)
//     P = z,          S = z + N(0, 1)   (GAUSS: unit-variance Gaussian units)
// The draw follows rng.cl's convention exactly: element (r, n) of the R x N output uses the Philox
// block of counter (r * N + n, counter lo, counter hi, stream) under key (seed lo, seed hi); word 0
// is the uniform of a Bernoulli, words 0 and 1 the Box-Muller normal. So S equals what
// Rng.bernoulli(P) or P + Rng.normal() would draw at the same (seed, stream, counter), which is how
// the tests check it.
//
// Two variants of the half-step with the same arguments (plus local scratch for the second):
//   gibbs_gemm   CPU: gemm.cl's packed, register-blocked product with the sampling in its store
//                epilogue (work-group of one work-item per output block; tiles from the gemm tuning).
//   gibbs_rows   GPU: one work-group per output row; the row of A is staged in local memory, each
//                work-item computes output columns n = lid, lid + WG, ... so reads of B are coalesced
//                when B is K x N (the hidden step), and the stores always are.
//
// Everything else here is row- or column-wise: one work-item owns one row or column and loops in a
// fixed order, so results are bitwise reproducible (no atomics, no float reductions across items).
//
// References: Hinton 2002 (contrastive divergence); Tieleman 2008 (persistent CD); Desjardins et
// al. 2010 (parallel tempering for RBMs); Salakhutdinov & Murray 2008 (AIS for RBMs); Neal 2001 (AIS).

#include "rng.cl"

#ifndef GAUSS
#define GAUSS 0
#endif
#ifndef WG
#define WG 64
#endif
#ifndef TRANS_B
#define TRANS_B 0
#endif

// ---- shared helpers --------------------------------------------------------------------------

// Stable logistic: never exp of a large positive number.
inline float gz_sigmoid(float x) {
    float e = exp(-fabs(x));
    float r = 1.0f / (1.0f + e);
    return x >= 0.0f ? r : e * r;
}

inline float16 gz_sigmoid16(float16 x) {
    float16 e = exp(-fabs(x));
    float16 r = 1.0f / (1.0f + e);
    return select(e * r, r, x >= 0.0f);
}

// softplus(x) = log(1 + e^x) = max(x, 0) + log1p(e^-|x|), exact to float rounding for any x.
inline float gz_softplus(float x) {
    return fmax(x, 0.0f) + gz_log1p(exp(-fabs(x)));
}

// softplus(t1 x) - softplus(t0 x) without cancelling two large numbers: the max(., 0) parts
// differ by (t1 - t0) max(x, 0) (for t0, t1 >= 0), the log1p parts are each at most log 2.
inline float gz_softplus_diff(float x, float t0, float t1) {
    return (t1 - t0) * fmax(x, 0.0f) + gz_log1p(exp(-fabs(t1 * x))) - gz_log1p(exp(-fabs(t0 * x)));
}

inline float16 u24x16(uint16 u) {
    return convert_float16(u >> 8) * TWO_POW_M24;
}

// The temperature of output row r.
inline float row_temp(__global const float* temps, int useTemps, int r, float temp) {
    return useTemps ? temp * temps[r] : temp;
}

// P and S for one element (the tail of a row, and the rows variant).
inline void gibbs_store1(float x, __global float* prow, __global float* srow, int r, int n, int N,
                         __global const float* temps, int useTemps, __global const float* base, int useBase, float temp,
                         uint ctrLo, uint ctrHi, uint stream, uint keyLo, uint keyHi) {
    float t = row_temp(temps, useTemps, r, temp);
    float z = t * x;
    if (useBase) {
        z += (1.0f - t) * base[n];
    }
    uint4 w = philox_at((uint)(r * N + n), ctrLo, ctrHi, stream, keyLo, keyHi);
#if GAUSS
    prow[n] = z;
    srow[n] = z + box_muller(w.x, w.y);
#else
    float p = gz_sigmoid(z);
    prow[n] = p;
    srow[n] = u24(w.x) < p ? 1.0f : 0.0f;
#endif
}

// P and S for 16 consecutive elements of row r from column n.
inline void gibbs_store16(float16 x, __global float* prow, __global float* srow, int r, int n, int N,
                          __global const float* temps, int useTemps, __global const float* base, int useBase, float temp,
                          uint ctrLo, uint ctrHi, uint stream, uint keyLo, uint keyHi) {
    float t = row_temp(temps, useTemps, r, temp);
    float16 z = t * x;
    if (useBase) {
        z += (1.0f - t) * vload16(0, base + n);
    }
    uint16 idx = (uint16)((uint)(r * N + n)) + (uint16)(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    uint16 words[4];
    philox16x4(idx, ctrLo, ctrHi, stream, keyLo, keyHi, words);
    uint16 w0 = words[0], w1 = words[1];
#if GAUSS
    // Box-Muller as rng.cl's box_muller, lane by lane (gz_log and gz_cospi are scalar inlines).
    float a[16], b[16], e[16];
    vstore16(u24x16(w0), 0, a);
    vstore16(u24x16(w1), 0, b);
    for (int i = 0; i < 16; i++) {
        e[i] = sqrt(-2.0f * gz_log(1.0f - a[i])) * gz_cospi(2.0f * b[i]);
    }
    gz_store16(z, prow + n);
    gz_store16(z + vload16(0, e), srow + n);
#else
    float16 p = gz_sigmoid16(z);
    gz_store16(p, prow + n);
    gz_store16(select((float16)(0.0f), (float16)(1.0f), u24x16(w0) < p), srow + n);
#endif
}

// ---- gibbs_gemm: the CPU variant, gemm.cl with a sampling epilogue ----------------------------
// P (gemm's C): R x N, S: R x N, A: R x K, B: K x N (or N x K with TRANS_B), bias: 1 x N,
// rowTemps: R x 1 (read when useTemps != 0), base: 1 x N (read when useBase != 0). alpha must be 1
// and beta 0 (P is not read). Built only with GIBBS_GEMM defined (the host does so for this
// variant), so the other kernels of this file compile without the large product.

#ifdef GIBBS_GEMM

#define ACT 0
#define HAS_BIAS 1
#define GEMM_NAME gibbs_gemm
#define GEMM_EXTRA_ARGS , __global float* S, const int offS, const int ldS, \
    __global const float* temps, const int offT, const int useTemps, \
    __global const float* base, const int offBase, const int useBase, \
    const float temp, const uint ctrLo, const uint ctrHi, const uint stream, const uint keyLo, const uint keyHi
#define GEMM_STORE16(x, crow, m, n) gibbs_store16((x), (crow), S + offS + (size_t)(m) * ldS, (m), (n), N, \
    temps + offT, useTemps, base + offBase, useBase, temp, ctrLo, ctrHi, stream, keyLo, keyHi)
#define GEMM_STORE1(y, crow, m, n) gibbs_store1((y), (crow), S + offS + (size_t)(m) * ldS, (m), (n), N, \
    temps + offT, useTemps, base + offBase, useBase, temp, ctrLo, ctrHi, stream, keyLo, keyHi)
#include "gemm.cl"
#endif

// ---- gibbs_rows: the GPU variant ---------------------------------------------------------------
// Same arguments as gibbs_gemm, then scratch: local float[K]. Launch: global (WG, R), local (WG, 1).
__kernel __attribute__((reqd_work_group_size(WG, 1, 1)))
void gibbs_rows(__global float* P, const int offP, const int ldP,
                __global const float* A, const int offA, const int lda,
                __global const float* B, const int offB, const int ldb,
                __global const float* bias, const int offBias,
                const int R, const int N, const int K, const float alpha, const float beta,
                __global float* S, const int offS, const int ldS,
                __global const float* temps, const int offT, const int useTemps,
                __global const float* base, const int offBase, const int useBase,
                const float temp, const uint ctrLo, const uint ctrHi, const uint stream, const uint keyLo, const uint keyHi,
                __local float* arow) {
    int r = get_group_id(1);
    int lid = get_local_id(0);
    for (int k = lid; k < K; k += WG) {
        arow[k] = A[offA + (size_t)r * lda + k];
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    __global float* prow = P + offP + (size_t)r * ldP;
    __global float* srow = S + offS + (size_t)r * ldS;
    for (int n = lid; n < N; n += WG) {
        float acc = 0.0f;
#if TRANS_B
        __global const float* bcol = B + offB + (size_t)n * ldb;
        for (int k = 0; k < K; k++) {
            acc = fma(arow[k], bcol[k], acc);
        }
#else
        __global const float* bcol = B + offB + n;
        for (int k = 0; k < K; k++) {
            acc = fma(arow[k], bcol[(size_t)k * ldb], acc);
        }
#endif
        float x = alpha * acc + bias[offBias + n];
        if (beta != 0.0f) {
            x = fma(beta, prow[n], x);
        }
        gibbs_store1(x, prow, srow, r, n, N, temps + offT, useTemps, base + offBase, useBase, temp, ctrLo, ctrHi, stream, keyLo, keyHi);
    }
}

// ---- sampling from given logits ----------------------------------------------------------------
// P = sigmoid(temp x), S = U < P (the hidden step of AIS, whose logits x = vW + c are also needed
// for the importance weights). P, S, X: R x C. Global (C, R).
__kernel void gibbs_sample_logits(__global float* P, const int offP, const int ldP,
                                  __global float* S, const int offS, const int ldS,
                                  __global const float* X, const int offX, const int ldX,
                                  const float temp, const uint ctrLo, const uint ctrHi, const uint stream,
                                  const uint keyLo, const uint keyHi, const int R, const int C) {
    int c = get_global_id(0);
    int r = get_global_id(1);
    if (r < R && c < C) {
        float p = gz_sigmoid(temp * X[offX + r * ldX + c]);
        uint4 w = philox_at((uint)(r * C + c), ctrLo, ctrHi, stream, keyLo, keyHi);
        P[offP + r * ldP + c] = p;
        S[offS + r * ldS + c] = u24(w.x) < p ? 1.0f : 0.0f;
    }
}

// ---- gradient statistics -----------------------------------------------------------------------
// Bias statistics of CD/PCD: db[c] += sp * sum_r pos[r, c] + sn * sum_r neg[r, c], the rows of each
// summed in order. With sp = -1/Rp, sn = 1/Rn this adds the gradient of the negative
// log-likelihood (model minus data expectation) for a bias. db: 1 x C, pos: Rp x C, neg: Rn x C.
// Global (C).
__kernel void gibbs_bias_stats(__global float* db, const int offDb,
                               __global const float* pos, const int offPos, const int ldPos, const int Rp, const float sp,
                               __global const float* neg, const int offNeg, const int ldNeg, const int Rn, const float sn,
                               const int C) {
    int c = get_global_id(0);
    if (c < C) {
        float a = 0.0f;
        for (int r = 0; r < Rp; r++) {
            a += pos[offPos + r * ldPos + c];
        }
        float b = 0.0f;
        for (int r = 0; r < Rn; r++) {
            b += neg[offNeg + r * ldNeg + c];
        }
        db[offDb + c] += sp * a + sn * b;
    }
}

// ---- free energy ---------------------------------------------------------------------------------
// F[r] = -b.v_r - sum_j softplus(X[r, j])               (Bernoulli visible units)
// F[r] = |v_r - b|^2 / 2 - sum_j softplus(X[r, j])      (GAUSS)
// with X = V W + c computed beforehand. F: R x 1, X: R x H, V: R x D, b: 1 x D. Global (R).
__kernel void rbm_free_energy(__global float* F, const int offF, const int ldF,
                              __global const float* X, const int offX, const int ldX,
                              __global const float* V, const int offV, const int ldV,
                              __global const float* b, const int offB,
                              const int R, const int D, const int H) {
    int r = get_global_id(0);
    if (r < R) {
        float vis = 0.0f;
        for (int i = 0; i < D; i++) {
            float v = V[offV + r * ldV + i];
#if GAUSS
            float d = v - b[offB + i];
            vis += 0.5f * d * d;
#else
            vis -= v * b[offB + i];
#endif
        }
        float hid = 0.0f;
        for (int j = 0; j < H; j++) {
            hid += gz_softplus(X[offX + r * ldX + j]);
        }
        F[offF + r * ldF] = vis - hid;
    }
}

// ---- joint energy (parallel tempering) -----------------------------------------------------------
// E[r] = -(sum_j X[r, j] h[r, j] + b.v_r + c.h_r) with X = V W (no bias): the energy of the joint
// state (v_r, h_r). E: R x 1, X, Hs: R x H, V: R x D, b: 1 x D, c: 1 x H. Global (R).
__kernel void rbm_energy(__global float* E, const int offE, const int ldE,
                         __global const float* X, const int offX, const int ldX,
                         __global const float* V, const int offV, const int ldV,
                         __global const float* Hs, const int offH, const int ldH,
                         __global const float* b, const int offB,
                         __global const float* c, const int offC,
                         const int R, const int D, const int H) {
    int r = get_global_id(0);
    if (r < R) {
        float s = 0.0f;
        for (int i = 0; i < D; i++) {
            s += V[offV + r * ldV + i] * b[offB + i];
        }
        for (int j = 0; j < H; j++) {
            s += Hs[offH + r * ldH + j] * (X[offX + r * ldX + j] + c[offC + j]);
        }
        E[offE + r * ldE] = -s;
    }
}

// ---- replica exchange ----------------------------------------------------------------------------
// Chains are T temperatures x C replicas, row t * C + q at inverse temperature temps[t * C + q]
// (the same for every q). Work-item (p, q) proposes to swap the joint states of rows t * C + q and
// (t + 1) * C + q for t = 2 p + parity, accepting with probability
//     min(1, exp((beta_t - beta_{t+1}) (E_t - E_{t+1})))
// (the Metropolis ratio of the product distribution prod_t p_{beta_t}); the uniform is the Philox
// word 0 of element t * C + q. On acceptance the rows of V, Hs and E are exchanged and
// accepted[t * C + q] grows by 1; attempted[t * C + q] grows by 1 either way.
// V: TC x D, Hs: TC x H, E: TC x 1, temps: TC x 1, accepted, attempted: TC x 1. Global (C, ceil(T/2)).
__kernel void pt_swap(__global float* V, const int offV, const int ldV,
                      __global float* Hs, const int offH, const int ldH,
                      __global float* E, const int offE, const int ldE,
                      __global const float* temps, const int offT,
                      __global float* accepted, __global float* attempted, const int offAcc,
                      const int parity, const uint ctrLo, const uint ctrHi, const uint stream,
                      const uint keyLo, const uint keyHi, const int T, const int C, const int D, const int H) {
    int q = get_global_id(0);
    int t = 2 * get_global_id(1) + parity;
    if (q >= C || t + 1 >= T) {
        return;
    }
    int a = t * C + q;
    int b = (t + 1) * C + q;
    float ea = E[offE + a * ldE];
    float eb = E[offE + b * ldE];
    float logr = (temps[offT + a] - temps[offT + b]) * (ea - eb);
    uint4 w = philox_at((uint)a, ctrLo, ctrHi, stream, keyLo, keyHi);
    int accept = logr >= 0.0f || u24(w.x) < exp(logr);
    attempted[offAcc + a] += 1.0f;
    if (accept) {
        accepted[offAcc + a] += 1.0f;
        E[offE + a * ldE] = eb;
        E[offE + b * ldE] = ea;
        for (int i = 0; i < D; i++) {
            float x = V[offV + a * ldV + i];
            V[offV + a * ldV + i] = V[offV + b * ldV + i];
            V[offV + b * ldV + i] = x;
        }
        for (int j = 0; j < H; j++) {
            float x = Hs[offH + a * ldH + j];
            Hs[offH + a * ldH + j] = Hs[offH + b * ldH + j];
            Hs[offH + b * ldH + j] = x;
        }
    }
}

// ---- annealed importance sampling ---------------------------------------------------------------
// One importance-weight update of AIS from inverse temperature t0 to t1 at the chains' current v:
//     log w += log p*_{t1}(v) - log p*_{t0}(v),
//     log p*_t(v) = (1 - t) a.v + t b.v + sum_j softplus(t x_j)     (h summed out),
// i.e. log w += (t1 - t0) s + sum_j [softplus(t1 x_j) - softplus(t0 x_j)] with s = (b - a).v and
// x = v W + c. The sum over j runs in order; log w is carried with a Kahan compensation term in
// column 1 (thousands of small steps are added to a value of a few hundred).
// logw: R x 2 (sum, compensation), X: R x H, s: R x 1. Global (R).
__kernel void ais_log_weights(__global float* logw, const int offW, const int ldW,
                              __global const float* X, const int offX, const int ldX,
                              __global const float* s, const int offS, const int ldS,
                              const float t0, const float t1, const int R, const int H) {
    int r = get_global_id(0);
    if (r < R) {
        float d = (t1 - t0) * s[offS + r * ldS];
        for (int j = 0; j < H; j++) {
            d += gz_softplus_diff(X[offX + r * ldX + j], t0, t1);
        }
        float sum = logw[offW + r * ldW];
        float comp = logw[offW + r * ldW + 1];
        float y = d - comp;
        float t = sum + y;
        logw[offW + r * ldW + 1] = (t - sum) - y;
        logw[offW + r * ldW] = t;
    }
}

// ---- exact log Z by enumeration of the hidden states ----------------------------------------------
// Hs[r, j] = bit j of (start + r): the hidden configurations start .. start + R - 1. Hs: R x H.
// Global (H, R).
__kernel void rbm_enumerate_hidden(__global float* Hs, const int offH, const int ldH,
                                   const uint start, const int R, const int H) {
    int j = get_global_id(0);
    int r = get_global_id(1);
    if (r < R && j < H) {
        Hs[offH + r * ldH + j] = (float)(((start + (uint)r) >> j) & 1u);
    }
}

// f[r] = c.h_r + sum_i softplus(Y[r, i]) with Y = Hs W^T + b: log p*(h) with v summed out (Bernoulli
// visible units). log Z = logsumexp_r f[r] over all 2^H configurations. With GAUSS (unit-variance
// Gaussian visible units, v integrated out) f[r] = c.h_r + |Y[r]|^2 / 2, and
// log Z = logsumexp_r f[r] - |b|^2 / 2 + (D / 2) log(2 pi). f: R x 1, Y: R x D,
// Hs: R x H, c: 1 x H. Global (R).
__kernel void rbm_hidden_log_marginal(__global float* f, const int offF, const int ldF,
                                      __global const float* Y, const int offY, const int ldY,
                                      __global const float* Hs, const int offH, const int ldH,
                                      __global const float* c, const int offC,
                                      const int R, const int D, const int H) {
    int r = get_global_id(0);
    if (r < R) {
        float s = 0.0f;
        for (int j = 0; j < H; j++) {
            s += Hs[offH + r * ldH + j] * c[offC + j];
        }
        float sp = 0.0f;
        for (int i = 0; i < D; i++) {
            float y = Y[offY + r * ldY + i];
#if GAUSS
            sp += 0.5f * y * y;
#else
            sp += gz_softplus(y);
#endif
        }
        f[offF + r * ldF] = s + sp;
    }
}

// ---- pseudo-likelihood ---------------------------------------------------------------------------
// Vf = V with one unit per row flipped (v_i -> 1 - v_i), the unit i = floor(U * D) from the Philox
// word 0 of element r; idx[r] = i. Vf, V: R x D, idx: R x 1. Global (R).
__kernel void rbm_flip_one(__global float* Vf, const int offVf, const int ldVf,
                           __global float* idx, const int offI, const int ldI,
                           __global const float* V, const int offV, const int ldV,
                           const uint ctrLo, const uint ctrHi, const uint stream,
                           const uint keyLo, const uint keyHi, const int R, const int D) {
    int r = get_global_id(0);
    if (r < R) {
        uint4 w = philox_at((uint)r, ctrLo, ctrHi, stream, keyLo, keyHi);
        int flip = min(D - 1, (int)(u24(w.x) * (float)D));
        for (int i = 0; i < D; i++) {
            float v = V[offV + r * ldV + i];
            Vf[offVf + r * ldVf + i] = i == flip ? 1.0f - v : v;
        }
        idx[offI + r * ldI] = (float)flip;
    }
}
