// Counter-based random numbers: Philox-4x32-10 (Salmon, Moraes, Dror, Shaw, "Parallel random
// numbers: as easy as 1, 2, 3", SC 2011), and the noise ops built on it.
//
// Generator. philox(ctr, key) maps a 128-bit counter ctr = (c0, c1, c2, c3) and a 64-bit key
// (k0, k1) to four uint32 words through 10 rounds of
//     (hi0, lo0) = M0 * c0,  (hi1, lo1) = M1 * c2        (32x32 -> 64-bit products)
//     ctr = (hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0)
// with the key bumped by (W0, W1) between rounds. Nothing is stored: any block is computed from its
// counter alone, so each work-item draws its own noise and the host sends only a few integers.
//
// Counter convention (the same for every op in this file, and in Rng.java):
//     key = (seed low 32 bits, seed high 32 bits)
//     ctr = (i, counter low 32 bits, counter high 32 bits, stream)
// One (seed, stream, counter) triple names one draw of a whole tensor; the host advances the
// counter by one per call. Elements are numbered by i = r * C + c, their index in the LOGICAL
// row-major R x C shape (not their memory address), so a view and a contiguous tensor of the same
// shape receive the same numbers, and so (but for binarize's) does any reshape of a contiguous
// tensor.
//   uniform, bernoulli: element i takes word 0 of the block at ctr.x = i (gibbs.cl draws the
//            same numbers inside its GEMM epilogue, so this one stays);
//   binarize (data binarization, alone or fused with the minibatch gather): all four words of a
//            block, in runs of 16 columns. Row r is cut into groups of 64 columns; column c takes
//            word (c mod 64) / 16 of the block at ctr.x = r * BR + 16 * (c / 64) + c mod 16,
//            BR = 16 * ceil(C / 64) blocks per row. A quarter of the Philox work of bernoulli, and
//            16 consecutive blocks give 64 consecutive columns, so the work-item of one block
//            stores 4 floats 16 apart: consecutive work-items store consecutive floats (vector
//            stores on a CPU, coalesced ones on a GPU). These numbers depend on (r, c) and on C.
//   normal, reparameterize: element i takes words 0 and 1 of the block at ctr.x = i.
//
// Mappings from a word u to floats:
//     uniform  U   = (u >> 8) * 2^-24             in [0, 1 - 2^-24]: exact in float, never 1
//     normal   Z   = sqrt(-2 log(1 - U0)) * cos(2 pi U1)   (Box-Muller, cosine branch)
//                    1 - U0 lies in (0, 1]: log never sees 0, so |Z| <= sqrt(48 ln 2) ~ 5.77
//     bernoulli Y  = U < p ? 1 : 0                 (p <= 0 gives 0, p >= 1 gives 1)
//
// Every operand is a row-major view addressed base[off + r * ld + c]. The binarize kernels run one
// work-item per block, global (BR, R) in either layout (on CPUs, -DRNG_BLOCKS16=1: 16 blocks of
// RNG_ROWS rows per work-item, see there). The other kernels have two launch layouts
// (the numbers depend only on (r, c), never on the layout):
//   grid (default)  global (C, R): work-item (c, r); a work-group of (X, Y) writes Y rows of X
//                   consecutive floats.
//   flat (-DRNG_FLAT=1)  global (R * C): work-item i is element i = r * C + c of the logical
//                   shape, so consecutive work-items write consecutive addresses of a contiguous
//                   tensor and no lane idles at the end of a short row (coalesced stores on GPUs).
// The host passes a contiguous tensor to either layout as one row (R = 1, C = R * C: the same
// logical indices, so the same numbers). Kernels guard the tail.

#include "mathutil.cl"

#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u
#define PHILOX_W1 0xBB67AE85u

#define TWO_POW_M24 5.9604644775390625e-8f

#ifndef RNG_FLAT
#define RNG_FLAT 0
#endif

// Declares this work-item's element (r, c) of the logical R x C shape; returns when it has none.
#if RNG_FLAT
#define RNG_ELEMENT(R, C) \
    const int i_ = get_global_id(0); \
    const int r = i_ / max((C), 1); \
    const int c = i_ - r * (C); \
    if (r >= (R)) { \
        return; \
    }
#else
#define RNG_ELEMENT(R, C) \
    const int c = get_global_id(0); \
    const int r = get_global_id(1); \
    if (r >= (R) || c >= (C)) { \
        return; \
    }
#endif

// One Philox round. The 32x32 -> 64-bit products are written as ulong multiplies rather than
// mul_hi: PoCL 3.1 lowers mul_hi to a slow generic sequence (4x slower here), while a widening
// multiply maps onto the vector unit.
inline uint4 philox_round(uint4 c, uint2 k) {
    ulong p0 = (ulong)PHILOX_M0 * c.x;
    ulong p1 = (ulong)PHILOX_M1 * c.z;
    return (uint4)((uint)(p1 >> 32) ^ c.y ^ k.x, (uint)p1, (uint)(p0 >> 32) ^ c.w ^ k.y, (uint)p0);
}

// Always inlined: PoCL 3.1 judged the unrolled body too costly to inline into the kernels (cost
// 545 > 506), and a call inside the work-item loop stops it vectorizing across work-items (the
// bernoulli draw of a 128 x 784 batch took 0.9-1.2 ms instead of 0.17).
__attribute__((always_inline)) inline uint4 philox4x32_10(uint4 c, uint2 k) {
    c = philox_round(c, k);
    // Fully unrolled: with the loop kept, PoCL does not vectorize across work-items (15x slower).
#pragma unroll
    for (int i = 1; i < 10; i++) {
        k += (uint2)(PHILOX_W0, PHILOX_W1);
        c = philox_round(c, k);
    }
    return c;
}

inline uint4 philox_at(uint i, uint ctrLo, uint ctrHi, uint stream, uint keyLo, uint keyHi) {
    return philox4x32_10((uint4)(i, ctrLo, ctrHi, stream), (uint2)(keyLo, keyHi));
}

inline float u24(uint u) {
    return (float)(u >> 8) * TWO_POW_M24;
}

// log and cospi are the vectorizable forms from mathutil.cl (PoCL's are scalar calls, 50x slower).
inline float box_muller(uint a, uint b) {
    float r = sqrt(-2.0f * gz_log(1.0f - u24(a)));
    return r * gz_cospi(2.0f * u24(b));
}

// ---- binarize kernels: work-item (j, r) computes block j of row r (see the header) ----

// Declares the block's row r, its first column c0 and its counter word b; returns past the end.
#define BINARIZE_BLOCK(R, C) \
    const int j = get_global_id(0); \
    const int r = get_global_id(1); \
    const int br = ((C + 63) >> 6) << 4; \
    if (r >= (R) || j >= br) { \
        return; \
    } \
    /* shifts and masks, not / and %: clang's freeze of a shared quotient stops Oclgrind's */ \
    /* uninitialized-value checker ("Unsupported instruction: freeze") */ \
    const int c0 = ((j >> 4) << 6) + (j & 15); \
    const uint b = (uint)(r * br + j);

// out[c] = U(word) < p[c] ? 1 : 0 when column c exists (written out four times rather than as a
// loop over the words: PoCL then vectorizes the kernel across work-items).
#define BINARIZE_STORE(out, p, c, C, word) \
    if ((c) < (C)) { \
        (out)[c] = u24(word) < (p)[c] ? 1.0f : 0.0f; \
    }

// Raw generator output, for known-answer tests: the R x C output, flattened row-major (i = r*C + c),
// receives word (i % 4) of philox((c0 + i / 4, c1, c2, c3), (k0, k1)) as uint32 bits.
// out: R x C.
__kernel void philox_raw(__global uint* out, const int offOut, const int ldOut,
                         const uint c0, const uint c1, const uint c2, const uint c3,
                         const uint k0, const uint k1, const int R, const int C) {
    RNG_ELEMENT(R, C)
    uint i = (uint)(r * C + c);
    uint4 w = philox4x32_10((uint4)(c0 + i / 4u, c1, c2, c3), (uint2)(k0, k1));
    // Word i % 4 by index: Oclgrind 21.10 ran the equivalent select chain
    // (i % 4 == 0 ? w.x : i % 4 == 1 ? w.y : ...) wrongly, giving w.w for words 4 and 5.
    uint words[4];
    vstore4(w, 0, words);
    out[offOut + r * ldOut + c] = words[i % 4u];
}

// out[r, c] = U ~ Uniform[0, 1).  out: R x C.
__kernel void rng_uniform(__global float* out, const int offOut, const int ldOut,
                          const uint ctrLo, const uint ctrHi, const uint stream,
                          const uint keyLo, const uint keyHi, const int R, const int C) {
    RNG_ELEMENT(R, C)
    uint4 w = philox_at((uint)(r * C + c), ctrLo, ctrHi, stream, keyLo, keyHi);
    out[offOut + r * ldOut + c] = u24(w.x);
}

// out[r, c] = Z ~ N(0, 1).  out: R x C.
__kernel void rng_normal(__global float* out, const int offOut, const int ldOut,
                         const uint ctrLo, const uint ctrHi, const uint stream,
                         const uint keyLo, const uint keyHi, const int R, const int C) {
    RNG_ELEMENT(R, C)
    uint4 w = philox_at((uint)(r * C + c), ctrLo, ctrHi, stream, keyLo, keyHi);
    out[offOut + r * ldOut + c] = box_muller(w.x, w.y);
}

// out[r, c] = U < p[r, c] ? 1 : 0, U the uniform rng_uniform draws there.  out, p: R x C.
__kernel void rng_bernoulli(__global float* out, const int offOut, const int ldOut,
                            __global const float* p, const int offP, const int ldP,
                            const uint ctrLo, const uint ctrHi, const uint stream,
                            const uint keyLo, const uint keyHi, const int R, const int C) {
    RNG_ELEMENT(R, C)
    uint4 w = philox_at((uint)(r * C + c), ctrLo, ctrHi, stream, keyLo, keyHi);
    out[offOut + r * ldOut + c] = u24(w.x) < p[offP + r * ldP + c] ? 1.0f : 0.0f;
}

#ifndef RNG_BLOCKS16
#define RNG_BLOCKS16 0
#endif

// Philox-4x32-10 on 16 counters at once (lanes differ only in word 0 of the counter): the same
// function as philox4x32_10, lane by lane, with the four output words in o[0..3]. Used by the CPU
// form of the binarize kernels below and by gibbs.cl's fused Bernoulli and Gaussian draws.
// The state stays in ulong16 lanes for all 10 rounds, each word's value in the low 32 bits and
// whatever the products left in the high 32 (never read): the multiplies look only at the low
// halves ((v & 0xffffffff) * M is one AVX-512 vpmuludq per 8 lanes, the mask folded away), the
// high product word is p >> 32, the low one is p itself, and the xors keep the low halves exact.
// Narrowing to uint16 and widening again in every round, as this function first did, cost about
// twice the instructions per round (PoCL here, binarizing 128 x 784 with its rows in cache: 56 ->
// 34 us).
inline void philox16x4(uint16 c0, uint c1, uint c2, uint c3, uint k0, uint k1, uint16* o) {
    ulong16 x = convert_ulong16(c0), y = (ulong16)(c1), z = (ulong16)(c2), w = (ulong16)(c3);
#pragma unroll
    for (int i = 0; i < 10; i++) {
        ulong16 p0 = (x & 0xffffffffUL) * (ulong)PHILOX_M0;
        ulong16 p1 = (z & 0xffffffffUL) * (ulong)PHILOX_M1;
        x = (p1 >> 32) ^ y ^ (ulong)k0;
        y = p1;
        z = (p0 >> 32) ^ w ^ (ulong)k1;
        w = p0;
        k0 += PHILOX_W0;
        k1 += PHILOX_W1;
    }
    o[0] = convert_uint16(x);
    o[1] = convert_uint16(y);
    o[2] = convert_uint16(z);
    o[3] = convert_uint16(w);
}

#if RNG_BLOCKS16
// CPU form of the binarize kernels (-DRNG_BLOCKS16=1): work-item (g, q) computes column group g
// (columns [64 g, 64 g + 64)) of the RNG_ROWS rows r = RNG_ROWS q .. RNG_ROWS q + RNG_ROWS - 1 that
// exist: per row, the 16 blocks of the group at once in uint16 vectors (PoCL runs one AVX-512 op per
// 8 or 16 blocks), word k of the 16 going to columns 64 g + 16 k .. + 15: the same numbers as the
// one-block work-items. Global (ceil(C / 64), ceil(R / RNG_ROWS)).
// Several rows per work-item because the source rows of a minibatch are scattered over the data
// set and cold in cache and TLB when the kernel starts: loading the group of all RNG_ROWS rows
// before drawing keeps that many row streams in flight at once (one row at a time, the 128 x 784
// gather spent longer waiting on memory than drawing its Philox numbers).

#ifndef RNG_ROWS
#define RNG_ROWS 4
#endif

// Columns c .. c + 15 of a row: one vector when all exist, else one by one.
inline void binarize_store16(__global float* orow, __global const float* prow, int c, int C, uint16 u) {
    if (c + 16 <= C) {
        float16 uf = convert_float16(u >> 8) * TWO_POW_M24;
        gz_store16(select((float16)(0.0f), (float16)(1.0f), uf < vload16(0, prow + c)), orow + c);
    } else {
        uint t[16];
        vstore16(u, 0, t);
        for (int l = 0; c + l < C; l++) {
            orow[c + l] = u24(t[l]) < prow[c + l] ? 1.0f : 0.0f;
        }
    }
}

// The work-item's rows of out = U < src, src row r at x + offX + (idx ? idx[offIdx + r] : r) * ldX.
// Each element is read before it is written, by the work-item that writes it, so out may be x
// (binarize in place) when idx is null. Rows past R are not drawn or stored; their loads repeat
// row R - 1 (in range, and this work-item's own).
__attribute__((always_inline)) inline void binarize_rows16(__global float* out, int offOut, int ldOut,
        __global const float* x, int offX, int ldX, __global const int* idx, int offIdx,
        uint ctrLo, uint ctrHi, uint stream, uint keyLo, uint keyHi, int R, int C) {
    const int g = get_global_id(0);
    const int r0 = get_global_id(1) * RNG_ROWS;
    if (r0 >= R || 64 * g >= C) {
        return;
    }
    const int br = ((C + 63) >> 6) << 4;
    const int c = 64 * g;
    __global const float* src[RNG_ROWS];
#pragma unroll
    for (int j = 0; j < RNG_ROWS; j++) {
        const int rj = min(r0 + j, R - 1);
        src[j] = x + offX + (idx ? idx[offIdx + rj] : rj) * ldX;
    }
    const uint16 lane = (uint16)(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    if (c + 64 <= C) {
        float16 v[RNG_ROWS][4];
#pragma unroll
        for (int j = 0; j < RNG_ROWS; j++) {
#pragma unroll
            for (int k = 0; k < 4; k++) {
                v[j][k] = vload16(k, src[j] + c);
            }
        }
#pragma unroll
        for (int j = 0; j < RNG_ROWS; j++) {
            if (r0 + j < R) {
                uint16 o[4];
                philox16x4((uint16)((uint)((r0 + j) * br + 16 * g)) + lane, ctrLo, ctrHi, stream, keyLo, keyHi, o);
                __global float* orow = out + offOut + (r0 + j) * ldOut + c;
#pragma unroll
                for (int k = 0; k < 4; k++) {
                    float16 u = convert_float16(o[k] >> 8) * TWO_POW_M24;
                    gz_store16(select((float16)(0.0f), (float16)(1.0f), u < v[j][k]), orow + 16 * k);
                }
            }
        }
    } else { // the last, partial group of a row
        for (int j = 0; j < RNG_ROWS && r0 + j < R; j++) {
            uint16 o[4];
            philox16x4((uint16)((uint)((r0 + j) * br + 16 * g)) + lane, ctrLo, ctrHi, stream, keyLo, keyHi, o);
            for (int k = 0; k < 4; k++) {
                binarize_store16(out + offOut + (r0 + j) * ldOut, src[j], c + 16 * k, C, o[k]);
            }
        }
    }
}

__kernel void rng_binarize(__global float* out, const int offOut, const int ldOut,
                           __global const float* p, const int offP, const int ldP,
                           const uint ctrLo, const uint ctrHi, const uint stream,
                           const uint keyLo, const uint keyHi, const int R, const int C) {
    binarize_rows16(out, offOut, ldOut, p, offP, ldP, (__global const int*)0, 0, ctrLo, ctrHi, stream, keyLo, keyHi, R, C);
}

__kernel void rng_gather_binarize(__global float* out, const int offOut, const int ldOut,
                                  __global const float* x, const int offX, const int ldX,
                                  __global const int* idx, const int offIdx,
                                  const uint ctrLo, const uint ctrHi, const uint stream,
                                  const uint keyLo, const uint keyHi, const int R, const int C) {
    binarize_rows16(out, offOut, ldOut, x, offX, ldX, idx, offIdx, ctrLo, ctrHi, stream, keyLo, keyHi, R, C);
}

#else

// Dynamic binarization of grey images: out[r, c] = U < x[r, c] ? 1 : 0 (x = pixel intensity in
// [0, 1]), U from the binarize words (header). One work-item per block.
// out, x: R x C (out may be x itself: each element is read before it is written, by its own work-item).
__kernel void rng_binarize(__global float* out, const int offOut, const int ldOut,
                           __global const float* p, const int offP, const int ldP,
                           const uint ctrLo, const uint ctrHi, const uint stream,
                           const uint keyLo, const uint keyHi, const int R, const int C) {
    BINARIZE_BLOCK(R, C)
    uint4 w = philox_at(b, ctrLo, ctrHi, stream, keyLo, keyHi);
    __global const float* pr = p + offP + r * ldP;
    __global float* orow = out + offOut + r * ldOut;
    BINARIZE_STORE(orow, pr, c0, C, w.x);
    BINARIZE_STORE(orow, pr, c0 + 16, C, w.y);
    BINARIZE_STORE(orow, pr, c0 + 32, C, w.z);
    BINARIZE_STORE(orow, pr, c0 + 48, C, w.w);
}

// Minibatch gather and dynamic binarization in one pass: out[r, c] = U < x[idx[r], c], U the
// uniform rng_binarize draws at (r, c) of out, so the result equals a gather of rows followed by
// rng_binarize(out, out) at the same (seed, stream, counter), bit for bit.
// out: R x C view; x: N x C view (rows idx[r], each in [0, N), checked on the host); idx: R ints.
__kernel void rng_gather_binarize(__global float* out, const int offOut, const int ldOut,
                                  __global const float* x, const int offX, const int ldX,
                                  __global const int* idx, const int offIdx,
                                  const uint ctrLo, const uint ctrHi, const uint stream,
                                  const uint keyLo, const uint keyHi, const int R, const int C) {
    BINARIZE_BLOCK(R, C)
    uint4 w = philox_at(b, ctrLo, ctrHi, stream, keyLo, keyHi);
    __global const float* xr = x + offX + idx[offIdx + r] * ldX;
    __global float* orow = out + offOut + r * ldOut;
    BINARIZE_STORE(orow, xr, c0, C, w.x);
    BINARIZE_STORE(orow, xr, c0 + 16, C, w.y);
    BINARIZE_STORE(orow, xr, c0 + 32, C, w.z);
    BINARIZE_STORE(orow, xr, c0 + 48, C, w.w);
}

#endif  // RNG_BLOCKS16

// Reparameterization trick (Kingma & Welling 2014): eps ~ N(0, 1) drawn exactly as rng_normal
// draws it at the same (seed, stream, counter), then
//     z = mu + exp(logvar / 2) * eps
// and, when storeEps != 0, eps is written for the backward pass (else eps is not touched).
// z, eps, mu, logvar: R x C.
__kernel void rng_reparameterize(__global float* z, const int offZ, const int ldZ,
                                 __global float* eps, const int offE, const int ldE, const int storeEps,
                                 __global const float* mu, const int offMu, const int ldMu,
                                 __global const float* logvar, const int offLv, const int ldLv,
                                 const uint ctrLo, const uint ctrHi, const uint stream,
                                 const uint keyLo, const uint keyHi, const int R, const int C) {
    RNG_ELEMENT(R, C)
    uint4 w = philox_at((uint)(r * C + c), ctrLo, ctrHi, stream, keyLo, keyHi);
    float e = box_muller(w.x, w.y);
    z[offZ + r * ldZ + c] = mu[offMu + r * ldMu + c] + exp(0.5f * logvar[offLv + r * ldLv + c]) * e;
    if (storeEps) {
        eps[offE + r * ldE + c] = e;
    }
}

// Backward of rng_reparameterize, from the saved eps:
//     dmu     = beta * dmu     + dz
//     dlogvar = beta * dlogvar + dz * eps * exp(logvar / 2) / 2
// beta = 0 assigns and never reads dmu/dlogvar (they may hold garbage); beta = 1 accumulates.
// dmu, dlogvar, dz, eps, logvar: R x C.
__kernel void rng_reparameterize_backward(__global float* dmu, const int offDmu, const int ldDmu,
                                          __global float* dlv, const int offDlv, const int ldDlv,
                                          __global const float* dz, const int offDz, const int ldDz,
                                          __global const float* eps, const int offE, const int ldE,
                                          __global const float* logvar, const int offLv, const int ldLv,
                                          const float beta, const int R, const int C) {
    RNG_ELEMENT(R, C)
    float g = dz[offDz + r * ldDz + c];
    float gl = 0.5f * g * eps[offE + r * ldE + c] * exp(0.5f * logvar[offLv + r * ldLv + c]);
    int iMu = offDmu + r * ldDmu + c;
    int iLv = offDlv + r * ldDlv + c;
    dmu[iMu] = beta == 0.0f ? g : beta * dmu[iMu] + g;
    dlv[iLv] = beta == 0.0f ? gl : beta * dlv[iLv] + gl;
}
