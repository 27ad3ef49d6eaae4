package ger.backend.java;

import ger.tensor.Matrix;

import java.lang.foreign.MemorySegment;

/**
 * Moving elements between row-major layouts: copyRows (also the host uploads and downloads),
 * gatherRows, transpose.
 * Kernel: kernels/portable/layout.h. Conformance: ger.backend.LayoutConformance.
 */
final class Layout {
    private Layout() {
    }

    /** Rows [dstRow, dstRow + count) of dst = rows [srcRow, srcRow + count) of src. */
    static void copyRows(Matrix src, int srcRow, Matrix dst, int dstRow, int count) {
        long rowBytes = (long) src.cols() * Float.BYTES;
        MemorySegment.copy(src.segment(), srcRow * rowBytes, dst.segment(), dstRow * rowBytes, count * rowBytes);
    }

    /** Row i of dst = row rows[i] of src. */
    static void gatherRows(Matrix src, int[] rows, Matrix dst) {
        for (int i = 0; i < rows.length; i++) {
            copyRows(src, rows[i], dst, i, 1);
        }
    }

    /** dst = src^T. */
    static void transpose(Matrix src, Matrix dst) {
        for (int i = 0; i < src.rows(); i++) {
            for (int j = 0; j < src.cols(); j++) {
                dst.set(j, i, src.get(i, j));
            }
        }
    }
}
