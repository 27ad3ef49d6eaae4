package ger.method;

import ger.backend.Backend;
import ger.backend.Tensor;
import ger.model.CompressedLayer;
import ger.model.DenseLayer;
import ger.model.FcStack;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * AS (Zhang et al.), the layer-wise asymmetric nonlinear solver (docs/method.md, "AS"). Bottom-up:
 * layer l regresses the original pre-activation A_l (from the original input) on Yhat_l, the input
 * that the already compressed layers below produce, under rank(M) <= k, alternating Step I
 * (reduced-rank regression) and Step II (the ReLU penalty) over the lambda schedule.
 */
final class As {
    private As() {
    }

    /**
     * W ~ p q (p d_out x k, q k x d_in) held as p and bu = B U_k (d_in x k): Q^T in the whitened
     * input's coordinates, Yc Q^T = Yc L^-T bu, so q = (L^-T bu)^T; zbar (1 x d_out) is the bias to
     * use with the centred input.
     */
    record Factors(Tensor p, Tensor bu, Tensor zbar) implements AutoCloseable {
        /** From B = L^-1 Yc^T Zc (d_in x d_out): P = U_k, the top-k eigenvectors of B^T B, and bu = B U_k; takes zbar. */
        static Factors of(WhitenedCoefficients bMat, Tensor zbar, TopEigenvectors eigen) {
            Tensor p = eigen.next(bMat);
            return new Factors(p, bMat.times(p), zbar);
        }

        /** q = (L^-T bu)^T, k x d_in, a new tensor; chol is the input's L. */
        Tensor q(Backend b, Tensor chol) {
            try (Tensor qt = DeviceOps.copy(b, bu)) {
                b.triangularSolve(chol, true, qt);
                return DeviceOps.transposed(b, qt);
            }
        }

        @Override
        public void close() {
            p.close();
            bu.close();
            zbar.close();
        }
    }

    /** AS's alternation over one layer's rows, wherever they live ({@link LayerInput#pass}). */
    interface Pass extends AutoCloseable {
        /** Step I on the current Z (at first the pre-activation A): new factors. */
        Factors stepOne(TopEigenvectors eigen);

        /**
         * Step II at lambda from the factors' forward Y' = Yc q^T p^T + zbar: Z becomes the
         * minimiser; returns the objective ||T - relu(Z)||^2 + lambda ||Z - Y'||^2.
         */
        double stepTwo(Factors f, float lambda);

        /** What the pass chose and why, for the report; empty when there was nothing to choose. */
        default List<String> notes() {
            return List.of();
        }

        @Override
        void close();
    }

    /**
     * One layer's solution: factors, q (k x d_in), bias = zbar - p q ybar (1 x d_out) for the
     * uncentred input, the objective ||T - relu(Z)||^2 + lambda ||Z - (M Yhat + b)||^2 after each
     * Step II, and what the solver chose on the way (for the report).
     */
    record LayerSolution(Factors factors, Tensor q, Tensor bias, double[] objectives, List<String> notes)
            implements AutoCloseable {
        @Override
        public void close() {
            factors.close();
            q.close();
            bias.close();
        }
    }

    /**
     * Solves one layer. With relu, Step I then the schedule's (Step II, Step I) iterations; without
     * (the last layer), one Step I on the original logits.
     *
     * @param preActivation A, n x d_out, the original layer's pre-activation (not modified)
     */
    static LayerSolution solveLayer(Backend b, LayerInput in, Rows preActivation, boolean relu, int k,
                                    Options options, String name, Progress progress) {
        List<Double> objectives = new ArrayList<>();
        try (As.Pass pass = in.pass(preActivation);
             TopEigenvectors eigen = new TopEigenvectors(b, k, in.chol().rows(), preActivation.cols(), options.eigenSolver())) {
            Factors f = pass.stepOne(eigen);
            if (relu) {
                int total = options.schedule().stream().mapToInt(Options.LambdaStep::iterations).sum();
                progress.start("as " + name, total);
                int iteration = 0;
                for (Options.LambdaStep step : options.schedule()) {
                    for (int i = 0; i < step.iterations(); i++, iteration++) {
                        try (Backend.Range r = b.range("lambda iteration " + iteration)) {
                            double objective = pass.stepTwo(f, (float) step.lambda());
                            f.close();
                            f = pass.stepOne(eigen);
                            objectives.add(objective);
                            progress.advance(String.format("lambda %g objective %.6g", step.lambda(), objective));
                        }
                    }
                }
                progress.done();
            }
            Tensor q = f.q(b, in.chol());
            return new LayerSolution(f, q, bias(b, f.p(), q, f.zbar(), in.mean()),
                    objectives.stream().mapToDouble(Double::doubleValue).toArray(),
                    pass.notes().stream().map(n -> name + ": " + n).toList());
        }
    }

    /** bias = zbar - p (q ybar), 1 x d_out. */
    private static Tensor bias(Backend b, Tensor p, Tensor q, Tensor zbar, Tensor mean) {
        Tensor bias = DeviceOps.copy(b, zbar);
        try (Tensor qy = b.allocate(1, q.rows()); Tensor pqy = b.allocate(1, p.rows())) {
            b.gemm(false, true, 1f, mean, q, 0f, qy);
            b.gemm(false, true, 1f, qy, p, 0f, pqy);
            b.axpy(-1f, pqy, bias);
        }
        return bias;
    }

    /**
     * AS over the whole stack at rank k, bottom-up. A layer that would not shrink stays dense (its
     * original weights) and a note says so.
     *
     * @param x              the calibration rows, n x d_0 (not closed here)
     * @param preActivations the original network's A_l for every layer (n x d_l), where x lives
     * @param firstInput     layer 0's prepared input (the session caches it across ranks; not closed here)
     * @param phases         "init &lt;layer&gt;" seconds are added to it
     * @param selected       the layers to compress; the others keep their original weights
     */
    static List<CompressedLayer> run(Backend b, FcStack model, int k, Rows x, List<Rows> preActivations,
                                     Supplier<LayerInput> firstInput, Options options, Progress progress,
                                     List<String> notes, Map<String, Double> phases, Set<Integer> selected) {
        List<CompressedLayer> result = new ArrayList<>();
        Rows yhat = null; // the input of layer l > 0, owned here
        try {
            for (int l = 0; l < model.depth(); l++) {
                long start = System.nanoTime();
                DenseLayer d = model.layer(l);
                boolean relu = model.hasRelu(l);
                Rows input = l == 0 ? x : yhat;
                Rows next = null;
                try (Backend.Range r = b.range("layer " + d.name())) {
                    String dense = RankRule.denseReason(d.name(), k, d.out(), d.in());
                    if (dense != null || !selected.contains(l)) {
                        if (selected.contains(l)) {
                            notes.add(dense);
                        }
                        result.add(new CompressedLayer.Dense(d.name(), d.weight().copy(), d.bias().copy()));
                        if (relu) {
                            try (DeviceLayer layer = DeviceLayer.upload(b, d)) {
                                next = input.map(d.out(), (h, out) -> layer.forward(b, h, true, null, out));
                            }
                        }
                    } else {
                        yhat = null; // LayerInput takes it (and frees it if it fails)
                        LayerInput in = l == 0 ? firstInput.get() : LayerInput.of(b, input, options.ridge(), d.name());
                        try (LayerSolution s = solveLayer(b, in, preActivations.get(l), relu, k, options, d.name(), progress)) {
                            notes.addAll(in.notes());
                            notes.addAll(s.notes());
                            result.add(new CompressedLayer.LowRank(d.name(), b.download(s.factors().p()), b.download(s.q()),
                                    b.download(s.bias())));
                            if (relu) {
                                next = in.output(s.factors(), s.q(), s.bias(), true);
                            }
                        } finally {
                            if (l > 0) {
                                in.close();
                            }
                        }
                    }
                }
                if (yhat != null) {
                    yhat.close();
                }
                yhat = next;
                b.synchronize();
                phases.put("init " + d.name(), (System.nanoTime() - start) * 1e-9);
            }
            return result;
        } finally {
            if (yhat != null) {
                yhat.close();
            }
        }
    }
}
