package ger.backend.cuda;

import ger.backend.DeviceTensor;

/**
 * A float32 row-major rows x cols matrix in device memory of one {@link CudaBackend}. Closing frees
 * it (stream-ordered: work already queued on it still completes); the backend frees whatever is still
 * open when it closes.
 */
public final class CudaTensor extends DeviceTensor<Long> {
    private final CudaBackend owner;

    CudaTensor(CudaBackend owner, int rows, int cols, long address) {
        super(owner, rows, cols, address);
        this.owner = owner;
    }

    /** The device address (CUdeviceptr). @throws IllegalStateException once closed */
    public long address() {
        return handle();
    }

    /** Bytes of device memory it holds (at least 4, so an empty tensor still has an address). */
    long byteSize() {
        return Math.max(1, size()) * Float.BYTES;
    }

    @Override
    protected void release(Long address) {
        owner.free(this, address);
    }
}
