package ger.backend.cuda.internal;

import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.SingularOps_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.EigenDecomposition_F64;
import org.ejml.interfaces.decomposition.SingularValueDecomposition_F64;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Comparator;
import java.util.Random;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Checks each row-major -> column-major mapping of {@link ColumnMajor} by running the library call
 * as BLAS / LAPACK define it, on flat column-major buffers, in plain Java (no GPU): the buffers are
 * ger's row-major data, untouched, exactly as the device would see them.
 */
class ColumnMajorTest {
    private final long seed = System.nanoTime();
    private final Random r = new Random(seed);

    private float[] random(int count) {
        float[] x = new float[count];
        for (int i = 0; i < count; i++) {
            x[i] = (float) r.nextGaussian();
        }
        return x;
    }

    private void close(double expected, double got, String what) {
        assertTrue(Math.abs(expected - got) <= 1e-4 * (1 + Math.abs(expected)), what + ": " + got + " vs " + expected + " (seed " + seed + ")");
    }

    /** cublasSgemm as BLAS defines it: C = alpha op(A) op(B) + beta C, column-major. */
    private static void sgemm(ColumnMajor.Gemm g, float alpha, float[] a, float[] b, float beta, float[] c) {
        for (int i = 0; i < g.m(); i++) {
            for (int j = 0; j < g.n(); j++) {
                double s = 0;
                for (int p = 0; p < g.k(); p++) {
                    double aip = g.transa() == ColumnMajor.OP_N ? a[i + p * g.lda()] : a[p + i * g.lda()];
                    double bpj = g.transb() == ColumnMajor.OP_N ? b[p + j * g.ldb()] : b[j + p * g.ldb()];
                    s += aip * bpj;
                }
                c[i + j * g.ldc()] = (float) (alpha * s + (beta == 0 ? 0 : beta * c[i + j * g.ldc()]));
            }
        }
    }

    @Test
    void gemmSwapsOperands() {
        for (boolean ta : new boolean[] {false, true}) {
            for (boolean tb : new boolean[] {false, true}) {
                int m = 1 + r.nextInt(9);
                int n = 1 + r.nextInt(9);
                int k = 1 + r.nextInt(9);
                int aRows = ta ? k : m;
                int aCols = ta ? m : k;
                int bRows = tb ? n : k;
                int bCols = tb ? k : n;
                float[] a = random(aRows * aCols);
                float[] b = random(bRows * bCols);
                float[] c = random(m * n);
                float[] c0 = c.clone();
                ColumnMajor.Gemm g = ColumnMajor.Gemm.rowMajor(ta, tb, m, n, k, aCols, bCols);
                sgemm(g, 0.7f, b, a, 0.3f, c); // cuBLAS's A is ger's b
                for (int i = 0; i < m; i++) {
                    for (int j = 0; j < n; j++) {
                        double s = 0;
                        for (int p = 0; p < k; p++) {
                            double aip = ta ? a[p * aCols + i] : a[i * aCols + p];
                            double bpj = tb ? b[j * bCols + p] : b[p * bCols + j];
                            s += aip * bpj;
                        }
                        close(0.7 * s + 0.3 * c0[i * n + j], c[i * n + j], "gemm ta=" + ta + " tb=" + tb + " (" + i + ", " + j + ")");
                    }
                }
            }
        }
    }

    /** Row-major lower l with garbage above the diagonal: only the lower triangle may be read. */
    private float[] lowerWithGarbage(int d) {
        float[] l = new float[d * d];
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < d; j++) {
                l[i * d + j] = j < i ? (float) r.nextGaussian() * 0.3f : j == i ? 1 + r.nextFloat() : Float.NaN;
            }
        }
        return l;
    }

    /** X op(A) = B for cublasStrsm, side right, with A upper (only its upper triangle read). */
    @Test
    void trsmIsARightSideSolveOnTheTransposedEquation() {
        for (boolean transposeL : new boolean[] {false, true}) {
            int d = 2 + r.nextInt(8);
            int cols = 1 + r.nextInt(6);
            float[] l = lowerWithGarbage(d);
            float[] b = random(d * cols);
            ColumnMajor.Trsm t = ColumnMajor.Trsm.rowMajorLowerLeft(d, cols, transposeL);
            assertEquals(ColumnMajor.SIDE_RIGHT, t.side());
            assertEquals(ColumnMajor.FILL_UPPER, t.uplo());
            // the expected row-major solution x = op(l)^-1 b, by substitution in double
            double[] x = new double[d * cols];
            for (int c = 0; c < cols; c++) {
                for (int step = 0; step < d; step++) {
                    int i = transposeL ? d - 1 - step : step;
                    double s = b[i * cols + c];
                    for (int p = 0; p < d; p++) {
                        boolean below = transposeL ? p > i : p < i;
                        if (below) {
                            s -= (transposeL ? l[p * d + i] : l[i * d + p]) * x[p * cols + c];
                        }
                    }
                    x[i * cols + c] = s / l[i * d + i];
                }
            }
            // cuBLAS would leave X in b's buffer; check X op(A) = B on the column-major reading
            for (int row = 0; row < t.m(); row++) {
                for (int col = 0; col < t.n(); col++) {
                    double s = 0;
                    for (int p = 0; p < t.n(); p++) {
                        int ar = t.trans() == ColumnMajor.OP_N ? p : col; // op(A)(p, col)
                        int ac = t.trans() == ColumnMajor.OP_N ? col : p;
                        double aval = ar <= ac ? l[ar + ac * t.lda()] : 0; // upper triangle only
                        s += x[row + p * t.ldb()] * aval;
                    }
                    close(b[row + col * t.ldb()], s, "trsm transposeL=" + transposeL + " (" + row + ", " + col + ")");
                }
            }
        }
    }

    /** syrk(lower, N) into a NaN-filled c, then the mirror kernel: c = x^T x everywhere. */
    @Test
    void syrkThenMirrorGivesTheFullGram() {
        int n = 1 + r.nextInt(12);
        int d = 1 + r.nextInt(9);
        float[] x = random(n * d);
        float[] c = new float[d * d];
        Arrays.fill(c, Float.NaN);
        assertEquals(ColumnMajor.FILL_LOWER, ColumnMajor.SYRK_UPLO);
        for (int col = 0; col < d; col++) {
            for (int row = col; row < d; row++) { // column-major lower: C = X X^T, X(r, p) = x[r + p d]
                double s = 0;
                for (int p = 0; p < n; p++) {
                    s += (double) x[row + p * d] * x[col + p * d];
                }
                c[row + col * d] = (float) s;
            }
        }
        for (int i = 0; i < d; i++) { // mirror_upper_to_lower (triangle.h)
            for (int j = 0; j < i; j++) {
                c[i * d + j] = c[j * d + i];
            }
        }
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < d; j++) {
                double s = 0;
                for (int p = 0; p < n; p++) {
                    s += (double) x[p * d + i] * x[p * d + j];
                }
                close(s, c[i * d + j], "gram (" + i + ", " + j + ")");
            }
        }
    }

    /** gesvd on the column-major reading (EJML standing in for cuSOLVER), then the extraction the backend does. */
    @Test
    void gesvdFactorsBecomeRowMajorUAndVt() {
        int m = 2 + r.nextInt(6);
        int n = m + r.nextInt(7);
        float[] a = random(m * n);
        ColumnMajor.Gesvd g = ColumnMajor.Gesvd.rowMajorWide(m, n);
        DMatrixRMaj colMajor = new DMatrixRMaj(g.m(), g.n());
        for (int row = 0; row < g.m(); row++) {
            for (int col = 0; col < g.n(); col++) {
                colMajor.set(row, col, a[row + col * g.lda()]);
            }
        }
        SingularValueDecomposition_F64<DMatrixRMaj> svd = DecompositionFactory_DDRM.svd(g.m(), g.n(), true, true, true);
        assertTrue(svd.decompose(colMajor.copy()));
        DMatrixRMaj uPrime = svd.getU(null, false);
        DMatrixRMaj w = svd.getW(null);
        DMatrixRMaj vPrime = svd.getV(null, false);
        SingularOps_DDRM.descendingOrder(uPrime, false, w, vPrime, false);
        // the buffers as cuSOLVER fills them: U' n x m (ldu), VT' = V'^T m x m (ldvt)
        float[] uBuf = new float[g.ldu() * g.n()];
        float[] vtBuf = new float[g.ldvt() * g.n()];
        for (int row = 0; row < g.m(); row++) {
            for (int col = 0; col < g.n(); col++) {
                uBuf[row + col * g.ldu()] = (float) uPrime.get(row, col);
            }
        }
        for (int row = 0; row < g.n(); row++) {
            for (int col = 0; col < g.n(); col++) {
                vtBuf[row + col * g.ldvt()] = (float) vPrime.get(col, row);
            }
        }
        int k = m;
        // vt = the first k n floats of U'; u = copy_block(VT', src_ld = m, cols 0..k-1)
        float[] vt = Arrays.copyOf(uBuf, k * n);
        float[] u = new float[m * k];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < k; j++) {
                u[i * k + j] = vtBuf[i * m + j];
            }
        }
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) {
                    s += u[i * k + p] * w.get(p, p) * vt[p * n + j];
                }
                close(a[i * n + j], s, "u diag(s) vt (" + i + ", " + j + ")");
            }
        }
    }

    /** syevd's eigenvectors (columns, ascending) through eigvecs_top_k's index map: columns, descending. */
    @Test
    void eigenvectorsTopKAreColumnsInDescendingOrder() {
        int d = 2 + r.nextInt(9);
        int k = 1 + r.nextInt(d);
        double[][] s = new double[d][d];
        float[] base = random(d * d);
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < d; j++) {
                s[i][j] = base[i * d + j] + base[j * d + i];
            }
        }
        EigenDecomposition_F64<DMatrixRMaj> eig = DecompositionFactory_DDRM.eig(d, true, true);
        assertTrue(eig.decompose(new DMatrixRMaj(s)));
        Integer[] ascending = IntStream.range(0, d).boxed()
                .sorted(Comparator.comparingDouble(j -> eig.getEigenvalue(j).real)).toArray(Integer[]::new);
        float[] buf = new float[d * d]; // column j = eigenvector of the j-th smallest value
        for (int j = 0; j < d; j++) {
            DMatrixRMaj v = eig.getEigenVector(ascending[j]);
            for (int i = 0; i < d; i++) {
                buf[i + j * d] = (float) v.get(i);
            }
        }
        float[] dst = new float[d * k];
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < k; j++) {
                dst[i * k + j] = buf[(d - 1 - j) * d + i]; // eigvecs_top_k (layout.h)
            }
        }
        for (int j = 0; j < k; j++) {
            double lambda = eig.getEigenvalue(ascending[d - 1 - j]).real;
            for (int i = 0; i < d; i++) {
                double sv = 0;
                for (int p = 0; p < d; p++) {
                    sv += s[i][p] * dst[p * k + j];
                }
                close(lambda * dst[i * k + j], sv, "s v = lambda v, column " + j + " row " + i);
            }
        }
    }
}
