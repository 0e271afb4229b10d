// MADE masked weights (Germain et al. 2015). A masked linear layer computes y = x (W ⊙ M)^T + b
// with a fixed 0/1 mask M that enforces the autoregressive property. We form We = W ⊙ M once per
// step and hand it to the GEMM; the gradient flows back through the mask: dW += dWe ⊙ M, so
// masked-out weights never receive gradient.
//   W, M, We, dWe, dW: OUT x IN, contiguous, n = OUT*IN elements.

// Each operand is a contiguous vector of n floats starting at its offset (a parameter may be a view
// into an optimizer's flat layout).
__kernel void mask_weights(__global float* We, const int offWe, __global const float* W, const int offW,
                           __global const float* M, const int offM, const int n) {
    int i = get_global_id(0);
    if (i < n) {
        We[offWe + i] = W[offW + i] * M[offM + i];
    }
}

// Parameter gradient: accumulates (beta = 1) or assigns (beta = 0, dW not read).
__kernel void mask_weights_backward(__global float* dW, const int offDw, __global const float* dWe, const int offDwe,
                                    __global const float* M, const int offM, const float beta, const int n) {
    int i = get_global_id(0);
    if (i < n) {
        float g = dWe[offDwe + i] * M[offM + i];
        dW[offDw + i] = beta == 0.0f ? g : beta * dW[offDw + i] + g;
    }
}

// MAF sampling / IAF density: one of the D sequential passes of the masked autoregressive update
// (Papamakarios, Pavlakou & Murray 2017; Kingma et al. 2016). The MADE's output h = [raw | t]
// (B x 2D) parameterizes the affine map of each dimension given the ones before it in the order:
// z_i = x_i·exp(s_i) + t_i with s_i = S·tanh(raw_i / S) (S = 0: s_i = raw_i), i.e. in the usual
// notation x_i = mu_i + exp(alpha_i)·z_i with alpha_i = −s_i, mu_i = −t_i·exp(−s_i). Pass k
// (1-based) solves the dimensions whose input degree (position in the autoregressive order) is k:
//   x_i = (z_i − t_i)·exp(−s_i)     for degree[i] == step; other x_i are left as they are.
// After pass k, every x_i of degree ≤ k is final, because h's columns of degree k read only inputs
// of degree < k. No gradient: the sequential direction is not differentiated.
//   x, z: B x D; h: B x 2D; degree: D ints (1..D), contiguous. Views: base[off + r * ld + c].
__kernel void made_autoregressive_update(__global float* x, const int xo, const int ldx,
                                         __global const float* z, const int zo, const int ldz,
                                         __global const float* h, const int ho, const int ldh,
                                         __global const int* degree, const int step, const float bound,
                                         const int B, const int D) {
    const int c = get_global_id(0);
    const int r = get_global_id(1);
    if (c >= D || r >= B || degree[c] != step) {
        return;
    }
    float raw = h[ho + r * ldh + c];
    float u = raw / bound;
    float e = exp(-2.0f * fabs(u));
    float s = bound > 0.0f ? bound * copysign((1.0f - e) / (1.0f + e), u) : raw; // tanh from one exp, as in coupling.cl
    float t = h[ho + r * ldh + D + c];
    x[xo + r * ldx + c] = (z[zo + r * ldz + c] - t) * exp(-s);
}
