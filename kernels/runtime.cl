// Runtime probes: kernels the host uses to measure the device itself, not model math.

// Does nothing: `genzoo bench launch` times enqueue + wait of this kernel, i.e. the fixed
// host-side cost every launch pays whatever the kernel does.
__kernel void empty(__global float* unused) {
}
