// The 2-D test energies of Rezende & Mohamed 2015 (Table 1), target densities p(z) ∝ exp(−U(z)) for
// reverse-KL training of flows. z: B x 2 (a view: offset, row stride), one work-item per row.
//
//   w1 = sin(2π z1 / 4),  w2 = 3 exp(−½((z1 − 1)/0.6)²),  w3 = 3 σ((z1 − 1)/0.3)
//   U1 = ½((‖z‖ − 2)/0.4)² − log(exp(−½((z1 − 2)/0.6)²) + exp(−½((z1 + 2)/0.6)²))
//   U2 = ½((z2 − w1)/0.4)²
//   U3 = −log(exp(−½((z2 − w1)/0.35)²) + exp(−½((z2 − w1 + w2)/0.35)²))
//   U4 = −log(exp(−½((z2 − w1)/0.4)²) + exp(−½((z2 − w1 + w3)/0.35)²))
//
// U2–U4 are restricted to the box [−4, 4]² by a steep quadratic wall outside it,
//   + ½ Σ_j (max(0, |z_j| − 4) / WALL)²,   WALL = 0.05,
// which keeps the energy finite and differentiable (an infinite energy would give no gradient
// back into the box); the log-partition function is computed for this same energy.
// `which` selects the energy (1..4). Backward: dz = beta * dz + dU ∇U (beta = 0 assigns).
// Two-term log-sum-exps are computed around their maximum.

#define ENERGY_WALL 0.05f
#define ENERGY_BOX 4.0f
#define ENERGY_PI 3.14159265358979f

// ∇ of the wall term for one coordinate, and its value.
inline float wall_value(const float z) {
    const float e = fmax(0.0f, fabs(z) - ENERGY_BOX) / ENERGY_WALL;
    return 0.5f * e * e;
}

inline float wall_grad(const float z) {
    const float e = fmax(0.0f, fabs(z) - ENERGY_BOX);
    return copysign(e / (ENERGY_WALL * ENERGY_WALL), z);
}

// −log(exp(a1) + exp(a2)) and the softmax weight p1 of a1 (p2 = 1 − p1).
inline float neg_lse2(const float a1, const float a2, float* p1) {
    const float m = fmax(a1, a2);
    const float e1 = exp(a1 - m);
    const float e2 = exp(a2 - m);
    *p1 = e1 / (e1 + e2);
    return -(m + log(e1 + e2));
}

// U and ∇U at (z1, z2).
inline float energy_eval(const int which, const float z1, const float z2, float* g1, float* g2) {
    if (which == 1) {
        const float r = sqrt(z1 * z1 + z2 * z2);
        const float q = (r - 2.0f) / 0.4f;
        const float a1 = -0.5f * ((z1 - 2.0f) / 0.6f) * ((z1 - 2.0f) / 0.6f);
        const float a2 = -0.5f * ((z1 + 2.0f) / 0.6f) * ((z1 + 2.0f) / 0.6f);
        float p1;
        const float u = 0.5f * q * q + neg_lse2(a1, a2, &p1);
        const float radial = r > 0.0f ? (r - 2.0f) / (0.16f * r) : 0.0f;
        *g1 = radial * z1 + (p1 * (z1 - 2.0f) + (1.0f - p1) * (z1 + 2.0f)) / 0.36f;
        *g2 = radial * z2;
        return u;
    }
    const float w1 = sin(0.5f * ENERGY_PI * z1);
    const float dw1 = 0.5f * ENERGY_PI * cos(0.5f * ENERGY_PI * z1);
    float u;
    if (which == 2) {
        const float t = z2 - w1;
        u = 0.5f * (t / 0.4f) * (t / 0.4f);
        *g2 = t / 0.16f;
        *g1 = -(t / 0.16f) * dw1;
    } else {
        float s1, s2, w, dw;
        if (which == 3) {
            w = 3.0f * exp(-0.5f * ((z1 - 1.0f) / 0.6f) * ((z1 - 1.0f) / 0.6f));
            dw = -w * (z1 - 1.0f) / 0.36f;
            s1 = 0.35f;
            s2 = 0.35f;
        } else {
            const float sg = 1.0f / (1.0f + exp(-(z1 - 1.0f) / 0.3f));
            w = 3.0f * sg;
            dw = 3.0f * sg * (1.0f - sg) / 0.3f;
            s1 = 0.4f;
            s2 = 0.35f;
        }
        const float t1 = z2 - w1;
        const float t2 = z2 - w1 + w;
        const float a1 = -0.5f * (t1 / s1) * (t1 / s1);
        const float a2 = -0.5f * (t2 / s2) * (t2 / s2);
        float p1;
        u = neg_lse2(a1, a2, &p1);
        const float p2 = 1.0f - p1;
        // dU = −(p1 ∇a1 + p2 ∇a2);  ∇a1 = −t1/s1² ∇t1,  ∇t1 = (−w1', 1);  ∇t2 = (−w1' + w', 1).
        const float c1 = p1 * t1 / (s1 * s1);
        const float c2 = p2 * t2 / (s2 * s2);
        *g2 = c1 + c2;
        *g1 = c1 * (-dw1) + c2 * (dw - dw1);
    }
    u += wall_value(z1) + wall_value(z2);
    *g1 += wall_grad(z1);
    *g2 += wall_grad(z2);
    return u;
}

// U[r] = U(z[r, 0], z[r, 1]).  U: B x 1 view (offset, stride), z: B x 2 view.  Global B.
__kernel void energy_forward(__global float* U, const int offU, const int ldU, __global const float* z, const int offZ,
                             const int ldZ, const int B, const int which) {
    const int r = get_global_id(0);
    if (r < B) {
        float g1, g2;
        U[offU + r * ldU] = energy_eval(which, z[offZ + r * ldZ], z[offZ + r * ldZ + 1], &g1, &g2);
    }
}

// dz[r, :] = beta * dz[r, :] + dU[r] ∇U(z[r, :]).  dz, z: B x 2 views; dU: B x 1 view.  Global B.
__kernel void energy_backward(__global float* dz, const int offDz, const int ldDz, __global const float* dU,
                              const int offDU, const int ldDU, __global const float* z, const int offZ, const int ldZ,
                              const float beta, const int B, const int which) {
    const int r = get_global_id(0);
    if (r < B) {
        float g1, g2;
        energy_eval(which, z[offZ + r * ldZ], z[offZ + r * ldZ + 1], &g1, &g2);
        const float d = dU[offDU + r * ldDU];
        const int k = offDz + r * ldDz;
        dz[k] = beta == 0.0f ? d * g1 : beta * dz[k] + d * g1;
        dz[k + 1] = beta == 0.0f ? d * g2 : beta * dz[k + 1] + d * g2;
    }
}
