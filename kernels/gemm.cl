#ifndef TRANS_A
#define TRANS_A 0
#endif
#ifndef TRANS_B
#define TRANS_B 0
#endif
#ifndef ACT
#define ACT 0
#endif
#ifndef HAS_BIAS
#define HAS_BIAS 0
#endif
#ifndef LEAKY_SLOPE
#define LEAKY_SLOPE 0.01f
#endif
#ifndef MR
#define MR 8
#endif
#ifndef NV
#define NV 2
#endif
#ifndef MC
#define MC 64
#endif
#ifndef NC
#define NC 128
#endif
#ifndef KC
#define KC 256
#endif
#define NR (16 * NV)


#define TMLO8 (uint16)(0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23)
#define TMHI8 (uint16)(8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31)
#define TMLO4 (uint16)(0, 1, 2, 3, 16, 17, 18, 19, 8, 9, 10, 11, 24, 25, 26, 27)
#define TMHI4 (uint16)(4, 5, 6, 7, 20, 21, 22, 23, 12, 13, 14, 15, 28, 29, 30, 31)
#define TMLO2 (uint16)(0, 1, 16, 17, 4, 5, 20, 21, 8, 9, 24, 25, 12, 13, 28, 29)
#define TMHI2 (uint16)(2, 3, 18, 19, 6, 7, 22, 23, 10, 11, 26, 27, 14, 15, 30, 31)
#define TMLO1 (uint16)(0, 16, 2, 18, 4, 20, 6, 22, 8, 24, 10, 26, 12, 28, 14, 30)
#define TMHI1 (uint16)(1, 17, 3, 19, 5, 21, 7, 23, 9, 25, 11, 27, 13, 29, 15, 31)
#define TSTAGE(b) \
  _Pragma("unroll") for (int g = 0; g < 16; g += 2 * (b)) \
  _Pragma("unroll") for (int i = g; i < g + (b); i++) { \
    float16 x_ = t[i], y_ = t[i + (b)]; \
    t[i] = shuffle2(x_, y_, TMLO##b); t[i + (b)] = shuffle2(x_, y_, TMHI##b); }
// in-register transpose of a 16x16 block held as 16 float16 rows
#define TRANSPOSE16(t) { TSTAGE(8) TSTAGE(4) TSTAGE(2) TSTAGE(1) }

#if (MC % 16) != 0
#error "MC must be a multiple of 16"
#endif

#if ACT == 1
#define ACTF(x) fmax((x), 0.0f)
#elif ACT == 2
#define ACTF(x) tanh(x)
#elif ACT == 3
#define ACTF(x) sig_f(x)
#elif ACT == 4
#define ACTF(x) select(LEAKY_SLOPE * (x), (x), (x) > 0.0f)
#elif ACT == 5
#define ACTF(x) (fmax((x), 0.0f) + log1p(exp(-fabs(x))))
#else
#define ACTF(x) (x)
#endif

#if ACT == 3
inline float sig_f(float x) { float e = exp(-fabs(x)); float r = 1.0f / (1.0f + e); return x >= 0.0f ? r : e * r; }
inline float16 sig_f16(float16 x) { float16 e = exp(-fabs(x)); float16 r = 1.0f / (1.0f + e); return select(e * r, r, x >= 0.0f); }
#define ACTV(x) sig_f16(x)
#else
#define ACTV(x) ACTF(x)
#endif

__kernel __attribute__((reqd_work_group_size(1, 1, 1)))
void gemm(__global float* C, const int offC, const int ldc,
          __global const float* A, const int offA, const int lda,
          __global const float* B, const int offB, const int ldb,
          __global const float* bias, const int offBias,
          const int M, const int N, const int K, const float alpha, const float beta)
{
  __local float16 Bp16[KC * NC / 16];
  __local float Ap[MC * KC];
  __local float16 Cacc16[MC * NC / 16];
  __local float* Bp = (__local float*)Bp16;
  const int n0 = get_group_id(0) * NC;
  const int m0 = get_group_id(1) * MC;
  C += offC; A += offA; B += offB; bias += offBias;
  const int nK = K > 0 ? (K + KC - 1) / KC : 1;
  for (int kc = 0; kc < nK; kc++) {
    const int k0 = kc * KC;
    const int kl = max(0, min(KC, K - k0));
    // ---- pack B chunk: Bp[jp][k][c]
#if TRANS_B == 0
    for (int k = 0; k < kl; k++) {
      __global const float* brow = B + (size_t)(k0 + k) * ldb + n0;
      for (int c16 = 0; c16 < NC / 16; c16++) {
        const int col = n0 + c16 * 16;
        float16 v;
        if (col + 16 <= N) v = vload16(0, brow + c16 * 16);
        else { float t[16]; for (int e = 0; e < 16; e++) t[e] = (col + e < N) ? brow[c16 * 16 + e] : 0.0f; v = vload16(0, t); }
        Bp16[(c16 / NV) * KC * NV + k * NV + (c16 % NV)] = v;
      }
    }
#else
    for (int c16 = 0; c16 < NC / 16; c16++) {
      const int col = n0 + c16 * 16;
      __local float16* dst16 = Bp16 + (c16 / NV) * KC * NV + (c16 % NV);
      if (col >= N) { for (int k = 0; k < kl; k++) dst16[k * NV] = (float16)(0.0f); continue; }
      __global const float* bsrc = B + (size_t)col * ldb + k0;
      int kk = 0;
      if (col + 16 <= N) {
        for (; kk + 16 <= kl; kk += 16) {
          float16 t[16];
          _Pragma("unroll") for (int i = 0; i < 16; i++) t[i] = vload16(0, bsrc + (size_t)i * ldb + kk);
          TRANSPOSE16(t)
          _Pragma("unroll") for (int i = 0; i < 16; i++) dst16[(kk + i) * NV] = t[i];
        }
      }
      __local float* dst = (__local float*)dst16;
      for (int k = kk; k < kl; k++)
        for (int e = 0; e < 16; e++) dst[k * NR + e] = (col + e < N) ? bsrc[(size_t)e * ldb + k] : 0.0f;
    }
#endif
    // ---- pack A chunk: Ap[ip][k][r]
#if TRANS_A == 0
    for (int i16 = 0; i16 < MC; i16 += 16) {
      const int row = m0 + i16;
      if (row >= M) {
        for (int k = 0; k < kl; k++) for (int i = i16; i < i16 + 16; i++) Ap[(i / MR) * KC * MR + k * MR + (i % MR)] = 0.0f;
        continue;
      }
      __global const float* asrc = A + (size_t)row * lda + k0;
      int kk = 0;
      if (row + 16 <= M) {
        for (; kk + 16 <= kl; kk += 16) {
          float16 t[16];
          _Pragma("unroll") for (int i = 0; i < 16; i++) t[i] = vload16(0, asrc + (size_t)i * lda + kk);
          TRANSPOSE16(t)
#if MR == 8
          _Pragma("unroll") for (int i = 0; i < 16; i++) {
            vstore8(t[i].lo, 0, Ap + (i16 / MR) * KC * MR + (kk + i) * MR);
            vstore8(t[i].hi, 0, Ap + (i16 / MR + 1) * KC * MR + (kk + i) * MR);
          }
#elif MR == 16
          _Pragma("unroll") for (int i = 0; i < 16; i++) vstore16(t[i], 0, Ap + (i16 / MR) * KC * MR + (kk + i) * MR);
#else
          _Pragma("unroll") for (int i = 0; i < 16; i++) {
            float tt[16]; vstore16(t[i], 0, tt);
            _Pragma("unroll") for (int e = 0; e < 16; e++) Ap[((i16 + e) / MR) * KC * MR + (kk + i) * MR + ((i16 + e) % MR)] = tt[e];
          }
#endif
        }
      }
      for (int k = kk; k < kl; k++)
        for (int e = 0; e < 16; e++) Ap[((i16 + e) / MR) * KC * MR + k * MR + ((i16 + e) % MR)] = (row + e < M) ? asrc[(size_t)e * lda + k] : 0.0f;
    }
#else
    for (int k = 0; k < kl; k++) {
      __global const float* arow = A + (size_t)(k0 + k) * lda + m0;
      for (int i16 = 0; i16 < MC; i16 += 16) {
        float16 t;
        if (m0 + i16 + 16 <= M) t = vload16(0, arow + i16);
        else { float tt[16]; for (int e = 0; e < 16; e++) tt[e] = (m0 + i16 + e < M) ? arow[i16 + e] : 0.0f; t = vload16(0, tt); }
#if MR == 8
        vstore8(t.lo, 0, Ap + (i16 / MR) * KC * MR + k * MR);
        vstore8(t.hi, 0, Ap + (i16 / MR + 1) * KC * MR + k * MR);
#elif MR == 16
        vstore16(t, 0, Ap + (i16 / MR) * KC * MR + k * MR);
#else
        float tt[16]; vstore16(t, 0, tt);
        _Pragma("unroll") for (int e = 0; e < 16; e++) Ap[((i16 + e) / MR) * KC * MR + k * MR + ((i16 + e) % MR)] = tt[e];
#endif
      }
    }
#endif
    // ---- compute
    for (int jp = 0; jp < NC / NR; jp++) {
      if (n0 + jp * NR >= N) break;
      for (int ip = 0; ip < MC / MR; ip++) {
        if (m0 + ip * MR >= M) break;
        float16 acc[MR][NV];
        if (kc == 0) {
          _Pragma("unroll") for (int r = 0; r < MR; r++) _Pragma("unroll") for (int v = 0; v < NV; v++) acc[r][v] = (float16)(0.0f);
        } else {
          _Pragma("unroll") for (int r = 0; r < MR; r++) _Pragma("unroll") for (int v = 0; v < NV; v++) acc[r][v] = Cacc16[(ip * MR + r) * (NC / 16) + jp * NV + v];
        }
        __local const float* ap = Ap + ip * MR * KC;
        __local const float16* bp = Bp16 + jp * KC * NV;
        for (int k = 0; k < kl; k++) {
          float16 b[NV];
          _Pragma("unroll") for (int v = 0; v < NV; v++) b[v] = bp[k * NV + v];
          _Pragma("unroll") for (int r = 0; r < MR; r++) {
            const float a = ap[k * MR + r];
            _Pragma("unroll") for (int v = 0; v < NV; v++) acc[r][v] = fma((float16)(a), b[v], acc[r][v]);
          }
        }
        if (kc < nK - 1) {
          _Pragma("unroll") for (int r = 0; r < MR; r++) _Pragma("unroll") for (int v = 0; v < NV; v++) Cacc16[(ip * MR + r) * (NC / 16) + jp * NV + v] = acc[r][v];
        } else {
          // ---- epilogue
          _Pragma("unroll") for (int r = 0; r < MR; r++) {
            const int m = m0 + ip * MR + r;
            if (m >= M) break;
            __global float* crow = C + (size_t)m * ldc;
            _Pragma("unroll") for (int v = 0; v < NV; v++) {
              const int n = n0 + jp * NR + v * 16;
              float16 x = alpha * acc[r][v];
              if (n + 16 <= N) {
                if (beta != 0.0f) x = fma((float16)(beta), vload16(0, crow + n), x);
#if HAS_BIAS
                x += vload16(0, bias + n);
#endif
                x = ACTV(x);
                vstore16(x, 0, crow + n);
              } else {
                float t[16]; vstore16(x, 0, t);
                for (int e = 0; e < 16; e++) {
                  if (n + e < N) {
                    float y = t[e];
                    if (beta != 0.0f) y = fma(beta, crow[n + e], y);
#if HAS_BIAS
                    y += bias[n + e];
#endif
                    crow[n + e] = ACTF(y);
                  }
                }
              }
            }
          }
        }
      }
    }
  }
}
