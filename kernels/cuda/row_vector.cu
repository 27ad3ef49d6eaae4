// Row-vector operations on a row-major rows x cols matrix:
//   add_bias_relu:  a(i, j) += bias(j), then max(0, .) if relu != 0     a: rows x cols, bias: cols
//   add_row_vector: x(i, j) += alpha v(j)                               x: rows x cols, v: cols
//   column_sums:    partials(s, j) = sum over the rows of slice s of x(i, j), in double
//                   x: rows x cols, partials: slices x cols; slice s = rows [s slice_rows, (s + 1) slice_rows)
//   column_sums_finish: sums(j) = scale * sum over s of partials(s, j)     sums: cols
// add_bias_relu / add_row_vector are 1-D grid-stride kernels over rows * cols.
// column_sums runs blocks of 32 x 8 threads: block x covers 32 adjacent columns (coalesced reads),
// block y one slice of rows, its 8 rows of threads stride down the slice, and the 8 partial sums meet
// in shared memory. Slicing the rows gives a tall matrix with few columns enough blocks to fill the
// GPU (one block column per 32 columns left 4096 columns at 5% of DRAM bandwidth under ncu); the
// finish kernel adds the slices in a fixed order, so the result does not vary from run to run.
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

extern "C" __global__ void column_sums(const float* x, int rows, int cols, int slice_rows, double* partials) {
    __shared__ double partial[GER_COLSUM_Y][GER_COLSUM_X + 1];
    int j = blockIdx.x * GER_COLSUM_X + threadIdx.x;
    int begin = blockIdx.y * slice_rows;
    int end = min(rows, begin + slice_rows);
    double acc = 0.0;
    if (j < cols) {
        for (int i = begin + threadIdx.y; i < end; i += GER_COLSUM_Y) {
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
        partials[(unsigned long long)blockIdx.y * cols + j] = s;
    }
}

extern "C" __global__ void column_sums_finish(const double* partials, int slices, int cols, float scale, float* sums) {
    GER_GRID_STRIDE(j, (unsigned long long)cols) {
        double s = 0.0;
        for (int slice = 0; slice < slices; slice++) {
            s += partials[(unsigned long long)slice * cols + j];
        }
        sums[j] = (float)(s * scale);
    }
}
