package ger.backend;

import ger.tensor.Tensor;

/**
 * The leading eigenpairs of a symmetric matrix: values descending (host), vectors d x k on the
 * backend (column j belongs to values[j]). Closing frees the vectors.
 */
public record Eigen(double[] values, Tensor vectors) implements AutoCloseable {
    @Override
    public void close() {
        vectors.close();
    }
}
