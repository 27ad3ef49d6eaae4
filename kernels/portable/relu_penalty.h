// The ReLU-penalty step of AS (docs/method.md, Step II), element-wise over n elements:
// with y' = y_prime[i] and t = relu(pre_activation[i]), z[i] = argmin over z of
// (t - relu(z))^2 + lambda (z - y')^2, taken from the two closed-form candidates
//   z0 = min(0, y')                              cost0 = t^2 + lambda (z0 - y')^2
//   z1 = max(0, (lambda y' + t) / (1 + lambda))  cost1 = (t - z1)^2 + lambda (z1 - y')^2
// (z1 when cost1 <= cost0). The objective at the chosen z is summed per group in double into
// partials[group]; sum_partials (reductions.h) finishes it. Groups of GER_BLOCK work-items.
// Shapes: y_prime, pre_activation, z: n elements each (n x d matrices, any layout).
// Float arithmetic in the order of the Java reference, without contraction, so the choice between
// candidates matches it. Reference: ger.backend.java.ReluPenalty; conformance:
// ger.backend.ReluPenaltyConformance.

// One element: returns z and adds the objective at it to *acc.
GER_DEVICE float ger_relu_penalty(float y, float a, float lambda, double* acc) {
    float t = fmaxf(0.0f, a);
    float z0 = fminf(0.0f, y);
    float cost0 = t * t + lambda * (z0 - y) * (z0 - y);
    float z1 = fmaxf(0.0f, (lambda * y + t) / (1.0f + lambda));
    float cost1 = (t - z1) * (t - z1) + lambda * (z1 - y) * (z1 - y);
    int positive = cost1 <= cost0;
    *acc += positive ? cost1 : cost0;
    return positive ? z1 : z0;
}

// Memory-bound (12 bytes per element): with 16-byte aligned arrays (every tensor's base is) the
// work-items move float4s, four elements per load, and the last n % 4 elements go one by one.
GER_KERNEL GER_GROUP_SIZE(GER_BLOCK, 1)
void relu_penalty(GER_GLOBAL const float* y_prime, GER_GLOBAL const float* pre_activation, float lambda,
                  GER_GLOBAL float* z, ger_u64 n, GER_GLOBAL double* partials) {
    GER_SHARED double scratch[GER_BLOCK];
    double acc = 0.0;
    int aligned = (((ger_u64)y_prime | (ger_u64)pre_activation | (ger_u64)z) & 15) == 0;
    ger_u64 vectors = aligned ? n / 4 : 0;
    GER_GRID_STRIDE(q, vectors) {
        float4 y = GER_LOAD4(y_prime, q);
        float4 a = GER_LOAD4(pre_activation, q);
        float4 out;
        out.x = ger_relu_penalty(y.x, a.x, lambda, &acc);
        out.y = ger_relu_penalty(y.y, a.y, lambda, &acc);
        out.z = ger_relu_penalty(y.z, a.z, lambda, &acc);
        out.w = ger_relu_penalty(y.w, a.w, lambda, &acc);
        GER_STORE4(out, z, q);
    }
    GER_GRID_STRIDE_FROM(i, 4 * vectors, n) {
        z[i] = ger_relu_penalty(y_prime[i], pre_activation[i], lambda, &acc);
    }
    acc = ger_group_sum(acc, scratch);
    if (GER_LOCAL_X == 0) {
        partials[GER_GROUP_X] = acc;
    }
}
