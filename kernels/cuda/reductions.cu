// Whole-tensor sums in double, in two deterministic passes: a *_partials kernel writes one double
// per block (partials: gridDim.x doubles, gridDim.x <= 1024), then sum_partials adds them in one
// block into a device scalar that the host copies back once (add = 0), or onto one that keeps a
// running sum on the device, a Backend.Sum (add = 1).
//   squared_error:  sum (a - b)^2            a, b: n elements
//   squared_norm:   sum a^2                  a: n elements
//   error_gradient: sum (out - target)^2, and delta = scale (out - target);
//                            delta may alias out (same index read, then written)
// Reference: ger.backend.java.JavaBackend (squaredError, squaredNorm, errorGradient).
#include "common.cuh"

extern "C" __global__ void sum_partials(const double* partials, int count, double* result, int add) {
    double acc = 0.0;
    for (int i = threadIdx.x; i < count; i += blockDim.x) {
        acc += partials[i];
    }
    acc = ger_block_sum(acc);
    if (threadIdx.x == 0) {
        result[0] = add ? result[0] + acc : acc;
    }
}

extern "C" __global__ void squared_error(const float* a, const float* b, unsigned long long n,
                                                  double* partials) {
    double acc = 0.0;
    GER_GRID_STRIDE(i, n) {
        double d = (double)a[i] - (double)b[i];
        acc += d * d;
    }
    acc = ger_block_sum(acc);
    if (threadIdx.x == 0) {
        partials[blockIdx.x] = acc;
    }
}

extern "C" __global__ void squared_norm(const float* a, unsigned long long n, double* partials) {
    double acc = 0.0;
    GER_GRID_STRIDE(i, n) {
        double v = a[i];
        acc += v * v;
    }
    acc = ger_block_sum(acc);
    if (threadIdx.x == 0) {
        partials[blockIdx.x] = acc;
    }
}

extern "C" __global__ void error_gradient(const float* out, const float* target, float scale,
                                                   float* delta, unsigned long long n, double* partials) {
    double acc = 0.0;
    GER_GRID_STRIDE(i, n) {
        float d = out[i] - target[i];
        acc += (double)d * d;
        delta[i] = scale * d;
    }
    acc = ger_block_sum(acc);
    if (threadIdx.x == 0) {
        partials[blockIdx.x] = acc;
    }
}
