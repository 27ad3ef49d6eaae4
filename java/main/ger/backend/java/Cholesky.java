package ger.backend.java;

import ger.backend.NotPositiveDefiniteException;
import ger.tensor.Matrix;

import java.util.stream.IntStream;

/**
 * The Cholesky factorisation and the triangular solves with its factor, in double.
 * Conformance: ger.backend.CholeskyConformance.
 */
final class Cholesky {
    /** Columns factored per parallel step: the rows below a block are independent of each other. */
    private static final int BLOCK = 32;
    /** Columns of the right-hand side per parallel task (the task's rows of x stay in L2). */
    private static final int SOLVE_WIDTH = 64;

    private Cholesky() {
    }

    /**
     * In place: a (d x d, symmetric positive definite, its lower triangle read) becomes L with
     * a = L L^T and a zero strict upper triangle. Row-oriented (each element is a dot product of two
     * rows of L), by blocks of columns: the diagonal block in order, then every row below it in parallel.
     */
    static void factor(Matrix a) {
        int d = a.rows();
        double[][] l = Dense.toDouble(a);
        for (int j0 = 0; j0 < d; j0 += BLOCK) {
            int j1 = Math.min(d, j0 + BLOCK);
            for (int i = j0; i < j1; i++) {
                row(l, i, j0, i);
                double diag = l[i][i] - Dense.dot(l[i], l[i], i);
                if (!(diag > 0)) {
                    throw new NotPositiveDefiniteException(i, d);
                }
                l[i][i] = Math.sqrt(diag);
            }
            int from = j0;
            int to = j1;
            IntStream.range(j1, d).parallel().forEach(i -> row(l, i, from, to));
        }
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < d; j++) {
                a.set(i, j, j <= i ? (float) l[i][j] : 0f);
            }
        }
    }

    /** l[i][j] for j in [j0, j1), given l[i][< j0] and the rows j < j1 of L. */
    private static void row(double[][] l, int i, int j0, int j1) {
        double[] li = l[i];
        for (int j = j0; j < j1; j++) {
            li[j] = (li[j] - Dense.dot(li, l[j], j)) / l[j][j];
        }
    }

    /**
     * In place: b = op(l)^-1 b, l d x d lower triangular, b d x m. Substitution row by row, each row of x
     * updated with whole-row axpys, in parallel over blocks of columns of b.
     */
    static void solve(Matrix lm, boolean transposeL, Matrix b) {
        int d = lm.rows();
        int m = b.cols();
        double[][] l = Dense.toDouble(lm);
        double[][] op = transposeL ? Dense.transpose(l) : l; // op(l): lower, or upper when transposed
        double[][] x = Dense.toDouble(b);
        IntStream.range(0, (m + SOLVE_WIDTH - 1) / SOLVE_WIDTH).parallel().forEach(blk -> {
            int c0 = blk * SOLVE_WIDTH;
            int c1 = Math.min(m, c0 + SOLVE_WIDTH);
            for (int s = 0; s < d; s++) {
                int i = transposeL ? d - 1 - s : s; // forward for lower, backward for upper
                double[] xi = x[i];
                double[] oi = op[i];
                for (int p = transposeL ? i + 1 : 0, end = transposeL ? d : i; p < end; p++) {
                    double f = oi[p];
                    if (f != 0) {
                        Dense.addScaled(-f, x[p], xi, c0, c1);
                    }
                }
                for (int c = c0; c < c1; c++) {
                    xi[c] /= oi[i];
                }
            }
        });
        for (int i = 0; i < d; i++) {
            for (int c = 0; c < m; c++) {
                b.set(i, c, (float) x[i][c]);
            }
        }
    }
}
