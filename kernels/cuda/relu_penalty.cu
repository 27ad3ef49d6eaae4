// The ReLU-penalty step of AS (../../shared/GER.md, Step II), element-wise over n elements:
// with y' = y_prime[i] and t = relu(pre_activation[i]), z[i] = argmin over z of
// (t - relu(z))^2 + lambda (z - y')^2, taken from the two closed-form candidates
//   z0 = min(0, y')                          cost0 = t^2 + lambda (z0 - y')^2
//   z1 = max(0, (lambda y' + t) / (1 + lambda))  cost1 = (t - z1)^2 + lambda (z1 - y')^2
// (z1 when cost1 <= cost0). The objective at the chosen z is summed per block in double into
// partials[blockIdx.x]; sum_partials (reductions.cu) finishes it.
// Shapes: y_prime, pre_activation, z: n elements each (n x d matrices, any layout).
// Float arithmetic in the order of the Java reference (JavaBackend.reluPenalty); built with
// --fmad=false so the choice between candidates matches it.
#include "common.cuh"

extern "C" __global__ void relu_penalty(const float* y_prime, const float* pre_activation, float lambda,
                                        float* z, unsigned long long n, double* partials) {
    double acc = 0.0;
    GER_GRID_STRIDE(i, n) {
        float y = y_prime[i];
        float t = fmaxf(0.0f, pre_activation[i]);
        float z0 = fminf(0.0f, y);
        float cost0 = t * t + lambda * (z0 - y) * (z0 - y);
        float z1 = fmaxf(0.0f, (lambda * y + t) / (1.0f + lambda));
        float cost1 = (t - z1) * (t - z1) + lambda * (z1 - y) * (z1 - y);
        bool positive = cost1 <= cost0;
        z[i] = positive ? z1 : z0;
        acc += positive ? cost1 : cost0;
    }
    acc = ger_block_sum(acc);
    if (threadIdx.x == 0) {
        partials[blockIdx.x] = acc;
    }
}
