// Whole-tensor sums in double, in two deterministic passes: a reduction kernel writes one double per
// group (partials: one per group, at most ger.backend.kernel.Launch.MAX_PARTIALS groups), then
// sum_partials adds them in one group into a device scalar that the host copies back once (add = 0),
// or onto one that keeps a running sum on the device, a Backend.Sum (add = 1).
//   squared_error:  sum (a - b)^2            a, b: n elements
//   squared_norm:   sum a^2                  a: n elements
//   error_gradient: sum (out - target)^2, and delta = scale (out - target);
//                   delta may alias out (same index read, then written, by one work-item)
// Groups of GER_BLOCK work-items. Reference: ger.backend.java.Reductions; conformance:
// ger.backend.ReductionsConformance.

GER_KERNEL GER_GROUP_SIZE(GER_BLOCK, 1)
void sum_partials(GER_GLOBAL const double* partials, int count, GER_GLOBAL double* result, int add) {
    GER_SHARED double scratch[GER_BLOCK];
    double acc = 0.0;
    for (int i = GER_LOCAL_X; i < count; i += GER_BLOCK) {
        acc += partials[i];
    }
    acc = ger_group_sum(acc, scratch);
    if (GER_LOCAL_X == 0) {
        result[0] = add ? result[0] + acc : acc;
    }
}

GER_KERNEL GER_GROUP_SIZE(GER_BLOCK, 1)
void squared_error(GER_GLOBAL const float* a, GER_GLOBAL const float* b, ger_u64 n, GER_GLOBAL double* partials) {
    GER_SHARED double scratch[GER_BLOCK];
    double acc = 0.0;
    GER_GRID_STRIDE(i, n) {
        double d = (double)a[i] - (double)b[i];
        acc += d * d;
    }
    acc = ger_group_sum(acc, scratch);
    if (GER_LOCAL_X == 0) {
        partials[GER_GROUP_X] = acc;
    }
}

GER_KERNEL GER_GROUP_SIZE(GER_BLOCK, 1)
void squared_norm(GER_GLOBAL const float* a, ger_u64 n, GER_GLOBAL double* partials) {
    GER_SHARED double scratch[GER_BLOCK];
    double acc = 0.0;
    GER_GRID_STRIDE(i, n) {
        double v = a[i];
        acc += v * v;
    }
    acc = ger_group_sum(acc, scratch);
    if (GER_LOCAL_X == 0) {
        partials[GER_GROUP_X] = acc;
    }
}

GER_KERNEL GER_GROUP_SIZE(GER_BLOCK, 1)
void error_gradient(GER_GLOBAL const float* out, GER_GLOBAL const float* target, float scale,
                    GER_GLOBAL float* delta, ger_u64 n, GER_GLOBAL double* partials) {
    GER_SHARED double scratch[GER_BLOCK];
    double acc = 0.0;
    GER_GRID_STRIDE(i, n) {
        float d = out[i] - target[i];
        acc += (double)d * d;
        delta[i] = scale * d;
    }
    acc = ger_group_sum(acc, scratch);
    if (GER_LOCAL_X == 0) {
        partials[GER_GROUP_X] = acc;
    }
}
