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
    for (int c = 0; c < NC; c++) {
      const int n = n0 + c;
      __local float* dst = Bp + (c / NR) * KC * NR + (c % NR);
      if (n < N) {
        __global const float* bcol = B + (size_t)n * ldb + k0;
        for (int k = 0; k < kl; k++) dst[k * NR] = bcol[k];
      } else {
        for (int k = 0; k < kl; k++) dst[k * NR] = 0.0f;
      }
    }
#endif
    // ---- pack A chunk: Ap[ip][k][r]
#if TRANS_A == 0
    for (int i = 0; i < MC; i++) {
      const int m = m0 + i;
      __local float* dst = Ap + (i / MR) * KC * MR + (i % MR);
      if (m < M) {
        __global const float* arow = A + (size_t)m * lda + k0;
        for (int k = 0; k < kl; k++) dst[k * MR] = arow[k];
      } else {
        for (int k = 0; k < kl; k++) dst[k * MR] = 0.0f;
      }
    }
#else
    for (int k = 0; k < kl; k++) {
      __global const float* arow = A + (size_t)(k0 + k) * lda + m0;
      for (int i = 0; i < MC; i++) {
        Ap[(i / MR) * KC * MR + k * MR + (i % MR)] = (m0 + i < M) ? arow[i] : 0.0f;
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
