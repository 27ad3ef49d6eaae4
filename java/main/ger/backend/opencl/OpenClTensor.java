package ger.backend.opencl;

import ger.backend.Tensor;
import org.jocl.cl_mem;

import static org.jocl.CL.clReleaseMemObject;

/**
 * A float32 row-major rows x cols matrix in one OpenCL buffer of the backend that made it. Closing
 * releases the buffer (once); the backend releases whatever is still open when it closes.
 */
public final class OpenClTensor implements Tensor {
    private final OpenClBackend owner;
    private final int rows;
    private final int cols;
    private cl_mem mem;

    OpenClTensor(OpenClBackend owner, int rows, int cols, cl_mem mem) {
        this.owner = owner;
        this.rows = rows;
        this.cols = cols;
        this.mem = mem;
    }

    @Override
    public int rows() {
        return rows;
    }

    @Override
    public int cols() {
        return cols;
    }

    OpenClBackend owner() {
        return owner;
    }

    /** The buffer; fails on a closed tensor. */
    cl_mem mem() {
        if (mem == null) {
            throw new IllegalStateException("OpenCL tensor " + shape() + " used after close");
        }
        return mem;
    }

    long byteSize() {
        return size() * Float.BYTES;
    }

    @Override
    public synchronized void close() {
        if (mem != null) {
            cl_mem m = mem;
            mem = null;
            owner.forget(this);
            Cl.run("clReleaseMemObject", () -> clReleaseMemObject(m));
        }
    }

    @Override
    public String toString() {
        return "OpenClTensor[" + shape() + "]";
    }
}
