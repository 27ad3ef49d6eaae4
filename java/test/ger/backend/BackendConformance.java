package ger.backend;

import ger.tensor.Matrix;
import ger.tensor.Tensor;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.SingularOps_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.EigenDecomposition_F64;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The conformance suite every {@link Backend} runs: one test per operation, each on fresh random
 * inputs (the seed is in every failure message), odd shapes (37 x 53, 1 x n, n x 1), outputs poisoned
 * with NaN beforehand so an unwritten element fails, and the expected result computed in float64 on
 * the host from the same float32 inputs.
 *
 * <p>To plug a backend in, subclass it and return one instance from {@link #backend()} (the class is
 * {@code PER_CLASS}, so a field or a {@code @BeforeAll} can create it once; close it in an
 * {@code @AfterAll}; a {@code @BeforeAll} with {@code Assumptions.assumeTrue} skips the suite where the
 * device is missing). Override {@link #tolerance()} for a backend that is less exact.
 *
 * <p>Errors are relative: {@code max |got - expected| / max |expected|} over a tensor. Decompositions are
 * checked by their invariants (residuals, orthonormality, Eckart-Young), never by signs of vectors.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class BackendConformance {

    /** The backend under test; called often, so return the same instance. */
    protected abstract Backend backend();

    /** The relative error every comparison allows. */
    protected double tolerance() {
        return 1e-4;
    }

    // ---------------------------------------------------------------- helpers

    private final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : open.reversed()) {
            c.close();
        }
        open.clear();
    }

    private <T extends AutoCloseable> T keep(T resource) {
        open.add(resource);
        return resource;
    }

    /** A seeded generator; its seed goes into every message of the test. */
    private record Draw(long seed, Random rng) {
        static Draw fresh() {
            long seed = System.nanoTime();
            return new Draw(seed, new Random(seed));
        }

        String tag(String what) {
            return what + " (seed " + seed + ")";
        }

        int between(int lo, int hi) {
            return lo + rng.nextInt(hi - lo + 1);
        }
    }

    /** rows x cols of standard normal values, on the host. */
    private Matrix gaussian(Draw r, int rows, int cols) {
        Matrix m = keep(Matrix.zeros(rows, cols));
        for (long i = 0; i < m.size(); i++) {
            m.setFlat(i, (float) r.rng().nextGaussian());
        }
        return m;
    }

    private Tensor up(Matrix host) {
        return keep(backend().upload(host));
    }

    /** An output tensor full of NaN, so that an element the backend does not write is caught. */
    private Tensor poisoned(int rows, int cols) {
        Matrix nan = keep(Matrix.zeros(rows, cols));
        for (long i = 0; i < nan.size(); i++) {
            nan.setFlat(i, Float.NaN);
        }
        return up(nan);
    }

    private Matrix down(Tensor t) {
        return keep(backend().download(t));
    }

    private static double[][] d(Matrix m) {
        double[][] x = new double[m.rows()][m.cols()];
        for (int i = 0; i < m.rows(); i++) {
            for (int j = 0; j < m.cols(); j++) {
                x[i][j] = m.get(i, j);
            }
        }
        return x;
    }

    private static double[][] t(double[][] a) {
        double[][] t = new double[a[0].length][a.length];
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < a[0].length; j++) {
                t[j][i] = a[i][j];
            }
        }
        return t;
    }

    /** a b in double; a m x k, b k x n. */
    private static double[][] mul(double[][] a, double[][] b) {
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

    private static double maxAbs(double[][] a) {
        double s = 0;
        for (double[] row : a) {
            for (double v : row) {
                s = Math.max(s, Math.abs(v));
            }
        }
        return s;
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
     * Fails unless got has expected's shape, no NaN, and max |got - expected| <= tol max |expected|;
     * the message names the label, the worst element and the max difference.
     */
    protected static void assertClose(double[][] expected, Matrix got, double tol, String label) {
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

    protected static void assertClose(double expected, double got, double tol, String label) {
        double diff = Math.abs(got - expected);
        if (!(diff <= tol * Math.max(1e-30, Math.abs(expected)))) {
            fail(label + ": got " + got + ", expected " + expected + ", |diff| = " + diff);
        }
    }

    /** Fails unless the columns of q (rows x cols) are orthonormal within tol. */
    private static void assertOrthonormalColumns(double[][] q, double tol, String label) {
        double[][] g = mul(t(q), q);
        for (int i = 0; i < g.length; i++) {
            g[i][i] -= 1;
        }
        double err = maxAbs(g);
        assertTrue(err <= tol, label + ": |Q^T Q - I| max = " + err);
    }

    // ---------------------------------------------------------------- memory

    @Test
    void uploadDownloadAllocate() {
        Draw r = Draw.fresh();
        for (int[] shape : new int[][] {{37, 53}, {1, 29}, {31, 1}}) {
            Matrix host = gaussian(r, shape[0], shape[1]);
            Tensor t = up(host);
            assertEquals(host.shape(), t.shape(), r.tag("upload shape"));
            Matrix back = keep(Matrix.zeros(shape[0], shape[1]));
            backend().download(t, back);
            assertArrayEquals(host.toArray(), back.toArray(), r.tag("download into"));
            assertArrayEquals(host.toArray(), down(t).toArray(), r.tag("download"));
            Tensor a = keep(backend().allocate(shape[1], shape[0]));
            assertEquals(shape[1] + " x " + shape[0], a.shape(), r.tag("allocate shape"));
        }
    }

    @Test
    void copyRows() {
        Draw r = Draw.fresh();
        Matrix src = gaussian(r, 37, 23);
        Matrix dst = gaussian(r, 29, 23);
        int count = r.between(1, 20);
        int srcRow = r.between(0, 37 - count);
        int dstRow = r.between(0, 29 - count);
        Tensor dstT = up(dst);
        backend().copyRows(up(src), srcRow, dstT, dstRow, count);
        double[][] expected = d(dst);
        for (int i = 0; i < count; i++) {
            expected[dstRow + i] = d(src)[srcRow + i];
        }
        assertClose(expected, down(dstT), 0, r.tag("copyRows " + srcRow + "+" + count + " -> " + dstRow));
    }

    @Test
    void uploadRowsAndDownloadRows() {
        Draw r = Draw.fresh();
        Matrix host = gaussian(r, 37, 23);
        Matrix other = gaussian(r, 29, 23);
        int count = r.between(1, 20);
        int srcRow = r.between(0, 37 - count);
        int dstRow = r.between(0, 29 - count);
        Tensor dstT = up(other);
        backend().uploadRows(host, srcRow, dstT, dstRow, count);
        double[][] expected = d(other);
        for (int i = 0; i < count; i++) {
            expected[dstRow + i] = d(host)[srcRow + i];
        }
        assertClose(expected, down(dstT), 0, r.tag("uploadRows " + srcRow + "+" + count + " -> " + dstRow));

        Matrix back = gaussian(r, 37, 23);
        double[][] expectedBack = d(back);
        backend().downloadRows(dstT, dstRow, back, srcRow, count);
        for (int i = 0; i < count; i++) {
            expectedBack[srcRow + i] = d(host)[srcRow + i];
        }
        assertClose(expectedBack, back, 0, r.tag("downloadRows " + dstRow + "+" + count + " -> " + srcRow));
        assertThrows(IllegalArgumentException.class, () -> backend().uploadRows(host, 30, dstT, 0, 8), r.tag("rows past the end"));
    }

    @Test
    void gatherRows() {
        Draw r = Draw.fresh();
        Matrix src = gaussian(r, 41, 19);
        int[] rows = IntStream.range(0, 53).map(i -> r.rng().nextInt(41)).toArray(); // repeats on purpose
        Tensor dst = poisoned(rows.length, 19);
        backend().gatherRows(up(src), rows, dst);
        double[][] s = d(src);
        double[][] expected = Arrays.stream(rows).mapToObj(i -> s[i]).toArray(double[][]::new);
        assertClose(expected, down(dst), 0, r.tag("gatherRows"));
        // Every backend refuses an index outside src with the same message, before touching dst.
        int[] outside = rows.clone();
        outside[r.rng().nextInt(outside.length)] = r.rng().nextBoolean() ? -1 : 41;
        Tensor srcT = up(src);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> backend().gatherRows(srcT, outside, dst), r.tag("index outside src"));
        assertTrue(e.getMessage().startsWith("gatherRows: rows["), e.getMessage());
        assertClose(expected, down(dst), 0, r.tag("dst untouched by a refused gather"));
    }

    @Test
    void transpose() {
        Draw r = Draw.fresh();
        for (int[] shape : new int[][] {{37, 53}, {1, 17}, {19, 1}, {130, 67}}) {
            Matrix src = gaussian(r, shape[0], shape[1]);
            Tensor dst = poisoned(shape[1], shape[0]);
            backend().transpose(up(src), dst);
            assertClose(t(d(src)), down(dst), 0, r.tag("transpose " + src.shape()));
        }
    }

    @Test
    void fill() {
        Draw r = Draw.fresh();
        float value = (float) r.rng().nextGaussian();
        Tensor t = up(gaussian(r, 37, 53));
        backend().fill(t, value);
        double[][] expected = new double[37][53];
        for (double[] row : expected) {
            Arrays.fill(row, value);
        }
        assertClose(expected, down(t), 0, r.tag("fill " + value));
    }

    // ---------------------------------------------------------------- BLAS

    @Test
    void gemmAllTransposesAlphaBeta() {
        Draw r = Draw.fresh();
        // {301, 157, 263} is bigger than one packed block of a tuned CPU GEMM in every dimension; the last two are
        // thin outputs (AS at k = 8, 16), as tall in m and k, then few rows of c (the gradients at small k)
        int[][] shapes = {{37, 53, 29}, {1, 41, 17}, {31, 1, 1}, {23, 19, 1}, {301, 157, 263}, {290, 16, 270}, {150, 8, 300}, {7, 600, 300}};
        for (int[] mnk : shapes) {
            int m = mnk[0];
            int n = mnk[1];
            int k = mnk[2];
            for (boolean ta : new boolean[] {false, true}) {
                for (boolean tb : new boolean[] {false, true}) {
                    Matrix a = ta ? gaussian(r, k, m) : gaussian(r, m, k);
                    Matrix b = tb ? gaussian(r, n, k) : gaussian(r, k, n);
                    double[][] ab = mul(ta ? t(d(a)) : d(a), tb ? t(d(b)) : d(b));
                    String what = "gemm " + m + "x" + n + "x" + k + " transA=" + ta + " transB=" + tb;

                    // beta = 0: c's NaN must not leak through
                    float alpha = (float) (0.5 + r.rng().nextDouble());
                    Tensor c = poisoned(m, n);
                    backend().gemm(ta, tb, alpha, up(a), up(b), 0f, c);
                    double[][] expected = scaled(ab, alpha, null, 0);
                    assertClose(expected, down(c), tolerance(), r.tag(what + " alpha=" + alpha + " beta=0"));

                    // beta != 0 accumulates
                    Matrix c0 = gaussian(r, m, n);
                    Tensor c1 = up(c0);
                    backend().gemm(ta, tb, -1.5f, up(a), up(b), 0.75f, c1);
                    expected = scaled(ab, -1.5, d(c0), 0.75);
                    assertClose(expected, down(c1), tolerance(), r.tag(what + " alpha=-1.5 beta=0.75"));
                }
            }
        }
    }

    /** alpha ab + beta c (c may be null when beta is 0). */
    private static double[][] scaled(double[][] ab, double alpha, double[][] c, double beta) {
        double[][] out = new double[ab.length][ab[0].length];
        for (int i = 0; i < ab.length; i++) {
            for (int j = 0; j < ab[0].length; j++) {
                out[i][j] = alpha * ab[i][j] + (beta == 0 ? 0 : beta * c[i][j]);
            }
        }
        return out;
    }

    @Test
    void gram() {
        Draw r = Draw.fresh();
        for (int[] nd : new int[][] {{41, 23}, {7, 37}, {1, 13}, {29, 1}, {67, 301}, {1000, 97}}) {
            Matrix x = gaussian(r, nd[0], nd[1]);
            double[][] xtx = mul(t(d(x)), d(x));
            Tensor c = poisoned(nd[1], nd[1]);
            backend().gram(up(x), 0f, c);
            assertClose(xtx, down(c), tolerance(), r.tag("gram " + x.shape() + " beta=0"));

            // The contract: c symmetric when beta != 0 (a blocked Gram accumulates into one).
            Matrix c0 = gaussian(r, nd[1], nd[1]);
            for (int i = 0; i < nd[1]; i++) {
                for (int j = 0; j < i; j++) {
                    c0.set(i, j, c0.get(j, i));
                }
            }
            Tensor c1 = up(c0);
            backend().gram(up(x), 0.5f, c1);
            assertClose(scaled(xtx, 1, d(c0), 0.5), down(c1), tolerance(), r.tag("gram " + x.shape() + " beta=0.5"));
        }
    }

    @Test
    void axpy() {
        Draw r = Draw.fresh();
        Matrix x = gaussian(r, 37, 53);
        Matrix y = gaussian(r, 37, 53);
        float alpha = (float) r.rng().nextGaussian();
        Tensor yt = up(y);
        backend().axpy(alpha, up(x), yt);
        assertClose(scaled(d(x), alpha, d(y), 1), down(yt), tolerance(), r.tag("axpy alpha=" + alpha));
    }

    @Test
    void scale() {
        Draw r = Draw.fresh();
        Matrix x = gaussian(r, 53, 37);
        float alpha = (float) r.rng().nextGaussian();
        Tensor xt = up(x);
        backend().scale(xt, alpha);
        assertClose(scaled(d(x), alpha, null, 0), down(xt), tolerance(), r.tag("scale alpha=" + alpha));
    }

    // ---------------------------------------------------------------- factorisations

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
    void cholesky() {
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
    void choleskyRejectsIndefinite() {
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
    void triangularSolve() {
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

    /** All eigenvalues of a symmetric matrix by EJML, descending. */
    private static double[] ejmlEigenvalues(double[][] s) {
        EigenDecomposition_F64<DMatrixRMaj> eig = DecompositionFactory_DDRM.eig(s.length, false, true);
        assertTrue(eig.decompose(new DMatrixRMaj(s)), "EJML eig failed");
        return IntStream.range(0, s.length).mapToDouble(i -> eig.getEigenvalue(i).real)
                .boxed().sorted(Comparator.reverseOrder()).mapToDouble(Double::doubleValue).toArray();
    }

    @Test
    void symmetricEigenTopK() {
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
    void svd() {
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
    void svdRankDeficient() {
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

    // ---------------------------------------------------------------- element-wise and reductions

    @Test
    void addBiasRelu() {
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
    void addRowVector() {
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

    /** Column sums of x in double, as 1 x cols. */
    private static double[][] columnSums(double[][] x) {
        double[][] s = new double[1][x[0].length];
        for (double[] row : x) {
            for (int j = 0; j < row.length; j++) {
                s[0][j] += row[j];
            }
        }
        return s;
    }

    @Test
    void columnMeansAndSums() {
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

    @Test
    void addDiagonalAndTrace() {
        Draw r = Draw.fresh();
        Matrix a = gaussian(r, 37, 37);
        float value = 2 + (float) r.rng().nextDouble();
        Tensor at = up(a);
        backend().addDiagonal(at, value);
        double[][] expected = d(a);
        double trace = 0;
        for (int i = 0; i < 37; i++) {
            expected[i][i] += value;
            trace += expected[i][i];
        }
        assertClose(expected, down(at), tolerance(), r.tag("addDiagonal " + value));
        assertClose(trace, backend().trace(at), tolerance(), r.tag("trace"));
    }

    @Test
    void squaredErrorAndNorm() {
        Draw r = Draw.fresh();
        Matrix a = gaussian(r, 37, 53);
        Matrix b = gaussian(r, 37, 53);
        double err = 0;
        double norm = 0;
        for (long i = 0; i < a.size(); i++) {
            double diff = (double) a.getFlat(i) - b.getFlat(i);
            err += diff * diff;
            norm += (double) a.getFlat(i) * a.getFlat(i);
        }
        assertClose(err, backend().squaredError(up(a), up(b)), tolerance(), r.tag("squaredError"));
        assertClose(norm, backend().squaredNorm(up(a)), tolerance(), r.tag("squaredNorm"));
    }

    @Test
    void errorGradient() {
        Draw r = Draw.fresh();
        Matrix out = gaussian(r, 37, 53);
        Matrix target = gaussian(r, 37, 53);
        float scale = (float) (0.1 + r.rng().nextDouble());
        double[][] expected = scaled(d(out), scale, d(target), -scale);
        double loss = 0;
        for (long i = 0; i < out.size(); i++) {
            double diff = (double) out.getFlat(i) - target.getFlat(i);
            loss += diff * diff;
        }
        Tensor delta = poisoned(37, 53);
        double got = backend().errorGradient(up(out), up(target), scale, delta);
        assertClose(loss, got, tolerance(), r.tag("errorGradient loss"));
        assertClose(expected, down(delta), tolerance(), r.tag("errorGradient delta"));

        Tensor aliased = up(out); // delta may alias out
        got = backend().errorGradient(aliased, up(target), scale, aliased);
        assertClose(loss, got, tolerance(), r.tag("errorGradient aliased loss"));
        assertClose(expected, down(aliased), tolerance(), r.tag("errorGradient aliased delta"));
    }

    @Test
    void errorGradientIntoASum() {
        Draw r = Draw.fresh();
        double expected = 0;
        try (Backend.Sum sum = backend().newSum()) {
            assertEquals(0.0, sum.read(), r.tag("a new sum"));
            // Shapes that take one and several reduction blocks; every call adds.
            for (int[] shape : new int[][] {{37, 53}, {1, 7}, {613, 129}}) {
                Matrix out = gaussian(r, shape[0], shape[1]);
                Matrix target = gaussian(r, shape[0], shape[1]);
                float scale = (float) (0.1 + r.rng().nextDouble());
                for (long i = 0; i < out.size(); i++) {
                    double diff = (double) out.getFlat(i) - target.getFlat(i);
                    expected += diff * diff;
                }
                Tensor delta = poisoned(shape[0], shape[1]);
                backend().errorGradient(up(out), up(target), scale, delta, sum);
                assertClose(scaled(d(out), scale, d(target), -scale), down(delta), tolerance(), r.tag("delta " + shape[0]));
            }
            assertClose(expected, sum.read(), tolerance(), r.tag("the sum of three calls"));
        }
    }

    @Test
    void reluBackward() {
        Draw r = Draw.fresh();
        Matrix grad = gaussian(r, 37, 53);
        Matrix act = gaussian(r, 37, 53);
        for (long i = 0; i < act.size(); i += 7) {
            act.setFlat(i, 0f); // the boundary: a zero activation blocks the gradient
        }
        Tensor g = up(grad);
        backend().reluBackward(g, up(act));
        double[][] expected = d(grad);
        for (int i = 0; i < 37; i++) {
            for (int j = 0; j < 53; j++) {
                if (act.get(i, j) <= 0) {
                    expected[i][j] = 0;
                }
            }
        }
        assertClose(expected, down(g), 0, r.tag("reluBackward"));
    }

    /** The AS objective of one element: (t - relu(z))^2 + lambda (z - y')^2, in double. */
    private static double penalty(double t, double z, double lambda, double y) {
        double e = t - Math.max(0, z);
        return e * e + lambda * (z - y) * (z - y);
    }

    @Test
    void reluPenalty() {
        Draw r = Draw.fresh();
        // The last case is big enough that a GPU's grid-stride loop goes round more than once.
        float[] lambdas = {0.01f, 1f, (float) (0.05 + r.rng().nextDouble()), (float) (0.05 + r.rng().nextDouble())};
        int[][] shapes = {{37, 53}, {37, 53}, {37, 53}, {1031, 1033}};
        for (int c = 0; c < lambdas.length; c++) {
            float lambda = lambdas[c];
            int n = shapes[c][0];
            int d = shapes[c][1];
            Matrix y = gaussian(r, n, d);
            Matrix a = gaussian(r, n, d);
            Tensor z = poisoned(n, d);
            double got = backend().reluPenalty(up(y), up(a), lambda, z);
            Matrix zh = down(z);
            String what = r.tag("reluPenalty " + n + " x " + d + ", lambda=" + lambda);
            double objective = 0;
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < d; j++) {
                    double yp = y.get(i, j);
                    double t = Math.max(0, a.get(i, j));
                    // the two-candidate rule in double (docs/method.md, Step II)
                    double z0 = Math.min(0, yp);
                    double z1 = Math.max(0, (lambda * yp + t) / (1 + lambda));
                    double best = Math.min(penalty(t, z0, lambda, yp), penalty(t, z1, lambda, yp));
                    objective += best;
                    double zg = zh.get(i, j);
                    double scale = 1 + t * t + yp * yp;
                    if (!(Math.abs(zg - z0) <= tolerance() * (1 + Math.abs(z0))
                            || Math.abs(zg - z1) <= tolerance() * (1 + Math.abs(z1)))) {
                        fail(what + ": z(" + i + ", " + j + ") = " + zg + " is neither candidate " + z0 + " nor " + z1);
                    }
                    if (!(penalty(t, zg, lambda, yp) <= best + tolerance() * scale)) {
                        fail(what + ": z(" + i + ", " + j + ") = " + zg + " costs " + penalty(t, zg, lambda, yp)
                                + ", the minimum is " + best);
                    }
                }
            }
            assertClose(objective, got, tolerance(), what + ": objective");
            // brute force on a few elements: no z on a fine grid does better than the chosen one
            for (int s = 0; s < 20; s++) {
                int i = r.rng().nextInt(n);
                int j = r.rng().nextInt(d);
                double yp = y.get(i, j);
                double t = Math.max(0, a.get(i, j));
                double chosen = penalty(t, zh.get(i, j), lambda, yp);
                double lo = Math.min(yp, 0) - 1;
                double hi = Math.max(yp, t) + 1;
                for (int g = 0; g <= 4000; g++) {
                    double zc = lo + (hi - lo) * g / 4000;
                    assertTrue(chosen <= penalty(t, zc, lambda, yp) + tolerance() * (1 + t * t + yp * yp),
                            what + ": z = " + zc + " beats the chosen " + zh.get(i, j) + " at (" + i + ", " + j + ")");
                }
            }
        }
    }

    @Test
    void topkCorrect() {
        Draw r = Draw.fresh();
        int n = 301;
        int c = 13;
        Matrix logits = keep(Matrix.zeros(n, c));
        for (long i = 0; i < logits.size(); i++) {
            logits.setFlat(i, r.rng().nextInt(6) - 2); // few distinct values: many ties
        }
        int[] labels = IntStream.range(0, n).map(i -> r.rng().nextInt(c)).toArray();
        int[] ks = {1, 2, 5, c, c + 3};
        long[] expected = new long[ks.length];
        for (int i = 0; i < n; i++) {
            int row = i;
            // rank by value descending, the label after everything it ties with (ties count against)
            List<Integer> order = IntStream.range(0, c).boxed().sorted(
                    Comparator.<Integer>comparingDouble(j -> -logits.get(row, j))
                            .thenComparing(j -> j == labels[row] ? 1 : 0)).toList();
            int rank = order.indexOf(labels[i]);
            for (int q = 0; q < ks.length; q++) {
                if (rank < ks[q]) {
                    expected[q]++;
                }
            }
        }
        assertArrayEquals(expected, backend().topkCorrect(up(logits), labels, ks), r.tag("topkCorrect " + Arrays.toString(ks)));
    }

    // ---------------------------------------------------------------- the low-rank FC layer

    @Test
    void lowRankForward() {
        Draw r = Draw.fresh();
        int n = 37;
        int in = 53;
        int k = 7;
        int out = 29;
        for (boolean relu : new boolean[] {false, true}) {
            Matrix h = gaussian(r, n, in);
            Matrix q = gaussian(r, k, in);
            Matrix p = gaussian(r, out, k);
            Matrix bias = gaussian(r, 1, out);
            Tensor qh = poisoned(n, k);
            Tensor o = poisoned(n, out);
            backend().lowRankForward(up(h), up(q), up(p), up(bias), relu, qh, o);
            double[][] qhRef = mul(d(h), t(d(q)));
            double[][] outRef = mul(qhRef, t(d(p)));
            for (double[] row : outRef) {
                for (int j = 0; j < out; j++) {
                    row[j] += bias.get(0, j);
                    row[j] = relu ? Math.max(0, row[j]) : row[j];
                }
            }
            assertClose(qhRef, down(qh), tolerance(), r.tag("lowRankForward qh"));
            assertClose(outRef, down(o), tolerance(), r.tag("lowRankForward out relu=" + relu));
        }
    }

    @Test
    void lowRankBackward() {
        Draw r = Draw.fresh();
        int n = 37;
        int in = 53;
        int k = 7;
        int out = 29;
        for (boolean withDh : new boolean[] {true, false}) {
            Matrix h = gaussian(r, n, in);
            Matrix q = gaussian(r, k, in);
            Matrix p = gaussian(r, out, k);
            Matrix qh = gaussian(r, n, k);
            Matrix delta = gaussian(r, n, out);
            Tensor gp = poisoned(n, k);
            Tensor dq = poisoned(k, in);
            Tensor dp = poisoned(out, k);
            Tensor dbias = poisoned(1, out);
            Tensor dh = withDh ? poisoned(n, in) : null;
            backend().lowRankBackward(up(h), up(q), up(p), up(qh), up(delta), gp, dq, dp, dbias, dh);
            String what = r.tag("lowRankBackward dh=" + withDh);
            double[][] gpRef = mul(d(delta), d(p));
            assertClose(mul(t(d(delta)), d(qh)), down(dp), tolerance(), what + " dp");
            assertClose(mul(t(gpRef), d(h)), down(dq), tolerance(), what + " dq");
            assertClose(columnSums(d(delta)), down(dbias), tolerance(), what + " dbias");
            if (withDh) {
                assertClose(mul(gpRef, d(q)), down(dh), tolerance(), what + " dh");
            }
        }
    }

    @Test
    void sgdUpdate() {
        Draw r = Draw.fresh();
        Matrix param = gaussian(r, 37, 53);
        Matrix grad = gaussian(r, 37, 53);
        Matrix velocity = gaussian(r, 37, 53);
        float lr = 0.01f + (float) r.rng().nextDouble() * 0.1f;
        float momentum = 0.9f;
        float decay = 5e-4f;
        Tensor pt = up(param);
        Tensor vt = up(velocity);
        backend().sgdUpdate(pt, up(grad), vt, lr, momentum, decay);
        double[][] v = new double[37][53];
        double[][] w = new double[37][53];
        for (int i = 0; i < 37; i++) {
            for (int j = 0; j < 53; j++) {
                v[i][j] = momentum * velocity.get(i, j) + grad.get(i, j) + decay * param.get(i, j);
                w[i][j] = param.get(i, j) - lr * v[i][j];
            }
        }
        String what = r.tag("sgdUpdate lr=" + lr);
        assertClose(v, down(vt), tolerance(), what + " velocity");
        assertClose(w, down(pt), tolerance(), what + " param");
    }
}
