package ger.method.global;

import ger.backend.Backend;
import ger.backend.Eigen;
import ger.method.DeviceLayer;
import ger.method.DeviceOps;
import ger.method.Forward;
import ger.method.Options;
import ger.method.Progress;
import ger.method.Rows;
import ger.model.CompressedLayer;
import ger.tensor.Matrix;
import ger.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.Random;
import java.util.stream.IntStream;

/**
 * GER's global stage (docs/method.md, "The global stage"): every low-rank layer's P, Q, b refined
 * jointly by minibatch SGD on the normalised output error
 * L = (1/n) sum_i ||Fhat(x_i) - F(x_i)||^2 / N_out + beta sum_{hidden l} (1/n) sum_i ||h_l - relu(A_l)||^2 / N_l,
 * N = the mean squared norm of the original's rows, so L starts near the squared relative error.
 * Weight decay on the weights (P and Q, or a dense W; not the biases) is applied as weightDecay /
 * N_out, its weight beside the unnormalised loss. Low-rank layers and the dense layers asked for
 * train; the others (kept with their original weights) stay fixed. Before SGD each factor pair is
 * balanced (P = U S^(1/2), Q = S^(1/2) V^T of the SVD of P Q). Without a given rate, {@link RateSearch}
 * finds one. A divergence guard restores the last good epoch and halves the rate; the result never
 * has a larger output error than its initialisation.
 */
public final class GlobalStage implements AutoCloseable {
    /** An epoch whose loss exceeds this factor x the initial loss counts as diverged. */
    static final double DIVERGENCE_FACTOR = 2.0;
    /** An absolute floor on that threshold, so an exact initialisation (loss 0) does not flag float noise. */
    static final double DIVERGENCE_FLOOR = 1e-9;
    /** Halvings of the rate before the guard gives up and keeps the last good state. */
    public static final int MAX_HALVINGS = 8;

    /**
     * What the stage produced: the layers, the loss after each epoch, the rate the guard settled on,
     * the rate search (null when the rate was given).
     */
    public record Result(List<CompressedLayer> layers, List<Double> epochLoss, double settledLr, RateSearch.Result lrSearch,
                         List<String> notes) {
    }

    /**
     * A trained layer's parameters (low-rank: P, Q, bias; dense: W, bias), their gradients and
     * momenta, in that order; weight decay applies to all but the last (the bias).
     */
    record Trainable(DeviceLayer layer, List<Tensor> params, List<Tensor> grads, List<Tensor> velocities) {
        static Trainable of(Backend b, DeviceLayer layer) {
            List<Tensor> params = switch (layer) {
                case DeviceLayer.LowRank lr -> List.of(lr.p(), lr.q(), lr.bias());
                case DeviceLayer.Dense d -> List.of(d.weight(), d.bias());
            };
            return new Trainable(layer, params, zerosLike(b, params), zerosLike(b, params));
        }

        private static List<Tensor> zerosLike(Backend b, List<Tensor> ts) {
            return ts.stream().map(t -> DeviceOps.zeros(b, t.rows(), t.cols())).toList();
        }

        List<Tensor> state() {
            List<Tensor> s = new ArrayList<>(params);
            s.addAll(velocities);
            return s;
        }

        void close() {
            layer.close();
            grads.forEach(Tensor::close);
            velocities.forEach(Tensor::close);
        }
    }

    private final Backend b;
    private final Options options;
    private final Progress progress;
    private final Rows x;
    private final Rows target;
    private final List<DeviceLayer> layers = new ArrayList<>();
    /** Per layer: its parameters, or null for a fixed layer. */
    private final List<Trainable> trainables = new ArrayList<>();
    /** relu(A_l) of each hidden layer, only when beta > 0. */
    private final List<Rows> hiddenTargets = new ArrayList<>();
    private final double outNorm;
    private final double[] hiddenNorm;
    /** The lowest trained layer: backward stops there. */
    private final int lowest;
    private final int batch;
    private final Map<Integer, Buffers> buffers = new HashMap<>();

    /**
     * @param init           the initial layers: low-rank or dense
     * @param trained        per layer, whether it trains (a low-rank layer always does)
     * @param x              the calibration rows, n x d_0 (on the device or streamed from the host)
     * @param target         the original outputs F(x), n x d_m
     * @param preActivations the original hidden pre-activations A_l, l < m - 1 (used when beta > 0)
     */
    public GlobalStage(Backend b, List<CompressedLayer> init, boolean[] trained, Rows x, Rows target, List<Rows> preActivations,
                       Options options, Progress progress) {
        this.b = b;
        this.options = options;
        this.progress = progress;
        this.x = x;
        this.target = target;
        int lowestTrained = -1;
        for (int l = 0; l < init.size(); l++) {
            DeviceLayer layer;
            if (init.get(l) instanceof CompressedLayer.LowRank lr) {
                try (Backend.Range r = b.range("balance " + lr.name())) {
                    layer = balanced(b, lr);
                }
            } else {
                layer = DeviceLayer.upload(b, init.get(l));
            }
            layers.add(layer);
            boolean trains = trained[l] || layer instanceof DeviceLayer.LowRank;
            trainables.add(trains ? Trainable.of(b, layer) : null);
            if (trains && lowestTrained < 0) {
                lowestTrained = l;
            }
        }
        if (lowestTrained < 0) {
            throw new IllegalArgumentException("the global stage needs at least one layer to train");
        }
        this.lowest = lowestTrained;
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
                // A zero product (a layer whose input never varies) has nothing to balance: the floor keeps S positive.
                double floor = Math.max(BALANCE_FLOOR * Math.sqrt(Math.max(e.values()[0], 0)), Float.MIN_NORMAL);
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

    /** Backward from the output gradient down to the lowest trained layer: fills every trained gradient. */
    private void backward(Buffers buf) {
        for (int l = layers.size() - 1; l >= lowest; l--) {
            Tensor input = l == 0 ? buf.xb : buf.h[l - 1];
            Tensor dh = l > lowest ? buf.delta[l - 1] : null;
            Trainable t = trainables.get(l);
            switch (layers.get(l)) {
                case DeviceLayer.LowRank lr -> b.lowRankBackward(input, lr.q(), lr.p(), buf.qh[l], buf.delta[l], buf.gp[l],
                        t.grads().get(1), t.grads().get(0), t.grads().get(2), dh);
                case DeviceLayer.Dense d -> {
                    if (t != null) {
                        b.gemm(true, false, 1f, buf.delta[l], input, 0f, t.grads().get(0));
                        b.columnSums(buf.delta[l], t.grads().get(1));
                    }
                    if (dh != null) {
                        b.gemm(false, false, 1f, buf.delta[l], d.weight(), 0f, dh);
                    }
                }
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
                int last = t.params().size() - 1;
                for (int i = 0; i <= last; i++) {
                    b.sgdUpdate(t.params().get(i), t.grads().get(i), t.velocities().get(i), lr, momentum,
                            i < last ? decay : 0f);
                }
            }
        }
    }

    /** The normalised loss over all calibration rows, forward only. */
    double fullLoss() {
        return meanLoss(IntStream.range(0, x.rows()).toArray());
    }

    /** The normalised loss over the given rows, forward only. */
    private double meanLoss(int[] rows) {
        try (Losses losses = new Losses()) {
            for (int from = 0; from < rows.length; from += batch) {
                int[] part = Arrays.copyOfRange(rows, from, Math.min(rows.length, from + batch));
                forward(buffers(part.length), part, losses);
            }
            return losses.read() / rows.length;
        }
    }

    /** One pass of SGD at rate lr over the rows in the given order; returns its mean normalised loss. */
    private double pass(int[] order, double lr) {
        try (Losses sums = new Losses()) {
            for (int from = 0; from < order.length; from += batch) {
                lossAndGradients(Arrays.copyOfRange(order, from, Math.min(order.length, from + batch)), sums);
                update((float) lr);
            }
            return sums.read() / order.length;
        }
    }

    /** Batches per probe slice and passes per probe: 32 steps, long enough for momentum 0.9 to build up. */
    static final int PROBE_BATCHES = 8;
    static final int PROBE_PASSES = 4;

    /**
     * The rate search: each trial starts from {@code start} (copied into the state), trains PROBE_PASSES
     * passes over a slice of PROBE_BATCHES batches of shuffled rows, and reports each pass's loss; the
     * state is restored to start afterwards.
     */
    private RateSearch.Result searchRate(List<Tensor> state, List<Tensor> start) {
        int[] slice = Arrays.copyOf(shuffled(x.rows(), options.seed() - 1), Math.min(x.rows(), PROBE_BATCHES * batch));
        double initial = meanLoss(slice);
        progress.start("lr search", 0);
        RateSearch.Result result;
        try (Backend.Range r = b.range("learning rate search")) {
            result = RateSearch.choose(rate -> {
                double[] losses = new double[PROBE_PASSES];
                Arrays.fill(losses, Double.NaN);
                for (int p = 0; p < PROBE_PASSES; p++) {
                    losses[p] = pass(slice, rate);
                    if (!Double.isFinite(losses[p])) {
                        break;
                    }
                }
                restore(start, state);
                progress.advance(String.format(Locale.ROOT, "lr %.3g: loss %.4g -> %.4g", rate, initial, losses[PROBE_PASSES - 1]));
                return losses;
            }, initial);
        }
        progress.done();
        return result;
    }

    private void restore(List<Tensor> from, List<Tensor> to) {
        for (int i = 0; i < to.size(); i++) {
            DeviceOps.copyInto(b, from.get(i), to.get(i));
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
    public Result run() {
        List<String> notes = new ArrayList<>();
        List<Tensor> state = state();
        List<Tensor> good = state.stream().map(t -> DeviceOps.copy(b, t)).toList();
        try {
            RateSearch.Result search = options.findsLr() ? searchRate(state, good) : null;
            double initialLoss = fullLoss();
            double initialError = Forward.squaredError(b, layers, x, target);
            List<CompressedLayer> initial = download();
            List<Double> epochLosses = new ArrayList<>();
            double lr = search != null ? search.chosen() : options.lr();
            int halvings = 0;
            int n = x.rows();
            progress.start("global", options.epochs());
            Backend.Range stage = b.range("global stage");
            for (int epoch = 0; epoch < options.epochs(); ) {
                double epochLr = lr * Math.pow(0.5, options.lrHalvingEpochs() > 0 ? epoch / options.lrHalvingEpochs() : 0);
                double loss;
                try (Backend.Range r = b.range("epoch " + epoch)) {
                    loss = pass(shuffled(n, options.seed() + epoch), epochLr);
                }
                if (!Double.isFinite(loss) || loss > DIVERGENCE_FACTOR * initialLoss + DIVERGENCE_FLOOR || !stateFinite()) {
                    restore(good, state);
                    if (halvings == MAX_HALVINGS) {
                        notes.add(String.format(Locale.ROOT, "global stage: still diverging at lr %.4g after %d halvings; "
                                + "stopped at epoch %d and kept the last good state", lr, MAX_HALVINGS, epoch + 1));
                        break;
                    }
                    lr /= 2;
                    halvings++;
                    notes.add(String.format(Locale.ROOT, "global stage: epoch %d diverged (loss %.4g, %.4g before the stage); "
                            + "redone from the last good state at lr %.4g", epoch + 1, loss, initialLoss, lr));
                    continue;
                }
                restore(state, good);
                epochLosses.add(loss);
                progress.advance(String.format(Locale.ROOT, "loss %.5g lr %.3g", loss, epochLr));
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
                double norm = target.squaredNorm();
                notes.add(String.format(Locale.ROOT, "global stage: the output relative error rose (%.4g -> %.4g); "
                        + "kept its initial factors", Math.sqrt(initialError / norm), Math.sqrt(finalError / norm)));
                result = initial;
            }
            return new Result(result, epochLosses, lr, search, notes);
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
