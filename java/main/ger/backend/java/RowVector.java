package ger.backend.java;

import ger.tensor.Matrix;

import java.util.stream.IntStream;

/**
 * Row-vector operations on a rows x cols matrix: addBiasRelu, addRowVector, columnSums, columnMeans,
 * in parallel over rows or blocks of columns.
 * Kernel: kernels/portable/row_vector.h. Conformance: ger.backend.RowVectorConformance.
 */
final class RowVector {
    /** Columns per parallel task of {@link #columnSums}. */
    private static final int COLUMN_BLOCK = 128;

    private RowVector() {
    }

    /** a(i, j) += bias(j), then max(0, .) if relu. */
    static void addBiasRelu(Matrix a, Matrix bias, boolean relu) {
        addScaledRow(a, 1f, bias, relu);
    }

    /** x(i, j) += alpha v(j). */
    static void addRowVector(Matrix x, float alpha, Matrix v) {
        addScaledRow(x, alpha, v, false);
    }

    /** x(i, j) += alpha v(j), then max(0, .) if relu; alpha 1 gives a + bias exactly (1 v = v). */
    private static void addScaledRow(Matrix x, float alpha, Matrix v, boolean relu) {
        IntStream.range(0, x.rows()).parallel().forEach(i -> {
            for (int j = 0; j < x.cols(); j++) {
                float s = x.get(i, j) + alpha * v.get(0, j);
                x.set(i, j, relu ? Math.max(0f, s) : s);
            }
        });
    }

    /** sums(j) = the sum of x(i, j) over the rows in order, in double. */
    static void columnSums(Matrix x, Matrix sums) {
        int cols = x.cols();
        // in parallel over blocks of columns; each column is still summed over the rows in order
        IntStream.range(0, (cols + COLUMN_BLOCK - 1) / COLUMN_BLOCK).parallel().forEach(blk -> {
            int from = blk * COLUMN_BLOCK;
            int to = Math.min(cols, from + COLUMN_BLOCK);
            double[] acc = new double[to - from];
            for (int i = 0; i < x.rows(); i++) {
                for (int j = from; j < to; j++) {
                    acc[j - from] += x.get(i, j);
                }
            }
            for (int j = from; j < to; j++) {
                sums.set(0, j, (float) acc[j - from]);
            }
        });
    }

    /** means = the column sums, then scaled by 1 / rows in float. */
    static void columnMeans(Matrix x, Matrix means) {
        columnSums(x, means);
        Elementwise.scale(means, 1f / x.rows());
    }
}
