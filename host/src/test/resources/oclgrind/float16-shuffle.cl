// Minimal reproducer of the Oclgrind 21.10 defect behind the private copies in lanes.cl's
// gz_hsum16/gz_hmax16 and gemm_thin. Run: oclgrind-kernel --uninitialized float16-shuffle.sim
// A correct kernel: it loads 16 initialized floats and sums lanes 8..11. Clang 14 makes of a.s89ab
// a `shufflevector <16 x float> %a, poison, <i32 8, i32 9, i32 10, i32 11>`; Oclgrind's
// uninitialized-value plugin then reports "Controlflow depends on uninitialized value" at the
// dot() call, although every lane is initialized (a.s4567, lanes below 8, is not reported). Wider
// uses of float16 halves (a.lo + a.hi, then a half of that) crash it with SIGSEGV. It prints
// out[0] = 42 (9 + 10 + 11 + 12) either way.
__kernel void k(__global float* out, __global const float* in) {
    float16 a = vload16(0, in);
    out[0] = dot(a.s89ab, (float4)(1.0f));
}
