package ger.backend.java;

import ger.tensor.Matrix;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** Double-precision helpers for the factorisations, which work in double[][] rows. */
final class Dense {
    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;

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

    /** a^T; a r x c. */
    static double[][] transpose(double[][] a) {
        double[][] t = new double[a.length == 0 ? 0 : a[0].length][a.length];
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < a[i].length; j++) {
                t[j][i] = a[i][j];
            }
        }
        return t;
    }

    /** sum of a[i] b[i] for i < n, with vector FMAs (C2 does not vectorise a double reduction itself). */
    static double dot(double[] a, double[] b, int n) {
        DoubleVector acc = DoubleVector.zero(D);
        int i = 0;
        for (int end = D.loopBound(n); i < end; i += D.length()) {
            acc = DoubleVector.fromArray(D, a, i).fma(DoubleVector.fromArray(D, b, i), acc);
        }
        double s = acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    /** y[i] -= f x[i] for i in [from, to). */
    static void subtractScaled(double f, double[] x, double[] y, int from, int to) {
        DoubleVector minusF = DoubleVector.broadcast(D, -f);
        int i = from;
        for (int end = from + D.loopBound(to - from); i < end; i += D.length()) {
            DoubleVector.fromArray(D, x, i).fma(minusF, DoubleVector.fromArray(D, y, i)).intoArray(y, i);
        }
        for (; i < to; i++) {
            y[i] -= f * x[i];
        }
    }
}
