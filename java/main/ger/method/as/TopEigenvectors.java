package ger.method.as;

import ger.backend.Backend;
import ger.backend.Eigen;
import ger.backend.NotPositiveDefiniteException;
import ger.method.DeviceOps;
import ger.method.Options;
import ger.tensor.Tensor;

/**
 * The top-k eigenvectors of S = B^T B for each Step I of one AS layer (U_k, d_out x k). FULL asks
 * the backend for an eigendecomposition each time; SUBSPACE does that on the first call only and
 * then refines the last block of p = k + min(k, 10) vectors by {@link SubspaceIteration}; AUTO picks
 * SUBSPACE when k <= d_out / 4, where the full problem costs most relative to the subspace one.
 */
final class TopEigenvectors implements AutoCloseable {
    private final Backend b;
    private final int k;
    private final int block;
    private final boolean subspace;
    /** The last block (d_out x block), the warm start; null before the first call. */
    private Tensor warm;

    TopEigenvectors(Backend b, int k, int dIn, int dOut, Options.EigenSolver mode) {
        this.b = b;
        this.k = k;
        this.block = Math.min(k + Math.min(k, 10), Math.min(dIn, dOut));
        this.subspace = switch (mode) {
            case FULL -> false;
            case SUBSPACE -> true;
            case AUTO -> k <= dOut / 4;
        };
    }

    /** Whether the next call refines a warm block (rather than solving the full problem). */
    boolean warm() {
        return warm != null;
    }

    /** The block's width p. */
    int block() {
        return block;
    }

    /** U_k for B (d_in x d_out), a new d_out x k tensor. */
    Tensor next(WhitenedCoefficients bMat) {
        if (!subspace) {
            try (Tensor s = bMat.gram()) {
                return b.symmetricEigenTopK(s, k).vectors();
            }
        }
        Tensor refined;
        if (warm == null) {
            refined = fullBlock(bMat);
        } else {
            try (Tensor s = SubspaceIteration.formS(bMat, block) ? bMat.gram() : null) {
                refined = SubspaceIteration.refine(b, bMat, s, warm, SubspaceIteration.STEPS);
            } catch (NotPositiveDefiniteException e) {
                // The block lost rank (S has rank < block): this once, solve the full problem.
                refined = fullBlock(bMat);
            }
            warm.close();
        }
        warm = refined;
        return DeviceOps.firstColumns(b, warm, k);
    }

    private Tensor fullBlock(WhitenedCoefficients bMat) {
        try (Tensor s = bMat.gram()) {
            Eigen e = b.symmetricEigenTopK(s, block);
            return e.vectors();
        }
    }

    @Override
    public void close() {
        if (warm != null) {
            warm.close();
        }
    }
}
