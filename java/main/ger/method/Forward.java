package ger.method;

import ger.GerException;
import ger.backend.Backend;
import ger.backend.Tensor;
import ger.model.CompressedModel;
import ger.model.FcStack;
import ger.tensor.Matrix;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * The forward pass of an FC stack, original or compressed, on any backend: a_l = W_l h_{l-1} + b_l,
 * relu on every layer but the last. Rows go through in chunks of {@link #CHUNK_ROWS} so that the
 * activations of a large data set never sit on the device at once.
 */
public final class Forward {
    /** Rows per chunk: bounds the intermediate activations to CHUNK_ROWS x the widest layer. */
    static final int CHUNK_ROWS = 8192;

    private Forward() {
    }

    /** The original network's outputs: x n x in -> n x out (host). */
    public static Matrix forward(Backend b, FcStack model, Matrix x) {
        List<DeviceLayer> layers = new ArrayList<>();
        try {
            for (var layer : model.layers()) {
                layers.add(DeviceLayer.upload(b, layer));
            }
            return forwardHost(b, layers, x);
        } finally {
            layers.forEach(DeviceLayer::close);
        }
    }

    /** A compressed network's outputs: x n x in -> n x out (host). */
    public static Matrix forward(Backend b, CompressedModel model, Matrix x) {
        List<DeviceLayer> layers = new ArrayList<>();
        try {
            for (var layer : model.layers()) {
                layers.add(DeviceLayer.upload(b, layer));
            }
            return forwardHost(b, layers, x);
        } finally {
            layers.forEach(DeviceLayer::close);
        }
    }

    private static Matrix forwardHost(Backend b, List<DeviceLayer> layers, Matrix x) {
        if (x.cols() != layers.getFirst().in()) {
            throw new GerException("the input rows have " + x.cols() + " columns but the model's first layer "
                    + layers.getFirst().name() + " takes " + layers.getFirst().in());
        }
        Matrix out = Matrix.zeros(x.rows(), layers.getLast().out());
        for (int from = 0; from < x.rows(); from += CHUNK_ROWS) {
            int count = Math.min(CHUNK_ROWS, x.rows() - from);
            try (Matrix hostChunk = x.rowRange(from, count);
                 Tensor chunk = b.upload(hostChunk);
                 Tensor y = forwardChunk(b, layers, chunk);
                 Matrix hostY = b.download(y)) {
                MemorySegment.copy(hostY.segment(), 0, out.segment(),
                        (long) from * out.cols() * Float.BYTES, hostY.byteSize());
            }
        }
        return out;
    }

    /** sum of (F(x) - target)^2 over all rows; x n x in and target n x out on the device. */
    static double squaredError(Backend b, List<DeviceLayer> layers, Tensor x, Tensor target) {
        double[] sum = {0};
        forEachChunk(b, layers, x, (from, y) -> {
            try (Tensor t = b.allocate(y.rows(), y.cols())) {
                b.copyRows(target, from, t, 0, y.rows());
                sum[0] += b.squaredError(y, t);
            }
        });
        return sum[0];
    }

    private interface ChunkSink {
        void accept(int from, Tensor outputs);
    }

    private static void forEachChunk(Backend b, List<DeviceLayer> layers, Tensor x, ChunkSink sink) {
        for (int from = 0; from < x.rows(); from += CHUNK_ROWS) {
            int count = Math.min(CHUNK_ROWS, x.rows() - from);
            try (Tensor chunk = b.allocate(count, x.cols())) {
                b.copyRows(x, from, chunk, 0, count);
                try (Tensor y = forwardChunk(b, layers, chunk)) {
                    sink.accept(from, y);
                }
            }
        }
    }

    /** One chunk through every layer: h rows x in -> a new rows x out tensor. */
    private static Tensor forwardChunk(Backend b, List<DeviceLayer> layers, Tensor h) {
        Tensor current = null;
        for (int l = 0; l < layers.size(); l++) {
            DeviceLayer layer = layers.get(l);
            Tensor input = current == null ? h : current;
            Tensor out = b.allocate(h.rows(), layer.out());
            try (Tensor qh = layer.rank() > 0 ? b.allocate(h.rows(), layer.rank()) : null) {
                layer.forward(b, input, l < layers.size() - 1, qh, out);
            }
            if (current != null) {
                current.close();
            }
            current = out;
        }
        return current;
    }
}
