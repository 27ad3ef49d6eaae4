package ger.backend.cuda.internal;

/**
 * How ger's row-major operations become column-major cuBLAS / cuSOLVER calls, written once.
 *
 * <p>The one fact used throughout: a row-major r x c matrix x, read column-major with leading
 * dimension c, is the c x r matrix x^T. So no data moves; each mapping below transposes the
 * equation instead. ColumnMajorTest checks each against a plain column-major emulation of the
 * library call.
 */
public final class ColumnMajor {
    /** cublasOperation_t. */
    public static final int OP_N = 0;
    public static final int OP_T = 1;
    /** cublasFillMode_t. */
    public static final int FILL_LOWER = 0;
    public static final int FILL_UPPER = 1;
    /** cublasSideMode_t. */
    public static final int SIDE_LEFT = 0;
    public static final int SIDE_RIGHT = 1;
    /** cublasDiagType_t. */
    public static final int DIAG_NON_UNIT = 0;

    /**
     * Cholesky: the row-major lower factor L (a = L L^T) is, read column-major, the upper factor
     * U = L^T with a = U^T U; so potrf runs with uplo = upper, and leaves the column-major strict
     * lower triangle (= row-major strict upper) for the caller to zero.
     */
    public static final int POTRF_UPLO = FILL_UPPER;

    /**
     * Gram c = x^T x of a row-major n x d x: read column-major, x is X = x^T (d x n, ld d), and
     * syrk(trans = N) computes X X^T = x^T x into one triangle. Column-major lower = row-major upper;
     * the caller then mirrors the row-major upper triangle into the lower one.
     */
    public static final int SYRK_UPLO = FILL_LOWER;

    /** Eigen: symmetric, so either triangle; cuSOLVER's eigenvectors are columns = row-major rows. */
    public static final int SYEVD_UPLO = FILL_LOWER;

    private ColumnMajor() {
    }

    /** The arguments of cublasSgemm_v2: C = op(A) op(B), column-major, C m x n, inner k. */
    public record Gemm(int transa, int transb, int m, int n, int k, int lda, int ldb, int ldc) {
        /**
         * Row-major c (m x n) = op(a) op(b) as column-major c^T = op(b)^T op(a)^T: cuBLAS's A is ger's
         * b and cuBLAS's B is ger's a (pass the pointers swapped), each op kept (the stored matrix is
         * already the transpose), and cuBLAS's m, n are ger's n, m.
         *
         * @param aCols columns of the stored a (its leading dimension); likewise bCols, and c has n columns
         */
        public static Gemm rowMajor(boolean transA, boolean transB, int m, int n, int k, int aCols, int bCols) {
            return new Gemm(transB ? OP_T : OP_N, transA ? OP_T : OP_N, n, m, k, ld(bCols), ld(aCols), ld(n));
        }
    }

    /** The arguments of cublasStrsm_v2. */
    public record Trsm(int side, int uplo, int trans, int diag, int m, int n, int lda, int ldb) {
        /**
         * Row-major b (d x cols) = op(l)^-1 b, l lower d x d. Read column-major, b is B = b^T (cols x d)
         * and l is U = l^T (upper). x = op(l)^-1 b  <=>  x^T op(l)^T = b^T, a right-side solve
         * X op'(U) = B where op(l)^T = l^T = U (no transpose) or = l = U^T (transpose).
         */
        public static Trsm rowMajorLowerLeft(int d, int cols, boolean transposeL) {
            return new Trsm(SIDE_RIGHT, FILL_UPPER, transposeL ? OP_T : OP_N, DIAG_NON_UNIT, cols, d, ld(d), ld(cols));
        }
    }

    /** The arguments of cusolverDnSgesvd for a row-major m x n matrix with m <= n (wide or square). */
    public record Gesvd(int m, int n, int lda, int ldu, int ldvt) {
        /**
         * Read column-major, a is A = a^T (n x m, n >= m as gesvd needs). A = U' S V'^T gives
         * a = V' S U'^T, so ger's u = V' and vt = U'^T. With jobu = jobvt = 'S': U' is n x m (ldu n),
         * whose column j, contiguous, is row j of vt, so vt's first k rows are the first k n floats;
         * VT' is m x m (ldvt m), which read row-major is V' = u, so u is its first k columns.
         */
        public static Gesvd rowMajorWide(int m, int n) {
            if (m > n) {
                throw new IllegalArgumentException("gesvd mapping needs rows <= cols, got " + m + " x " + n);
            }
            return new Gesvd(n, m, ld(n), ld(n), ld(m));
        }
    }

    /** Leading dimensions must be at least 1, even for empty matrices. */
    private static int ld(int cols) {
        return Math.max(1, cols);
    }
}
