package ger.method;

import ger.backend.Backend;
import ger.tensor.Matrix;
import ger.tensor.Tensor;

/** Small compositions of {@link Backend} operations that several methods need. */
public final class DeviceOps {
    private DeviceOps() {
    }

    /** A new rows x cols tensor of zeros. */
    public static Tensor zeros(Backend b, int rows, int cols) {
        Tensor t = b.allocate(rows, cols);
        b.fill(t, 0f);
        return t;
    }

    /** A new copy of t on the same backend. */
    public static Tensor copy(Backend b, Tensor t) {
        Tensor c = b.allocate(t.rows(), t.cols());
        b.copyRows(t, 0, c, 0, t.rows());
        return c;
    }

    /** Copies src into dst (same shape). */
    public static void copyInto(Backend b, Tensor src, Tensor dst) {
        b.copyRows(src, 0, dst, 0, src.rows());
    }

    /** t^T as a new tensor (t: r x c -> c x r). */
    public static Tensor transposed(Backend b, Tensor t) {
        Tensor c = b.allocate(t.cols(), t.rows());
        b.transpose(t, c);
        return c;
    }

    /** The first k columns of t (r x c -> r x k) as a new tensor. */
    public static Tensor firstColumns(Backend b, Tensor t, int k) {
        try (Tensor tt = transposed(b, t); Tensor rows = b.allocate(k, t.rows())) {
            b.copyRows(tt, 0, rows, 0, k);
            return transposed(b, rows);
        }
    }

    /** The first k columns of the host matrix m (r x c -> r x k) as a new matrix. */
    public static Matrix firstColumns(Matrix m, int k) {
        Matrix r = Matrix.zeros(m.rows(), k);
        for (int i = 0; i < m.rows(); i++) {
            for (int j = 0; j < k; j++) {
                r.set(i, j, m.get(i, j));
            }
        }
        return r;
    }

    /** relu(t) as a new tensor. */
    static Tensor reluCopy(Backend b, Tensor t) {
        Tensor c = b.allocate(t.rows(), t.cols());
        relu(b, t, c);
        return c;
    }

    /** dst = relu(src), same shapes. */
    static void relu(Backend b, Tensor src, Tensor dst) {
        copyInto(b, src, dst);
        try (Tensor zero = zeros(b, 1, src.cols())) {
            b.addBiasRelu(dst, zero, true);
        }
    }

    /** Centres t's columns in place; returns their means (1 x cols). */
    public static Tensor centre(Backend b, Tensor t) {
        Tensor means = b.allocate(1, t.cols());
        b.columnMeans(t, means);
        b.addRowVector(t, -1f, means);
        return means;
    }

    /** The host matrix m with column j multiplied by f[j] (m: r x c, f length >= c), as a new matrix. */
    public static Matrix scaleColumns(Matrix m, double[] f) {
        return scaled(m, (i, j) -> f[j]);
    }

    /** The host matrix m with row i multiplied by f[i] (m: r x c, f length >= r), as a new matrix. */
    static Matrix scaleRows(Matrix m, double[] f) {
        return scaled(m, (i, j) -> f[i]);
    }

    /** The factor of element (i, j). */
    private interface Factor {
        double at(int i, int j);
    }

    private static Matrix scaled(Matrix m, Factor f) {
        Matrix r = Matrix.zeros(m.rows(), m.cols());
        for (int i = 0; i < m.rows(); i++) {
            for (int j = 0; j < m.cols(); j++) {
                r.set(i, j, (float) (m.get(i, j) * f.at(i, j)));
            }
        }
        return r;
    }

    /** Element-wise square roots. */
    static double[] sqrt(double[] s) {
        double[] r = new double[s.length];
        for (int i = 0; i < s.length; i++) {
            r[i] = Math.sqrt(Math.max(0, s[i]));
        }
        return r;
    }
}
