package ger.method;

import ger.backend.Backend;
import ger.tensor.Matrix;
import ger.tensor.Tensor;

import java.lang.foreign.MemorySegment;
import java.util.HashMap;
import java.util.Map;

/**
 * An n x d matrix of per-sample rows (the calibration inputs, the activations, the targets) as the
 * methods go through it: resident on the device, or held in host memory and streamed through the
 * device a chunk at a time, so that a calibration set larger than device memory still runs
 * ({@link Options#streamRows}). Passes visit it chunk by chunk; what they accumulate (a Gram matrix,
 * AS's G = Yc^T Z) does not depend on where the rows live.
 */
public sealed interface Rows extends AutoCloseable {
    int rows();

    int cols();

    /** Rows per chunk of {@link #forEachChunk}. */
    int chunkRows();

    /** The backend whose device the chunks go through. */
    Backend backend();

    /** dst = rows [from, from + dst.rows()); dst is on the backend. */
    void read(int from, Tensor dst);

    /** Rows [from, from + src.rows()) = src. */
    void write(int from, Tensor src);

    /** dst(i, :) = row rows[i] (shuffled minibatches). */
    void gather(int[] rows, Tensor dst);

    /** A new n x cols matrix that lives where this one does. */
    Rows allocate(int cols);

    /**
     * Calls visitor with each chunk of consecutive rows, copied to the device: the visitor may
     * overwrite it, but the chunk is only valid during the call (neither close it nor keep it).
     */
    default void forEachChunk(ChunkVisitor visitor) {
        Backend b = backend();
        for (int from = 0; from < rows(); from += chunkRows()) {
            int count = Math.min(chunkRows(), rows() - from);
            try (Tensor chunk = b.allocate(count, cols())) {
                read(from, chunk);
                visitor.visit(from, chunk);
            }
        }
    }

    /**
     * A new matrix of the same rows and residency whose row i is f of row i: f writes the output of
     * each input block (rows x cols, which it must not change) into an output block (rows x outCols).
     * Resident rows go through as one block.
     */
    Rows map(int outCols, BlockMap f);

    /** sum of all elements squared, in double. */
    default double squaredNorm() {
        double[] sum = {0};
        forEachChunk((from, chunk) -> sum[0] += backend().squaredNorm(chunk));
        return sum[0];
    }

    @Override
    void close();

    interface ChunkVisitor {
        void visit(int from, Tensor chunk);
    }

    interface BlockMap {
        void apply(Tensor in, Tensor out);
    }

    /** relu of every element, as a new matrix. */
    default Rows relu() {
        return map(cols(), (in, out) -> DeviceOps.relu(backend(), in, out));
    }

    /** Rows on the device, as one tensor (owned: closing frees it); passes copy out chunks of {@code chunkRows}. */
    record OnDevice(Backend backend, Tensor tensor, int chunkRows) implements Rows {
        public int rows() {
            return tensor.rows();
        }

        public int cols() {
            return tensor.cols();
        }

        public void read(int from, Tensor dst) {
            backend.copyRows(tensor, from, dst, 0, dst.rows());
        }

        public void write(int from, Tensor src) {
            backend.copyRows(src, 0, tensor, from, src.rows());
        }

        public void gather(int[] rows, Tensor dst) {
            backend.gatherRows(tensor, rows, dst);
        }

        public Rows allocate(int cols) {
            return new OnDevice(backend, backend.allocate(rows(), cols), chunkRows);
        }

        public Rows map(int outCols, BlockMap f) {
            Tensor out = backend.allocate(rows(), outCols);
            try {
                f.apply(tensor, out);
            } catch (RuntimeException e) {
                out.close();
                throw e;
            }
            return new OnDevice(backend, out, chunkRows);
        }

        public void close() {
            tensor.close();
        }
    }

    /**
     * Rows in host memory, streamed through the device {@code chunkRows} at a time. A borrowed
     * matrix (the caller's calibration set) is not freed by close.
     */
    final class OnHost implements Rows {
        private final Backend b;
        private final Matrix host;
        private final boolean owned;
        private final int chunkRows;
        /** Host staging for gather, by row count (a training run uses two sizes). */
        private final Map<Integer, Matrix> staging = new HashMap<>();

        public OnHost(Backend b, Matrix host, boolean owned, int chunkRows) {
            if (chunkRows < 1) {
                throw new IllegalArgumentException("chunk rows must be >= 1, got " + chunkRows);
            }
            this.b = b;
            this.host = host;
            this.owned = owned;
            this.chunkRows = chunkRows;
        }

        public int rows() {
            return host.rows();
        }

        public int cols() {
            return host.cols();
        }

        public int chunkRows() {
            return chunkRows;
        }

        public Backend backend() {
            return b;
        }

        /** The host matrix (for tests and downloads). */
        Matrix host() {
            return host;
        }

        public void read(int from, Tensor dst) {
            b.uploadRows(host, from, dst, 0, dst.rows());
        }

        public void write(int from, Tensor src) {
            b.downloadRows(src, 0, host, from, src.rows());
        }

        public void gather(int[] rows, Tensor dst) {
            Matrix stage = staging.computeIfAbsent(rows.length, count -> Matrix.zeros(count, cols()));
            long rowBytes = (long) cols() * Float.BYTES;
            MemorySegment src = host.segment();
            MemorySegment dstSegment = stage.segment();
            for (int i = 0; i < rows.length; i++) {
                if (rows[i] < 0 || rows[i] >= rows()) {
                    throw new IllegalArgumentException("gather: row " + rows[i] + " outside 0.." + (rows() - 1));
                }
                MemorySegment.copy(src, rows[i] * rowBytes, dstSegment, i * rowBytes, rowBytes);
            }
            b.uploadRows(stage, 0, dst, 0, rows.length);
        }

        public Rows allocate(int cols) {
            return new OnHost(b, Matrix.zeros(rows(), cols), true, chunkRows);
        }

        public Rows map(int outCols, BlockMap f) {
            Rows out = allocate(outCols);
            try {
                forEachChunk((from, chunk) -> {
                    try (Tensor o = b.allocate(chunk.rows(), outCols)) {
                        f.apply(chunk, o);
                        out.write(from, o);
                    }
                });
            } catch (RuntimeException e) {
                out.close();
                throw e;
            }
            return out;
        }

        public void close() {
            staging.values().forEach(Matrix::close);
            if (owned) {
                host.close();
            }
        }
    }
}
