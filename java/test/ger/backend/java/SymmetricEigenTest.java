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
}
