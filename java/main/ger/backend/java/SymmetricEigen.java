package ger.backend.java;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.IntConsumer;
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
    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
    private static final double EPS = Math.ulp(1.0);

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
     * of u (none when u is null: eigenvalues only); then sorts d ascending with the rows of u.
     */
    private static void diagonalise(double[][] u, double[] d, double[] e) {
        int n = d.length;
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
                        if (u != null) {
                            rotate(u[i], u[i + 1], c, s);
                        }
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
                if (u != null) {
                    double[] row = u[i];
                    u[i] = u[k];
                    u[k] = row;
                }
            }
        }
    }

    // ================================================================ the k largest eigenpairs

    /**
     * The k largest eigenpairs of s (d x d, symmetric, not modified), values DESCENDING (unlike of);
     * vectors[i][j] is component i of the eigenvector of values[j] (d x k). The way of LAPACK's dsyevx:
     * Householder reduction S = Q T Q^T keeping the reflectors (Q is never formed), the eigenvalues of
     * T by QL without vectors, T's eigenvectors for the k wanted values by inverse iteration (dstein),
     * then Q applied to those k vectors. For k above 3/4 of d the full decomposition is as fast and
     * more robust (inverse iteration re-orthogonalises within clusters, which then grow large).
     */
    static SymmetricEigen top(double[][] s, int k) {
        int n = s.length;
        if (k < 0 || k > n) {
            throw new IllegalArgumentException("k = " + k + " for a " + n + " x " + n + " matrix");
        }
        if (4 * k > 3 * n) {
            return largest(of(s), k);
        }
        Tridiagonal t = reduce(s);
        List<Block> blocks = t.blocks();
        Wanted[] wanted = largestValues(blocks, k);
        double[][] y = new double[k][]; // eigenvectors of T, then of S, as rows of length n
        for (Block b : blocks) {
            b.vectors(wanted, y, n);
        }
        t.applyQ(y, wanted);
        double[] values = new double[k];
        double[][] vectors = new double[n][k];
        for (int j = 0; j < k; j++) {
            values[j] = wanted[j].value;
            for (int i = 0; i < n; i++) {
                vectors[i][j] = y[j][i];
            }
        }
        return new SymmetricEigen(values, vectors);
    }

    /** The last k pairs of a full (ascending) decomposition, in descending order. */
    private static SymmetricEigen largest(SymmetricEigen full, int k) {
        int n = full.values.length;
        double[] values = new double[k];
        double[][] vectors = new double[n][k];
        for (int j = 0; j < k; j++) {
            values[j] = full.values[n - 1 - j];
            for (int i = 0; i < n; i++) {
                vectors[i][j] = full.vectors[i][n - 1 - j];
            }
        }
        return new SymmetricEigen(values, vectors);
    }

    /**
     * S = Q T Q^T with T tridiagonal (diagonal d, e[i] coupling i - 1 and i, e[0] = 0) and
     * Q = P[n-1] ... P[1], P[i] = I - v[i] v[i]^T / h[i] acting on the coordinates below i (P[i] = I
     * where h[i] = 0).
     */
    private record Tridiagonal(double[] d, double[] e, double[][] v, double[] h) {

        /**
         * T's unreduced blocks: it splits where |e[i]| <= eps |T| (a perturbation of S of that size),
         * and each block's eigenvalues are found by QL on the block alone, so each value knows its block.
         */
        List<Block> blocks() {
            int n = d.length;
            double norm = 0;
            for (int i = 0; i < n; i++) {
                norm = Math.max(norm, Math.abs(d[i]) + Math.abs(e[i]) + (i + 1 < n ? Math.abs(e[i + 1]) : 0));
            }
            List<Block> blocks = new ArrayList<>();
            int start = 0;
            for (int i = 1; i <= n; i++) {
                if (i == n || Math.abs(e[i]) <= EPS * norm) {
                    blocks.add(new Block(blocks.size(), start, Arrays.copyOfRange(d, start, i), Arrays.copyOfRange(e, start, i)));
                    start = i;
                }
            }
            return blocks;
        }

        /**
         * y[j] = Q y[j]: P[1] first, then P[2], ..., P[n-1]. Vectors are independent, so groups of them
         * run in parallel; within a group each reflector is read once for all its vectors. A vector that
         * is still zero below its block's start is left alone by the reflectors that act only there.
         */
        void applyQ(double[][] y, Wanted[] wanted) {
            int k = y.length;
            int groups = (k + GROUP - 1) / GROUP;
            IntStream g = IntStream.range(0, groups);
            (k * d.length >= PARALLEL_FROM * PARALLEL_FROM ? g.parallel() : g).forEach(c -> {
                int from = c * GROUP;
                int to = Math.min(k, from + GROUP);
                int first = Integer.MAX_VALUE;
                for (int j = from; j < to; j++) {
                    first = Math.min(first, wanted[j].block.start);
                }
                for (int i = first + 1; i < d.length; i++) {
                    if (h[i] != 0) {
                        reflect(v[i], h[i], i, y, from, to);
                    }
                }
            });
        }
    }

    /** Vectors transformed together by applyQ. */
    private static final int GROUP = 4;

    /** y[j][0..m) -= (v . y[j] / h) v for from <= j < to. */
    private static void reflect(double[] v, double h, int m, double[][] y, int from, int to) {
        for (int j = from; j < to; j++) {
            double f = Dense.dot(v, y[j], m) / h;
            if (f != 0) {
                Dense.addScaled(-f, v, y[j], 0, m);
            }
        }
    }

    /** One of the k wanted eigenvalues of T: its value, its block, its index in that block's values. */
    private record Wanted(double value, Block block, int index) {
    }

    /** The k largest of all blocks' eigenvalues, descending. */
    private static Wanted[] largestValues(List<Block> blocks, int k) {
        List<Wanted> all = new ArrayList<>();
        for (Block b : blocks) {
            for (int i = 0; i < b.values.length; i++) {
                all.add(new Wanted(b.values[i], b, i));
            }
        }
        all.sort(Comparator.comparingDouble(Wanted::value).reversed());
        return all.subList(0, k).toArray(new Wanted[0]);
    }

    /**
     * One unreduced block of T: rows [start, start + d.length); its diagonal d, its couplings e (e[0] = 0,
     * e[i] between its rows i - 1 and i) and its eigenvalues ascending.
     */
    private static final class Block {
        /** Inverse iterations at most, and how many more once the iterate has grown enough (dstein). */
        private static final int MAX_ITERATIONS = 5;
        private static final int EXTRA = 2;

        final int id;
        final int start;
        final double[] d;
        final double[] e;
        final double[] values;

        Block(int id, int start, double[] d, double[] e) {
            this.id = id;
            this.start = start;
            this.d = d;
            this.e = e;
            e[0] = 0;
            values = d.clone();
            diagonalise(null, values, e.clone());
        }

        /**
         * The eigenvectors of this block for the wanted values that are its own, embedded (zero outside
         * the block) into y[j], rows of length n. dstein: values in ascending order; an eigenvalue within
         * 10 eps of the previous shift is moved off it, so that close values get distinct shifts; each
         * iterate is re-orthogonalised (modified Gram-Schmidt) against the vectors already found for its
         * cluster, the run of values each within 1e-3 |T_block| of the one before.
         */
        void vectors(Wanted[] wanted, double[][] y, int n) {
            Integer[] mine = IntStream.range(0, wanted.length).filter(j -> wanted[j].block == this).boxed()
                    .sorted(Comparator.comparingDouble(j -> wanted[j].value)).toArray(Integer[]::new);
            int m = d.length;
            double norm = 0; // |T_block|_1
            for (int i = 0; i < m; i++) {
                norm = Math.max(norm, Math.abs(d[i]) + Math.abs(e[i]) + (i + 1 < m ? Math.abs(e[i + 1]) : 0));
            }
            double clusterGap = 1e-3 * norm;
            double grown = Math.sqrt(0.1 / m);
            double[][] z = new double[mine.length][];
            int cluster = 0;
            double previous = 0;
            for (int c = 0; c < mine.length; c++) {
                double shift = wanted[mine[c]].value;
                if (m == 1) {
                    z[c] = new double[] {1};
                    continue;
                }
                if (c > 0) {
                    double tooClose = 10 * EPS * Math.abs(shift);
                    if (shift - previous < tooClose) {
                        shift = previous + tooClose;
                    }
                    if (Math.abs(shift - previous) > clusterGap) {
                        cluster = c;
                    }
                }
                ShiftedLu lu = new ShiftedLu(d, e, shift, EPS * norm);
                double[] x = new SplittableRandom(0x9e3779b97f4a7c15L * (id + 1) + c).doubles(m, -1, 1).toArray();
                for (int it = 0, grownFor = 0; it < MAX_ITERATIONS && grownFor <= EXTRA; it++) {
                    if (maxAbs(x) == 0) { // all of it was in the cluster's span: start afresh
                        x = new SplittableRandom(it).doubles(m, -1, 1).toArray();
                    }
                    // scale the right-hand side so that the solution cannot overflow
                    Dense.scale(x, m * norm * Math.max(EPS, Math.abs(lu.lastPivot())) / maxAbs(x));
                    lu.solve(x);
                    for (int p = cluster; p < c; p++) {
                        Dense.addScaled(-Dense.dot(z[p], x, m), z[p], x, 0, m);
                    }
                    if (maxAbs(x) >= grown) {
                        grownFor++;
                    }
                }
                double scale = 1 / Math.sqrt(Dense.dot(x, x, m));
                int big = 0;
                for (int i = 1; i < m; i++) {
                    if (Math.abs(x[i]) > Math.abs(x[big])) {
                        big = i;
                    }
                }
                Dense.scale(x, x[big] < 0 ? -scale : scale);
                z[c] = x;
                previous = shift;
            }
            for (int c = 0; c < mine.length; c++) {
                y[mine[c]] = new double[n];
                System.arraycopy(z[c], 0, y[mine[c]], start, m);
            }
        }
    }

    private static double maxAbs(double[] x) {
        double max = 0;
        for (double v : x) {
            max = Math.max(max, Math.abs(v));
        }
        return max;
    }

    /**
     * P (T - shift I) = L U for a symmetric tridiagonal T (diagonal d, e[i] coupling i - 1 and i), by
     * Gaussian elimination with partial pivoting (dlagtf): U has two superdiagonals, L one multiplier
     * per column. Pivots smaller than tiny are taken as tiny (with their sign), as in dlagts, so that
     * T - shift I may be singular: the shift is an eigenvalue.
     */
    private static final class ShiftedLu {
        private final double[] diag; // U's diagonal
        private final double[] up1; // U's first superdiagonal
        private final double[] up2; // U's second superdiagonal (fill-in from row swaps)
        private final double[] mult; // L's multipliers
        private final boolean[] swapped; // rows i and i + 1 swapped at step i
        private final double tiny;

        ShiftedLu(double[] d, double[] e, double shift, double tiny) {
            int m = d.length;
            this.tiny = tiny;
            diag = new double[m];
            up1 = new double[m];
            up2 = new double[m];
            mult = new double[m];
            swapped = new boolean[m];
            for (int i = 0; i < m; i++) {
                diag[i] = d[i] - shift;
            }
            for (int i = 0; i + 1 < m; i++) {
                up1[i] = e[i + 1];
            }
            for (int i = 0; i + 1 < m; i++) {
                double below = e[i + 1]; // the entry (i + 1, i), not yet eliminated
                if (Math.abs(diag[i]) >= Math.abs(below)) {
                    mult[i] = diag[i] == 0 ? 0 : below / diag[i];
                    diag[i + 1] -= mult[i] * up1[i];
                } else {
                    // row i + 1 = (below, diag[i+1], up1[i+1]) becomes the pivot row
                    swapped[i] = true;
                    mult[i] = diag[i] / below;
                    double oldUp = up1[i];
                    double oldNext = diag[i + 1];
                    diag[i] = below;
                    up1[i] = oldNext;
                    diag[i + 1] = oldUp - mult[i] * oldNext;
                    if (i + 2 < m) {
                        up2[i] = up1[i + 1];
                        up1[i + 1] = -mult[i] * up1[i + 1];
                    }
                }
            }
        }

        double lastPivot() {
            return diag[diag.length - 1];
        }

        /** x = (T - shift I)^-1 x, with tiny pivots. */
        void solve(double[] x) {
            int m = x.length;
            for (int i = 0; i + 1 < m; i++) {
                if (swapped[i]) {
                    double t = x[i];
                    x[i] = x[i + 1];
                    x[i + 1] = t;
                }
                x[i + 1] -= mult[i] * x[i];
            }
            for (int i = m - 1; i >= 0; i--) {
                double r = x[i];
                if (i + 1 < m) {
                    r -= up1[i] * x[i + 1];
                }
                if (i + 2 < m) {
                    r -= up2[i] * x[i + 2];
                }
                x[i] = r / pivot(diag[i]);
            }
        }

        private double pivot(double u) {
            return Math.abs(u) >= tiny ? u : (u < 0 ? -tiny : tiny);
        }
    }

    /**
     * The Householder reduction of s (a copy of it: the full matrix, both triangles updated alike, so
     * that every product runs along rows, in parallel and in vector registers). Step i (from n - 1 down)
     * takes row i of the leading (i + 1) x (i + 1) block to (0, ..., 0, e[i], d[i]) by P[i] on both sides:
     * with p = A v / h, w = p - (v.p / 2h) v, A -= v w^T + w v^T. Step i's update of a row is fused with
     * the product of that row and step i - 1's v (whose row i - 1 is updated first), so that each step
     * reads the block once.
     */
    private static Tridiagonal reduce(double[][] s) {
        int n = s.length;
        double[][] a = new double[n][];
        for (int i = 0; i < n; i++) {
            a[i] = s[i].clone();
        }
        double[] d = new double[n];
        double[] e = new double[n];
        double[][] v = new double[n][];
        double[] h = new double[n];
        double[] p = new double[n];
        double[] w = new double[n];
        if (n > 1) {
            h[n - 1] = householder(a[n - 1], n - 1, v, e);
            if (h[n - 1] != 0) {
                double[] vn = v[n - 1];
                double hn = h[n - 1];
                rows(n - 1, j -> p[j] = Dense.dot(a[j], vn, n - 1) / hn);
            }
        }
        for (int i = n - 1; i > 0; i--) {
            d[i] = a[i][i];
            double[] vi = v[i];
            double hi = h[i];
            if (hi != 0) {
                double k = Dense.dot(vi, p, i) / (2 * hi);
                for (int j = 0; j < i; j++) {
                    w[j] = p[j] - k * vi[j];
                }
                subtractSymmetricRank2(a[i - 1], vi[i - 1], w, w[i - 1], vi, i);
            }
            if (i == 1) {
                break;
            }
            // step i - 1's reflector, from the updated row i - 1; then the other rows, each updated and multiplied
            int m = i - 1;
            double hm = householder(a[m], m, v, e);
            h[m] = hm;
            double[] vm = v[m];
            rows(m, j -> {
                if (hi != 0) {
                    subtractSymmetricRank2(a[j], vi[j], w, w[j], vi, m);
                }
                if (hm != 0) {
                    p[j] = Dense.dot(a[j], vm, m) / hm;
                }
            });
        }
        d[0] = a[0][0];
        return new Tridiagonal(d, e, v, h);
    }

    /**
     * v[m] and h such that P = I - v v^T / h (h = 0: P = I) takes row[0..m) to (0, ..., 0, e[m]), as in
     * tred2: scaled by the row's 1-norm against overflow, and the sign chosen against cancellation.
     */
    private static double householder(double[] row, int m, double[][] v, double[] e) {
        double[] x = new double[m];
        v[m] = x;
        double scale = 0;
        for (int k = 0; k < m; k++) {
            scale += Math.abs(row[k]);
        }
        if (scale == 0) {
            e[m] = 0;
            return 0;
        }
        double h = 0;
        for (int k = 0; k < m; k++) {
            x[k] = row[k] / scale;
            h += x[k] * x[k];
        }
        double f = x[m - 1];
        double g = f > 0 ? -Math.sqrt(h) : Math.sqrt(h);
        e[m] = scale * g;
        x[m - 1] = f - g;
        return h - f * g;
    }

    /** body(j) for j in [0, count), in parallel when count is large enough to pay for it. */
    private static void rows(int count, IntConsumer body) {
        IntStream rows = IntStream.range(0, count);
        (count >= PARALLEL_FROM ? rows.parallel() : rows).forEach(body);
    }

    /**
     * row[k] -= (dj e[k] + ej d[k]) for k < n, as two products and a sum (no FMA), so that row j and
     * row k of a symmetric matrix get bit-identical updates and it stays exactly symmetric.
     */
    private static void subtractSymmetricRank2(double[] row, double dj, double[] e, double ej, double[] d, int n) {
        DoubleVector djv = DoubleVector.broadcast(D, dj);
        DoubleVector ejv = DoubleVector.broadcast(D, ej);
        int k = 0;
        for (int end = D.loopBound(n); k < end; k += D.length()) {
            DoubleVector t = djv.mul(DoubleVector.fromArray(D, e, k)).add(ejv.mul(DoubleVector.fromArray(D, d, k)));
            DoubleVector.fromArray(D, row, k).sub(t).intoArray(row, k);
        }
        for (; k < n; k++) {
            row[k] -= dj * e[k] + ej * d[k];
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
