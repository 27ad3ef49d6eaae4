// Square d x d matrices (row-major):
//   mirror_upper_to_lower: a(i, j) = a(j, i) for i > j (completes cublasSsyrk's Gram, which fills
//                          one triangle only)
//   zero_upper:            a(i, j) = 0 for i < j (cuSOLVER's potrf leaves the other triangle as is)
//   add_diagonal:          a(i, i) += value
//   trace:             result[0] = sum of a(i, i) in double; one block
// Reference: ger.backend.java.JavaBackend (gram, cholesky, addDiagonal, trace).
#include "common.cuh"

extern "C" __global__ void mirror_upper_to_lower(float* a, int d) {
    unsigned long long n = (unsigned long long)d * d;
    GER_GRID_STRIDE(e, n) {
        unsigned long long i = e / d;
        unsigned long long j = e % d;
        if (i > j) {
            a[e] = a[j * d + i];
        }
    }
}

extern "C" __global__ void zero_upper(float* a, int d) {
    unsigned long long n = (unsigned long long)d * d;
    GER_GRID_STRIDE(e, n) {
        if (e % d > e / d) {
            a[e] = 0.0f;
        }
    }
}

extern "C" __global__ void add_diagonal(float* a, int d, float value) {
    GER_GRID_STRIDE(i, (unsigned long long)d) {
        a[i * d + i] += value;
    }
}

extern "C" __global__ void trace(const float* a, int d, double* result) {
    double acc = 0.0;
    for (int i = threadIdx.x; i < d; i += blockDim.x) {
        acc += a[(unsigned long long)i * d + i];
    }
    acc = ger_block_sum(acc);
    if (threadIdx.x == 0) {
        result[0] = acc;
    }
}
