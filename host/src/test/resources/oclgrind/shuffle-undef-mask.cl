// Minimal reproducer of the Oclgrind 21.10 crash behind the dot(b, 1) that adds the last two lanes
// in lanes.cl, gemm_thin and the FMA probe. Run: oclgrind-kernel --uninitialized shuffle-undef-mask.sim
// It is a correct kernel: it reads two initialized floats and adds them. Clang 14 turns
// `x.s0 + x.s1` into `shufflevector <2 x float> %x, poison, <i32 1, i32 undef>`, a vector fadd and
// an extractelement; Oclgrind's uninitialized-value plugin (Uninitialized::instructionExecuted)
// then memcpy's the shadow of the undef mask lane from a wild address and the process dies with
// SIGSEGV. Without --uninitialized, or with --build-options -cl-opt-disable (no shuffle), it runs
// and prints out[0] = 2. Every horizontal sum of a vector (lanes.cl hsum_v with LANE_VW > 1, the
// FMA probe's FVEC_SUM with FMA_VEC > 1) produces this pattern.
__kernel void k(__global float* out, __global const float* in) {
    float2 x = vload2(0, in);
    out[0] = x.s0 + x.s1;
}
