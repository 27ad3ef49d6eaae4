package ger.eval;

import ger.GerException;
import ger.backend.Backend;
import ger.backend.Tensor;
import ger.model.CompressedLayer;
import ger.model.CompressedModel;
import ger.model.DenseLayer;
import ger.model.FcStack;
import ger.tensor.Matrix;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The forward pass of an original or compressed FC stack on a backend, and its accuracy on labelled
 * data. Hidden layers are followed by a ReLU, the last is linear (the logits). Low-rank layers run as
 * their two thin factors ({@link Backend#lowRankForward}); every other stored form (dense, PQ, BIN)
 * runs as its rebuilt dense weight, uploaded once. Rows go through in chunks so that device memory
 * stays bounded whatever the data size.
 */
public final class Evaluator {
    /** Rows per chunk: 4096 x 4096 floats of activations is 64 MiB, small on any device. */
    static final int CHUNK_ROWS = 4096;

    private Evaluator() {
    }

    /** The logits of {@code model} for x (n x in): n x out. */
    public static Matrix forward(Backend b, FcStack model, Matrix x) {
        return forward(b, model, x, CHUNK_ROWS);
    }

    /** The logits of the compressed {@code model} for x (n x in): n x out. */
    public static Matrix forward(Backend b, CompressedModel model, Matrix x) {
        return forward(b, model, x, CHUNK_ROWS);
    }

    static Matrix forward(Backend b, FcStack model, Matrix x, int chunkRows) {
        try (Network net = Network.of(b, model)) {
            return net.forward(x, chunkRows);
        }
    }

    static Matrix forward(Backend b, CompressedModel model, Matrix x, int chunkRows) {
        try (Network net = Network.of(b, model)) {
            return net.forward(x, chunkRows);
        }
    }

    /**
     * Evaluates {@code compressed} (or {@code original} when compressed is null) on data (n x in):
     * the top-k error for each k in ks against labels (none when labels is null), and the relative
     * error of its logits against the original's (0 when compressed is null).
     */
    public static Evaluation evaluate(Backend b, FcStack original, CompressedModel compressed, Matrix data,
                                      int[] labels, int[] ks) {
        return evaluate(b, original, compressed, data, labels, ks, CHUNK_ROWS);
    }

    static Evaluation evaluate(Backend b, FcStack original, CompressedModel compressed, Matrix data, int[] labels,
                               int[] ks, int chunkRows) {
        int outputs = original.outputDim();
        if (data.rows() == 0) {
            throw new GerException("evaluation data has no rows");
        }
        if (labels != null) {
            if (labels.length != data.rows()) {
                throw new GerException(labels.length + " labels for " + data.rows() + " rows");
            }
            for (int i = 0; i < labels.length; i++) {
                if (labels[i] < 0 || labels[i] >= outputs) {
                    throw new GerException("label " + labels[i] + " of row " + i + " is outside 0.." + (outputs - 1)
                            + " (the model has " + outputs + " outputs)");
                }
            }
            for (int k : ks) {
                if (k < 1 || k > outputs) {
                    throw new GerException("top-" + k + " is outside 1.." + outputs + " (the model has " + outputs
                            + " outputs)");
                }
            }
        }
        int[] kept = labels == null ? new int[0] : ks.clone();
        long[] correct = new long[kept.length];
        double squaredError = 0;
        double squaredNorm = 0;
        try (Network originalNet = Network.of(b, original);
             Network compressedNet = compressed == null ? null : Network.of(b, compressed)) {
            if (compressedNet != null) {
                originalNet.requireSameShape(compressedNet);
            }
            originalNet.requireInput(data);
            boolean needed = compressedNet != null || labels != null;
            for (int from = 0; needed && from < data.rows(); from += chunkRows) {
                int count = Math.min(chunkRows, data.rows() - from);
                try (Matrix hostChunk = data.rowRange(from, count);
                     Tensor chunk = b.upload(hostChunk);
                     Tensor reference = originalNet.logits(chunk);
                     Tensor logits = compressedNet == null ? null : compressedNet.logits(chunk)) {
                    if (logits != null) {
                        squaredError += b.squaredError(logits, reference);
                        squaredNorm += b.squaredNorm(reference);
                    }
                    if (labels != null) {
                        long[] c = b.topkCorrect(logits == null ? reference : logits,
                                Arrays.copyOfRange(labels, from, from + count), kept);
                        for (int q = 0; q < c.length; q++) {
                            correct[q] += c[q];
                        }
                    }
                }
            }
        }
        double[] topkError = new double[kept.length];
        for (int q = 0; q < kept.length; q++) {
            topkError[q] = 1.0 - (double) correct[q] / data.rows();
        }
        double relError = squaredError == 0 ? 0 : Math.sqrt(squaredError / squaredNorm);
        return new Evaluation(kept, topkError, relError);
    }

    // ---------------------------------------------------------------- the network on the backend

    /**
     * One layer's parameters on the backend: a dense weight (out x in), or low-rank factors
     * p (out x k) and q (k x in) with weight null; bias 1 x out.
     */
    private record DeviceLayer(String name, int in, int out, Tensor weight, Tensor p, Tensor q, Tensor bias)
            implements AutoCloseable {
        @Override
        public void close() {
            for (Tensor t : new Tensor[] {weight, p, q, bias}) {
                if (t != null) {
                    t.close();
                }
            }
        }
    }

    /** A stack's layers uploaded once, run chunk by chunk. */
    private static final class Network implements AutoCloseable {
        private final Backend b;
        private final List<DeviceLayer> layers = new ArrayList<>();

        private Network(Backend b) {
            this.b = b;
        }

        static Network of(Backend b, FcStack model) {
            Network net = new Network(b);
            try {
                for (DenseLayer layer : model.layers()) {
                    Tensor w = b.upload(layer.weight());
                    net.layers.add(new DeviceLayer(layer.name(), layer.in(), layer.out(), w, null, null,
                            uploadOrClose(b, layer.bias(), w)));
                }
                return net;
            } catch (RuntimeException e) {
                net.close();
                throw e;
            }
        }

        static Network of(Backend b, CompressedModel model) {
            if (model.layers().isEmpty()) {
                throw new GerException("the compressed model has no layers");
            }
            Network net = new Network(b);
            try {
                for (CompressedLayer layer : model.layers()) {
                    if (!net.layers.isEmpty() && net.layers.getLast().out() != layer.in()) {
                        throw new GerException("compressed layer " + layer.name() + " takes " + layer.in()
                                + " inputs but layer " + net.layers.getLast().name() + " gives " + net.layers.getLast().out());
                    }
                    net.layers.add(upload(b, layer));
                }
                return net;
            } catch (RuntimeException e) {
                net.close();
                throw e;
            }
        }

        private static DeviceLayer upload(Backend b, CompressedLayer layer) {
            if (layer instanceof CompressedLayer.LowRank lr) {
                Tensor p = b.upload(lr.p());
                Tensor q = uploadOrClose(b, lr.q(), p);
                Tensor bias = uploadOrClose(b, lr.bias(), p, q);
                return new DeviceLayer(layer.name(), layer.in(), layer.out(), null, p, q, bias);
            }
            Tensor w;
            try (Matrix dense = layer.denseWeight()) {
                w = b.upload(dense);
            }
            return new DeviceLayer(layer.name(), layer.in(), layer.out(), w, null, null,
                    uploadOrClose(b, layer.bias(), w));
        }

        /** Uploads host, closing the already uploaded tensors if that fails. */
        private static Tensor uploadOrClose(Backend b, Matrix host, Tensor... uploaded) {
            try {
                return b.upload(host);
            } catch (RuntimeException e) {
                for (Tensor t : uploaded) {
                    t.close();
                }
                throw e;
            }
        }

        void requireInput(Matrix x) {
            int in = layers.getFirst().in();
            if (x.cols() != in) {
                throw new GerException("the data has " + x.cols() + " columns but the model takes " + in + " inputs");
            }
        }

        void requireSameShape(Network other) {
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

        /** x n x in on the host -> logits n x out on the host. */
        Matrix forward(Matrix x, int chunkRows) {
            requireInput(x);
            Matrix result = Matrix.zeros(x.rows(), layers.getLast().out());
            long rowBytes = (long) result.cols() * Float.BYTES;
            try {
                for (int from = 0; from < x.rows(); from += chunkRows) {
                    int count = Math.min(chunkRows, x.rows() - from);
                    try (Matrix hostChunk = x.rowRange(from, count);
                         Tensor chunk = b.upload(hostChunk);
                         Tensor logits = logits(chunk);
                         Matrix hostLogits = b.download(logits)) {
                        MemorySegment.copy(hostLogits.segment(), 0, result.segment(), from * rowBytes, count * rowBytes);
                    }
                }
            } catch (RuntimeException e) {
                result.close();
                throw e;
            }
            return result;
        }

        /** x: rows x in on the backend -> a new rows x out tensor of logits (the caller closes it). */
        Tensor logits(Tensor x) {
            Tensor h = x;
            for (int l = 0; l < layers.size(); l++) {
                DeviceLayer layer = layers.get(l);
                boolean relu = l < layers.size() - 1;
                Tensor out = b.allocate(x.rows(), layer.out());
                try {
                    if (layer.weight() == null) {
                        try (Tensor qh = b.allocate(x.rows(), layer.q().rows())) {
                            b.lowRankForward(h, layer.q(), layer.p(), layer.bias(), relu, qh, out);
                        }
                    } else {
                        b.gemm(false, true, 1f, h, layer.weight(), 0f, out);
                        b.addBiasRelu(out, layer.bias(), relu);
                    }
                } catch (RuntimeException e) {
                    out.close();
                    throw e;
                } finally {
                    if (h != x) {
                        h.close();
                    }
                }
                h = out;
            }
            return h;
        }

        @Override
        public void close() {
            layers.forEach(DeviceLayer::close);
        }
    }
}
