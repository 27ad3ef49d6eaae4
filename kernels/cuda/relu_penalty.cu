// The ReLU-penalty step of AS (docs/method.md, Step II), element-wise over n elements:
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

// One element: writes z, returns the objective at it.
__device__ __forceinline__ float ger_relu_penalty(float y, float a, float lambda, float* z) {
    float t = fmaxf(0.0f, a);
    float z0 = fminf(0.0f, y);
    float cost0 = t * t + lambda * (z0 - y) * (z0 - y);
    float z1 = fmaxf(0.0f, (lambda * y + t) / (1.0f + lambda));
    float cost1 = (t - z1) * (t - z1) + lambda * (z1 - y) * (z1 - y);
    bool positive = cost1 <= cost0;
    *z = positive ? z1 : z0;
    return positive ? cost1 : cost0;
}

// Memory-bound (12 bytes per element): with 16-byte aligned arrays (every tensor's base is) the
// threads move float4s, four elements per load, and the last n % 4 elements go one by one.
extern "C" __global__ void relu_penalty(const float* y_prime, const float* pre_activation, float lambda,
                                        float* z, unsigned long long n, double* partials) {
    double acc = 0.0;
    bool aligned = (((unsigned long long)y_prime | (unsigned long long)pre_activation | (unsigned long long)z) & 15) == 0;
    unsigned long long vectors = aligned ? n / 4 : 0;
    const float4* y4 = (const float4*)y_prime;
    const float4* a4 = (const float4*)pre_activation;
    float4* z4 = (float4*)z;
    GER_GRID_STRIDE(q, vectors) {
        float4 y = y4[q];
        float4 a = a4[q];
        float4 out;
        acc += ger_relu_penalty(y.x, a.x, lambda, &out.x);
        acc += ger_relu_penalty(y.y, a.y, lambda, &out.y);
        acc += ger_relu_penalty(y.z, a.z, lambda, &out.z);
        acc += ger_relu_penalty(y.w, a.w, lambda, &out.w);
        z4[q] = out;
    }
    for (unsigned long long i = 4 * vectors + blockIdx.x * (unsigned long long)blockDim.x + threadIdx.x; i < n;
         i += (unsigned long long)gridDim.x * blockDim.x) {
        acc += ger_relu_penalty(y_prime[i], pre_activation[i], lambda, &z[i]);
    }
    acc = ger_block_sum(acc);
    if (threadIdx.x == 0) {
        partials[blockIdx.x] = acc;
    }
}
