// Row-vector operations on a row-major rows x cols matrix:
//   add_bias_relu:  a(i, j) += bias(j), then max(0, .) if relu != 0     a: rows x cols, bias: cols
//   add_row_vector: x(i, j) += alpha v(j)                               x: rows x cols, v: cols
//   column_sums:    partials(s, j) = sum over the rows of slice s of x(i, j), in double
//                   x: rows x cols, partials: slices x cols; slice s = rows [s slice_rows, (s + 1) slice_rows)
//   column_sums_finish: sums(j) = scale * sum over s of partials(s, j)     sums: cols
// add_bias_relu, add_row_vector and column_sums_finish are 1-D grid-stride kernels.
// column_sums runs groups of 32 x 8 work-items: group x covers 32 adjacent columns (coalesced reads),
// group y one slice of rows (ger.backend.kernel.ColumnSlices), its 8 rows of work-items stride down
// the slice, and the 8 partial sums meet in group memory. Slicing the rows gives a tall matrix with
// few columns enough groups to fill a GPU (one group column per 32 columns left 4096 columns at 5% of
// DRAM bandwidth under ncu); the finish kernel adds the slices in a fixed order, so the result does
// not vary from run to run.
// Reference: ger.backend.java.RowVector (addBiasRelu, addRowVector, columnSums, columnMeans);
// conformance: ger.backend.RowVectorConformance.

#define GER_COLSUM_X 32
#define GER_COLSUM_Y 8

GER_KERNEL void add_bias_relu(GER_GLOBAL float* a, GER_GLOBAL const float* bias, int rows, int cols, int relu) {
    ger_u64 n = (ger_u64)rows * cols;
    GER_GRID_STRIDE(i, n) {
        float v = a[i] + bias[i % cols];
        a[i] = relu ? fmaxf(0.0f, v) : v;
    }
}

GER_KERNEL void add_row_vector(GER_GLOBAL float* x, float alpha, GER_GLOBAL const float* v, int rows, int cols) {
    ger_u64 n = (ger_u64)rows * cols;
    GER_GRID_STRIDE(i, n) {
        x[i] = x[i] + alpha * v[i % cols];
    }
}

GER_KERNEL GER_GROUP_SIZE(GER_COLSUM_X, GER_COLSUM_Y)
void column_sums(GER_GLOBAL const float* x, int rows, int cols, int slice_rows, GER_GLOBAL double* partials) {
    GER_SHARED double partial[GER_COLSUM_Y][GER_COLSUM_X + 1];
    int j = GER_GROUP_X * GER_COLSUM_X + GER_LOCAL_X;
    int begin = GER_GROUP_Y * slice_rows;
    int end = min(rows, begin + slice_rows);
    double acc = 0.0;
    if (j < cols) {
        for (int i = begin + GER_LOCAL_Y; i < end; i += GER_COLSUM_Y) {
            acc += x[(ger_u64)i * cols + j];
        }
    }
    partial[GER_LOCAL_Y][GER_LOCAL_X] = acc;
    GER_BARRIER();
    if (GER_LOCAL_Y == 0 && j < cols) {
        double s = 0.0;
        for (int r = 0; r < GER_COLSUM_Y; r++) {
            s += partial[r][GER_LOCAL_X];
        }
        partials[(ger_u64)GER_GROUP_Y * cols + j] = s;
    }
}

GER_KERNEL void column_sums_finish(GER_GLOBAL const double* partials, int slices, int cols, float scale,
                                   GER_GLOBAL float* sums) {
    GER_GRID_STRIDE(j, (ger_u64)cols) {
        double s = 0.0;
        for (int slice = 0; slice < slices; slice++) {
            s += partials[(ger_u64)slice * cols + j];
        }
        sums[j] = (float)(s * scale);
    }
}
