// Reductions of the OpenCL backend. Each work-group of RED_WG work-items folds a grid-strided share
// of the n elements into one double and writes it to partial[group]; the host adds the partials in
// double. The same accumulation in double as the CUDA kernels of the same names, with the same
// parameters (n 64-bit). Launch: local RED_WG, global = groups RED_WG.
#pragma OPENCL FP_CONTRACT OFF
#pragma OPENCL EXTENSION cl_khr_fp64 : enable

#ifndef RED_WG
#define RED_WG 256 // the host passes it as -DRED_WG
#endif

// Tree sum of v over the work-group; work-item 0 writes the group's total to partial.
inline void group_sum(double v, __local double* scratch, __global double* partial) {
    const int l = get_local_id(0);
    scratch[l] = v;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int stride = RED_WG / 2; stride > 0; stride >>= 1) {
        if (l < stride) {
            scratch[l] += scratch[l + stride];
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (l == 0) {
        partial[get_group_id(0)] = scratch[0];
    }
}

// sum of (a - b)^2.
__kernel __attribute__((reqd_work_group_size(RED_WG, 1, 1)))
void squared_error(__global const float* a, __global const float* b, const ulong n, __global double* partial) {
    __local double scratch[RED_WG];
    double acc = 0.0;
    for (ulong i = get_global_id(0); i < n; i += get_global_size(0)) {
        const float d = a[i] - b[i];
        acc += d * d;
    }
    group_sum(acc, scratch, partial);
}

// sum of a^2.
__kernel __attribute__((reqd_work_group_size(RED_WG, 1, 1)))
void squared_norm(__global const float* a, const ulong n, __global double* partial) {
    __local double scratch[RED_WG];
    double acc = 0.0;
    for (ulong i = get_global_id(0); i < n; i += get_global_size(0)) {
        acc += a[i] * a[i];
    }
    group_sum(acc, scratch, partial);
}

// sum of a(i, i); a n x n.
__kernel __attribute__((reqd_work_group_size(RED_WG, 1, 1)))
void trace(__global const float* a, const int n, __global double* partial) {
    __local double scratch[RED_WG];
    double acc = 0.0;
    for (ulong i = get_global_id(0); i < n; i += get_global_size(0)) {
        acc += a[i * n + i];
    }
    group_sum(acc, scratch, partial);
}

// delta = scale (out - target); sums (out - target)^2. delta may alias out: each element is read
// before it is written, by the same work-item.
__kernel __attribute__((reqd_work_group_size(RED_WG, 1, 1)))
void error_gradient(__global const float* out, __global const float* target, const float scale,
                    __global float* delta, const ulong n, __global double* partial) {
    __local double scratch[RED_WG];
    double acc = 0.0;
    for (ulong i = get_global_id(0); i < n; i += get_global_size(0)) {
        const float d = out[i] - target[i];
        acc += d * d;
        delta[i] = scale * d;
    }
    group_sum(acc, scratch, partial);
}

// The ReLU-penalty step of AS (docs/method.md, Step II): z = argmin over z of
// (t - relu(z))^2 + lambda (z - y')^2 with t = relu(preActivation), from the candidate z <= 0
// (z0 = min(0, y')) and the candidate z >= 0 (z1 = max(0, (lambda y' + t) / (1 + lambda)));
// ties go to z1. Sums the objective at the chosen z.
__kernel __attribute__((reqd_work_group_size(RED_WG, 1, 1)))
void relu_penalty(__global const float* yPrime, __global const float* preActivation, const float lambda,
                  __global float* z, const ulong n, __global double* partial) {
    __local double scratch[RED_WG];
    double acc = 0.0;
    for (ulong i = get_global_id(0); i < n; i += get_global_size(0)) {
        const float y = yPrime[i];
        const float t = fmax(0.0f, preActivation[i]);
        const float z0 = fmin(0.0f, y);
        const float cost0 = t * t + lambda * (z0 - y) * (z0 - y);
        const float z1 = fmax(0.0f, (lambda * y + t) / (1.0f + lambda));
        const float cost1 = (t - z1) * (t - z1) + lambda * (z1 - y) * (z1 - y);
        const int positive = cost1 <= cost0;
        z[i] = positive ? z1 : z0;
        acc += positive ? cost1 : cost0;
    }
    group_sum(acc, scratch, partial);
}

// Column sums, as CUDA's column_sums / column_sums_finish: work-groups of COLSUM_X x COLSUM_Y items;
// group x covers COLSUM_X adjacent columns, group y one slice of slice_rows rows, down which its
// COLSUM_Y rows of items stride; they meet in local memory and write partials(slice, j) in double.
// column_sums_finish adds the slices in a fixed order: sums(j) = scale * sum over s of partials(s, j).
#ifndef COLSUM_X
#define COLSUM_X 32 // the host passes both as -DCOLSUM_X, -DCOLSUM_Y
#define COLSUM_Y 8
#endif

__kernel __attribute__((reqd_work_group_size(COLSUM_X, COLSUM_Y, 1)))
void column_sums(__global const float* x, const int rows, const int cols, const int slice_rows,
                 __global double* partials) {
    __local double partial[COLSUM_Y][COLSUM_X + 1];
    const int lx = get_local_id(0);
    const int ly = get_local_id(1);
    const int j = get_group_id(0) * COLSUM_X + lx;
    const int begin = get_group_id(1) * slice_rows;
    const int end = min(rows, begin + slice_rows);
    double acc = 0.0;
    if (j < cols) {
        for (int i = begin + ly; i < end; i += COLSUM_Y) {
            acc += x[(ulong) i * cols + j];
        }
    }
    partial[ly][lx] = acc;
    barrier(CLK_LOCAL_MEM_FENCE);
    if (ly == 0 && j < cols) {
        double s = 0.0;
        for (int r = 0; r < COLSUM_Y; r++) {
            s += partial[r][lx];
        }
        partials[(ulong) get_group_id(1) * cols + j] = s;
    }
}

__kernel void column_sums_finish(__global const double* partials, const int slices, const int cols, const float scale,
                                 __global float* sums) {
    const int j = get_global_id(0);
    if (j < cols) {
        double s = 0.0;
        for (int slice = 0; slice < slices; slice++) {
            s += partials[(ulong) slice * cols + j];
        }
        sums[j] = (float) (s * scale);
    }
}
