package ger.train;

import ger.GerException;
import ger.backend.Backend;
import ger.model.DenseLayer;
import ger.model.FcStack;
import ger.method.Progress;
import ger.tensor.Matrix;
import ger.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Trains an MLP (ReLU hidden layers, linear last layer, named fc0, fc1, ...) to classify: softmax
 * cross-entropy, SGD with momentum and weight decay, a step learning-rate schedule
 * ({@link TrainOptions}). It makes the models the methods compress when no pretrained one is at hand.
 *
 * <p>Everything runs on the backend except the softmax and its gradient on the batch x classes
 * logits, which is small enough to do on the host: the Backend needs no softmax op for this alone.
 */
public final class Trainer {
    private Trainer() {
    }

    /**
     * Trains a dims[0] - dims[1] - ... - dims[m] MLP on x (n x dims[0]) with labels in 0..dims[m]-1.
     * Reports each epoch's mean loss and training accuracy through {@code progress}.
     *
     * @throws GerException on bad shapes or labels, or when the loss becomes NaN or infinite
     */
    public static FcStack train(Backend b, int[] dims, Matrix x, int[] labels, TrainOptions o, Progress progress) {
        validate(dims, x, labels);
        int n = x.rows();
        Random random = new Random(o.seed());
        int[] order = new int[n];
        Arrays.setAll(order, i -> i);
        progress.start("train", o.epochs());
        try (Net net = new Net(b, dims, random);
             Tensor data = b.upload(x);
             Workspace full = new Workspace(b, dims, Math.min(o.batch(), n));
             Workspace tail = n % o.batch() == 0 || n < o.batch() ? null : new Workspace(b, dims, n % o.batch())) {
            for (int epoch = 0; epoch < o.epochs(); epoch++) {
                float lr = (float) o.lrAt(epoch);
                shuffle(order, random);
                double lossSum = 0;
                long correct = 0;
                for (int from = 0; from < n; from += o.batch()) {
                    int count = Math.min(o.batch(), n - from);
                    Workspace ws = count == full.rows ? full : tail;
                    int[] rows = Arrays.copyOfRange(order, from, from + count);
                    int[] batchLabels = new int[count];
                    for (int i = 0; i < count; i++) {
                        batchLabels[i] = labels[rows[i]];
                    }
                    b.gatherRows(data, rows, ws.input);
                    Step step = net.lossAndGradients(ws, batchLabels);
                    if (!Double.isFinite(step.loss())) {
                        throw new GerException("training diverged in epoch " + (epoch + 1) + ": the loss is "
                                + step.loss() + " at learning rate " + lr + "; try a smaller --lr");
                    }
                    net.update(lr, (float) o.momentum(), (float) o.weightDecay());
                    lossSum += step.loss() * count;
                    correct += step.correct();
                }
                progress.advance(String.format("epoch %d/%d  loss %.4f  train acc %.2f%%  lr %.3g",
                        epoch + 1, o.epochs(), lossSum / n, 100.0 * correct / n, lr));
            }
            return net.toModel();
        } finally {
            progress.done();
        }
    }

    private static void validate(int[] dims, Matrix x, int[] labels) {
        if (dims.length < 2) {
            throw new GerException("an MLP needs at least an input and an output size, got " + Arrays.toString(dims));
        }
        for (int d : dims) {
            if (d < 1) {
                throw new GerException("layer sizes must be >= 1, got " + Arrays.toString(dims));
            }
        }
        if (x.cols() != dims[0]) {
            throw new GerException("the data has " + x.cols() + " columns but the MLP takes " + dims[0] + " inputs");
        }
        if (x.rows() == 0) {
            throw new GerException("the training data has no rows");
        }
        if (labels.length != x.rows()) {
            throw new GerException(labels.length + " labels for " + x.rows() + " rows");
        }
        int classes = dims[dims.length - 1];
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] >= classes) {
                throw new GerException("label " + labels[i] + " of row " + i + " is outside 0.." + (classes - 1));
            }
        }
        if (x.firstNonFinite() >= 0) {
            throw new GerException("the training data has a NaN or infinite value at flat index " + x.firstNonFinite());
        }
    }

    /** Fisher-Yates. */
    private static void shuffle(int[] a, Random random) {
        for (int i = a.length - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }

    /** One minibatch: its mean cross-entropy and how many rows the logits classify right. */
    record Step(double loss, int correct) {
    }

    // ---------------------------------------------------------------- the network and its buffers

    /**
     * The parameters, gradients and momentum buffers of an MLP on the backend: layer l has weight
     * w[l] (dims[l+1] x dims[l]) and bias[l] (1 x dims[l+1]).
     */
    static final class Net implements AutoCloseable {
        final Backend b;
        final int[] dims;
        final Tensor[] w;
        final Tensor[] bias;
        final Tensor[] dw;
        final Tensor[] dbias;
        private final Tensor[] vw;
        private final Tensor[] vbias;
        private final List<Tensor> owned = new ArrayList<>();

        /** PyTorch nn.Linear's initialisation: weight and bias U(-1/sqrt(in), 1/sqrt(in)), drawn from random. */
        Net(Backend b, int[] dims, Random random) {
            this.b = b;
            this.dims = dims.clone();
            int m = dims.length - 1;
            w = new Tensor[m];
            bias = new Tensor[m];
            dw = new Tensor[m];
            dbias = new Tensor[m];
            vw = new Tensor[m];
            vbias = new Tensor[m];
            try {
                for (int l = 0; l < m; l++) {
                    double bound = 1 / Math.sqrt(dims[l]);
                    w[l] = own(uniform(dims[l + 1], dims[l], bound, random));
                    bias[l] = own(uniform(1, dims[l + 1], bound, random));
                    dw[l] = own(b.allocate(dims[l + 1], dims[l]));
                    dbias[l] = own(b.allocate(1, dims[l + 1]));
                    vw[l] = own(b.allocate(dims[l + 1], dims[l]));
                    vbias[l] = own(b.allocate(1, dims[l + 1]));
                    b.fill(vw[l], 0f);
                    b.fill(vbias[l], 0f);
                }
            } catch (RuntimeException e) {
                close();
                throw e;
            }
        }

        private Tensor own(Tensor t) {
            owned.add(t);
            return t;
        }

        private Tensor uniform(int rows, int cols, double bound, Random random) {
            float[] v = new float[rows * cols];
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) ((2 * random.nextDouble() - 1) * bound);
            }
            try (Matrix host = Matrix.of(rows, cols, v)) {
                return b.upload(host);
            }
        }

        int depth() {
            return w.length;
        }

        /**
         * Forward and backward of the batch in ws.input (rows x dims[0]): fills dw and dbias with the
         * gradients of the mean cross-entropy against labels, and returns it.
         */
        Step lossAndGradients(Workspace ws, int[] labels) {
            int m = depth();
            Tensor h = ws.input;
            for (int l = 0; l < m; l++) {
                b.gemm(false, true, 1f, h, w[l], 0f, ws.act[l]);
                b.addBiasRelu(ws.act[l], bias[l], l < m - 1);
                h = ws.act[l];
            }
            b.download(ws.act[m - 1], ws.hostLogits);
            Step step = softmaxCrossEntropy(ws.hostLogits, labels, ws.hostDelta);
            // The logits are on the host now: their tensor takes the top delta.
            Tensor delta = ws.act[m - 1];
            b.uploadRows(ws.hostDelta, 0, delta, 0, ws.rows);
            for (int l = m - 1; l >= 0; l--) {
                Tensor below = l == 0 ? ws.input : ws.act[l - 1];
                b.gemm(true, false, 1f, delta, below, 0f, dw[l]); // dW = delta^T h: out x in
                b.columnSums(delta, dbias[l]);
                if (l > 0) {
                    b.gemm(false, false, 1f, delta, w[l], 0f, ws.delta[l - 1]); // dh = delta W: rows x in
                    b.reluBackward(ws.delta[l - 1], ws.act[l - 1]);
                    delta = ws.delta[l - 1];
                }
            }
            return step;
        }

        /** One SGD step with the gradients of {@link #lossAndGradients}; biases are not decayed. */
        void update(float lr, float momentum, float weightDecay) {
            for (int l = 0; l < depth(); l++) {
                b.sgdUpdate(w[l], dw[l], vw[l], lr, momentum, weightDecay);
                b.sgdUpdate(bias[l], dbias[l], vbias[l], lr, momentum, 0f);
            }
        }

        FcStack toModel() {
            List<DenseLayer> layers = new ArrayList<>();
            for (int l = 0; l < depth(); l++) {
                layers.add(new DenseLayer("fc" + l, b.download(w[l]), b.download(bias[l])));
            }
            return new FcStack(layers);
        }

        @Override
        public void close() {
            owned.forEach(Tensor::close);
        }
    }

    /**
     * Host softmax cross-entropy of logits (rows x classes): delta = (softmax - onehot) / rows, the
     * gradient of the mean loss. Log-sum-exp in double, so large logits do not overflow.
     */
    static Step softmaxCrossEntropy(Matrix logits, int[] labels, Matrix delta) {
        int rows = logits.rows();
        int classes = logits.cols();
        double loss = 0;
        int correct = 0;
        double[] e = new double[classes];
        for (int i = 0; i < rows; i++) {
            int best = 0;
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < classes; j++) {
                double v = logits.get(i, j);
                if (v > max || j == 0) {
                    max = v;
                    best = j;
                }
            }
            double sum = 0;
            for (int j = 0; j < classes; j++) {
                e[j] = Math.exp(logits.get(i, j) - max);
                sum += e[j];
            }
            int y = labels[i];
            loss += Math.log(sum) - (logits.get(i, y) - max);
            if (best == y) {
                correct++;
            }
            for (int j = 0; j < classes; j++) {
                delta.set(i, j, (float) ((e[j] / sum - (j == y ? 1 : 0)) / rows));
            }
        }
        return new Step(loss / rows, correct);
    }

    /** The activations and back-propagated deltas of one batch size. */
    static final class Workspace implements AutoCloseable {
        final int rows;
        /** rows x dims[0]: the batch. */
        final Tensor input;
        /** act[l]: layer l's output (after its ReLU), rows x dims[l+1]. */
        final Tensor[] act;
        /** delta[l]: dL/d(pre-activation of hidden layer l), rows x dims[l+1] (the top one goes in act[m - 1]). */
        final Tensor[] delta;
        final Matrix hostLogits;
        final Matrix hostDelta;
        private final List<Tensor> owned = new ArrayList<>();

        Workspace(Backend b, int[] dims, int rows) {
            this.rows = rows;
            int m = dims.length - 1;
            act = new Tensor[m];
            delta = new Tensor[m - 1];
            hostLogits = Matrix.zeros(rows, dims[m]);
            hostDelta = Matrix.zeros(rows, dims[m]);
            owned.add(hostLogits);
            owned.add(hostDelta);
            try {
                input = b.allocate(rows, dims[0]);
                owned.add(input);
                for (int l = 0; l < m; l++) {
                    act[l] = b.allocate(rows, dims[l + 1]);
                    owned.add(act[l]);
                    if (l < m - 1) {
                        delta[l] = b.allocate(rows, dims[l + 1]);
                        owned.add(delta[l]);
                    }
                }
            } catch (RuntimeException e) {
                close();
                throw e;
            }
        }

        @Override
        public void close() {
            owned.forEach(Tensor::close);
        }
    }
}
