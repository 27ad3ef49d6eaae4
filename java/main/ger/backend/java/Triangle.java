package ger.backend.java;

import ger.tensor.Matrix;

/**
 * The diagonal of a square matrix: addDiagonal, trace.
 * Kernel: kernels/portable/triangle.h. Conformance: ger.backend.TriangleConformance.
 */
final class Triangle {
    private Triangle() {
    }

    /** a(i, i) += value. */
    static void addDiagonal(Matrix a, float value) {
        for (int i = 0; i < a.rows(); i++) {
            a.set(i, i, a.get(i, i) + value);
        }
    }

    /** The sum of a(i, i), in double. */
    static double trace(Matrix a) {
        double s = 0;
        for (int i = 0; i < a.rows(); i++) {
            s += a.get(i, i);
        }
        return s;
    }
}
