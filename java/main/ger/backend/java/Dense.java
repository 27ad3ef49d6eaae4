package ger.backend.java;

import ger.tensor.Matrix;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;

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

    /** y[i] += f x[i] for i in [from, to). */
    static void addScaled(double f, double[] x, double[] y, int from, int to) {
        DoubleVector fv = DoubleVector.broadcast(D, f);
        int i = from;
        for (int end = from + D.loopBound(to - from); i < end; i += D.length()) {
            DoubleVector.fromArray(D, x, i).fma(fv, DoubleVector.fromArray(D, y, i)).intoArray(y, i);
        }
        for (; i < to; i++) {
            y[i] += f * x[i];
        }
    }

    /** x *= f. */
    static void scale(double[] x, double f) {
        for (int i = 0; i < x.length; i++) {
            x[i] *= f;
        }
    }

    /**
     * Replaces row j of q by a unit vector orthogonal to the rows before it (orthonormal already):
     * Gram-Schmidt twice on the row itself, or, when too little of it is left, on coordinate vectors.
     */
    static void orthonormalise(double[][] q, int j) {
        int n = q[j].length;
        double[] row = q[j];
        for (int candidate = -1; candidate < n; candidate++) {
            if (candidate >= 0) {
                Arrays.fill(row, 0);
                row[candidate] = 1;
            }
            double before = Math.sqrt(dot(row, row, n));
            for (int pass = 0; pass < 2; pass++) {
                for (int p = 0; p < j; p++) {
                    addScaled(-dot(q[p], row, n), q[p], row, 0, n);
                }
            }
            double norm = Math.sqrt(dot(row, row, n));
            if (norm > 0.5 * before) {
                scale(row, 1 / norm);
                return;
            }
        }
        throw new IllegalStateException("no unit vector is orthogonal to " + j + " rows of length " + n);
    }

    /** A float32 matrix of a (rows of equal length). */
    static Matrix toMatrix(double[][] a) {
        Matrix m = Matrix.zeros(a.length, a.length == 0 ? 0 : a[0].length);
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < a[i].length; j++) {
                m.set(i, j, (float) a[i][j]);
            }
        }
        return m;
    }
}
