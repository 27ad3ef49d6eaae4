// The dialect every portable kernel is written in: one source that compiles as CUDA (nvcc, NVRTC)
// and as OpenCL C (PoCL, NVIDIA's driver). The kernels use only the macros and types below for
// what the two languages spell differently; everything else is the C both share.
//
// Conventions of every kernel: float32 matrices, row-major, element (i, j) of an r x c matrix at
// i * c + j; element counts are 64-bit (ger_u64); 1-D kernels run GER_BLOCK work-items per group and
// a grid-stride loop, so any number of groups is correct. No multiply-add contraction (CUDA builds
// with --fmad=false, OpenCL with FP_CONTRACT OFF), so element-wise results round as the Java reference's.
// Compiled once per program, before every kernel file (kernels/cuda/ger_kernels.cu; the OpenCL
// backend puts it first in its program).
#ifndef GER_DIALECT_H
#define GER_DIALECT_H

// Work-items per group of every 1-D kernel, a power of two (ger.backend.kernel.Launch.BLOCK).
#define GER_BLOCK 256

#if defined(__OPENCL_VERSION__)
#pragma OPENCL FP_CONTRACT OFF
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
typedef ulong ger_u64;
#define GER_KERNEL __kernel
// The work-group shape the kernel indexes by; a launch with another fails instead of computing garbage.
#define GER_GROUP_SIZE(x, y) __attribute__((reqd_work_group_size(x, y, 1)))
#define GER_DEVICE inline
#define GER_GLOBAL __global
#define GER_SHARED __local
#define GER_SHARED_PTR __local
#define GER_LOCAL_X ((int)get_local_id(0))
#define GER_LOCAL_Y ((int)get_local_id(1))
#define GER_GROUP_X ((int)get_group_id(0))
#define GER_GROUP_Y ((int)get_group_id(1))
#define GER_GROUP_WIDTH ((int)get_local_size(0))
#define GER_GROUPS_X ((int)get_num_groups(0))
#define GER_BARRIER() barrier(CLK_LOCAL_MEM_FENCE)
#define GER_FLOAT_BITS(x) as_uint(x)
#define GER_BITS_FLOAT(b) as_float(b)
#define GER_LOAD4(p, q) vload4((q), (p))
#define GER_STORE4(v, p, q) vstore4((v), (q), (p))
#define fmaxf fmax
#define fminf fmin
#else
typedef unsigned long long ger_u64;
#define GER_KERNEL extern "C" __global__
#define GER_GROUP_SIZE(x, y)
#define GER_DEVICE __device__ __forceinline__
#define GER_GLOBAL
#define GER_SHARED __shared__
#define GER_SHARED_PTR
#define GER_LOCAL_X ((int)threadIdx.x)
#define GER_LOCAL_Y ((int)threadIdx.y)
#define GER_GROUP_X ((int)blockIdx.x)
#define GER_GROUP_Y ((int)blockIdx.y)
#define GER_GROUP_WIDTH ((int)blockDim.x)
#define GER_GROUPS_X ((int)gridDim.x)
#define GER_BARRIER() __syncthreads()
#define GER_FLOAT_BITS(x) __float_as_uint(x)
#define GER_BITS_FLOAT(b) __uint_as_float(b)
#define GER_LOAD4(p, q) (((const float4*)(p))[q])
#define GER_STORE4(v, p, q) (((float4*)(p))[q] = (v))
#endif

// for (i over [begin, n) owned by this work-item), striding by the whole grid
#define GER_GRID_STRIDE_FROM(i, begin, n)                                                            \
    for (ger_u64 i = (begin) + (ger_u64)GER_GROUP_X * GER_GROUP_WIDTH + GER_LOCAL_X; i < (n);       \
         i += (ger_u64)GER_GROUPS_X * GER_GROUP_WIDTH)
#define GER_GRID_STRIDE(i, n) GER_GRID_STRIDE_FROM(i, 0, n)

// The sum of v over a 1-D group of GER_BLOCK work-items, a tree through scratch (GER_BLOCK doubles of
// group memory, declared by the kernel: OpenCL allows group memory at kernel scope only); returned to
// every work-item. Every work-item of the group must call it, at most once per kernel.
GER_DEVICE double ger_group_sum(double v, GER_SHARED_PTR double* scratch) {
    int l = GER_LOCAL_X;
    scratch[l] = v;
    GER_BARRIER();
    for (int stride = GER_BLOCK / 2; stride > 0; stride >>= 1) {
        if (l < stride) {
            scratch[l] += scratch[l + stride];
        }
        GER_BARRIER();
    }
    return scratch[0];
}

#endif
