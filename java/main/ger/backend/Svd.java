package ger.backend;

import ger.tensor.Tensor;

/**
 * A truncated SVD a ~ u diag(s) vt: u m x k and vt k x n on the backend, s descending on the host.
 * Closing frees u and vt.
 */
public record Svd(Tensor u, double[] s, Tensor vt) implements AutoCloseable {
    @Override
    public void close() {
        u.close();
        vt.close();
    }
}
