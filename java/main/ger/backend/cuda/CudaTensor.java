package ger.backend.cuda;

import ger.backend.Tensor;

/**
 * A float32 row-major rows x cols matrix in device memory of one {@link CudaBackend}. Closing frees
 * it (stream-ordered: work already queued on it still completes); the backend frees whatever is still
 * open when it closes.
 */
public final class CudaTensor implements Tensor {
    private final CudaBackend owner;
    private final int rows;
    private final int cols;
    private long address;

    CudaTensor(CudaBackend owner, int rows, int cols, long address) {
        this.owner = owner;
        this.rows = rows;
        this.cols = cols;
        this.address = address;
    }

    @Override
    public int rows() {
        return rows;
    }

    @Override
    public int cols() {
        return cols;
    }

    /** The device address (CUdeviceptr). @throws IllegalStateException once closed */
    public long address() {
        if (address == 0) {
            throw new IllegalStateException("CUDA tensor " + shape() + " used after close");
        }
        return address;
    }

    CudaBackend owner() {
        return owner;
    }

    /** Bytes of device memory it holds (at least 4, so an empty tensor still has an address). */
    long byteSize() {
        return Math.max(1, size()) * Float.BYTES;
    }

    @Override
    public void close() {
        if (address != 0) {
            long a = address;
            address = 0;
            owner.free(this, a);
        }
    }

    @Override
    public String toString() {
        return "CudaTensor[" + shape() + "]";
    }
}
