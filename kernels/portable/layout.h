// Moving elements between layouts (row-major throughout):
//   transpose:     dst = src^T                         src: rows x cols, dst: cols x rows
//                  32 x 32 tiles through group memory (padded against bank conflicts), groups of
//                  32 x 8 work-items, grid (ceil(cols / 32), ceil(rows / 32))
//   gather_rows:   dst(r, :) = src(rows[r], :)         src: ? x cols, rows: count, dst: count x cols
//   copy_block:    dst(i, j) = src(i, j) for i < rows, j < cols, with leading dimensions
//                  src_ld and dst_ld (a column slice: the SVD's u)
//   eigvecs_top_k: dst(i, j) = src(d - 1 - j, i)       src: d x d, row r = eigenvector r of the
//                  ascending eigenvalues (cuSOLVER's column-major output read row-major),
//                  dst: d x k, column j = eigenvector of the j-th largest eigenvalue
// Reference: ger.backend.java.Layout (transpose, gatherRows); conformance: ger.backend.LayoutConformance.
// copy_block and eigvecs_top_k are the CUDA backend's glue around cuSOLVER, checked on PoCL by
// OpenClBackendConformanceTest.GlueKernels.

#define GER_TILE 32
#define GER_TILE_ROWS 8

GER_KERNEL GER_GROUP_SIZE(GER_TILE, GER_TILE_ROWS)
void transpose(GER_GLOBAL const float* src, int rows, int cols, GER_GLOBAL float* dst) {
    GER_SHARED float tile[GER_TILE][GER_TILE + 1];
    int x = GER_GROUP_X * GER_TILE + GER_LOCAL_X;
    for (int dy = GER_LOCAL_Y; dy < GER_TILE; dy += GER_TILE_ROWS) {
        int y = GER_GROUP_Y * GER_TILE + dy;
        if (x < cols && y < rows) {
            tile[dy][GER_LOCAL_X] = src[(ger_u64)y * cols + x];
        }
    }
    GER_BARRIER();
    int tx = GER_GROUP_Y * GER_TILE + GER_LOCAL_X; // column of dst = row of src
    for (int dy = GER_LOCAL_Y; dy < GER_TILE; dy += GER_TILE_ROWS) {
        int ty = GER_GROUP_X * GER_TILE + dy; // row of dst = column of src
        if (tx < rows && ty < cols) {
            dst[(ger_u64)ty * rows + tx] = tile[GER_LOCAL_X][dy];
        }
    }
}

GER_KERNEL void gather_rows(GER_GLOBAL const float* src, int cols, GER_GLOBAL const int* rows, int count,
                            GER_GLOBAL float* dst) {
    ger_u64 n = (ger_u64)count * cols;
    GER_GRID_STRIDE(e, n) {
        ger_u64 r = e / cols;
        ger_u64 j = e % cols;
        dst[e] = src[(ger_u64)rows[r] * cols + j];
    }
}

GER_KERNEL void copy_block(GER_GLOBAL const float* src, int src_ld, GER_GLOBAL float* dst, int dst_ld, int rows,
                           int cols) {
    ger_u64 n = (ger_u64)rows * cols;
    GER_GRID_STRIDE(e, n) {
        ger_u64 i = e / cols;
        ger_u64 j = e % cols;
        dst[i * dst_ld + j] = src[i * src_ld + j];
    }
}

GER_KERNEL void eigvecs_top_k(GER_GLOBAL const float* src, int d, int k, GER_GLOBAL float* dst) {
    ger_u64 n = (ger_u64)d * k;
    GER_GRID_STRIDE(e, n) {
        ger_u64 i = e / k;
        ger_u64 j = e % k;
        dst[e] = src[(ger_u64)(d - 1 - j) * d + i];
    }
}
