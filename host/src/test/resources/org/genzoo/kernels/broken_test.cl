// Deliberately does not compile: the contract test checks the build log reaches the user.
__kernel void broken(__global float* y) {
    y[0] = undefined_identifier_xyz + 1.0f;
}
