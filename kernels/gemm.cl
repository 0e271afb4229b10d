/*
 * gemm.cl -- single-precision GEMM with fused bias + activation epilogue.
 *            Tuned for PoCL's CPU ("pthread") device, works on any OpenCL 1.2 device.
 *
 * MATH (everything row-major):
 *   C[M x N] = act( alpha * op(A) * op(B) + beta * C + bias[n] )
 *   op(A) is M x K: A stored M x K (leading dim lda) if TRANS_A == 0, stored K x M (lda) if TRANS_A == 1.
 *   op(B) is K x N: B stored K x N (leading dim ldb) if TRANS_B == 0, stored N x K (ldb) if TRANS_B == 1.
 *   Element (r,c) of a stored matrix X is X[offX + r*ldX + c].  bias[n] = bias[offBias + n].
 *   beta == 0: C is never read (may hold NaN garbage).  HAS_BIAS == 0: bias pointer is never read.
 *   K == 0 is allowed (C = act(beta*C + bias)).  M == 0 or N == 0: do not launch.
 *
 * KERNEL: gemm (one kernel, one launch per GEMM).
 *   work-group size is fixed at 1 (reqd_work_group_size(1,1,1)); each work-group computes a tile of C.
 *   LAUNCH GEOMETRY (2-D NDRange):
 *     local  = { 1, 1 }
 *     global = { GN, GM }   with GN = ceil(N / NC), GM = ceil(M / MC)      (recommended)
 *   The kernel splits [0,N) into GN and [0,M) into GM near-equal pieces (16- resp. MR-aligned; a
 *   piece whose last NR panel is 16 columns wide or narrower runs that panel with one vector per row,
 *   and a last vector of 8 columns or fewer runs as a float8: N = 20 costs 16 + 8 lanes, not 32),
 *   so edge tiles do not cause load imbalance.  Any GN >= 1, GM >= 1 is CORRECT (a work-group loops over
 *   NC x MC sub-tiles if its piece is larger); GN/GM above the recommendation only adds overhead.
 *   Recommended tweak (PoCL runs whole work-groups per core; 2 cores here): if GN*GM is odd, then
 *     if (M > GM*MR) GM += 1; else if (N > GN*16*NV) GN += 1;
 *   (so e.g. a 93x144 output is split over 2 work-groups instead of 1).
 *   Example with defaults (MC=NC=256, MR=8, NV=2): M=128,N=400 -> global {2,1}; M=784,N=400 -> {2,4};
 *   M=N=2048 -> {8,8}; M=93,N=144 -> {1,2}.  Both dimensions of global are counts of work-groups
 *   (local size 1), i.e. clEnqueueNDRangeKernel(q, k, 2, NULL, {GN,GM}, {1,1}, ...).
 *
 * ALGORITHM: GotoBLAS/BLIS style.  K is cut into ceil(K / KC) slices of equal length (a multiple of
 *   16 up to KC).  For each slice the work-group packs op(B)[slice x tileN] into 16-column k-major
 *   panels (16x16 in-register transposes when B is stored N x K) and op(A)[tileM x slice] (A stored
 *   M x K: a row-major copy; stored K x M: k-major groups of 16 rows), both zero padded, into __local
 *   memory, then runs an MR x (16*NV) register-blocked float16 micro-kernel over the packed panels.
 *   Partial sums across slices live in a __local accumulator tile; the epilogue (alpha, beta*C,
 *   bias, activation) is applied once, on the last slice.  Summation order is fixed (k order within
 *   each value of C; deterministic, no atomics).
 *
 * DEFINES (all have defaults):
 *   TRANS_A, TRANS_B  0/1   transpose flags (see above)                               default 0
 *   ACT               0 none, 1 relu, 2 tanh, 3 sigmoid, 4 leaky relu, 5 softplus     default 0
 *   LEAKY_SLOPE       slope for ACT 4                                                  default 0.01f
 *   HAS_BIAS          0/1 add bias[n]                                                  default 0
 *   MR                rows of the register block (micro-tile)                          default 8
 *   NV                float16 vectors per micro-tile row (micro-tile = MR x 16*NV)     default 2
 *   MC                rows of C per work-group tile; multiple of MR and of 16          default 256
 *   NC                columns of C per work-group tile; multiple of 16*NV             default 256
 *   KC                K-slice length packed per pass                                   default 256
 *   THIN_N            outputs with N <= THIN_N run gemm_thin instead (see there)       default 8
 *   PF_MIN            x86 builds: when op(A) and op(B) hold at least PF_MIN floats together,    default 4194304
 *                     each micro-tile also prefetches (prefetcht2) its share of the next K slice's
 *                     A and B lines, so that packing them reads cache instead of DRAM (2048^2:
 *                     16 MB operands; smaller products stay in cache and skip it).  Results do not
 *                     depend on it.  Other targets (Oclgrind's SPIR) compile it out.
 *   ROWSUM_A          0/1 also write S[offS + m] = betaS * S[offS + m] + sum_k op(A)[m, k]  default 0
 *                     (three more arguments after beta: S, offS, betaS; betaS == 0 does not read S).
 *                     A linear layer's backward dW = dZ^T X gets its bias gradient db = sum_rows dZ
 *                     from the same launch (op(A) = dZ^T).  The work-group that holds column 0
 *                     of C sums its rows from the packed A panels, in k order (deterministic).
 *   MASK_C            0/1 the product is multiplied elementwise by a mask before beta*C and bias:  default 0
 *                     C = act(alpha * (op(A) op(B)) .* Mk + beta * C + bias), Mk[offMk + m*ldMk + n]
 *                     (three more arguments after the ROWSUM_A ones: Mk, offMk, ldMk).  MADE's
 *                     masked weight gradient dW += (dZ^T X) .* M in the product's own epilogue.
 *                     gemm only (the host runs no gemm_thin with it).
 *   RELU_MASK_C       0/1 the product is multiplied by [Y > 0] before beta*C (Y: M x N, three more     default 0
 *                     arguments after the MASK_C ones: Y, offY, ldY): the input gradient of a linear
 *                     layer whose input is a ReLU output Y leaves the GEMM already through the ReLU's
 *                     backward (dZ = dY . [Y > 0], the same product by 1 or 0 as the unary kernel).
 *                     gemm only.
 *   __local use = 4*(KC*NC + MC*KC + MC*NC) bytes, + 4*MC with ROWSUM_A (defaults: 769 KiB; PoCL CPU allows 1 MiB).
 *   No alignment requirements on offsets or leading dimensions (all vector loads/stores are vloadn/vstoren).
 *   Build options used for all measurements: "-cl-denorms-are-zero -cl-mad-enable" (+ the -D defines).
 *   PoCL CPU: set env POCL_AFFINITY=1 (pins PoCL worker threads to cores); without it Linux often
 *   co-schedules both workers on one core for sub-millisecond kernels and throughput halves.
 */
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
#ifndef GEMM_GPU
#define GEMM_GPU 0
#endif

#if GEMM_GPU == 0 /* ======================== CPU variant: defines ======================== */
#ifndef MR
#define MR 8
#endif
#ifndef NV
#define NV 2
#endif
#ifndef MC
#define MC 256
#endif
#ifndef NC
#define NC 256
#endif
#ifndef KC
#define KC 256
#endif
#define NR (16 * NV)
/* Epilogue hooks for files that #include this one to fuse more work into the store (gibbs.cl
 * draws Bernoulli samples there): GEMM_NAME names the kernel, GEMM_EXTRA_ARGS appends arguments,
 * GEMM_STORE16(x, crow, m, n) stores 16 finished values of row m from column n, GEMM_STORE1 one. */
#ifndef GEMM_NAME
#define GEMM_NAME gemm
#define GEMM_PLAIN 1 /* not included by another file with its own epilogue: gemm_thin is built too */
#endif
#ifndef THIN_N
#define THIN_N 8
#endif
#ifndef PF_MIN
#define PF_MIN 4194304
#endif
#ifndef GEMM_EXTRA_ARGS
#define GEMM_EXTRA_ARGS
#endif
#ifndef ROWSUM_A
#define ROWSUM_A 0
#endif
#if ROWSUM_A
#define ROWSUM_ARGS , __global float* S, const int offS, const float betaS
#else
#define ROWSUM_ARGS
#endif
#ifndef MASK_C
#define MASK_C 0
#endif
#if MASK_C
#define MASK_ARGS , __global const float* Mk, const int offMk, const int ldMk
#else
#define MASK_ARGS
#endif
#ifndef RELU_MASK_C
#define RELU_MASK_C 0
#endif
#if RELU_MASK_C
#define RELU_MASK_ARGS , __global const float* Yr, const int offYr, const int ldYr
#else
#define RELU_MASK_ARGS
#endif
#ifndef GEMM_STORE16
#define GEMM_STORE16(x, crow, m, n) vstore16((x), 0, (crow) + (n))
#endif
#ifndef GEMM_STORE1
#define GEMM_STORE1(y, crow, m, n) ((crow)[(n)] = (y))
#endif
/* packed-A layout. TRANS_A == 0 (A stored M x K): row-major, KC floats per row, a plain copy of
 * the rows (the micro-kernel broadcasts from MR rows at once). TRANS_A == 1 (A stored K x M): groups
 * of APW rows, k-major inside a group (APW = 16 when MR divides 16), copied in 16-float vectors.
 * AP_AT(ap, r, k): element (r, k) of the micro-panel that starts at ap. */
#if (16 % MR) == 0
#define APW 16
#else
#define APW MR
#endif
#if TRANS_A == 0
#define APIDX(i, k) ((i) * KC + (k))
#define AP_AT(ap, r, k) ((ap)[(r) * KC + (k)])
#else
#define APIDX(i, k) (((i) / APW) * KC * APW + (k) * APW + ((i) % APW))
#define AP_AT(ap, r, k) ((ap)[(k) * APW + (r)])
#endif

#if (MC % 16) != 0 || (MC % MR) != 0
#error "MC must be a multiple of 16 and of MR"
#endif
#if (NC % NR) != 0
#error "NC must be a multiple of 16*NV"
#endif

/* ---- 16x16 in-register transpose (4 butterfly stages of shuffle2) ---- */
#define TMLO8 (uint16)(0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23)
#define TMHI8 (uint16)(8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31)
#define TMLO4 (uint16)(0, 1, 2, 3, 16, 17, 18, 19, 8, 9, 10, 11, 24, 25, 26, 27)
#define TMHI4 (uint16)(4, 5, 6, 7, 20, 21, 22, 23, 12, 13, 14, 15, 28, 29, 30, 31)
#define TMLO2 (uint16)(0, 1, 16, 17, 4, 5, 20, 21, 8, 9, 24, 25, 12, 13, 28, 29)
#define TMHI2 (uint16)(2, 3, 18, 19, 6, 7, 22, 23, 10, 11, 26, 27, 14, 15, 30, 31)
#define TMLO1 (uint16)(0, 16, 2, 18, 4, 20, 6, 22, 8, 24, 10, 26, 12, 28, 14, 30)
#define TMHI1 (uint16)(1, 17, 3, 19, 5, 21, 7, 23, 9, 25, 11, 27, 13, 29, 15, 31)
#define TSTAGE(b) \
  _Pragma("unroll") for (int g_ = 0; g_ < 16; g_ += 2 * (b)) \
  _Pragma("unroll") for (int i_ = g_; i_ < g_ + (b); i_++) { \
    const float16 x_ = t[i_], y_ = t[i_ + (b)]; \
    t[i_] = shuffle2(x_, y_, TMLO##b); t[i_ + (b)] = shuffle2(x_, y_, TMHI##b); }
#if defined(__x86_64__) && defined(__AVX512F__)
/* keeps LLVM from splitting the 16 row loads into 8-byte pieces (it folds the butterflies into them) */
#define TOPAQUE(t) { _Pragma("unroll") for (int o_ = 0; o_ < 16; o_++) __asm__ volatile("" : "+v"(t[o_])); }
#else
#define TOPAQUE(t)
#endif
#define TRANSPOSE16(t) { TOPAQUE(t) TSTAGE(8) TSTAGE(4) TSTAGE(2) TSTAGE(1) }

/* Micro-kernel of a panel whose last used vector holds 8 columns or fewer: NF full float16 vectors
 * per row (NF = 0 or NV - 1) and the last one as a float8 (lanes 8-15 of acc[r][NF] end as zeros,
 * columns the epilogue never stores). Same k order per value as the full loop. The halves move
 * through a private copy, not .lo or a (float8, float8) constructor: the shuffles clang makes of
 * those crash Oclgrind 21.10 (see lanes.cl); an optimizing compiler folds the copy away. */
#define GEMM_TAIL8(NF) { \
  float8 t8_[MR]; \
  float h_[16]; \
  _Pragma("unroll") for (int r = 0; r < MR; r++) { vstore16(acc[r][(NF)], 0, h_); t8_[r] = vload8(0, h_); } \
  for (int k = 0; k < kl; k++) { \
    float16 b_[NV]; \
    _Pragma("unroll") for (int v = 0; v < (NF); v++) b_[v] = bp[k * NV + v]; \
    const float8 bt_ = vload8(0, (__local const float*)(bp + k * NV + (NF))); \
    _Pragma("unroll") for (int r = 0; r < MR; r++) { \
      const float a_ = AP_AT(ap, r, k); \
      _Pragma("unroll") for (int v = 0; v < (NF); v++) acc[r][v] = fma((float16)(a_), b_[v], acc[r][v]); \
      t8_[r] = fma((float8)(a_), bt_, t8_[r]); \
    } \
  } \
  _Pragma("unroll") for (int r = 0; r < MR; r++) { vstore8(t8_[r], 0, h_); vstore8((float8)(0.0f), 1, h_); acc[r][(NF)] = vload16(0, h_); } }


#if defined(__x86_64__)
#define GEMM_PF 1
/* Prefetches lines [from, to) of a block of `outer` rows of lpr 16-float lines each, rows ld apart.
 * The address goes to the instruction as an integer: prefetches never fault, and no address space
 * reaches the asm operand. */
inline void gemm_pf(__global const float* base, const int ld, const int outer, const int lpr, const int from, const int to) {
  for (int q = from; q < to; q++) {
    const int o = q / lpr;
    if (o >= outer) return;
    const ulong p = (ulong)(base + (size_t)o * ld + (q - o * lpr) * 16);
    __asm__ volatile("prefetcht2 (%0)" :: "r"(p));
  }
}
#else
#define GEMM_PF 0
#endif

#endif /* CPU variant: defines */

/* ---- activation epilogue (ACTF: scalar or vector, ACTV: float16) ---- */
#if ACT == 3
inline float sig_f(float x) { const float e = exp(-fabs(x)); const float r = 1.0f / (1.0f + e); return x >= 0.0f ? r : e * r; }
inline float16 sig_f16(float16 x) { const float16 e = exp(-fabs(x)); const float16 r = 1.0f / (1.0f + e); return select(e * r, r, x >= 0.0f); }
#endif
#if ACT == 1
#define ACTF(x) fmax((x), 0.0f)
#define ACTV(x) fmax((x), 0.0f)
#elif ACT == 2
#define ACTF(x) tanh(x)
#define ACTV(x) tanh(x)
#elif ACT == 3
#define ACTF(x) sig_f(x)
#define ACTV(x) sig_f16(x)
#elif ACT == 4
#define ACTF(x) select((float)(LEAKY_SLOPE) * (x), (x), (x) > 0.0f)
#define ACTV(x) select((float)(LEAKY_SLOPE) * (x), (x), (x) > 0.0f)
#elif ACT == 5
#define ACTF(x) (fmax((x), 0.0f) + log1p(exp(-fabs(x))))
#define ACTV(x) (fmax((x), 0.0f) + log1p(exp(-fabs(x))))
#else
#define ACTF(x) (x)
#define ACTV(x) (x)
#endif

#if GEMM_GPU == 0 /* ======================== CPU variant: kernel gemm ======================== */
__kernel __attribute__((reqd_work_group_size(1, 1, 1)))
void GEMM_NAME(__global float* C, const int offC, const int ldc,
          __global const float* A, const int offA, const int lda,
          __global const float* B, const int offB, const int ldb,
          __global const float* bias, const int offBias,
          const int M, const int N, const int K, const float alpha, const float beta ROWSUM_ARGS MASK_ARGS RELU_MASK_ARGS GEMM_EXTRA_ARGS)
{
  __local float16 Bp16[KC * NC / 16];   /* packed op(B) slice: [NC/NR panels][KC][NR]   */
  __local float16 Ap16[MC * KC / 16];   /* packed op(A) slice: [MC/APW groups][KC][APW] */
  __local float* Ap = (__local float*)Ap16;
  __local float16 Cacc16[MC * NC / 16]; /* partial sums between K slices: [MC][NC]      */
  __local float* Bp = (__local float*)Bp16;
#if ROWSUM_A
  __local float16 RS16[MC / 16];        /* row sums of op(A) between K slices: [MC]      */
  __local float* RS = (__local float*)RS16;
  S += offS;
#endif

  C += offC; A += offA; B += offB; bias += offBias;

  /* balanced split of the output among the work-groups: rows in steps of MR, columns in steps of
     16 (a work-group's last NR panel may be 16 wide: it runs the one-vector loop below) */
  const int nbN = (N + 15) / 16, nbM = (M + MR - 1) / MR;
  const int gn = get_num_groups(0), gm = get_num_groups(1);
  const int gj = get_group_id(0), gi = get_group_id(1);
  const int nBeg = (int)(((long)gj * nbN) / gn) * 16;
  const int nEnd = min(N, (int)(((long)(gj + 1) * nbN) / gn) * 16);
  const int mBeg = (int)(((long)gi * nbM) / gm) * MR;
  const int mEnd = min(M, (int)(((long)(gi + 1) * nbM) / gm) * MR);
  /* K in nK slices of equal length kcs <= KC (a multiple of 16 when KC is): no short last slice */
  const int nK = K > 0 ? (K + KC - 1) / KC : 1;
  const int kcs = (KC % 16) == 0 ? min(KC, (((K + nK - 1) / nK + 15) / 16) * 16) : KC;
#if GEMM_PF
  const bool pfOn = nK > 1 && (long)M * K + (long)K * N >= (long)PF_MIN;
#endif

  for (int mt = mBeg; mt < mEnd; mt += MC) {
    const int mh = min(MC, mEnd - mt);          /* rows in this tile           */
    const int npM = (mh + MR - 1) / MR;         /* MR micro-panels             */
    const int rowsPk = ((npM * MR + 15) / 16) * 16; /* rows to pack (<= MC)   */
    for (int nt = nBeg; nt < nEnd; nt += NC) {
      const int nw = min(NC, nEnd - nt);        /* columns in this tile        */
      const int npN = (nw + NR - 1) / NR;       /* NR micro-panels             */
      /* the last panel holds 16 columns or fewer: only its first vector is packed and computed */
      const bool halfLast = NV > 1 && nw - (npN - 1) * NR <= 16;
      const int nb16 = halfLast ? (npN - 1) * NV + 1 : npN * NV; /* 16-column blocks to pack */
      for (int kc = 0; kc < nK; kc++) {
        const int k0 = kc * kcs;
        const int kl = max(0, min(kcs, K - k0));

        /* ---------------- pack op(B)[k0:k0+kl, nt:nt+npN*NR] ---------------- */
#if TRANS_B == 0
        for (int k = 0; k < kl; k++) {
          __global const float* brow = B + (size_t)(k0 + k) * ldb + nt;
          for (int c16 = 0; c16 < nb16; c16++) {
            const int col = nt + c16 * 16;
            float16 v;
            if (col + 16 <= N) v = vload16(0, brow + c16 * 16);
            else { float t[16]; for (int e = 0; e < 16; e++) t[e] = (col + e < N) ? brow[c16 * 16 + e] : 0.0f; v = vload16(0, t); }
            Bp16[(c16 / NV) * KC * NV + k * NV + (c16 % NV)] = v;
          }
        }
#else
        for (int c16 = 0; c16 < nb16; c16++) {
          const int col = nt + c16 * 16;
          __local float16* dst16 = Bp16 + (c16 / NV) * KC * NV + (c16 % NV);
          if (col >= N) { for (int k = 0; k < kl; k++) dst16[k * NV] = (float16)(0.0f); continue; }
          __global const float* bsrc = B + (size_t)col * ldb + k0;
          const int cw = min(16, N - col); /* columns of this block inside B (rows of the stored N x K) */
          int kk = 0;
          if (cw == 16) {
            for (; kk + 16 <= kl; kk += 16) {
              float16 t[16];
              _Pragma("unroll") for (int i = 0; i < 16; i++) t[i] = vload16(0, bsrc + (size_t)i * ldb + kk);
              TRANSPOSE16(t)
              _Pragma("unroll") for (int i = 0; i < 16; i++) dst16[(kk + i) * NV] = t[i];
            }
          } else {
            /* a partial block: the missing rows transpose as zeros */
            for (; kk + 16 <= kl; kk += 16) {
              float16 t[16];
              _Pragma("unroll") for (int i = 0; i < 16; i++) t[i] = i < cw ? vload16(0, bsrc + (size_t)i * ldb + kk) : (float16)(0.0f);
              TRANSPOSE16(t)
              _Pragma("unroll") for (int i = 0; i < 16; i++) dst16[(kk + i) * NV] = t[i];
            }
          }
          __local float* dst = (__local float*)dst16;
          for (int k = kk; k < kl; k++) {
            dst16[k * NV] = (float16)(0.0f);
            for (int e = 0; e < cw; e++) dst[k * NR + e] = bsrc[(size_t)e * ldb + k];
          }
        }
#endif

        /* ---------------- pack op(A)[mt:mt+rowsPk, k0:k0+kl] ---------------- */
#if TRANS_A == 0
        for (int i = 0; i < rowsPk; i++) {
          const int row = mt + i;
          __local float* dst = Ap + APIDX(i, 0);
          if (row >= M) {
            for (int k = 0; k < kl; k++) dst[k] = 0.0f;
            continue;
          }
          __global const float* asrc = A + (size_t)row * lda + k0;
          int k = 0;
          for (; k + 16 <= kl; k += 16) vstore16(vload16(0, asrc + k), 0, dst + k);
          for (; k < kl; k++) dst[k] = asrc[k];
        }
#else
        for (int k = 0; k < kl; k++) {
          __global const float* arow = A + (size_t)(k0 + k) * lda + mt;
          for (int i16 = 0; i16 < rowsPk; i16 += 16) {
            float16 t;
            if (mt + i16 + 16 <= M) t = vload16(0, arow + i16);
            else { float tt[16]; for (int e = 0; e < 16; e++) tt[e] = (mt + i16 + e < M) ? arow[i16 + e] : 0.0f; t = vload16(0, tt); }
#if APW == 16
            Ap16[APIDX(i16, k) / 16] = t;
#else
            float tt[16]; vstore16(t, 0, tt);
            _Pragma("unroll") for (int e = 0; e < 16; e++) Ap[APIDX(i16 + e, k)] = tt[e];
#endif
          }
        }
#endif

#if ROWSUM_A
        /* ---------------- row sums of op(A): the work-group whose columns start at 0 ---------------- */
        if (nt == 0) {
#if TRANS_A == 0
          /* per row: 16 partial sums along k, added in a fixed order, then the tail */
          for (int i = 0; i < rowsPk; i++) {
            __local const float* ar = Ap + APIDX(i, 0);
            float16 s16 = (float16)(0.0f);
            int k = 0;
            for (; k + 16 <= kl; k += 16) s16 += vload16(0, ar + k);
            float sv[16];
            vstore16(s16, 0, sv);
            float s = kc == 0 ? 0.0f : RS[i];
            for (int e = 0; e < 16; e++) s += sv[e];
            for (; k < kl; k++) s += ar[k];
            RS[i] = s;
          }
#elif APW == 16
          for (int g = 0; g < rowsPk / 16; g++) {
            float16 s = kc == 0 ? (float16)(0.0f) : RS16[g];
            for (int k = 0; k < kl; k++) s += Ap16[g * KC + k];
            RS16[g] = s;
          }
#else
          for (int i = 0; i < rowsPk; i++) {
            float s = kc == 0 ? 0.0f : RS[i];
            for (int k = 0; k < kl; k++) s += Ap[APIDX(i, k)];
            RS[i] = s;
          }
#endif
          if (kc == nK - 1) {
            for (int i = 0; i < mh; i++) {
              const int m = mt + i;
              S[m] = betaS == 0.0f ? RS[i] : fma(betaS, S[m], RS[i]);
            }
          }
        }
#endif

#if GEMM_PF
        /* the next K slice's lines of op(A) and op(B) for this tile, shared out among the micro-tiles */
        const int k0n = k0 + kcs, kln = pfOn ? max(0, min(kcs, K - k0n)) : 0;
        const int mRows = min(rowsPk, M - mt), nCols = min(nb16 * 16, N - nt);
#if TRANS_A == 0
        __global const float* pfA = A + (size_t)mt * lda + k0n; const int oA = mRows, lA = (kln + 15) / 16;
#else
        __global const float* pfA = A + (size_t)k0n * lda + mt; const int oA = kln, lA = (mRows + 15) / 16;
#endif
#if TRANS_B == 0
        __global const float* pfB = B + (size_t)k0n * ldb + nt; const int oB = kln, lB = (nCols + 15) / 16;
#else
        __global const float* pfB = B + (size_t)nt * ldb + k0n; const int oB = nCols, lB = (kln + 15) / 16;
#endif
        const int linesA = kln > 0 ? oA * lA : 0, linesB = kln > 0 ? oB * lB : 0;
        const int pfPer = (linesA + linesB + npN * npM - 1) / (npN * npM);
#endif
        /* ---------------- micro-kernel over the packed panels ---------------- */
        for (int jp = 0; jp < npN; jp++) {
          __local const float16* bp = Bp16 + jp * KC * NV;
          for (int ip = 0; ip < npM; ip++) {
            __local const float* ap = Ap + APIDX(ip * MR, 0);
            float16 acc[MR][NV];
            if (kc == 0) {
              _Pragma("unroll") for (int r = 0; r < MR; r++) _Pragma("unroll") for (int v = 0; v < NV; v++) acc[r][v] = (float16)(0.0f);
            } else {
              _Pragma("unroll") for (int r = 0; r < MR; r++) _Pragma("unroll") for (int v = 0; v < NV; v++)
                acc[r][v] = Cacc16[(ip * MR + r) * (NC / 16) + jp * NV + v];
            }
            /* columns of this panel inside the tile: NR, or fewer in the tile's last panel */
            const int pw = jp == npN - 1 ? nw - jp * NR : NR;
            if (pw <= 8) {
              /* 8 columns or fewer: one float8 per row (half the FMA work of a float16 on a CPU
                 whose 512-bit FMAs issue as two 256-bit halves) */
              GEMM_TAIL8(0)
            } else if (halfLast && jp == npN - 1) {
              /* 16 columns or fewer: one vector per row (the others stay as they are, unused) */
              for (int k = 0; k < kl; k++) {
                const float16 b0 = bp[k * NV];
                _Pragma("unroll") for (int r = 0; r < MR; r++) acc[r][0] = fma((float16)(AP_AT(ap, r, k)), b0, acc[r][0]);
              }
#if NV > 1
            } else if (pw - (NV - 1) * 16 <= 8) {
              /* NV - 1 full vectors and one of 8 columns or fewer (N = 20: 16 + 4, N = 40: 32 + 8) */
              GEMM_TAIL8(NV - 1)
#endif
            } else {
              for (int k = 0; k < kl; k++) {
                float16 b[NV];
                _Pragma("unroll") for (int v = 0; v < NV; v++) b[v] = bp[k * NV + v];
                _Pragma("unroll") for (int r = 0; r < MR; r++) {
                  const float16 a = (float16)(AP_AT(ap, r, k));
                  _Pragma("unroll") for (int v = 0; v < NV; v++) acc[r][v] = fma(a, b[v], acc[r][v]);
                }
              }
            }
            if (kc < nK - 1) {
              _Pragma("unroll") for (int r = 0; r < MR; r++) _Pragma("unroll") for (int v = 0; v < NV; v++)
                Cacc16[(ip * MR + r) * (NC / 16) + jp * NV + v] = acc[r][v];
#if GEMM_PF
              if (pfPer > 0) {
                const int q0 = (jp * npM + ip) * pfPer, q1 = q0 + pfPer;
                if (q0 < linesA) gemm_pf(pfA, lda, oA, lA, q0, min(q1, linesA));
                if (q1 > linesA) gemm_pf(pfB, ldb, oB, lB, max(q0, linesA) - linesA, q1 - linesA);
              }
#endif
            } else {
              /* ---------------- epilogue: alpha, beta*C, bias, activation, store ---------------- */
              _Pragma("unroll") for (int r = 0; r < MR; r++) {
                const int m = mt + ip * MR + r;
                if (m < mEnd) {
                  __global float* crow = C + (size_t)m * ldc;
                  _Pragma("unroll") for (int v = 0; v < NV; v++) {
                    const int n = nt + jp * NR + v * 16;
                    float16 x = alpha * acc[r][v];
#if MASK_C
                    __global const float* mrow = Mk + offMk + (size_t)m * ldMk;
#endif
#if RELU_MASK_C
                    __global const float* yrow = Yr + offYr + (size_t)m * ldYr;
#endif
                    if (n + 16 <= nEnd) {
#if MASK_C
                      x *= vload16(0, mrow + n);
#endif
#if RELU_MASK_C
                      x *= 1.0f - step(vload16(0, yrow + n), (float16)(0.0f)); /* [y > 0]: step(y, 0) = [0 >= y] */
#endif
                      if (beta != 0.0f) x = fma((float16)(beta), vload16(0, crow + n), x);
#if HAS_BIAS
                      x += vload16(0, bias + n);
#endif
                      x = ACTV(x);
                      GEMM_STORE16(x, crow, m, n);
                    } else if (n < nEnd) {
                      float t[16]; vstore16(x, 0, t);
                      for (int e = 0; e < 16 && n + e < nEnd; e++) {
                        float y = t[e];
#if MASK_C
                        y *= mrow[n + e];
#endif
#if RELU_MASK_C
                        y *= yrow[n + e] > 0.0f ? 1.0f : 0.0f;
#endif
                        if (beta != 0.0f) y = fma(beta, crow[n + e], y);
#if HAS_BIAS
                        y += bias[n + e];
#endif
                        GEMM_STORE1(ACTF(y), crow, m, n + e);
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
  }
}

#if defined(GEMM_PLAIN) && (TRANS_A == 1 || TRANS_B == 1)
/*
 * KERNEL gemm_thin: the same product, arguments and epilogue as gemm, for thin outputs N <= THIN_N
 * (a flow net's 2- or 4-wide scale/shift layer, a GAN critic's single column, the gradient of a
 * 2-D input layer), where gemm's 16*NV-column micro-tiles would leave most lanes idle. No __local
 * memory, no barriers. Work-item g computes rows [16g, min(16g + 16, M)) of C, all N columns:
 *   TRANS_A == 1: op(A)[m.., k] is contiguous along m, so 16 rows advance together: one vload16 of
 *                 A per k, op(B)[k, j] broadcast, float16 accumulators per column (sums in k order);
 *   TRANS_A == 0, TRANS_B == 1: op(A)[m, k..] and op(B)[k.., j] are contiguous along k: one row at
 *                 a time in float16 chunks of k (16 partial sums per column, added in a fixed order
 *                 at the end, then the K % 16 tail).
 *   TRANS_A == 0, TRANS_B == 0 has no contiguous direction to vectorize: gemm_thin is not built
 *                 for it, and the host runs gemm.
 * ROWSUM_A: each work-item also sums its rows of op(A) along k (as gemm, see the defines).
 * LAUNCH: 1-D, global = ceil(M / 16), any local size. Deterministic (fixed order, no atomics).
 */
#define THIN_B(k, j) (TRANS_B ? B[(size_t)(j) * ldb + (k)] : B[(size_t)(k) * ldb + (j)])
#if HAS_BIAS
#define THIN_BIAS(j) bias[(j)]
#else
#define THIN_BIAS(j) 0.0f
#endif
#define THIN_STORE(m, j, s) do { \
    float y_ = alpha * (s); \
    if (beta != 0.0f) y_ += beta * C[(size_t)(m) * ldc + (j)]; \
    y_ += THIN_BIAS(j); \
    C[(size_t)(m) * ldc + (j)] = ACTF(y_); \
  } while (0)

__kernel void gemm_thin(__global float* C, const int offC, const int ldc,
                        __global const float* A, const int offA, const int lda,
                        __global const float* B, const int offB, const int ldb,
                        __global const float* bias, const int offBias,
                        const int M, const int N, const int K, const float alpha, const float beta ROWSUM_ARGS)
{
  C += offC; A += offA; B += offB; bias += offBias;
#if ROWSUM_A
  S += offS;
#endif
  const int m0 = get_global_id(0) * 16;
  if (m0 >= M) return;
  const int rows = min(16, M - m0);
#if TRANS_A == 1
  if (rows == 16) {
    float16 acc[THIN_N];
    float16 rs = (float16)(0.0f);
#pragma unroll
    for (int j = 0; j < THIN_N; j++) acc[j] = (float16)(0.0f);
    for (int k = 0; k < K; k++) {
      const float16 a = vload16(0, A + (size_t)k * lda + m0);
#if ROWSUM_A
      rs += a;
#endif
#pragma unroll
      for (int j = 0; j < THIN_N; j++) {
        if (j < N) acc[j] = fma(a, (float16)(THIN_B(k, j)), acc[j]);
      }
    }
#if ROWSUM_A
    {
      float rsv[16];
      vstore16(rs, 0, rsv);
      for (int r = 0; r < 16; r++) S[m0 + r] = betaS == 0.0f ? rsv[r] : fma(betaS, S[m0 + r], rsv[r]);
    }
#endif
    float out[16];
#pragma unroll
    for (int j = 0; j < THIN_N; j++) {
      if (j < N) {
        vstore16(acc[j], 0, out);
        for (int r = 0; r < 16; r++) THIN_STORE(m0 + r, j, out[r]);
      }
    }
  } else {
    for (int r = 0; r < rows; r++) {
      float acc[THIN_N];
      float rs = 0.0f;
#pragma unroll
      for (int j = 0; j < THIN_N; j++) acc[j] = 0.0f;
      for (int k = 0; k < K; k++) {
        const float a = A[(size_t)k * lda + m0 + r];
#if ROWSUM_A
        rs += a;
#endif
#pragma unroll
        for (int j = 0; j < THIN_N; j++) {
          if (j < N) acc[j] = fma(a, THIN_B(k, j), acc[j]);
        }
      }
#if ROWSUM_A
      S[m0 + r] = betaS == 0.0f ? rs : fma(betaS, S[m0 + r], rs);
#endif
      for (int j = 0; j < N; j++) THIN_STORE(m0 + r, j, acc[j]);
    }
  }
#else
  for (int r = 0; r < rows; r++) {
    __global const float* arow = A + (size_t)(m0 + r) * lda;
    float16 acc[THIN_N];
    float16 rs = (float16)(0.0f);
#pragma unroll
    for (int j = 0; j < THIN_N; j++) acc[j] = (float16)(0.0f);
    int k = 0;
    for (; k + 16 <= K; k += 16) {
      const float16 a = vload16(0, arow + k);
#if ROWSUM_A
      rs += a;
#endif
#pragma unroll
      for (int j = 0; j < THIN_N; j++) {
        if (j < N) {
          acc[j] = fma(a, vload16(0, B + (size_t)j * ldb + k), acc[j]);
        }
      }
    }
    float tail[THIN_N];
#pragma unroll
    for (int j = 0; j < THIN_N; j++) tail[j] = 0.0f;
    float rtail = 0.0f;
    for (; k < K; k++) {
      const float a = arow[k];
#if ROWSUM_A
      rtail += a;
#endif
#pragma unroll
      for (int j = 0; j < THIN_N; j++) {
        if (j < N) tail[j] = fma(a, THIN_B(k, j), tail[j]);
      }
    }
#if ROWSUM_A
    {
      // the same tree as below (the forms Oclgrind can run: a float16's halves through a private
      // copy, the last pair as a dot; see lanes.cl gz_hsum16)
      float rv[16];
      vstore16(rs, 0, rv);
      const float8 r8 = vload8(0, rv) + vload8(1, rv);
      const float4 r4 = r8.lo + r8.hi;
      const float2 r2 = r4.lo + r4.hi;
      const float rsum = dot(r2, (float2)(1.0f)) + rtail;
      S[m0 + r] = betaS == 0.0f ? rsum : fma(betaS, S[m0 + r], rsum);
    }
#endif
#pragma unroll
    for (int j = 0; j < THIN_N; j++) {
      if (j < N) {
        // The lanes' tree sum in the forms Oclgrind can check (see lanes.cl gz_hsum16): the same bits
        // as v.lo + v.hi, then halves, then h2.x + h2.y.
        float v[16];
        vstore16(acc[j], 0, v);
        const float8 h8 = vload8(0, v) + vload8(1, v);
        const float4 h4 = h8.lo + h8.hi;
        const float2 h2 = h4.lo + h4.hi;
        THIN_STORE(m0 + r, j, dot(h2, (float2)(1.0f)) + tail[j]);
      }
    }
  }
#endif
}
#endif /* GEMM_PLAIN, a transposed operand */
#endif /* CPU variant */

#if GEMM_GPU == 1 /* ======================== GPU variant: kernel gemm_tiled ======================== */
/*
 * Same arguments and the same result as the CPU kernel, shaped for GPUs (after Nugteren's myGEMM
 * steps 2-6): a 2-D work-group of RTSN x RTSM work-items computes a TSM x TSN block of C. Per
 * TSK-slice of K the work-group copies op(A)[TSM x TSK] and op(B)[TSK x TSN] into __local tiles
 * (coalesced: consecutive work-items read consecutive addresses along each matrix's contiguous
 * dimension, VW floats at a time when the matrix's offset and leading dimension are multiples of
 * VW, zero-filled outside the matrix), then every work-item accumulates its WPTM x WPTN register
 * block (rows tidm + i*RTSM, columns tidn + j*RTSN: strided, so the work-items of a warp read
 * consecutive local addresses and write consecutive columns of C). Summation order is fixed: the
 * result does not depend on the launch.
 *
 * LAUNCH: local = { TSN / WPTN, TSM / WPTM },
 *         global = { ceil(N / TSN) * TSN / WPTN, ceil(M / TSM) * TSM / WPTM }.
 * DEFINES (defaults in brackets): TSM [64], TSN [64] block of C per work-group; TSK [16] K-slice;
 *   WPTM [4], WPTN [4] register block per work-item; VW [4] vector width of global loads (1, 2, 4
 *   or 8; divides TSK, TSM and TSN); PAD [1] floats of padding per local-tile row (bank conflicts).
 * __local use = 4 * TSK * (TSM + TSN + 2 * PAD) bytes (defaults: 8.3 KiB).
 */
#ifndef TSM
#define TSM 64
#endif
#ifndef TSN
#define TSN 64
#endif
#ifndef TSK
#define TSK 16
#endif
#ifndef WPTM
#define WPTM 4
#endif
#ifndef WPTN
#define WPTN 4
#endif
#ifndef VW
#define VW 4
#endif
#ifndef PAD
#define PAD 1
#endif
#define RTSM (TSM / WPTM)
#define RTSN (TSN / WPTN)
#define NTHREADS (RTSM * RTSN)
#define LDAS (TSM + PAD)
#define LDBS (TSN + PAD)
#if (TSM % WPTM) != 0 || (TSN % WPTN) != 0
#error "TSM must be a multiple of WPTM and TSN of WPTN"
#endif
#if (TSK % VW) != 0 || (TSM % VW) != 0 || (TSN % VW) != 0
#error "VW must divide TSK, TSM and TSN"
#endif

#if VW == 1
typedef float floatv;
#define VLOADS(p, t) { (t)[0] = *(p); }
#elif VW == 2
typedef float2 floatv;
#define VLOADS(p, t) { vstore2(*(__global const float2*)(p), 0, (t)); }
#elif VW == 4
typedef float4 floatv;
#define VLOADS(p, t) { vstore4(*(__global const float4*)(p), 0, (t)); }
#elif VW == 8
typedef float8 floatv;
#define VLOADS(p, t) { vstore8(*(__global const float8*)(p), 0, (t)); }
#else
#error "VW must be 1, 2, 4 or 8"
#endif

/*
 * Copies the TS x TSK tile of op(X) starting at (r0, k0) into Xs[k][r] (row length LDX), zero
 * outside R x K. CONTIG_K: X's contiguous dimension is k (element (r, k) at X[r*ld + k]); else r
 * (element at X[k*ld + r]). aligned: X's offset and ld are multiples of VW.
 */
#define LOAD_TILE(Xs, LDX, X, ld, R, K, r0, k0, TS, CONTIG_K, aligned)                               \
  {                                                                                                   \
    const int nvec_ = (TS) * TSK / VW;                                                                \
    for (int v_ = tid; v_ < nvec_; v_ += NTHREADS) {                                                  \
      /* quotient and remainder by hand: a '/' and '%' pair makes LLVM emit 'freeze', which      \
         Oclgrind's uninitialized-value checker cannot interpret */                                   \
      const int per_ = (CONTIG_K) ? TSK / VW : (TS) / VW;                                             \
      const int q_ = v_ / per_, e0_ = (v_ - q_ * per_) * VW;                                          \
      const int r_ = (CONTIG_K) ? q_ : e0_, k_ = (CONTIG_K) ? e0_ : q_;                                \
      const int gr_ = (r0) + r_, gk_ = (k0) + k_;                                                      \
      float t_[VW];                                                                                   \
      if (CONTIG_K) {                                                                                 \
        if ((aligned) && gr_ < (R) && gk_ + VW <= (K)) VLOADS((X) + (size_t)gr_ * (ld) + gk_, t_)    \
        else for (int e_ = 0; e_ < VW; e_++)                                                          \
          t_[e_] = (gr_ < (R) && gk_ + e_ < (K)) ? (X)[(size_t)gr_ * (ld) + gk_ + e_] : 0.0f;         \
        for (int e_ = 0; e_ < VW; e_++) Xs[(k_ + e_) * (LDX) + r_] = t_[e_];                          \
      } else {                                                                                        \
        if ((aligned) && gk_ < (K) && gr_ + VW <= (R)) VLOADS((X) + (size_t)gk_ * (ld) + gr_, t_)    \
        else for (int e_ = 0; e_ < VW; e_++)                                                          \
          t_[e_] = (gk_ < (K) && gr_ + e_ < (R)) ? (X)[(size_t)gk_ * (ld) + gr_ + e_] : 0.0f;         \
        for (int e_ = 0; e_ < VW; e_++) Xs[k_ * (LDX) + r_ + e_] = t_[e_];                            \
      }                                                                                               \
    }                                                                                                 \
  }

__kernel __attribute__((reqd_work_group_size(RTSN, RTSM, 1)))
void gemm_tiled(__global float* C, const int offC, const int ldc,
                __global const float* A, const int offA, const int lda,
                __global const float* B, const int offB, const int ldb,
                __global const float* bias, const int offBias,
                const int M, const int N, const int K, const float alpha, const float beta)
{
  __local float As[TSK * LDAS];   /* op(A) slice, k-major: As[k][m] */
  __local float Bs[TSK * LDBS];   /* op(B) slice, k-major: Bs[k][n] */

  const int tidn = get_local_id(0), tidm = get_local_id(1);
  const int tid = tidm * RTSN + tidn;
  const int n0 = get_group_id(0) * TSN, m0 = get_group_id(1) * TSM;
  /* vector loads only where every vector starts on a VW-float boundary (uniform per launch) */
  const bool alignA = (offA % VW) == 0 && (lda % VW) == 0;
  const bool alignB = (offB % VW) == 0 && (ldb % VW) == 0;
  C += offC; A += offA; B += offB; bias += offBias;

  float acc[WPTM][WPTN];
  _Pragma("unroll") for (int i = 0; i < WPTM; i++) _Pragma("unroll") for (int j = 0; j < WPTN; j++) acc[i][j] = 0.0f;

  for (int k0 = 0; k0 < K; k0 += TSK) {
    LOAD_TILE(As, LDAS, A, lda, M, K, m0, k0, TSM, TRANS_A == 0, alignA)
    LOAD_TILE(Bs, LDBS, B, ldb, N, K, n0, k0, TSN, TRANS_B == 1, alignB)
    barrier(CLK_LOCAL_MEM_FENCE);
    _Pragma("unroll") for (int k = 0; k < TSK; k++) {
      float a[WPTM], b[WPTN];
      _Pragma("unroll") for (int i = 0; i < WPTM; i++) a[i] = As[k * LDAS + tidm + i * RTSM];
      _Pragma("unroll") for (int j = 0; j < WPTN; j++) b[j] = Bs[k * LDBS + tidn + j * RTSN];
      _Pragma("unroll") for (int i = 0; i < WPTM; i++)
        _Pragma("unroll") for (int j = 0; j < WPTN; j++) acc[i][j] = fma(a[i], b[j], acc[i][j]);
    }
    barrier(CLK_LOCAL_MEM_FENCE);
  }

  /* epilogue: alpha, beta*C (C not read when beta == 0), bias, activation */
  _Pragma("unroll") for (int i = 0; i < WPTM; i++) {
    const int m = m0 + tidm + i * RTSM;
    if (m < M) {
      __global float* crow = C + (size_t)m * ldc;
      _Pragma("unroll") for (int j = 0; j < WPTN; j++) {
        const int n = n0 + tidn + j * RTSN;
        if (n < N) {
          float y = alpha * acc[i][j];
          if (beta != 0.0f) y = fma(beta, crow[n], y);
#if HAS_BIAS
          y += bias[n];
#endif
          crow[n] = ACTF(y);
        }
      }
    }
  }
}
#endif /* GPU variant */
