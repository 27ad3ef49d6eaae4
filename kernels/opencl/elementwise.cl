// Element-wise and row/column kernels of the OpenCL backend. All matrices float32 row-major.
// 1D kernels take the element count n (64-bit, as the CUDA kernels do) and may run with a global size
// rounded up past n. Names and argument orders are those of the CUDA kernels of the same name.
// FP_CONTRACT off: the same float operations, in the same order, as the java reference backend
// (JavaBackend), so results agree to rounding and reluPenalty picks the same candidate.
#pragma OPENCL FP_CONTRACT OFF

// x(i) = value; x has n elements.
__kernel void fill(__global float* x, const float value, const ulong n) {
    const ulong i = get_global_id(0);
    if (i < n) {
        x[i] = value;
    }
}

// x(i) = alpha x(i).
__kernel void scale(__global float* x, const float alpha, const ulong n) {
    const ulong i = get_global_id(0);
    if (i < n) {
        x[i] = alpha * x[i];
    }
}

// y(i) = alpha x(i) + y(i).
__kernel void axpy(const float alpha, __global const float* x, __global float* y, const ulong n) {
    const ulong i = get_global_id(0);
    if (i < n) {
        y[i] = alpha * x[i] + y[i];
    }
}

// a(i, j) += bias(j), then relu when relu != 0; a rows x cols, bias cols.
__kernel void add_bias_relu(__global float* a, __global const float* bias, const int rows, const int cols, const int relu) {
    const ulong i = get_global_id(0);
    if (i < (ulong) rows * cols) {
        const float v = a[i] + bias[i % cols];
        a[i] = relu ? fmax(0.0f, v) : v;
    }
}

// x(i, j) += alpha v(j); x rows x cols, v cols.
__kernel void add_row_vector(__global float* x, const float alpha, __global const float* v, const int rows, const int cols) {
    const ulong i = get_global_id(0);
    if (i < (ulong) rows * cols) {
        x[i] = x[i] + alpha * v[i % cols];
    }
}

// a(i, i) += value; a d x d.
__kernel void add_diagonal(__global float* a, const float value, const int d) {
    const int i = get_global_id(0);
    if (i < d) {
        a[(long) i * d + i] += value;
    }
}

// grad(i) = 0 where activation(i) <= 0.
__kernel void relu_backward(__global float* grad, __global const float* activation, const ulong n) {
    const ulong i = get_global_id(0);
    if (i < n && activation[i] <= 0.0f) {
        grad[i] = 0.0f;
    }
}

// v = momentum v + grad + weightDecay param; param -= lr v.
__kernel void sgd_update(__global float* param, __global const float* grad, __global float* velocity,
                         const float lr, const float momentum, const float weightDecay, const ulong n) {
    const ulong i = get_global_id(0);
    if (i < n) {
        const float w = param[i];
        const float v = momentum * velocity[i] + grad[i] + weightDecay * w;
        velocity[i] = v;
        param[i] = w - lr * v;
    }
}

// dst = src^T; src rows x cols, dst cols x rows. 16 x 16 tiles through local memory (padded against
// bank conflicts). Launch: local (16, 16), global (ceil(cols / 16) 16, ceil(rows / 16) 16).
#define TT 16
__kernel __attribute__((reqd_work_group_size(TT, TT, 1)))
void transpose(__global const float* src, __global float* dst, const int rows, const int cols) {
    __local float tile[TT][TT + 1];
    const int lx = get_local_id(0);
    const int ly = get_local_id(1);
    const int c = get_group_id(0) * TT + lx;
    const int r = get_group_id(1) * TT + ly;
    if (r < rows && c < cols) {
        tile[ly][lx] = src[(long) r * cols + c];
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    const int dr = get_group_id(0) * TT + ly; // row of dst = column of src
    const int dc = get_group_id(1) * TT + lx;
    if (dr < cols && dc < rows) {
        dst[(long) dr * rows + dc] = tile[lx][ly];
    }
}

// dst(r, :) = src(rows(r), :); src ? x cols, dst count x cols.
__kernel void gather_rows(__global const float* src, const int cols, __global const int* rows, const int count,
                          __global float* dst) {
    const ulong e = get_global_id(0);
    if (e < (ulong) count * cols) {
        const ulong r = e / cols;
        dst[e] = src[(ulong) rows[r] * cols + e % cols];
    }
}

// above(i) = how many entries of row i other than labels(i) are >= logits(i, labels(i)) (ties count
// against); logits rows x c. The host turns these ranks into top-k counts.
__kernel void topk_rank(__global const float* logits, __global const int* labels, __global int* above,
                        const int rows, const int c) {
    const int i = get_global_id(0);
    if (i >= rows) {
        return;
    }
    __global const float* row = logits + (long) i * c;
    const int label = labels[i];
    const float target = row[label];
    int count = 0;
    for (int j = 0; j < c; j++) {
        count += (j != label && row[j] >= target) ? 1 : 0;
    }
    above[i] = count;
}
