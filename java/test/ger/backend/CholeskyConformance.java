package ger.backend;

import ger.backend.Conformance.Draw;
import ger.tensor.Matrix;
import ger.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static ger.backend.Conformance.assertClose;
import static ger.backend.Conformance.d;
import static ger.backend.Conformance.mul;
import static ger.backend.Conformance.t;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Cholesky factorisation (and its refusal of an indefinite matrix) and the triangular solve.
 * No portable kernel (cuSOLVER on CUDA, the host elsewhere). Reference: ger.backend.java.Cholesky.
 */
public interface CholeskyConformance extends ConformanceFixture {

    /** A well-conditioned symmetric positive definite d x d: x^T x / n + I. */
    private Matrix spd(Draw r, int d) {
        int n = d + 5;
        double[][] x = d(gaussian(r, n, d));
        double[][] g = mul(t(x), x);
        Matrix a = keep(Matrix.zeros(d, d));
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < d; j++) {
                a.set(i, j, (float) (g[i][j] / n + (i == j ? 1 : 0)));
            }
        }
        return a;
    }

    @Test
    default void cholesky() {
        Draw r = Draw.fresh();
        for (int d : new int[] {1, 2, 37, 96}) {
            Matrix a = spd(r, d);
            double[][] ad = d(a);
            // the reference factor, in double
            double[][] l = new double[d][d];
            for (int j = 0; j < d; j++) {
                for (int i = j; i < d; i++) {
                    double s = ad[i][j];
                    for (int p = 0; p < j; p++) {
                        s -= l[i][p] * l[j][p];
                    }
                    l[i][j] = i == j ? Math.sqrt(s) : s / l[j][j];
                }
            }
            Tensor t = up(a);
            backend().cholesky(t);
            // l's upper triangle is zero: the backend must clear it
            assertClose(l, down(t), tolerance(), r.tag("cholesky d=" + d));
        }
    }

    @Test
    default void choleskyRejectsIndefinite() {
        Draw r = Draw.fresh();
        int d = 23;
        Matrix a = spd(r, d);
        int bad = r.between(0, d - 1);
        a.set(bad, bad, -1f - a.get(bad, bad));
        NotPositiveDefiniteException e = assertThrows(NotPositiveDefiniteException.class,
                () -> backend().cholesky(up(a)), r.tag("cholesky of an indefinite matrix"));
        assertTrue(e.pivot() >= 0 && e.pivot() <= bad, r.tag("pivot " + e.pivot() + " vs bad " + bad));
    }

    @Test
    default void triangularSolve() {
        Draw r = Draw.fresh();
        for (int[] dm : new int[][] {{37, 13}, {1, 5}, {53, 1}, {200, 7}}) {
            int d = dm[0];
            int m = dm[1];
            // a well-conditioned lower triangle (the upper stays zero)
            Matrix l = keep(Matrix.zeros(d, d));
            for (int i = 0; i < d; i++) {
                for (int j = 0; j < i; j++) {
                    l.set(i, j, (float) (r.rng().nextGaussian() * 0.5 / Math.sqrt(d)));
                }
                l.set(i, i, (float) (1 + r.rng().nextDouble()));
            }
            double[][] ld = d(l);
            for (boolean trans : new boolean[] {false, true}) {
                Matrix b = gaussian(r, d, m);
                double[][] op = trans ? t(ld) : ld;
                // solve op x = b by substitution in double: forward for lower, backward for upper
                double[][] x = d(b);
                for (int s = 0; s < d; s++) {
                    int i = trans ? d - 1 - s : s;
                    for (int c = 0; c < m; c++) {
                        double acc = x[i][c];
                        for (int p = 0; p < d; p++) {
                            if (p != i && op[i][p] != 0) {
                                acc -= op[i][p] * x[p][c];
                            }
                        }
                        x[i][c] = acc / op[i][i];
                    }
                }
                Tensor bt = up(b);
                backend().triangularSolve(up(l), trans, bt);
                assertClose(x, down(bt), tolerance(), r.tag("triangularSolve d=" + d + " m=" + m + " trans=" + trans));
            }
        }
    }
}
