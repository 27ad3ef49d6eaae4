package ger.tensor;


import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A host float32 matrix, row-major, off-heap: element (i, j) sits at float index {@code i * cols + j}
 * of {@link #segment()}. Off-heap so that one buffer can go to CUDA or OpenCL without a copy. It is
 * also the java backend's {@link Tensor}.
 */
public final class Matrix implements Tensor {
    public static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private final int rows;
    private final int cols;
    private final Arena arena;
    private final MemorySegment data;

    private Matrix(int rows, int cols) {
        if (rows < 0 || cols < 0) {
            throw new IllegalArgumentException("negative matrix shape " + rows + " x " + cols);
        }
        this.rows = rows;
        this.cols = cols;
        this.arena = Arena.ofShared();
        this.data = arena.allocate(Math.max(1, (long) rows * cols) * Float.BYTES, 64);
    }

    /** A zero-filled rows x cols matrix. */
    public static Matrix zeros(int rows, int cols) {
        return new Matrix(rows, cols);
    }

    /** rows x cols from a row-major array of length rows * cols. */
    public static Matrix of(int rows, int cols, float[] values) {
        if ((long) rows * cols != values.length) {
            throw new IllegalArgumentException(
                    "shape " + rows + " x " + cols + " needs " + (long) rows * cols + " values, got " + values.length);
        }
        Matrix m = new Matrix(rows, cols);
        MemorySegment.copy(values, 0, m.data, FLOAT, 0, values.length);
        return m;
    }

    @Override
    public int rows() {
        return rows;
    }

    @Override
    public int cols() {
        return cols;
    }

    /** The raw row-major float32 data, rows * cols floats (at least 4 bytes even when empty). */
    public MemorySegment segment() {
        return data;
    }

    public long byteSize() {
        return (long) rows * cols * Float.BYTES;
    }

    public float get(int i, int j) {
        return data.getAtIndex(FLOAT, (long) i * cols + j);
    }

    public void set(int i, int j, float v) {
        data.setAtIndex(FLOAT, (long) i * cols + j, v);
    }

    public float getFlat(long index) {
        return data.getAtIndex(FLOAT, index);
    }

    public void setFlat(long index, float v) {
        data.setAtIndex(FLOAT, index, v);
    }

    public float[] toArray() {
        return data.asSlice(0, byteSize()).toArray(FLOAT);
    }

    public Matrix copy() {
        Matrix m = new Matrix(rows, cols);
        MemorySegment.copy(data, 0, m.data, 0, byteSize());
        return m;
    }

    /** Rows [from, from + count) as a new matrix. */
    public Matrix rowRange(int from, int count) {
        if (from < 0 || count < 0 || from + count > rows) {
            throw new IllegalArgumentException("rows [" + from + ", " + (from + count) + ") outside 0.." + rows);
        }
        Matrix m = new Matrix(count, cols);
        MemorySegment.copy(data, (long) from * cols * Float.BYTES, m.data, 0, m.byteSize());
        return m;
    }

    /** cols x rows. */
    public Matrix transpose() {
        Matrix t = new Matrix(cols, rows);
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                t.set(j, i, get(i, j));
            }
        }
        return t;
    }

    /** The index of the first NaN or infinite element, or -1. */
    public long firstNonFinite() {
        long n = size();
        for (long i = 0; i < n; i++) {
            if (!Float.isFinite(data.getAtIndex(FLOAT, i))) {
                return i;
            }
        }
        return -1;
    }

    @Override
    public String toString() {
        return "Matrix[" + shape() + "]";
    }

    @Override
    public void close() {
        arena.close();
    }
}
