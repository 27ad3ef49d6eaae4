// Moving elements between layouts (row-major throughout):
//   transpose:     dst = src^T                         src: rows x cols, dst: cols x rows
//                  32 x 32 tiles through shared memory (padded against bank conflicts), blocks of
//                  32 x 8 threads, grid (ceil(cols / 32), ceil(rows / 32))
//   gather_rows:   dst(r, :) = src(rows[r], :)         src: ? x cols, rows: count, dst: count x cols
//   copy_block:    dst(i, j) = src(i, j) for i < rows, j < cols, with leading dimensions
//                  src_ld and dst_ld (a column slice: the SVD's u)
//   eigvecs_top_k: dst(i, j) = src(d - 1 - j, i)       src: d x d, row r = eigenvector r of the
//                  ascending eigenvalues (cuSOLVER's column-major output read row-major),
//                  dst: d x k, column j = eigenvector of the j-th largest eigenvalue
#include "common.cuh"

#define GER_TILE 32
#define GER_TILE_ROWS 8

extern "C" __global__ void transpose(const float* src, int rows, int cols, float* dst) {
    __shared__ float tile[GER_TILE][GER_TILE + 1];
    int x = blockIdx.x * GER_TILE + threadIdx.x;
    for (int dy = threadIdx.y; dy < GER_TILE; dy += GER_TILE_ROWS) {
        int y = blockIdx.y * GER_TILE + dy;
        if (x < cols && y < rows) {
            tile[dy][threadIdx.x] = src[(unsigned long long)y * cols + x];
        }
    }
    __syncthreads();
    int tx = blockIdx.y * GER_TILE + threadIdx.x; // column of dst = row of src
    for (int dy = threadIdx.y; dy < GER_TILE; dy += GER_TILE_ROWS) {
        int ty = blockIdx.x * GER_TILE + dy; // row of dst = column of src
        if (tx < rows && ty < cols) {
            dst[(unsigned long long)ty * rows + tx] = tile[threadIdx.x][dy];
        }
    }
}

extern "C" __global__ void gather_rows(const float* src, int cols, const int* rows, int count, float* dst) {
    unsigned long long n = (unsigned long long)count * cols;
    GER_GRID_STRIDE(e, n) {
        unsigned long long r = e / cols;
        unsigned long long j = e % cols;
        dst[e] = src[(unsigned long long)rows[r] * cols + j];
    }
}

extern "C" __global__ void copy_block(const float* src, int src_ld, float* dst, int dst_ld, int rows, int cols) {
    unsigned long long n = (unsigned long long)rows * cols;
    GER_GRID_STRIDE(e, n) {
        unsigned long long i = e / cols;
        unsigned long long j = e % cols;
        dst[i * dst_ld + j] = src[i * src_ld + j];
    }
}

extern "C" __global__ void eigvecs_top_k(const float* src, int d, int k, float* dst) {
    unsigned long long n = (unsigned long long)d * k;
    GER_GRID_STRIDE(e, n) {
        unsigned long long i = e / k;
        unsigned long long j = e % k;
        dst[e] = src[(unsigned long long)(d - 1 - j) * d + i];
    }
}
