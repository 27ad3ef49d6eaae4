package ger.method.as;

import ger.backend.Backend;
import ger.backend.Eigen;
import ger.backend.NotPositiveDefiniteException;
import ger.method.DeviceOps;
import ger.tensor.Tensor;

/**
 * The leading eigenvectors of S = B^T B (B: d_in x d_out, S: d_out x d_out) by block subspace
 * iteration from a warm start, with GEMMs and p x p problems only: V <- S V, orthonormalised by
 * Cholesky-QR, a few times; then Rayleigh-Ritz (the eigenproblem of V^T S V, p x p) rotates V onto
 * the Ritz vectors. AS's U_k moves little from one iteration to the next, so two steps from the last
 * block keep up with it (docs/method.md, "Speed facts").
 */
final class SubspaceIteration {
    /** Power steps per call; the warm start carries convergence over from the previous calls. */
    static final int STEPS = 2;

    private SubspaceIteration() {
    }

    /**
     * Whether forming S costs less than applying B^T (B V) STEPS + 1 times: only for a formed B, where
     * S costs d_in d_out^2 and no more (from the product it would cost forming B first).
     */
    static boolean formS(WhitenedCoefficients bMat, int p) {
        if (!(bMat instanceof WhitenedCoefficients.Formed formed)) {
            return false;
        }
        double applications = STEPS + 1;
        double dIn = formed.matrix().rows();
        double dOut = formed.matrix().cols();
        return dOut * (dIn + applications * p) < 2.0 * applications * dIn * p;
    }

    /**
     * Refines the block v (d_out x p, left unchanged) towards S's top-p eigenvectors and returns the
     * Ritz vectors as a new d_out x p tensor, columns in descending order of Ritz value.
     *
     * @param bMat B, d_in x d_out
     * @param s    S = B^T B if formed (d_out x d_out), else null (then S V = B^T (B V))
     * @throws NotPositiveDefiniteException when the block loses rank (S of rank below p)
     */
    static Tensor refine(Backend b, WhitenedCoefficients bMat, Tensor s, Tensor v, int steps) {
        int p = v.cols();
        Tensor block = DeviceOps.copy(b, v);
        try {
            for (int step = 0; step < steps; step++) {
                Tensor next = applyS(b, bMat, s, block);
                block.close();
                block = next;
                orthonormalise(b, block);
            }
            try (Tensor sv = applyS(b, bMat, s, block);
                 Tensor t = b.allocate(p, p);
                 Tensor tt = b.allocate(p, p)) {
                b.gemm(true, false, 1f, block, sv, 0f, t);
                // V^T S V is symmetric up to rounding: symmetrise before the symmetric solver.
                b.transpose(t, tt);
                b.axpy(1f, tt, t);
                b.scale(t, 0.5f);
                try (Eigen e = b.symmetricEigenTopK(t, p)) {
                    Tensor ritz = b.allocate(v.rows(), p);
                    b.gemm(false, false, 1f, block, e.vectors(), 0f, ritz);
                    return ritz;
                }
            }
        } finally {
            block.close();
        }
    }

    /** S V as a new d_out x p tensor. */
    private static Tensor applyS(Backend b, WhitenedCoefficients bMat, Tensor s, Tensor v) {
        if (s == null) {
            try (Tensor bv = bMat.times(v)) {
                return bMat.transposeTimes(bv);
            }
        }
        Tensor out = b.allocate(v.rows(), v.cols());
        b.gemm(false, false, 1f, s, v, 0f, out);
        return out;
    }

    /**
     * In place, v (d x p) becomes an orthonormal basis of its column space: shifted Cholesky-QR
     * (V^T V + shift I = L L^T, V <- V L^-T) then one plain pass to restore the orthogonality that
     * float and the shift cost (CholeskyQR2).
     */
    static void orthonormalise(Backend b, Tensor v) {
        int p = v.cols();
        for (int pass = 0; pass < 2; pass++) {
            try (Tensor g = b.allocate(p, p); Tensor vt = b.allocate(p, v.rows())) {
                b.gram(v, 0f, g);
                if (pass == 0) {
                    b.addDiagonal(g, (float) (1e-6 * b.trace(g) / p));
                }
                b.cholesky(g);
                b.transpose(v, vt);
                b.triangularSolve(g, false, vt);
                b.transpose(vt, v);
            }
        }
    }
}
