package ger.backend.java;

import ger.tensor.Matrix;

/** Conversions between {@link Matrix} and double[][] for the factorisations, which work in double. */
final class Dense {
    private Dense() {
    }

    static double[][] toDouble(Matrix a) {
        double[][] x = new double[a.rows()][a.cols()];
        for (int i = 0; i < a.rows(); i++) {
            for (int j = 0; j < a.cols(); j++) {
                x[i][j] = a.get(i, j);
            }
        }
        return x;
    }
}
