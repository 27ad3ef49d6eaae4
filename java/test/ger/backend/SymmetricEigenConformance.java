package ger.backend;

import ger.backend.Conformance.Draw;
import ger.tensor.Matrix;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.SingularOps_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.EigenDecomposition_F64;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;

import static ger.backend.Conformance.d;
import static ger.backend.Conformance.maxAbs;
import static ger.backend.Conformance.mul;
import static ger.backend.Conformance.t;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The top-k symmetric eigendecomposition and the truncated SVD, checked by their invariants.
 * No portable kernel (cuSOLVER on CUDA, the host elsewhere). Reference: ger.backend.java.SymmetricEigen.
 */
public interface SymmetricEigenConformance extends ConformanceFixture {

    /** Fails unless the columns of q (rows x cols) are orthonormal within tol. */
    private static void assertOrthonormalColumns(double[][] q, double tol, String label) {
        double[][] g = mul(t(q), q);
        for (int i = 0; i < g.length; i++) {
            g[i][i] -= 1;
        }
        double err = maxAbs(g);
        assertTrue(err <= tol, label + ": |Q^T Q - I| max = " + err);
    }

    /** All eigenvalues of a symmetric matrix by EJML, descending. */
    private static double[] ejmlEigenvalues(double[][] s) {
        EigenDecomposition_F64<DMatrixRMaj> eig = DecompositionFactory_DDRM.eig(s.length, false, true);
        assertTrue(eig.decompose(new DMatrixRMaj(s)), "EJML eig failed");
        return IntStream.range(0, s.length).mapToDouble(i -> eig.getEigenvalue(i).real)
                .boxed().sorted(Comparator.reverseOrder()).mapToDouble(Double::doubleValue).toArray();
    }

    @Test
    default void symmetricEigenTopK() {
        Draw r = Draw.fresh();
        for (int[] dk : new int[][] {{37, 5}, {1, 1}, {64, 64}, {90, 17}}) {
            int d = dk[0];
            int k = dk[1];
            // symmetric, indefinite: "largest" is algebraic
            Matrix g = gaussian(r, d, d);
            Matrix s = keep(Matrix.zeros(d, d));
            for (int i = 0; i < d; i++) {
                for (int j = 0; j < d; j++) {
                    s.set(i, j, g.get(i, j) + g.get(j, i));
                }
            }
            double[][] sd = d(s);
            double[] ref = ejmlEigenvalues(sd);
            double norm = Math.max(Math.abs(ref[0]), Math.abs(ref[d - 1]));
            String what = r.tag("symmetricEigenTopK d=" + d + " k=" + k);
            try (Eigen e = backend().symmetricEigenTopK(up(s), k)) {
                assertEquals(k, e.values().length, what + ": number of values");
                for (int j = 0; j < k; j++) {
                    double err = Math.abs(e.values()[j] - ref[j]);
                    assertTrue(err <= tolerance() * norm, what + ": value " + j + " = " + e.values()[j]
                            + ", EJML " + ref[j]);
                }
                Matrix v = down(e.vectors());
                assertEquals(d + " x " + k, v.shape(), what + ": vectors shape");
                double[][] vd = d(v);
                assertOrthonormalColumns(vd, tolerance() * 10, what);
                double[][] sv = mul(sd, vd);
                for (int j = 0; j < k; j++) {
                    double res = 0;
                    for (int i = 0; i < d; i++) {
                        double diff = sv[i][j] - e.values()[j] * vd[i][j];
                        res += diff * diff;
                    }
                    res = Math.sqrt(res);
                    assertTrue(res <= tolerance() * 10 * norm, what + ": |S v - lambda v| = " + res
                            + " for vector " + j + ", |S| = " + norm);
                }
            }
        }
    }

    private static double frobenius(double[][] a) {
        double s = 0;
        for (double[] row : a) {
            for (double v : row) {
                s += v * v;
            }
        }
        return Math.sqrt(s);
    }

    /**
     * Checks one truncated SVD of a: values against EJML (within valueTol of the largest), orthonormal
     * factors, Eckart-Young error.
     */
    private void checkSvd(Matrix a, int k, Svd svd, double valueTol, String what) {
        int m = a.rows();
        int n = a.cols();
        double[][] ad = d(a);
        double[] ref = SingularOps_DDRM.singularValues(new DMatrixRMaj(ad));
        Arrays.sort(ref);
        double[] desc = IntStream.range(0, ref.length).mapToDouble(i -> ref[ref.length - 1 - i]).toArray();
        assertEquals(k, svd.s().length, what + ": number of singular values");
        for (int j = 0; j < k; j++) {
            assertTrue(Math.abs(svd.s()[j] - desc[j]) <= valueTol * desc[0],
                    what + ": s[" + j + "] = " + svd.s()[j] + ", EJML " + desc[j]);
        }
        Matrix u = down(svd.u());
        Matrix vt = down(svd.vt());
        assertEquals(m + " x " + k, u.shape(), what + ": u shape");
        assertEquals(k + " x " + n, vt.shape(), what + ": vt shape");
        double[][] ud = d(u);
        double[][] vd = t(d(vt));
        assertOrthonormalColumns(ud, tolerance() * 10, what + " u");
        assertOrthonormalColumns(vd, tolerance() * 10, what + " v");
        // u diag(s) vt must be a best rank-k approximation: |a - that|_F^2 = sum of the other s^2
        double[][] us = new double[m][k];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < k; j++) {
                us[i][j] = ud[i][j] * svd.s()[j];
            }
        }
        double[][] rebuilt = mul(us, t(vd));
        double err = 0;
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double diff = ad[i][j] - rebuilt[i][j];
                err += diff * diff;
            }
        }
        double tail = 0;
        for (int j = k; j < desc.length; j++) {
            tail += desc[j] * desc[j];
        }
        double total = frobenius(ad) * frobenius(ad);
        assertTrue(Math.abs(err - tail) <= tolerance() * 10 * total, what + ": |a - u s vt|_F^2 = " + err
                + ", Eckart-Young optimum " + tail + ", |a|_F^2 = " + total);
    }

    @Test
    default void svd() {
        Draw r = Draw.fresh();
        for (int[] mnk : new int[][] {{23, 61, 7}, {61, 23, 7}, {37, 53, 37}, {53, 37, 37}, {1, 19, 1}, {19, 1, 1}}) {
            Matrix a = gaussian(r, mnk[0], mnk[1]);
            try (Svd svd = backend().svd(up(a), mnk[2])) {
                checkSvd(a, mnk[2], svd, tolerance(), r.tag("svd " + a.shape() + " k=" + mnk[2]));
            }
        }
    }

    /** Rank 3 and k = 6: the factors must still be orthonormal (values past the rank are only ~0). */
    @Test
    default void svdRankDeficient() {
        Draw r = Draw.fresh();
        for (int[] mn : new int[][] {{20, 31}, {31, 20}}) {
            double[][] product = mul(d(gaussian(r, mn[0], 3)), d(gaussian(r, 3, mn[1])));
            Matrix a = keep(Matrix.zeros(mn[0], mn[1]));
            for (int i = 0; i < mn[0]; i++) {
                for (int j = 0; j < mn[1]; j++) {
                    a.set(i, j, (float) product[i][j]);
                }
            }
            try (Svd svd = backend().svd(up(a), 6)) {
                // float32 input: past the rank the values are rounding noise, so compare them loosely
                checkSvd(a, 6, svd, Math.sqrt(tolerance()), r.tag("svd rank 3 " + a.shape() + " k=6"));
            }
        }
    }
}
