package ger.backend.opencl;

import ger.backend.DeviceTensor;
import org.jocl.cl_mem;

import static org.jocl.CL.clReleaseMemObject;

/**
 * A float32 row-major rows x cols matrix in one OpenCL buffer of the backend that made it. Closing
 * releases the buffer (once); the backend releases whatever is still open when it closes.
 */
public final class OpenClTensor extends DeviceTensor<cl_mem> {
    private final OpenClBackend owner;

    OpenClTensor(OpenClBackend owner, int rows, int cols, cl_mem mem) {
        super(owner, rows, cols, mem);
        this.owner = owner;
    }

    /** The buffer. @throws IllegalStateException once closed */
    cl_mem mem() {
        return handle();
    }

    long byteSize() {
        return size() * Float.BYTES;
    }

    @Override
    protected void release(cl_mem mem) {
        owner.forget(this);
        Cl.run("clReleaseMemObject", () -> clReleaseMemObject(mem));
    }
}
