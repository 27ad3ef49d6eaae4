package ger.method;

import ger.GerException;
import ger.backend.Backend;
import ger.model.CompressedLayer;
import ger.model.CompressedModel;
import ger.model.DenseLayer;
import ger.model.FcStack;
import ger.tensor.Matrix;
import ger.tensor.Tensor;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * The forward pass of an FC stack, original or compressed, on any backend: a_l = W_l h_{l-1} + b_l,
 * relu on every layer but the last. The layers are uploaded once (low-rank layers as their two
 * factors, every other stored form as its dense weight); rows go through in chunks so that the
 * activations of a large data set never sit on the device at once.
 */
public final class Forward implements AutoCloseable {
    /** Rows per chunk: bounds the intermediate activations to CHUNK_ROWS x the widest layer. */
    public static final int CHUNK_ROWS = 8192;

    private final Backend b;
    private final List<DeviceLayer> layers;

    private Forward(Backend b, List<DeviceLayer> layers) {
        this.b = b;
        this.layers = layers;
    }

    /** The original network, uploaded. */
    public static Forward of(Backend b, FcStack model) {
        List<DeviceLayer> layers = new ArrayList<>();
        try {
            for (DenseLayer layer : model.layers()) {
                layers.add(DeviceLayer.upload(b, layer));
            }
        } catch (RuntimeException e) {
            layers.forEach(DeviceLayer::close);
            throw e;
        }
        return new Forward(b, layers);
    }

    /** A compressed network, uploaded; its layers must chain. */
    public static Forward of(Backend b, CompressedModel model) {
        if (model.layers().isEmpty()) {
            throw new GerException("the compressed model has no layers");
        }
        List<DeviceLayer> layers = new ArrayList<>();
        try {
            for (CompressedLayer layer : model.layers()) {
                if (!layers.isEmpty() && layers.getLast().out() != layer.in()) {
                    throw new GerException("compressed layer " + layer.name() + " takes " + layer.in()
                            + " inputs but layer " + layers.getLast().name() + " gives " + layers.getLast().out());
                }
                layers.add(DeviceLayer.upload(b, layer));
            }
        } catch (RuntimeException e) {
            layers.forEach(DeviceLayer::close);
            throw e;
        }
        return new Forward(b, layers);
    }

    /** The original network's outputs: x n x in -> n x out (host). */
    public static Matrix forward(Backend b, FcStack model, Matrix x) {
        try (Forward f = of(b, model)) {
            return f.forward(x, CHUNK_ROWS);
        }
    }

    /** A compressed network's outputs: x n x in -> n x out (host). */
    public static Matrix forward(Backend b, CompressedModel model, Matrix x) {
        try (Forward f = of(b, model)) {
            return f.forward(x, CHUNK_ROWS);
        }
    }

    public int in() {
        return layers.getFirst().in();
    }

    public int out() {
        return layers.getLast().out();
    }

    /** Fails unless other has as many layers of the same shapes (a compressed form of this network). */
    public void requireSameShape(Forward other) {
        if (other.layers.size() != layers.size()) {
            throw new GerException("the compressed model has " + other.layers.size() + " layers, the original "
                    + layers.size());
        }
        for (int l = 0; l < layers.size(); l++) {
            DeviceLayer a = layers.get(l);
            DeviceLayer c = other.layers.get(l);
            if (a.in() != c.in() || a.out() != c.out()) {
                throw new GerException("compressed layer " + c.name() + " is " + c.out() + " x " + c.in()
                        + " but original layer " + a.name() + " is " + a.out() + " x " + a.in());
            }
        }
    }

    /** Fails unless x has this network's input width. */
    public void requireInput(Matrix x) {
        if (x.cols() != in()) {
            throw new GerException("the data has " + x.cols() + " columns but the model's first layer "
                    + layers.getFirst().name() + " takes " + in() + " inputs");
        }
    }

    /** x n x in on the host -> outputs n x out on the host, chunkRows rows at a time. */
    public Matrix forward(Matrix x, int chunkRows) {
        requireInput(x);
        Matrix out = Matrix.zeros(x.rows(), out());
        try {
            for (int from = 0; from < x.rows(); from += chunkRows) {
                int count = Math.min(chunkRows, x.rows() - from);
                try (Matrix hostChunk = x.rowRange(from, count);
                     Tensor chunk = b.upload(hostChunk);
                     Tensor y = outputs(chunk);
                     Matrix hostY = b.download(y)) {
                    MemorySegment.copy(hostY.segment(), 0, out.segment(),
                            (long) from * out.cols() * Float.BYTES, hostY.byteSize());
                }
            }
        } catch (RuntimeException e) {
            out.close();
            throw e;
        }
        return out;
    }

    /** One chunk through every layer: h rows x in -> a new rows x out tensor (the caller closes it). */
    public Tensor outputs(Tensor h) {
        return outputs(b, layers, h);
    }

    /** sum of (F(x) - target)^2 over all rows, chunk by chunk; x n x in, target n x out. */
    public static double squaredError(Backend b, List<DeviceLayer> layers, Rows x, Rows target) {
        double[] sum = {0};
        x.forEachChunk((from, chunk) -> {
            try (Tensor t = b.allocate(chunk.rows(), target.cols()); Tensor y = outputs(b, layers, chunk)) {
                target.read(from, t);
                sum[0] += b.squaredError(y, t);
            }
        });
        return sum[0];
    }

    private static Tensor outputs(Backend b, List<DeviceLayer> layers, Tensor h) {
        Tensor current = null;
        for (int l = 0; l < layers.size(); l++) {
            DeviceLayer layer = layers.get(l);
            Tensor input = current == null ? h : current;
            Tensor out = b.allocate(h.rows(), layer.out());
            try (Tensor qh = layer.rank() > 0 ? b.allocate(h.rows(), layer.rank()) : null) {
                layer.forward(b, input, l < layers.size() - 1, qh, out);
            } catch (RuntimeException e) {
                out.close();
                throw e;
            } finally {
                if (current != null) {
                    current.close();
                }
            }
            current = out;
        }
        return current;
    }

    @Override
    public void close() {
        layers.forEach(DeviceLayer::close);
    }
}
