package ger.method.as;

import ger.backend.Backend;
import ger.method.DeviceOps;
import ger.tensor.Tensor;

/**
 * W ~ p q (p d_out x k, q k x d_in) held as p and bu = B U_k (d_in x k): Q^T in the whitened
 * input's coordinates, Yc Q^T = Yc L^-T bu, so q = (L^-T bu)^T; zbar (1 x d_out) is the bias to
 * use with the centred input. The full-rank solution (a layer refit dense) has p = null (P = I)
 * and bu = B, so that q is the dense weight M (d_out x d_in).
 */
record LayerFactors(Tensor p, Tensor bu, Tensor zbar) implements AutoCloseable {
    /** From B = L^-1 Yc^T Zc (d_in x d_out): P = U_k, the top-k eigenvectors of B^T B, and bu = B U_k; takes zbar. */
    static LayerFactors of(WhitenedCoefficients bMat, Tensor zbar, TopEigenvectors eigen) {
        Tensor p = eigen.next(bMat);
        return new LayerFactors(p, bMat.times(p), zbar);
    }

    /** The unconstrained regression (ridge least squares): takes B (d_in x d_out, formed) and zbar. */
    static LayerFactors fullRank(Tensor bMat, Tensor zbar) {
        return new LayerFactors(null, bMat, zbar);
    }

    /** Whether this is the full-rank solution (P = I). */
    boolean fullRank() {
        return p == null;
    }

    /** q = (L^-T bu)^T, k x d_in, a new tensor; chol is the input's L. */
    Tensor q(Backend b, Tensor chol) {
        try (Tensor qt = DeviceOps.copy(b, bu)) {
            b.triangularSolve(chol, true, qt);
            return DeviceOps.transposed(b, qt);
        }
    }

    /**
     * out = h q^T p^T + bias (h q^T + bias at full rank), then relu if asked; h n x d_in, out
     * n x d_out, qh n x k scratch (unused at full rank).
     */
    void forward(Backend b, Tensor h, Tensor q, Tensor bias, boolean relu, Tensor qh, Tensor out) {
        if (fullRank()) {
            b.gemm(false, true, 1f, h, q, 0f, out);
            b.addBiasRelu(out, bias, relu);
        } else {
            b.lowRankForward(h, q, p, bias, relu, qh, out);
        }
    }

    /** The width of the forward's scratch qh (k; 0 at full rank). */
    int rank() {
        return fullRank() ? 0 : p.cols();
    }

    @Override
    public void close() {
        if (p != null) {
            p.close();
        }
        bu.close();
        zbar.close();
    }
}
