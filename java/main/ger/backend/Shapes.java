package ger.backend;

import ger.tensor.Tensor;

/** Shape checks at the Backend boundary: one message format for every backend. */
public final class Shapes {
    private Shapes() {
    }

    /** Fails unless t is rows x cols. */
    public static void require(String op, String what, Tensor t, int rows, int cols) {
        if (t.rows() != rows || t.cols() != cols) {
            throw new IllegalArgumentException(
                    op + ": " + what + " is " + t.shape() + ", expected " + rows + " x " + cols);
        }
    }

    /** Fails unless every one of others has the shape of a. */
    public static void same(String op, Tensor a, Tensor... others) {
        for (Tensor b : others) {
            if (a.rows() != b.rows() || a.cols() != b.cols()) {
                throw new IllegalArgumentException(op + ": shapes differ, " + a.shape() + " vs " + b.shape());
            }
        }
    }

    /** Fails unless t is square. */
    public static void square(String op, Tensor t) {
        if (t.rows() != t.cols()) {
            throw new IllegalArgumentException(op + ": expected a square matrix, got " + t.shape());
        }
    }

    /** Fails unless 1 <= k <= max. */
    public static void rank(String op, int k, int max) {
        if (k < 1 || k > max) {
            throw new IllegalArgumentException(op + ": k = " + k + " outside 1.." + max);
        }
    }

    /** Checks c = op(a) op(b) shapes: op(a) m x k, op(b) k x n, c m x n. */
    public static void gemm(Tensor a, boolean transA, Tensor b, boolean transB, Tensor c) {
        int m = transA ? a.cols() : a.rows();
        int k = transA ? a.rows() : a.cols();
        int kb = transB ? b.cols() : b.rows();
        int n = transB ? b.rows() : b.cols();
        if (k != kb) {
            throw new IllegalArgumentException("gemm: inner dimensions differ, op(a) " + m + " x " + k
                    + ", op(b) " + kb + " x " + n);
        }
        require("gemm", "c", c, m, n);
    }

    /** Checks a row copy (op): rows [srcRow, srcRow + count) of src to [dstRow, dstRow + count) of dst, same cols. */
    public static void rowRanges(String op, Tensor src, int srcRow, Tensor dst, int dstRow, int count) {
        if (src.cols() != dst.cols() || srcRow < 0 || dstRow < 0 || count < 0
                || (long) srcRow + count > src.rows() || (long) dstRow + count > dst.rows()) {
            throw new IllegalArgumentException(op + ": rows [" + srcRow + ", " + ((long) srcRow + count) + ") of "
                    + src.shape() + " to [" + dstRow + ", " + ((long) dstRow + count) + ") of " + dst.shape());
        }
    }

    /** Checks a row gather: dst is rows.length x src.cols() and every index names a row of src. */
    public static void gather(Tensor src, int[] rows, Tensor dst) {
        require("gatherRows", "dst", dst, rows.length, src.cols());
        for (int i = 0; i < rows.length; i++) {
            if (rows[i] < 0 || rows[i] >= src.rows()) {
                throw new IllegalArgumentException("gatherRows: rows[" + i + "] = " + rows[i] + " outside 0.." + (src.rows() - 1));
            }
        }
    }
}
