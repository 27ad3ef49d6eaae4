package ger.tensor;

/**
 * A float32 matrix, row-major, held by one backend (host memory, CUDA device memory or an OpenCL
 * buffer). Only the backend that allocated it may read or write it; its {@code download} brings
 * it to the host. Closing frees the memory; a closed tensor must not be used again.
 */
public interface Tensor extends AutoCloseable {
    int rows();

    int cols();

    default long size() {
        return (long) rows() * cols();
    }

    default String shape() {
        return rows() + " x " + cols();
    }

    @Override
    void close();
}
