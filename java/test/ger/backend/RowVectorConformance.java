package ger.backend;

import ger.backend.Conformance.Draw;
import ger.tensor.Matrix;
import ger.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static ger.backend.Conformance.assertClose;
import static ger.backend.Conformance.columnSums;
import static ger.backend.Conformance.d;
import static ger.backend.Conformance.scaled;

/**
 * The row-vector operations: addBiasRelu, addRowVector, columnSums, columnMeans.
 * Kernels: kernels/portable/row_vector.h. Reference: ger.backend.java.RowVector.
 */
public interface RowVectorConformance extends ConformanceFixture {

    @Test
    default void addBiasRelu() {
        Draw r = Draw.fresh();
        for (boolean relu : new boolean[] {false, true}) {
            Matrix a = gaussian(r, 37, 53);
            Matrix bias = gaussian(r, 1, 53);
            Tensor at = up(a);
            backend().addBiasRelu(at, up(bias), relu);
            double[][] expected = d(a);
            for (double[] row : expected) {
                for (int j = 0; j < row.length; j++) {
                    row[j] += bias.get(0, j);
                    row[j] = relu ? Math.max(0, row[j]) : row[j];
                }
            }
            assertClose(expected, down(at), tolerance(), r.tag("addBiasRelu relu=" + relu));
        }
    }

    @Test
    default void addRowVector() {
        Draw r = Draw.fresh();
        Matrix x = gaussian(r, 37, 53);
        Matrix v = gaussian(r, 1, 53);
        float alpha = (float) r.rng().nextGaussian();
        Tensor xt = up(x);
        backend().addRowVector(xt, alpha, up(v));
        double[][] expected = d(x);
        for (double[] row : expected) {
            for (int j = 0; j < row.length; j++) {
                row[j] += alpha * v.get(0, j);
            }
        }
        assertClose(expected, down(xt), tolerance(), r.tag("addRowVector alpha=" + alpha));
    }

    @Test
    default void columnMeansAndSums() {
        Draw r = Draw.fresh();
        // 1000 x 97: several row slices on CUDA (64 rows and up each) and a ragged last block of columns.
        for (int[] shape : new int[][] {{37, 53}, {1, 11}, {301, 1}, {1000, 97}}) {
            Matrix x = gaussian(r, shape[0], shape[1]);
            for (int j = 0; j < shape[1]; j++) {
                x.set(0, j, x.get(0, j) + 3); // keep the sums away from zero
            }
            double[][] sums = columnSums(d(x));
            Tensor st = poisoned(1, shape[1]);
            backend().columnSums(up(x), st);
            assertClose(sums, down(st), tolerance(), r.tag("columnSums " + x.shape()));
            Tensor mt = poisoned(1, shape[1]);
            backend().columnMeans(up(x), mt);
            assertClose(scaled(sums, 1.0 / shape[0], null, 0), down(mt), tolerance(), r.tag("columnMeans " + x.shape()));
        }
    }
}
