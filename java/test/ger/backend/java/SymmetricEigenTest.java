package ger.backend.java;

import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.EigenDecomposition_F64;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Random;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The full double-precision decomposition behind symmetricEigenTopK and svd, against EJML, on the
 * spectra that trouble QL: repeated eigenvalues, rank deficiency, zero, diagonal, a wide dynamic range.
 * The top-k path (SymmetricEigen.top: reflectors, inverse iteration) against the full one and by its
 * invariants, on the spectra that trouble inverse iteration: clusters, exact repeats (also cut by k),
 * hundreds of zero eigenvalues (B^T B of a wide B), a tridiagonal form that splits.
 */
class SymmetricEigenTest {

    private static double[][] randomOrthogonal(Random rng, int d) {
        double[][] g = new double[d][d];
        for (double[] row : g) {
            for (int j = 0; j < d; j++) {
                row[j] = rng.nextGaussian();
            }
        }
        // Gram-Schmidt on the rows
        for (int i = 0; i < d; i++) {
            for (int p = 0; p < i; p++) {
                double f = Dense.dot(g[i], g[p], d);
                Dense.addScaled(-f, g[p], g[i], 0, d);
            }
            double norm = Math.sqrt(Dense.dot(g[i], g[i], d));
            for (int j = 0; j < d; j++) {
                g[i][j] /= norm;
            }
        }
        return g;
    }

    /** q^T diag(values) q. */
    private static double[][] withSpectrum(Random rng, double[] values) {
        int d = values.length;
        double[][] q = randomOrthogonal(rng, d);
        double[][] s = new double[d][d];
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < d; j++) {
                double acc = 0;
                for (int p = 0; p < d; p++) {
                    acc += q[p][i] * values[p] * q[p][j];
                }
                s[i][j] = acc;
            }
        }
        for (int i = 0; i < d; i++) { // exactly symmetric
            for (int j = 0; j < i; j++) {
                s[j][i] = s[i][j];
            }
        }
        return s;
    }

    private static void check(double[][] s, String what) {
        int d = s.length;
        SymmetricEigen e = SymmetricEigen.of(s);
        EigenDecomposition_F64<DMatrixRMaj> ref = DecompositionFactory_DDRM.eig(d, false, true);
        assertTrue(ref.decompose(new DMatrixRMaj(s)), what + ": EJML failed");
        double[] expected = IntStream.range(0, d).mapToDouble(i -> ref.getEigenvalue(i).real).sorted().toArray();
        double norm = Math.max(1e-300, Math.max(Math.abs(expected[0]), Math.abs(expected[d - 1])));
        for (int j = 0; j < d; j++) {
            assertEquals(expected[j], e.values()[j], 1e-11 * norm, what + ": value " + j);
        }
        double[][] v = e.vectors();
        for (int a = 0; a < d; a++) {
            for (int b = 0; b < d; b++) {
                double dot = 0;
                double res = 0;
                for (int i = 0; i < d; i++) {
                    dot += v[i][a] * v[i][b];
                }
                assertEquals(a == b ? 1 : 0, dot, 1e-11, what + ": v^T v at (" + a + ", " + b + ")");
                if (b == 0) { // |S v_a - lambda_a v_a|
                    for (int i = 0; i < d; i++) {
                        double sv = 0;
                        for (int p = 0; p < d; p++) {
                            sv += s[i][p] * v[p][a];
                        }
                        res = Math.max(res, Math.abs(sv - e.values()[a] * v[i][a]));
                    }
                    assertTrue(res <= 1e-11 * Math.max(norm, 1), what + ": residual " + res + " for vector " + a);
                }
            }
        }
    }

    @Test
    void randomSpectra() {
        long seed = System.nanoTime();
        Random rng = new Random(seed);
        for (int d : new int[] {1, 2, 3, 17, 120}) {
            double[] values = IntStream.range(0, d).mapToDouble(i -> rng.nextGaussian() * 10).toArray();
            check(withSpectrum(rng, values), "random spectrum d=" + d + " (seed " + seed + ")");
        }
    }

    @Test
    void repeatedZeroAndWideRange() {
        long seed = System.nanoTime();
        Random rng = new Random(seed);
        int d = 41;
        double[] repeated = new double[d];
        Arrays.fill(repeated, 0, 20, 3.0); // a 20-fold and a 21-fold eigenvalue
        Arrays.fill(repeated, 20, d, -1.5);
        check(withSpectrum(rng, repeated), "repeated (seed " + seed + ")");
        double[] lowRank = new double[d];
        for (int i = 0; i < 5; i++) {
            lowRank[i] = 1 + rng.nextDouble(); // rank 5, a 36-fold zero eigenvalue
        }
        check(withSpectrum(rng, lowRank), "rank 5 (seed " + seed + ")");
        double[] range = IntStream.range(0, d).mapToDouble(i -> Math.pow(10, -8 + 16.0 * i / (d - 1))).toArray();
        check(withSpectrum(rng, range), "1e-8..1e8 (seed " + seed + ")");
        check(new double[d][d], "zero");
        double[][] diagonal = new double[d][d];
        for (int i = 0; i < d; i++) {
            diagonal[i][i] = rng.nextGaussian();
        }
        check(diagonal, "diagonal (seed " + seed + ")");
    }

    /**
     * top(s, k) against of(s): the k largest values, descending, within 1e-11 |S|; and by float64
     * invariants: |S v - lambda v|_inf <= 1e-11 |S| for each vector, |V^T V - I|_max <= 1e-11.
     */
    private static void checkTop(double[][] s, int k, String what) {
        int d = s.length;
        SymmetricEigen full = SymmetricEigen.of(s);
        SymmetricEigen top = SymmetricEigen.top(s, k);
        assertEquals(k, top.values().length, what + ": number of values");
        assertEquals(d, top.vectors().length, what + ": vector length");
        double norm = Math.max(Math.abs(full.values()[0]), Math.abs(full.values()[d - 1]));
        double tol = 1e-11 * Math.max(norm, Double.MIN_NORMAL);
        for (int j = 0; j < k; j++) {
            assertEquals(full.values()[d - 1 - j], top.values()[j], tol, what + ": value " + j);
        }
        double[][] v = top.vectors();
        for (int a = 0; a < k; a++) {
            assertEquals(k, v[0].length, what + ": number of vectors");
            for (int b = 0; b <= a; b++) {
                double dot = 0;
                for (int i = 0; i < d; i++) {
                    dot += v[i][a] * v[i][b];
                }
                assertEquals(a == b ? 1 : 0, dot, 1e-11, what + ": v^T v at (" + a + ", " + b + ")");
            }
            double res = 0;
            for (int i = 0; i < d; i++) {
                double sv = 0;
                for (int p = 0; p < d; p++) {
                    sv += s[i][p] * v[p][a];
                }
                res = Math.max(res, Math.abs(sv - top.values()[a] * v[i][a]));
            }
            assertTrue(res <= tol, what + ": residual " + res + " for vector " + a + ", |S| = " + norm);
        }
    }

    /** b^T b, exactly symmetric; b rows x cols. */
    private static double[][] gram(double[][] b) {
        int n = b[0].length;
        double[][] g = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j <= i; j++) {
                double acc = 0;
                for (double[] row : b) {
                    acc += row[i] * row[j];
                }
                g[i][j] = acc;
                g[j][i] = acc;
            }
        }
        return g;
    }

    private static double[][] gaussian(Random rng, int rows, int cols) {
        double[][] b = new double[rows][cols];
        for (double[] row : b) {
            for (int j = 0; j < cols; j++) {
                row[j] = rng.nextGaussian();
            }
        }
        return b;
    }

    @Test
    void topOfRandomSpectra() {
        long seed = System.nanoTime();
        Random rng = new Random(seed);
        for (int d : new int[] {1, 2, 3, 5, 17, 64, 150}) {
            double[] values = IntStream.range(0, d).mapToDouble(i -> rng.nextGaussian() * 10).toArray();
            double[][] s = withSpectrum(rng, values);
            for (int k : new int[] {1, Math.max(1, d / 4), Math.max(1, d / 2), d, 1 + rng.nextInt(d)}) {
                checkTop(s, k, "random spectrum d=" + d + " k=" + k + " (seed " + seed + ")");
            }
        }
    }

    @Test
    void topOfRandomMatrices() {
        long seed = System.nanoTime();
        Random rng = new Random(seed);
        for (int d : new int[] {4, 33, 200}) {
            double[][] g = gaussian(rng, d, d);
            double[][] s = new double[d][d];
            for (int i = 0; i < d; i++) {
                for (int j = 0; j < d; j++) {
                    s[i][j] = g[i][j] + g[j][i];
                }
            }
            for (int k : new int[] {1, d / 2, 1 + rng.nextInt(d / 2)}) {
                checkTop(s, k, "gaussian d=" + d + " k=" + k + " (seed " + seed + ")");
            }
        }
    }

    @Test
    void topOfClustersAndRepeats() {
        long seed = System.nanoTime();
        Random rng = new Random(seed);
        int d = 120;
        double[] values = new double[d];
        for (int i = 0; i < d; i++) {
            values[i] = rng.nextGaussian();
        }
        for (int i = 0; i < 15; i++) {
            values[i] = 7.0; // a 15-fold top eigenvalue, cut by k = 10
            values[15 + i] = 5 + 1e-12 * i; // a tight cluster
            values[30 + i] = 4 + 1e-6 * i; // a looser one, within the 1e-3 |T| of re-orthogonalisation
            values[45 + i] = 3 + 1e-3 * i; // at its edge
        }
        double[][] s = withSpectrum(rng, values);
        for (int k : new int[] {1, 10, 15, 22, 40, 60}) {
            checkTop(s, k, "clusters k=" + k + " (seed " + seed + ")");
        }
        double[] twoValues = new double[41];
        Arrays.fill(twoValues, 0, 20, 3.0);
        Arrays.fill(twoValues, 20, 41, -1.5);
        double[][] repeated = withSpectrum(rng, twoValues);
        for (int k : new int[] {1, 7, 20}) {
            checkTop(repeated, k, "20-fold 3 and 21-fold -1.5, k=" + k + " (seed " + seed + ")");
        }
    }

    /** B^T B of a wide B: rank rows, so cols - rows zero eigenvalues, some of them among the k wanted. */
    @Test
    void topOfRankDeficientGram() {
        long seed = System.nanoTime();
        Random rng = new Random(seed);
        double[][] small = gram(gaussian(rng, 100, 400));
        for (int k : new int[] {1, 99, 100, 101, 150, 200}) {
            checkTop(small, k, "B^T B, B 100 x 400, k=" + k + " (seed " + seed + ")");
        }
        checkTop(gram(gaussian(rng, 3, 10)), 5, "B^T B, B 3 x 10, k=5 (seed " + seed + ")");
    }

    /** The shape the methods solve: d = 1024, k = 128, the Gram matrix of a 784 x 1024 B. */
    @Test
    void topOfLargeGram() {
        long seed = System.nanoTime();
        Random rng = new Random(seed);
        checkTop(gram(gaussian(rng, 784, 1024)), 128, "B^T B, B 784 x 1024, k=128 (seed " + seed + ")");
    }

    @Test
    void topOfZeroDiagonalSplitAndWideRange() {
        long seed = System.nanoTime();
        Random rng = new Random(seed);
        int d = 41;
        checkTop(new double[d][d], 20, "zero");
        double[][] diagonal = new double[d][d];
        for (int i = 0; i < d; i++) {
            diagonal[i][i] = i % 3 == 0 ? 2.5 : rng.nextGaussian(); // repeats across 1 x 1 blocks
        }
        checkTop(diagonal, 20, "diagonal (seed " + seed + ")");
        double[] range = IntStream.range(0, d).mapToDouble(i -> Math.pow(10, -8 + 16.0 * i / (d - 1))).toArray();
        checkTop(withSpectrum(rng, range), 20, "1e-8..1e8 (seed " + seed + ")");
        double[] lowRank = new double[d];
        for (int i = 0; i < 5; i++) {
            lowRank[i] = 1 + rng.nextDouble();
        }
        checkTop(withSpectrum(rng, lowRank), 20, "rank 5, k = 20 (seed " + seed + ")");
        // a direct sum of two blocks with the same spectrum: T splits, every value is repeated across it
        int half = 30;
        double[] values = IntStream.range(0, half).mapToDouble(i -> rng.nextGaussian()).toArray();
        double[][] a = withSpectrum(rng, values);
        double[][] b = withSpectrum(rng, values);
        double[][] sum = new double[2 * half][2 * half];
        for (int i = 0; i < half; i++) {
            System.arraycopy(a[i], 0, sum[i], 0, half);
            System.arraycopy(b[i], 0, sum[half + i], half, half);
        }
        for (int k : new int[] {1, 2, 9, 30}) {
            checkTop(sum, k, "direct sum k=" + k + " (seed " + seed + ")");
        }
    }
}
