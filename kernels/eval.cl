// Evaluation-only kernels (no backward: nothing here is differentiated; the callers run on a
// no-grad tape or on plain tensors).
//
// pairwise_gaussian_logdensity: every pair (n, m) of a sample z_n and a diagonal Gaussian
// N(mu_m, diag exp(lv_m)),
//     out[n, m] = log N(z_n; mu_m, diag exp(lv_m))
//               = sum_l -0.5 * (log2pi + lv[m, l] + (z[n, l] - mu[m, l])^2 * exp(-lv[m, l]))
// Shapes: out N x M; z N x L; mu, lv M x L. Every operand is a row-major view addressed
// base[off + r * ld + c].
//
// Use: the aggregate posterior q(z) = (1/N) sum_m q(z | x_m) of a VAE at its own samples,
// log q(z_n) = logsumexp_m out[n, m] - log N, for ELBO surgery (Hoffman & Johnson 2016, "ELBO
// surgery: yet another way to carve up the variational evidence lower bound"): the host runs this
// on row blocks of z (and column blocks of mu, lv) that fit in memory and reduces each block with
// a row logsumexp.
//
// Tiling: a work-group computes a TN x TM block of out (local size (TM, TN), global (M, N) rounded
// up to whole tiles). L is walked in slabs of TL: the group stages z[n0.., l0..] (TN x TL) and
// mu[m0.., l0..], lv, exp(-lv) (TM x TL each) in local memory, so each exp(-lv) is computed once
// per work-group instead of once per pair. Rows and columns past N, M load zeros and write nothing.
//
// Numerics: the difference form (z - mu)^2 * exp(-lv), not the expanded GEMM form
// z^2 w - 2 z mu w + mu^2 w, which cancels catastrophically when exp(-lv) is large (lv = -10)
// and z is near mu. Each work-item sums its L terms in index order l = 0..L-1 with Kahan
// compensation, whatever the tile sizes: no atomics, so the same inputs give bitwise the same
// output on a device, and the result does not depend on the tuning.
//
// Tunables (the host passes the ones it uses; the launch grid depends on TN and TM):
//   TN, TM   rows of z and rows of mu per work-group (TN * TM work-items)
//   TL       latent dimensions staged per slab

#ifndef TN
#define TN 16
#endif
#ifndef TM
#define TM 16
#endif
#ifndef TL
#define TL 16
#endif

#define LOG_2PI 1.8378770664093453f

// Kahan-compensated running sum: sum += v.
#define KAHAN_ADD(sum, comp, v) { float y_ = (v) - comp; float t_ = sum + y_; comp = (t_ - sum) - y_; sum = t_; }

// out: N x M; z: N x L; mu, lv: M x L.
__kernel __attribute__((reqd_work_group_size(TM, TN, 1)))
void pairwise_gaussian_logdensity(__global float* out, const int offOut, const int ldOut,
                                  __global const float* z, const int offZ, const int ldZ,
                                  __global const float* mu, const int offMu, const int ldMu,
                                  __global const float* lv, const int offLv, const int ldLv,
                                  const int N, const int M, const int L) {
    // +1 column of padding: work-items of one row read mus[lm][l] at stride TL + 1 (no bank conflicts)
    __local float zs[TN][TL + 1];
    __local float mus[TM][TL + 1];
    __local float lvs[TM][TL + 1];
    __local float ivs[TM][TL + 1];

    const int lm = get_local_id(0);
    const int ln = get_local_id(1);
    const int m0 = get_group_id(0) * TM;
    const int n0 = get_group_id(1) * TN;
    const int m = m0 + lm;
    const int n = n0 + ln;
    const int lid = ln * TM + lm;

    float sum = 0.0f, comp = 0.0f;
    for (int l0 = 0; l0 < L; l0 += TL) {
        const int width = min(TL, L - l0);
        // Quotient and remainder by hand: a '/' and '%' pair makes LLVM emit 'freeze', an
        // instruction Oclgrind's uninitialized-value checker cannot run (the simulated-GPU pass).
        for (int i = lid; i < TN * TL; i += TN * TM) {
            int r = i / TL, c = i - r * TL;
            int nn = n0 + r, ll = l0 + c;
            zs[r][c] = (nn < N && ll < L) ? z[offZ + nn * ldZ + ll] : 0.0f;
        }
        for (int i = lid; i < TM * TL; i += TN * TM) {
            int r = i / TL, c = i - r * TL;
            int mm = m0 + r, ll = l0 + c;
            bool in = mm < M && ll < L;
            float v = in ? lv[offLv + mm * ldLv + ll] : 0.0f;
            mus[r][c] = in ? mu[offMu + mm * ldMu + ll] : 0.0f;
            lvs[r][c] = v;
            ivs[r][c] = exp(-v);
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int c = 0; c < width; c++) {
            float d = zs[ln][c] - mus[lm][c];
            KAHAN_ADD(sum, comp, -0.5f * (LOG_2PI + lvs[lm][c] + d * d * ivs[lm][c]));
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (n < N && m < M) {
        out[offOut + n * ldOut + m] = sum;
    }
}
