package ger.method;

import ger.backend.Backend;
import ger.backend.Eigen;
import ger.backend.Tensor;
import ger.model.CompressedLayer;
import ger.tensor.Matrix;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * GER's global stage (docs/method.md, "The global stage"): every low-rank layer's P, Q, b refined
 * jointly by minibatch SGD on the normalised output error
 * L = (1/n) sum_i ||Fhat(x_i) - F(x_i)||^2 / N_out + beta sum_{hidden l} (1/n) sum_i ||h_l - relu(A_l)||^2 / N_l,
 * N = the mean squared norm of the original's rows, so L starts near the squared relative error.
 * Weight decay on P and Q is applied as weightDecay / N_out, its weight beside the unnormalised loss.
 * Dense layers stay fixed. Before SGD each factor pair is balanced (P = U S^(1/2), Q = S^(1/2) V^T
 * of the SVD of P Q). A divergence guard restores the last good epoch and halves the rate; the
 * result never has a larger output error than its initialisation.
 */
final class GlobalStage implements AutoCloseable {
    /** An epoch whose loss exceeds this factor x the initial loss counts as diverged. */
    static final double DIVERGENCE_FACTOR = 2.0;
    /** An absolute floor on that threshold, so an exact initialisation (loss 0) does not flag float noise. */
    static final double DIVERGENCE_FLOOR = 1e-9;
    /** Halvings of the rate before the guard gives up and keeps the last good state. */
    static final int MAX_HALVINGS = 8;

    /** What the stage produced: the layers, the loss after each epoch, the rate the guard settled on. */
    record Result(List<CompressedLayer> layers, List<Double> epochLoss, double settledLr, List<String> notes) {
    }

    /** A low-rank layer's parameters with their gradients and momentum. */
    record Trainable(DeviceLayer.LowRank layer, Tensor dp, Tensor dq, Tensor db, Tensor vp, Tensor vq, Tensor vb) {
        List<Tensor> state() {
            return List.of(layer.p(), layer.q(), layer.bias(), vp, vq, vb);
        }

        void close() {
            layer.close();
            List.of(dp, dq, db, vp, vq, vb).forEach(Tensor::close);
        }
    }

    private final Backend b;
    private final Options options;
    private final Progress progress;
    private final Rows x;
    private final Rows target;
    private final List<DeviceLayer> layers = new ArrayList<>();
    /** Per layer: its parameters, or null for a fixed dense layer. */
    private final List<Trainable> trainables = new ArrayList<>();
    /** relu(A_l) of each hidden layer, only when beta > 0. */
    private final List<Rows> hiddenTargets = new ArrayList<>();
    private final double outNorm;
    private final double[] hiddenNorm;
    /** The lowest low-rank layer: backward stops there. */
    private final int lowest;
    private final int batch;
    private final Map<Integer, Buffers> buffers = new HashMap<>();

    /**
     * @param init           the initial layers (low-rank ones are trained, the rest stay fixed)
     * @param x              the calibration rows, n x d_0 (on the device or streamed from the host)
     * @param target         the original outputs F(x), n x d_m
     * @param preActivations the original hidden pre-activations A_l, l < m - 1 (used when beta > 0)
     */
    GlobalStage(Backend b, List<CompressedLayer> init, Rows x, Rows target, List<Rows> preActivations,
                Options options, Progress progress) {
        this.b = b;
        this.options = options;
        this.progress = progress;
        this.x = x;
        this.target = target;
        int lowestTrainable = -1;
        for (int l = 0; l < init.size(); l++) {
            if (init.get(l) instanceof CompressedLayer.LowRank lr) {
                DeviceLayer.LowRank layer;
                try (Backend.Range r = b.range("balance " + lr.name())) {
                    layer = balanced(b, lr);
                }
                layers.add(layer);
                trainables.add(new Trainable(layer, zeros(layer.p()), zeros(layer.q()), zeros(layer.bias()),
                        zeros(layer.p()), zeros(layer.q()), zeros(layer.bias())));
                lowestTrainable = lowestTrainable < 0 ? l : lowestTrainable;
            } else {
                layers.add(DeviceLayer.upload(b, init.get(l)));
                trainables.add(null);
            }
        }
        if (lowestTrainable < 0) {
            throw new IllegalArgumentException("the global stage needs at least one low-rank layer");
        }
        this.lowest = lowestTrainable;
        int n = x.rows();
        this.outNorm = positive(target.squaredNorm() / n);
        this.hiddenNorm = new double[init.size() - 1];
        if (options.beta() > 0) {
            for (int l = 0; l < init.size() - 1; l++) {
                Rows t = preActivations.get(l).relu();
                hiddenTargets.add(t);
                hiddenNorm[l] = positive(t.squaredNorm() / n);
            }
        }
        this.batch = Math.min(options.batch(), n);
    }

    private static double positive(double norm) {
        return norm > 0 ? norm : 1.0;
    }

    /** Ridge on P^T P in balancing, relative to its mean diagonal: keeps a rank-deficient P factorable. */
    private static final double BALANCE_RIDGE = 1e-6;
    /** Floor on the singular values in balancing, relative to the largest. */
    private static final double BALANCE_FLOOR = 1e-6;

    private Tensor zeros(Tensor like) {
        return DeviceOps.zeros(b, like.rows(), like.cols());
    }

    /**
     * The same product P Q with the scale split evenly: P = U S^(1/2), Q = S^(1/2) V^T for the SVD
     * P Q = U S V^T, found from k x k problems only (the dense out x in product is never formed):
     * with P^T P = L L^T, P L^-T has orthonormal columns and P Q = (P L^-T)(L^T Q); the eigenvectors W
     * and values S^2 of (L^T Q)(L^T Q)^T give L^T Q = W S V^T, hence P' = P L^-T W S^(1/2) and
     * Q' = S^(-1/2) W^T L^T Q. P' Q' = P Q for any invertible L and any positive S, so the tiny ridge
     * on P^T P (rank-deficient P) and the floor on S (rank-deficient Q) cost balance, not the product.
     */
    static DeviceLayer.LowRank balanced(Backend b, CompressedLayer.LowRank layer) {
        int k = layer.p().cols();
        try (Tensor p = b.upload(layer.p()); Tensor q = b.upload(layer.q());
             Tensor l = b.allocate(k, k); Tensor lq = b.allocate(k, layer.in()); Tensor m = b.allocate(k, k)) {
            b.gram(p, 0f, l);
            b.addDiagonal(l, (float) (BALANCE_RIDGE * Math.max(b.trace(l) / k, Float.MIN_NORMAL)));
            b.cholesky(l);
            b.gemm(true, false, 1f, l, q, 0f, lq);
            b.gemm(false, true, 1f, lq, lq, 0f, m);
            double[] root;
            Matrix w;
            try (Eigen e = b.symmetricEigenTopK(m, k)) {
                root = new double[k];
                double floor = BALANCE_FLOOR * Math.sqrt(Math.max(e.values()[0], 0));
                for (int i = 0; i < k; i++) {
                    root[i] = Math.sqrt(Math.max(Math.sqrt(Math.max(e.values()[i], 0)), floor));
                }
                w = b.download(e.vectors());
            }
            double[] inverseRoot = Arrays.stream(root).map(r -> 1 / r).toArray();
            try (w; Matrix wUp = DeviceOps.scaleColumns(w, root); Matrix wDown = DeviceOps.scaleColumns(w, inverseRoot);
                 Tensor x = b.upload(wUp); Tensor y = b.upload(wDown)) {
                b.triangularSolve(l, true, x); // L^-T W S^(1/2)
                Tensor newP = b.allocate(layer.out(), k);
                Tensor newQ = b.allocate(k, layer.in());
                b.gemm(false, false, 1f, p, x, 0f, newP);
                b.gemm(true, false, 1f, y, lq, 0f, newQ);
                return new DeviceLayer.LowRank(layer.name(), newP, newQ, b.upload(layer.bias()));
            }
        }
    }

    /** Trainable of layer l, or null for a fixed layer (for tests). */
    Trainable trainable(int l) {
        return trainables.get(l);
    }

    /** Per-batch activations, gradients and gathered rows. */
    private final class Buffers implements AutoCloseable {
        final Tensor xb;
        final Tensor tb;
        final Tensor[] h;
        final Tensor[] qh;
        final Tensor[] gp;
        final Tensor[] delta;
        final Tensor[] hiddenTb;
        final Tensor[] hiddenGrad;

        Buffers(int rows) {
            int m = layers.size();
            xb = b.allocate(rows, x.cols());
            tb = b.allocate(rows, target.cols());
            h = new Tensor[m];
            qh = new Tensor[m];
            gp = new Tensor[m];
            delta = new Tensor[m];
            hiddenTb = new Tensor[hiddenTargets.size()];
            hiddenGrad = new Tensor[hiddenTargets.size()];
            for (int l = 0; l < m; l++) {
                DeviceLayer layer = layers.get(l);
                h[l] = b.allocate(rows, layer.out());
                delta[l] = b.allocate(rows, layer.out());
                if (layer.rank() > 0) {
                    qh[l] = b.allocate(rows, layer.rank());
                    gp[l] = b.allocate(rows, layer.rank());
                }
            }
            for (int l = 0; l < hiddenTargets.size(); l++) {
                hiddenTb[l] = b.allocate(rows, hiddenTargets.get(l).cols());
                hiddenGrad[l] = b.allocate(rows, hiddenTargets.get(l).cols());
            }
        }

        @Override
        public void close() {
            for (Tensor[] ts : List.of(new Tensor[] {xb, tb}, h, qh, gp, delta, hiddenTb, hiddenGrad)) {
                for (Tensor t : ts) {
                    if (t != null) {
                        t.close();
                    }
                }
            }
        }
    }

    private Buffers buffers(int rows) {
        return buffers.computeIfAbsent(rows, Buffers::new);
    }

    /**
     * The summed squared errors of the output and of each hidden layer (beta > 0), kept on the
     * device while the batches add to them, so that an epoch never waits on a batch's loss.
     */
    private final class Losses implements AutoCloseable {
        final Backend.Sum output = b.newSum();
        final Backend.Sum[] hidden = new Backend.Sum[hiddenTargets.size()];

        Losses() {
            for (int l = 0; l < hidden.length; l++) {
                hidden[l] = b.newSum();
            }
        }

        /** The summed normalised loss of the rows so far (waits for the device). */
        double read() {
            double loss = output.read() / outNorm;
            for (int l = 0; l < hidden.length; l++) {
                loss += options.beta() * hidden[l].read() / hiddenNorm[l];
            }
            return loss;
        }

        @Override
        public void close() {
            output.close();
            for (Backend.Sum h : hidden) {
                h.close();
            }
        }
    }

    /**
     * Forward over the given rows: fills the activations and the output (and hidden) error gradients
     * scaled for the batch mean, and adds the batch's squared errors to losses.
     */
    private void forward(Buffers buf, int[] rows, Losses losses) {
        int m = layers.size();
        x.gather(rows, buf.xb);
        target.gather(rows, buf.tb);
        for (int l = 0; l < m; l++) {
            layers.get(l).forward(b, l == 0 ? buf.xb : buf.h[l - 1], l < m - 1, buf.qh[l], buf.h[l]);
        }
        int n = rows.length;
        b.errorGradient(buf.h[m - 1], buf.tb, (float) (2.0 / (n * outNorm)), buf.delta[m - 1], losses.output);
        double beta = options.beta();
        for (int l = 0; l < hiddenTargets.size(); l++) {
            hiddenTargets.get(l).gather(rows, buf.hiddenTb[l]);
            double scale = 2.0 * beta / (n * hiddenNorm[l]);
            b.errorGradient(buf.h[l], buf.hiddenTb[l], (float) scale, buf.hiddenGrad[l], losses.hidden[l]);
        }
    }

    /** Backward from the output gradient down to the lowest low-rank layer: fills dP, dQ, db. */
    private void backward(Buffers buf) {
        for (int l = layers.size() - 1; l >= lowest; l--) {
            Tensor input = l == 0 ? buf.xb : buf.h[l - 1];
            Tensor dh = l > lowest ? buf.delta[l - 1] : null;
            Trainable t = trainables.get(l);
            if (t != null) {
                DeviceLayer.LowRank lr = t.layer();
                b.lowRankBackward(input, lr.q(), lr.p(), buf.qh[l], buf.delta[l], buf.gp[l], t.dq(), t.dp(), t.db(), dh);
            } else if (dh != null) {
                b.gemm(false, false, 1f, buf.delta[l], ((DeviceLayer.Dense) layers.get(l)).weight(), 0f, dh);
            }
            if (dh != null) {
                if (!hiddenTargets.isEmpty()) {
                    b.axpy(1f, buf.hiddenGrad[l - 1], dh);
                }
                b.reluBackward(dh, buf.h[l - 1]);
            }
        }
    }

    /** The batch's summed normalised loss, with every trainable gradient filled (for tests). */
    double lossAndGradients(int[] rows) {
        try (Losses losses = new Losses()) {
            lossAndGradients(rows, losses);
            return losses.read();
        }
    }

    /** Fills every trainable gradient for the batch and adds its losses. */
    private void lossAndGradients(int[] rows, Losses losses) {
        Buffers buf = buffers(rows.length);
        forward(buf, rows, losses);
        backward(buf);
    }

    private void update(float lr) {
        float momentum = (float) options.momentum();
        // The paper's decay acts beside its unnormalised loss; on ours, divided by N_out, it keeps that
        // balance. Undivided it outweighs a small output error and drags a good fit away (seen on the
        // demo's MLP: the loss rose every epoch at every rate).
        float decay = (float) (options.weightDecay() / outNorm);
        for (Trainable t : trainables) {
            if (t != null) {
                b.sgdUpdate(t.layer().p(), t.dp(), t.vp(), lr, momentum, decay);
                b.sgdUpdate(t.layer().q(), t.dq(), t.vq(), lr, momentum, decay);
                b.sgdUpdate(t.layer().bias(), t.db(), t.vb(), lr, momentum, 0f);
            }
        }
    }

    /** The normalised loss over all calibration rows, forward only. */
    double fullLoss() {
        int n = x.rows();
        try (Losses losses = new Losses()) {
            for (int from = 0; from < n; from += batch) {
                int count = Math.min(batch, n - from);
                int[] rows = new int[count];
                for (int i = 0; i < count; i++) {
                    rows[i] = from + i;
                }
                forward(buffers(count), rows, losses);
            }
            return losses.read() / n;
        }
    }

    private List<Tensor> state() {
        return trainables.stream().filter(t -> t != null).flatMap(t -> t.state().stream()).toList();
    }

    private boolean stateFinite() {
        return state().stream().allMatch(t -> Double.isFinite(b.squaredNorm(t)));
    }

    private List<CompressedLayer> download() {
        return layers.stream().map(l -> l.download(b)).toList();
    }

    /** Runs the epochs; the stage's tensors hold the chosen factors afterwards. */
    Result run() {
        List<String> notes = new ArrayList<>();
        List<Tensor> state = state();
        List<Tensor> good = state.stream().map(t -> DeviceOps.copy(b, t)).toList();
        try {
            double initialLoss = fullLoss();
            double initialError = Forward.squaredError(b, layers, x, target);
            List<CompressedLayer> initial = download();
            List<Double> epochLosses = new ArrayList<>();
            double lr = options.lr();
            int halvings = 0;
            int n = x.rows();
            progress.start("global", options.epochs());
            Backend.Range stage = b.range("global stage");
            for (int epoch = 0; epoch < options.epochs(); ) {
                double epochLr = lr * Math.pow(0.5, options.lrHalvingEpochs() > 0 ? epoch / options.lrHalvingEpochs() : 0);
                double loss;
                try (Backend.Range r = b.range("epoch " + epoch); Losses sums = new Losses()) {
                    int[] order = shuffled(n, options.seed() + epoch);
                    for (int from = 0; from < n; from += batch) {
                        int[] rows = Arrays.copyOfRange(order, from, Math.min(n, from + batch));
                        lossAndGradients(rows, sums);
                        update((float) epochLr);
                    }
                    loss = sums.read() / n;
                }
                if (!Double.isFinite(loss) || loss > DIVERGENCE_FACTOR * initialLoss + DIVERGENCE_FLOOR || !stateFinite()) {
                    for (int i = 0; i < state.size(); i++) {
                        DeviceOps.copyInto(b, good.get(i), state.get(i));
                    }
                    if (halvings == MAX_HALVINGS) {
                        notes.add(String.format("global stage: still diverging at lr %.4g after %d halvings; "
                                + "stopped at epoch %d and kept the last good state", lr, MAX_HALVINGS, epoch + 1));
                        break;
                    }
                    lr /= 2;
                    halvings++;
                    notes.add(String.format("global stage: epoch %d diverged (loss %.4g, %.4g before the stage); "
                            + "redone from the last good state at lr %.4g", epoch + 1, loss, initialLoss, lr));
                    continue;
                }
                for (int i = 0; i < state.size(); i++) {
                    DeviceOps.copyInto(b, state.get(i), good.get(i));
                }
                epochLosses.add(loss);
                progress.advance(String.format("loss %.5g lr %.3g", loss, epochLr));
                epoch++;
            }
            stage.close();
            progress.done();
            double finalError = Forward.squaredError(b, layers, x, target);
            List<CompressedLayer> result;
            if (finalError <= initialError) {
                result = download();
                initial.forEach(CompressedLayer::close);
            } else {
                notes.add(String.format("global stage: the output error rose (%.4g -> %.4g); kept its initial factors",
                        initialError, finalError));
                result = initial;
            }
            return new Result(result, epochLosses, lr, notes);
        } finally {
            good.forEach(Tensor::close);
        }
    }

    /** The identity permutation of n shuffled by Fisher-Yates with java.util.Random(seed). */
    static int[] shuffled(int n, long seed) {
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        Random random = new Random(seed);
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return order;
    }

    @Override
    public void close() {
        buffers.values().forEach(Buffers::close);
        for (int l = 0; l < layers.size(); l++) {
            if (trainables.get(l) != null) {
                trainables.get(l).close();
            } else {
                layers.get(l).close();
            }
        }
        hiddenTargets.forEach(Rows::close);
    }
}
