// Row-vector operations on a row-major rows x cols matrix:
//   add_bias_relu:  a(i, j) += bias(j), then max(0, .) if relu != 0     a: rows x cols, bias: cols
//   add_row_vector: x(i, j) += alpha v(j)                               x: rows x cols, v: cols
//   column_sums:    sums(j) = scale * sum over i of x(i, j), in double   x: rows x cols, sums: cols
// add_bias_relu / add_row_vector are 1-D grid-stride kernels over rows * cols.
// column_sums runs blocks of 32 x 8 threads: block x covers 32 adjacent columns (coalesced reads),
// its 8 rows of threads stride down the rows, and the 8 partial sums meet in shared memory.
// Reference: ger.backend.java.JavaBackend (addBiasRelu, addRowVector, columnSums, columnMeans).
#include "common.cuh"

#define GER_COLSUM_X 32
#define GER_COLSUM_Y 8

extern "C" __global__ void add_bias_relu(float* a, const float* bias, int rows, int cols, int relu) {
    unsigned long long n = (unsigned long long)rows * cols;
    GER_GRID_STRIDE(i, n) {
        float v = a[i] + bias[i % cols];
        a[i] = relu ? fmaxf(0.0f, v) : v;
    }
}

extern "C" __global__ void add_row_vector(float* x, float alpha, const float* v, int rows, int cols) {
    unsigned long long n = (unsigned long long)rows * cols;
    GER_GRID_STRIDE(i, n) {
        x[i] = x[i] + alpha * v[i % cols];
    }
}

extern "C" __global__ void column_sums(const float* x, int rows, int cols, float scale, float* sums) {
    __shared__ double partial[GER_COLSUM_Y][GER_COLSUM_X + 1];
    int j = blockIdx.x * GER_COLSUM_X + threadIdx.x;
    double acc = 0.0;
    if (j < cols) {
        for (int i = threadIdx.y; i < rows; i += GER_COLSUM_Y) {
            acc += x[(unsigned long long)i * cols + j];
        }
    }
    partial[threadIdx.y][threadIdx.x] = acc;
    __syncthreads();
    if (threadIdx.y == 0 && j < cols) {
        double s = 0.0;
        for (int r = 0; r < GER_COLSUM_Y; r++) {
            s += partial[r][threadIdx.x];
        }
        sums[j] = (float)(s * scale);
    }
}
