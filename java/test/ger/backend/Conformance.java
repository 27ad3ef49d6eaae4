package ger.backend;

import ger.tensor.Matrix;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/** The host-side helpers of the conformance families: seeded draws, float64 references, comparisons. */
public final class Conformance {

    private Conformance() {
    }

    /** A seeded generator; its seed goes into every message of the test. */
    public record Draw(long seed, Random rng) {
        public static Draw fresh() {
            long seed = System.nanoTime();
            return new Draw(seed, new Random(seed));
        }

        public String tag(String what) {
            return what + " (seed " + seed + ")";
        }

        public int between(int lo, int hi) {
            return lo + rng.nextInt(hi - lo + 1);
        }
    }

    /** A block of rows to copy, drawn to fit: count rows from srcRow of the source to dstRow of the destination. */
    public record RowBlock(int count, int srcRow, int dstRow) {
        public static RowBlock draw(Draw r, int srcRows, int dstRows) {
            int count = r.between(1, Math.min(20, Math.min(srcRows, dstRows)));
            return new RowBlock(count, r.between(0, srcRows - count), r.between(0, dstRows - count));
        }

        /** dst with the block's rows of src copied in. */
        public double[][] copied(double[][] src, double[][] dst) {
            double[][] out = dst.clone();
            System.arraycopy(src, srcRow, out, dstRow, count);
            return out;
        }

        public String tag(String op) {
            return op + " " + srcRow + "+" + count + " -> " + dstRow;
        }
    }

    /** m in double, as an array of its rows. */
    public static double[][] d(Matrix m) {
        double[][] x = new double[m.rows()][m.cols()];
        for (int i = 0; i < m.rows(); i++) {
            for (int j = 0; j < m.cols(); j++) {
                x[i][j] = m.get(i, j);
            }
        }
        return x;
    }

    /** a^T. */
    public static double[][] t(double[][] a) {
        double[][] t = new double[a[0].length][a.length];
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < a[0].length; j++) {
                t[j][i] = a[i][j];
            }
        }
        return t;
    }

    /** a b in double; a m x k, b k x n. */
    public static double[][] mul(double[][] a, double[][] b) {
        int m = a.length;
        int k = b.length;
        int n = b[0].length;
        double[][] c = new double[m][n];
        for (int i = 0; i < m; i++) {
            for (int p = 0; p < k; p++) {
                double aip = a[i][p];
                for (int j = 0; j < n; j++) {
                    c[i][j] += aip * b[p][j];
                }
            }
        }
        return c;
    }

    public static double maxAbs(double[][] a) {
        double s = 0;
        for (double[] row : a) {
            for (double v : row) {
                s = Math.max(s, Math.abs(v));
            }
        }
        return s;
    }

    /** alpha ab + beta c (c may be null when beta is 0). */
    public static double[][] scaled(double[][] ab, double alpha, double[][] c, double beta) {
        double[][] out = new double[ab.length][ab[0].length];
        for (int i = 0; i < ab.length; i++) {
            for (int j = 0; j < ab[0].length; j++) {
                out[i][j] = alpha * ab[i][j] + (beta == 0 ? 0 : beta * c[i][j]);
            }
        }
        return out;
    }

    /** Column sums of x in double, as 1 x cols. */
    public static double[][] columnSums(double[][] x) {
        double[][] s = new double[1][x[0].length];
        for (double[] row : x) {
            for (int j = 0; j < row.length; j++) {
                s[0][j] += row[j];
            }
        }
        return s;
    }

    /**
     * Fails unless got has expected's shape, no NaN, and max |got - expected| <= tol max |expected|;
     * the message names the label, the worst element and the max difference.
     */
    public static void assertClose(double[][] expected, Matrix got, double tol, String label) {
        assertEquals(expected.length + " x " + expected[0].length, got.shape(), label + ": shape");
        double scale = Math.max(1e-30, maxAbs(expected));
        double worst = 0;
        int wi = 0;
        int wj = 0;
        for (int i = 0; i < expected.length; i++) {
            for (int j = 0; j < expected[0].length; j++) {
                double diff = Math.abs(got.get(i, j) - expected[i][j]);
                if (!(diff <= worst)) { // NaN is the worst of all
                    worst = Double.isNaN(diff) ? Double.POSITIVE_INFINITY : diff;
                    wi = i;
                    wj = j;
                }
            }
        }
        if (!(worst <= tol * scale)) {
            fail(label + ": max |diff| = " + worst + " at (" + wi + ", " + wj + "): got " + got.get(wi, wj)
                    + ", expected " + expected[wi][wj] + "; relative " + worst / scale + " > " + tol);
        }
    }

    public static void assertClose(double expected, double got, double tol, String label) {
        double diff = Math.abs(got - expected);
        if (!(diff <= tol * Math.max(1e-30, Math.abs(expected)))) {
            fail(label + ": got " + got + ", expected " + expected + ", |diff| = " + diff);
        }
    }
}
