package ger.method;

import ger.backend.Backend;
import ger.model.FcStack;
import ger.tensor.Matrix;

/**
 * One model and one calibration set on one backend, compressed by any method at any rank. A sweep
 * runs many jobs through one session, which keeps what does not depend on the rank: the uploaded
 * calibration rows, the original network's activations, one SVD per layer (LRD), the first layer's
 * Gram matrix and Cholesky factor (AS).
 */
public final class CompressionSession implements AutoCloseable {
    // filled in by the methods issue
    public CompressionSession(Backend backend, FcStack model, Matrix calib, Options options, Progress progress) {
        throw new UnsupportedOperationException("not yet");
    }

    /**
     * Compresses with {@code method} at {@code knob}: the rank k for lrd/as/ger-ic/ger, the
     * sub-vector dimension for pq, ignored for bin.
     */
    public CompressionResult compress(MethodName method, int knob) {
        throw new UnsupportedOperationException("not yet");
    }

    @Override
    public void close() {
    }
}
