// Device helpers shared by every ger kernel: the grid-stride loop and the block-wide sum in double.
//
// Conventions of all kernels in this folder: float32 matrices, row-major, element (i, j) of an
// r x c matrix at i * c + j; element counts are 64-bit (unsigned long long); 1-D kernels run with
// GER_BLOCK threads per block and a grid-stride loop, so any grid size is correct.
// Built together: native/Makefile includes every .cu into one translation unit for nvcc, and the
// Java backend does the same for NVRTC, so this header is seen once (include guard).
#ifndef GER_COMMON_CUH
#define GER_COMMON_CUH

// Threads per block of every 1-D kernel (the Java side launches with the same number).
#define GER_BLOCK 256

// for (i over [0, n) owned by this thread), striding by the whole grid
#define GER_GRID_STRIDE(i, n)                                                          \
    for (unsigned long long i = blockIdx.x * (unsigned long long)blockDim.x + threadIdx.x; \
         i < (n); i += (unsigned long long)gridDim.x * blockDim.x)

__device__ __forceinline__ double ger_warp_sum(double v) {
    for (int offset = 16; offset > 0; offset >>= 1) {
        v += __shfl_down_sync(0xffffffffu, v, offset);
    }
    return v;
}

// The sum of v over the block (1-D, blockDim.x a multiple of 32); valid in thread 0 only.
// Every thread of the block must call it, at most once per kernel.
__device__ __forceinline__ double ger_block_sum(double v) {
    __shared__ double warp_sums[32];
    int lane = threadIdx.x & 31;
    int warp = threadIdx.x >> 5;
    v = ger_warp_sum(v);
    if (lane == 0) {
        warp_sums[warp] = v;
    }
    __syncthreads();
    if (warp == 0) {
        v = lane < (int)(blockDim.x >> 5) ? warp_sums[lane] : 0.0;
        v = ger_warp_sum(v);
    }
    return v;
}

#endif
