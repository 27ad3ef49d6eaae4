package ger.backend.cuda;

import ger.GerException;

/**
 * A CUDA library call failed, or a CUDA library or the kernels could not be loaded. The message names
 * the call and its status (e.g. {@code cublasSgemm_v2 failed: CUBLAS_STATUS_INVALID_VALUE (7)}) or the
 * libraries tried and why each failed.
 */
public final class CudaException extends GerException {
    public CudaException(String message) {
        super(message);
    }

    public CudaException(String message, Throwable cause) {
        super(message, cause);
    }
}
