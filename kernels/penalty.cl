// The WGAN-GP gradient penalty (Gulrajani et al. 2017) in three launches instead of some twenty
// elementwise ones (org.genzoo.host.ops.Penalty):
//   gp_interpolate        x̂[i, j] = fake[i, j] + α_i (real[i, j] − fake[i, j]), one α per row
//   gp_penalty            n_i = sqrt(Σ_j g[i, j]² + eps), gp = λ · (1/B) Σ_i (n_i − 1)²; n kept for
//                         the backward (one work-group; a tree in local memory, fixed order)
//   gp_penalty_backward   dg[i, j] = beta·dg[i, j] + dgp · c · (n_i − 1) / n_i · g[i, j], c = 2λ/B
//
// Tunables (kernels/tuning/penalty.properties): WG, the work-items of gp_penalty's one work-group
// (a power of two; the host launches exactly WG); the 1-D launches take WG1 work-items per group.
//
// No contraction into fma: the interpolate matches, bit for bit, the sub, mul and add it replaces.
#pragma OPENCL FP_CONTRACT OFF

#ifndef WG
#define WG 64
#endif

// x̂ = fake + α ⊙ (real − fake), α: B values (one per row). Row-major views with leading dimensions.
__kernel void gp_interpolate(__global float* x, const int offX, const int ldX,
                             __global const float* real, const int offR, const int ldR,
                             __global const float* fake, const int offF, const int ldF,
                             __global const float* alpha, const int offA, const int B, const int D) {
    const int k = get_global_id(0);
    if (k >= B * D) {
        return;
    }
    const int i = k / D;
    const int j = k - i * D;
    const float f = fake[offF + i * ldF + j];
    const float diff = real[offR + i * ldR + j] - f;
    const float a = alpha[offA + i] * diff;
    x[offX + i * ldX + j] = a + f;
}

// gp[offGp] = lambda · (invB · Σ_i (n_i − 1)²), norms[i] = n_i = sqrt(Σ_j g[i, j]² + eps).
// One work-group of exactly WG work-items; work-item l owns rows l, l + WG, ... in order.
__kernel void gp_penalty(__global float* gp, const int offGp, __global float* norms,
                         __global const float* g, const int offG, const int ldG, const int B, const int D,
                         const float eps, const float lambda, const float invB, __local float* lm) {
    const int l = get_local_id(0);
    float acc = 0.0f;
    for (int i = l; i < B; i += WG) {
        const __global float* row = g + offG + i * ldG;
        float s = 0.0f;
        for (int j = 0; j < D; j++) {
            const float v = row[j];
            s += v * v;
        }
        const float n = sqrt(s + eps);
        norms[i] = n;
        const float d = n - 1.0f;
        acc += d * d;
    }
    lm[l] = acc;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int h = WG >> 1; h > 0; h >>= 1) {
        if (l < h) {
            lm[l] += lm[l + h];
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (l == 0) {
        gp[offGp] = lambda * (lm[0] * invB);
    }
}

// dg[i, j] = beta · dg[i, j] + dgp · c · (n_i − 1) / n_i · g[i, j]; beta == 0 does not read dg.
__kernel void gp_penalty_backward(__global float* dg, const int offDg, const int ldDg,
                                  __global const float* dgp, const int offDgp, __global const float* norms,
                                  __global const float* g, const int offG, const int ldG, const int B, const int D,
                                  const float c, const float beta) {
    const int k = get_global_id(0);
    if (k >= B * D) {
        return;
    }
    const int i = k / D;
    const int j = k - i * D;
    const float n = norms[i];
    const float s = dgp[offDgp] * c * ((n - 1.0f) / n);
    const float v = s * g[offG + i * ldG + j];
    const int o = offDg + i * ldDg + j;
    if (beta == 0.0f) {
        dg[o] = v;
    } else {
        dg[o] = beta * dg[o] + v;
    }
}
