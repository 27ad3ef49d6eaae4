package ger.backend;

import ger.tensor.Tensor;

/**
 * What every device backend's tensor holds: its shape, the backend that allocated it and a handle to
 * its memory (a device address, a buffer object), released once on the first close. Only the owner
 * may use it ({@link #owned}); a closed tensor refuses to give its handle.
 *
 * @param <H> the handle's type
 */
public abstract class DeviceTensor<H> implements Tensor {
    private final Backend owner;
    private final int rows;
    private final int cols;
    private H handle;

    protected DeviceTensor(Backend owner, int rows, int cols, H handle) {
        this.owner = owner;
        this.rows = rows;
        this.cols = cols;
        this.handle = handle;
    }

    /** t as the given tensor type, provided that backend allocated it. */
    public static <T extends DeviceTensor<?>> T owned(Class<T> type, Backend backend, Tensor t) {
        if (type.isInstance(t) && ((DeviceTensor<?>) t).owner == backend) {
            return type.cast(t);
        }
        throw new IllegalArgumentException(backend.name() + " backend got a tensor it does not own: " + t);
    }

    @Override
    public final int rows() {
        return rows;
    }

    @Override
    public final int cols() {
        return cols;
    }

    /** The memory's handle. @throws IllegalStateException once closed */
    protected final H handle() {
        H h = handle;
        if (h == null) {
            throw new IllegalStateException(owner.name() + " tensor " + shape() + " used after close");
        }
        return h;
    }

    /** Gives the memory back to the owner; called once, by the first close. */
    protected abstract void release(H handle);

    @Override
    public final synchronized void close() {
        if (handle != null) {
            H h = handle;
            handle = null;
            release(h);
        }
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + shape() + "]";
    }
}
