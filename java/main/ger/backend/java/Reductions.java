package ger.backend.java;

import ger.tensor.Matrix;

/**
 * Whole-tensor sums in double: squaredError, squaredNorm, errorGradient, in parallel chunks added in
 * chunk order.
 * Kernel: kernels/portable/reductions.h. Conformance: ger.backend.ReductionsConformance.
 */
final class Reductions {
    private Reductions() {
    }

    /** sum (a - b)^2. */
    static double squaredError(Matrix a, Matrix b) {
        return ParallelChunks.run(a.size(), (from, to) -> {
            double s = 0;
            for (long i = from; i < to; i++) {
                double d = (double) a.getFlat(i) - b.getFlat(i);
                s += d * d;
            }
            return s;
        });
    }

    /** sum a^2. */
    static double squaredNorm(Matrix a) {
        return ParallelChunks.run(a.size(), (from, to) -> {
            double s = 0;
            for (long i = from; i < to; i++) {
                double v = a.getFlat(i);
                s += v * v;
            }
            return s;
        });
    }

    /** sum (out - target)^2, and delta = scale (out - target) (delta may be out). */
    static double errorGradient(Matrix out, Matrix target, float scale, Matrix delta) {
        return ParallelChunks.run(out.size(), (from, to) -> {
            double s = 0;
            for (long i = from; i < to; i++) {
                float d = out.getFlat(i) - target.getFlat(i);
                s += (double) d * d;
                delta.setFlat(i, scale * d);
            }
            return s;
        });
    }
}
