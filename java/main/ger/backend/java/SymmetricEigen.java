package ger.backend.java;

import java.util.stream.IntStream;

/**
 * The full eigendecomposition of a symmetric matrix in double: Householder reduction to tridiagonal
 * form, then the implicit QL algorithm (tred2 and tql2 of EISPACK, as in the public-domain JAMA).
 * values ascending; vectors[i][j] is component i of the eigenvector of values[j].
 *
 * <p>JAMA's loops are rewritten on u = v^T (v the matrix of eigenvectors as columns): every inner loop
 * then runs along a row, so it is contiguous (and vectorisable), and rows of u are the eigenvectors.
 *
 * <p>Conformance: ger.backend.SymmetricEigenConformance; SymmetricEigenTest checks it directly.
 */
record SymmetricEigen(double[] values, double[][] vectors) {
    /** Below this many rows a parallel update costs more than it saves. */
    private static final int PARALLEL_FROM = 128;

    /** s: d x d, symmetric (only its values are read; it is not modified). */
    static SymmetricEigen of(double[][] s) {
        int n = s.length;
        double[][] u = new double[n][];
        for (int i = 0; i < n; i++) {
            u[i] = s[i].clone(); // s is symmetric, so s^T = s
        }
        double[] d = new double[n];
        double[] e = new double[n];
        tridiagonalise(u, d, e);
        diagonalise(u, d, e);
        double[][] vectors = new double[n][n];
        for (int j = 0; j < n; j++) {
            for (int i = 0; i < n; i++) {
                vectors[i][j] = u[j][i];
            }
        }
        return new SymmetricEigen(d, vectors);
    }

    /**
     * tred2: u (holding the matrix) becomes the transpose of the orthogonal Householder product, d the
     * diagonal and e the subdiagonal (e[0] = 0) of the tridiagonal form.
     */
    private static void tridiagonalise(double[][] u, double[] d, double[] e) {
        int n = u.length;
        for (int j = 0; j < n; j++) {
            d[j] = u[j][n - 1];
        }
        for (int i = n - 1; i > 0; i--) {
            double scale = 0;
            double h = 0;
            for (int k = 0; k < i; k++) {
                scale += Math.abs(d[k]);
            }
            if (scale == 0) {
                e[i] = d[i - 1];
                for (int j = 0; j < i; j++) {
                    d[j] = u[j][i - 1];
                    u[j][i] = 0;
                    u[i][j] = 0;
                }
            } else {
                // the Householder vector
                for (int k = 0; k < i; k++) {
                    d[k] /= scale;
                    h += d[k] * d[k];
                }
                double f = d[i - 1];
                double g = Math.sqrt(h);
                if (f > 0) {
                    g = -g;
                }
                e[i] = scale * g;
                h -= f * g;
                d[i - 1] = f - g;
                for (int j = 0; j < i; j++) {
                    e[j] = 0;
                }
                // the similarity transformation of the remaining columns
                for (int j = 0; j < i; j++) {
                    f = d[j];
                    u[i][j] = f;
                    double[] uj = u[j];
                    g = e[j] + uj[j] * f;
                    for (int k = j + 1; k <= i - 1; k++) {
                        g += uj[k] * d[k];
                        e[k] += uj[k] * f;
                    }
                    e[j] = g;
                }
                f = 0;
                for (int j = 0; j < i; j++) {
                    e[j] /= h;
                    f += e[j] * d[j];
                }
                double hh = f / (h + h);
                for (int j = 0; j < i; j++) {
                    e[j] -= hh * d[j];
                }
                for (int j = 0; j < i; j++) {
                    f = d[j];
                    g = e[j];
                    double[] uj = u[j];
                    for (int k = j; k <= i - 1; k++) {
                        uj[k] -= f * e[k] + g * d[k];
                    }
                    d[j] = uj[i - 1];
                    uj[i] = 0;
                }
            }
            d[i] = h;
        }
        // accumulate the transformations; the updates of the rows j <= i are independent
        for (int i = 0; i < n - 1; i++) {
            u[i][n - 1] = u[i][i];
            u[i][i] = 1;
            double h = d[i + 1];
            double[] next = u[i + 1];
            int last = i;
            if (h != 0) {
                for (int k = 0; k <= i; k++) {
                    d[k] = next[k] / h;
                }
                IntStream rows = IntStream.rangeClosed(0, i);
                (i >= PARALLEL_FROM ? rows.parallel() : rows).forEach(j -> {
                    double[] uj = u[j];
                    double g = Dense.dot(next, uj, last + 1);
                    for (int k = 0; k <= last; k++) {
                        uj[k] -= g * d[k];
                    }
                });
            }
            for (int k = 0; k <= i; k++) {
                next[k] = 0;
            }
        }
        for (int j = 0; j < n; j++) {
            d[j] = u[j][n - 1];
            u[j][n - 1] = 0;
        }
        u[n - 1][n - 1] = 1;
        e[0] = 0;
    }

    /**
     * tql2: the implicit QL iteration on the tridiagonal (d, e), with its rotations applied to the rows
     * of u; then sorts d ascending with the rows of u.
     */
    private static void diagonalise(double[][] u, double[] d, double[] e) {
        int n = u.length;
        for (int i = 1; i < n; i++) {
            e[i - 1] = e[i];
        }
        e[n - 1] = 0;
        double f = 0;
        double tst1 = 0;
        double eps = Math.ulp(1.0);
        for (int l = 0; l < n; l++) {
            // find a negligible subdiagonal element
            tst1 = Math.max(tst1, Math.abs(d[l]) + Math.abs(e[l]));
            int m = l;
            while (m < n && Math.abs(e[m]) > eps * tst1) {
                m++;
            }
            if (m > l) { // otherwise d[l] is already an eigenvalue
                do {
                    // the implicit shift
                    double g = d[l];
                    double p = (d[l + 1] - g) / (2 * e[l]);
                    double r = Math.hypot(p, 1);
                    if (p < 0) {
                        r = -r;
                    }
                    d[l] = e[l] / (p + r);
                    d[l + 1] = e[l] * (p + r);
                    double dl1 = d[l + 1];
                    double h = g - d[l];
                    for (int i = l + 2; i < n; i++) {
                        d[i] -= h;
                    }
                    f += h;
                    // the implicit QL transformation
                    p = d[m];
                    double c = 1;
                    double c2 = c;
                    double c3 = c;
                    double el1 = e[l + 1];
                    double s = 0;
                    double s2 = 0;
                    for (int i = m - 1; i >= l; i--) {
                        c3 = c2;
                        c2 = c;
                        s2 = s;
                        g = c * e[i];
                        h = c * p;
                        r = Math.hypot(p, e[i]);
                        e[i + 1] = s * r;
                        s = e[i] / r;
                        c = p / r;
                        p = c * d[i] - s * g;
                        d[i + 1] = h + s * (c * g + s * d[i]);
                        rotate(u[i], u[i + 1], c, s);
                    }
                    p = -s * s2 * c3 * el1 * e[l] / dl1;
                    e[l] = s * p;
                    d[l] = c * p;
                } while (Math.abs(e[l]) > eps * tst1);
            }
            d[l] += f;
            e[l] = 0;
        }
        // selection sort, ascending, swapping rows of u along
        for (int i = 0; i < n - 1; i++) {
            int k = i;
            for (int j = i + 1; j < n; j++) {
                if (d[j] < d[k]) {
                    k = j;
                }
            }
            if (k != i) {
                double p = d[k];
                d[k] = d[i];
                d[i] = p;
                double[] row = u[i];
                u[i] = u[k];
                u[k] = row;
            }
        }
    }

    /** (a, b) = (c a - s b, s a + c b), element-wise. */
    private static void rotate(double[] a, double[] b, double c, double s) {
        for (int k = 0; k < a.length; k++) {
            double h = b[k];
            b[k] = s * a[k] + c * h;
            a[k] = c * a[k] - s * h;
        }
    }
}
