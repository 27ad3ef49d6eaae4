// Square d x d matrices (row-major):
//   mirror_upper_to_lower: a(i, j) = a(j, i) for i > j (completes cublasSsyrk's Gram, which fills
//                          one triangle only)
//   zero_upper:            a(i, j) = 0 for i < j (cuSOLVER's potrf leaves the other triangle as is)
//   add_diagonal:          a(i, i) += value
//   trace:                 result[0] = sum of a(i, i) in double; one group of GER_BLOCK
// Reference: ger.backend.java.Triangle (addDiagonal, trace); conformance: ger.backend.TriangleConformance.
// mirror_upper_to_lower and zero_upper are the CUDA backend's glue around cuBLAS and cuSOLVER (their
// references ger.backend.java.Gemm's gram and Cholesky's factor), checked on PoCL by
// OpenClBackendConformanceTest.GlueKernels.

GER_KERNEL void mirror_upper_to_lower(GER_GLOBAL float* a, int d) {
    ger_u64 n = (ger_u64)d * d;
    GER_GRID_STRIDE(e, n) {
        ger_u64 i = e / d;
        ger_u64 j = e % d;
        if (i > j) {
            a[e] = a[j * d + i];
        }
    }
}

GER_KERNEL void zero_upper(GER_GLOBAL float* a, int d) {
    ger_u64 n = (ger_u64)d * d;
    GER_GRID_STRIDE(e, n) {
        if (e % d > e / d) {
            a[e] = 0.0f;
        }
    }
}

GER_KERNEL void add_diagonal(GER_GLOBAL float* a, int d, float value) {
    GER_GRID_STRIDE(i, (ger_u64)d) {
        a[i * d + i] += value;
    }
}

GER_KERNEL GER_GROUP_SIZE(GER_BLOCK, 1)
void trace(GER_GLOBAL const float* a, int d, GER_GLOBAL double* result) {
    GER_SHARED double scratch[GER_BLOCK];
    double acc = 0.0;
    for (int i = GER_LOCAL_X; i < d; i += GER_BLOCK) {
        acc += a[(ger_u64)i * d + i];
    }
    acc = ger_group_sum(acc, scratch);
    if (GER_LOCAL_X == 0) {
        result[0] = acc;
    }
}
