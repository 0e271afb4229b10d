// GAN losses on the critic's (discriminator's) per-row outputs l (n x 1) as one launch forward and
// one backward (org.genzoo.host.ops.GanLoss), in place of the mul, activation, sum, scale, row-mean
// and add launches each would take apart:
//   gan_loss            loss = k · Σ_i φ(s_i · l_i) + extra;  means = (mean of rows [0, nA), mean of
//                       rows [nA, n)) when wanted (d_real and d_fake). One work-group; a tree in
//                       local memory in a fixed order.
//   gan_loss_backward   dl_i = beta·dl_i + dloss · k · s_i · φ'(s_i · l_i); work-item 0 also writes
//                       dextra = betaExtra·dextra + dloss when there is an extra term.
// s_i = sA on rows [0, nA) and sB on the rest. φ by the build-time define LOSS:
//   LOSS_LINEAR  φ(x) = x                       (Wasserstein critic and generator losses)
//   LOSS_LOGSIG  φ(x) = log σ(x) = −softplus(−x), φ'(x) = σ(−x)   (the logistic GAN losses)
//   LOSS_HINGE   φ(x) = max(0, 1 − x),          φ'(x) = −[x < 1] (the hinge losses)
// Tunables (kernels/tuning/ganloss.properties): WG, the work-items of gan_loss's one work-group (a
// power of two; the host launches exactly WG); the backward takes WG1 work-items per group.

#include "mathutil.cl"

#ifndef WG
#define WG 64
#endif

#define LOSS_LINEAR 1
#define LOSS_LOGSIG 2
#define LOSS_HINGE 3

#ifndef LOSS
#define LOSS LOSS_LINEAR
#endif

inline float phi(const float x) {
#if LOSS == LOSS_LINEAR
    return x;
#elif LOSS == LOSS_LOGSIG
    return fmin(x, 0.0f) - gz_log1p(exp(-fabs(x)));
#elif LOSS == LOSS_HINGE
    return fmax(0.0f, 1.0f - x);
#else
#error "unknown LOSS"
#endif
}

inline float phi_prime(const float x) {
#if LOSS == LOSS_LINEAR
    return 1.0f;
#elif LOSS == LOSS_LOGSIG
    // σ(−x), in the form that never overflows.
    const float e = exp(-fabs(x));
    return x <= 0.0f ? 1.0f / (1.0f + e) : e / (1.0f + e);
#elif LOSS == LOSS_HINGE
    return x < 1.0f ? -1.0f : 0.0f;
#endif
}

// hasMeans, hasExtra: 0 or 1 (means and extra are then any buffer and not touched when 0).
__kernel void gan_loss(__global float* loss, const int offLoss, __global float* means, const int offMeans, const int hasMeans,
                       __global const float* l, const int offL, const int n, const int nA, const float sA, const float sB,
                       const float k, __global const float* extra, const int offExtra, const int hasExtra,
                       __local float* lm) {
    const int w = get_local_id(0);
    float acc = 0.0f;
    float sumA = 0.0f;
    float sumB = 0.0f;
    for (int i = w; i < n; i += WG) {
        const float v = l[offL + i];
        const bool a = i < nA;
        acc += phi((a ? sA : sB) * v);
        if (a) {
            sumA += v;
        } else {
            sumB += v;
        }
    }
    lm[w] = acc;
    lm[WG + w] = sumA;
    lm[2 * WG + w] = sumB;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int h = WG >> 1; h > 0; h >>= 1) {
        if (w < h) {
            lm[w] += lm[w + h];
            lm[WG + w] += lm[WG + w + h];
            lm[2 * WG + w] += lm[2 * WG + w + h];
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (w == 0) {
        const float base = k * lm[0];
        loss[offLoss] = hasExtra ? base + extra[offExtra] : base;
        if (hasMeans) {
            means[offMeans] = nA > 0 ? lm[WG] / nA : NAN;
            means[offMeans + 1] = n > nA ? lm[2 * WG] / (n - nA) : NAN;
        }
    }
}

__kernel void gan_loss_backward(__global float* dl, const int offDl, __global const float* dloss, const int offDloss,
                                __global const float* l, const int offL, const int n, const int nA, const float sA,
                                const float sB, const float k, const float beta, __global float* dextra,
                                const int offDextra, const int hasExtra, const float betaExtra) {
    const int i = get_global_id(0);
    if (i >= n) {
        return;
    }
    const float g = dloss[offDloss];
    const float s = i < nA ? sA : sB;
    const float v = g * k * s * phi_prime(s * l[offL + i]);
    if (beta == 0.0f) {
        dl[offDl + i] = v;
    } else {
        dl[offDl + i] = beta * dl[offDl + i] + v;
    }
    if (hasExtra && i == 0) {
        if (betaExtra == 0.0f) {
            dextra[offDextra] = g;
        } else {
            dextra[offDextra] = betaExtra * dextra[offDextra] + g;
        }
    }
}
