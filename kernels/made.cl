// MADE masked weights (Germain et al. 2015). A masked linear layer computes y = x (W ⊙ M)^T + b
// with a fixed 0/1 mask M that enforces the autoregressive property. We form We = W ⊙ M once per
// step and hand it to the GEMM; the gradient flows back through the mask: dW += dWe ⊙ M, so
// masked-out weights never receive gradient.
//   W, M, We, dWe, dW: OUT x IN, contiguous, n = OUT*IN elements.

__kernel void mask_weights(__global float* We, __global const float* W, __global const float* M, const int n) {
    int i = get_global_id(0);
    if (i < n) {
        We[i] = W[i] * M[i];
    }
}

// Parameter gradient: accumulates (beta = 1) or assigns (beta = 0, dW not read).
__kernel void mask_weights_backward(__global float* dW, __global const float* dWe, __global const float* M,
                                    const float beta, const int n) {
    int i = get_global_id(0);
    if (i < n) {
        float g = dWe[i] * M[i];
        dW[i] = beta == 0.0f ? g : beta * dW[i] + g;
    }
}
