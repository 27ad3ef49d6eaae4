package ger.method;

import ger.backend.Backend;
import ger.model.CompressedLayer;
import ger.model.DenseLayer;
import ger.tensor.Matrix;
import ger.tensor.Tensor;

/**
 * One FC layer's weights on a backend, in the form its forward pass needs: low-rank factors, or a
 * dense weight (original layers, and PQ / BIN layers rebuilt to their dense weight).
 */
public sealed interface DeviceLayer extends AutoCloseable {
    String name();

    int in();

    int out();

    /** 1 x out. */
    Tensor bias();

    /** The rank of a low-rank layer (the cols of its qh scratch), 0 for a dense one. */
    int rank();

    /**
     * out = h W^T + bias, then relu if asked; h n x in, out n x out; qh n x rank is the low-rank
     * layer's intermediate (kept for backward), null for a dense layer.
     */
    void forward(Backend b, Tensor h, boolean relu, Tensor qh, Tensor out);

    /** The layer on the host, as a {@link CompressedLayer} (for the result). */
    CompressedLayer download(Backend b);

    @Override
    void close();

    static DeviceLayer upload(Backend b, DenseLayer layer) {
        return new Dense(layer.name(), b.upload(layer.weight()), b.upload(layer.bias()));
    }

    static DeviceLayer upload(Backend b, CompressedLayer layer) {
        if (layer instanceof CompressedLayer.LowRank lr) {
            return new LowRank(lr.name(), b.upload(lr.p()), b.upload(lr.q()), b.upload(lr.bias()));
        }
        try (Matrix w = layer.denseWeight()) {
            return new Dense(layer.name(), b.upload(w), b.upload(layer.bias()));
        }
    }

    /** W ~ p q: p out x k, q k x in. */
    record LowRank(String name, Tensor p, Tensor q, Tensor bias) implements DeviceLayer {
        public int in() {
            return q.cols();
        }

        public int out() {
            return p.rows();
        }

        public int rank() {
            return p.cols();
        }

        public void forward(Backend b, Tensor h, boolean relu, Tensor qh, Tensor out) {
            b.lowRankForward(h, q, p, bias, relu, qh, out);
        }

        public CompressedLayer download(Backend b) {
            return new CompressedLayer.LowRank(name, b.download(p), b.download(q), b.download(bias));
        }

        public void close() {
            p.close();
            q.close();
            bias.close();
        }
    }

    /** weight out x in. */
    record Dense(String name, Tensor weight, Tensor bias) implements DeviceLayer {
        public int in() {
            return weight.cols();
        }

        public int out() {
            return weight.rows();
        }

        public int rank() {
            return 0;
        }

        public void forward(Backend b, Tensor h, boolean relu, Tensor qh, Tensor out) {
            b.gemm(false, true, 1f, h, weight, 0f, out);
            b.addBiasRelu(out, bias, relu);
        }

        public CompressedLayer download(Backend b) {
            return new CompressedLayer.Dense(name, b.download(weight), b.download(bias));
        }

        public void close() {
            weight.close();
            bias.close();
        }
    }
}
