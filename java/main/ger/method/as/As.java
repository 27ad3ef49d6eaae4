package ger.method.as;

import ger.backend.Backend;
import ger.method.Calibration;
import ger.method.DeviceLayer;
import ger.method.DeviceOps;
import ger.method.LayerRanks;
import ger.method.Options;
import ger.method.Progress;
import ger.method.RankRule;
import ger.method.Rows;
import ger.model.CompressedLayer;
import ger.model.DenseLayer;
import ger.model.FcStack;
import ger.tensor.Tensor;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * AS (Zhang et al.), the layer-wise asymmetric nonlinear solver (docs/method.md, "AS"). Bottom-up:
 * layer l regresses the original pre-activation A_l (from the original input) on Yhat_l, the input
 * that the already compressed layers below produce, under rank(M) <= k, alternating Step I
 * (reduced-rank regression) and Step II (the ReLU penalty) over the lambda schedule.
 */
public final class As {
    private As() {
    }

    /**
     * One layer's solution: factors, q (k x d_in, or the dense d_out x d_in at full rank), bias =
     * zbar - p q ybar (1 x d_out) for the uncentred input, the objective ||T - relu(Z)||^2 + lambda ||Z - (M Yhat + b)||^2 after each
     * Step II, and what the solver chose on the way (for the report).
     */
    record LayerSolution(LayerFactors factors, Tensor q, Tensor bias, double[] objectives, List<String> notes)
            implements AutoCloseable {
        /** The layer on the host: low-rank, or dense at full rank. */
        CompressedLayer download(Backend b, String name) {
            return factors.fullRank()
                    ? new CompressedLayer.Dense(name, b.download(q), b.download(bias))
                    : new CompressedLayer.LowRank(name, b.download(factors.p()), b.download(q), b.download(bias));
        }

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
     * @param k             the rank, or {@link LayerRanks#DENSE} for the unconstrained fit (a dense refit)
     */
    static LayerSolution solveLayer(Backend b, LayerInput in, Rows preActivation, boolean relu, int k,
                                    Options options, String name, Progress progress) {
        List<Double> objectives = new ArrayList<>();
        try (LayerInput.Pass pass = in.pass(preActivation);
             TopEigenvectors eigen = k == LayerRanks.DENSE ? null
                     : new TopEigenvectors(b, k, in.chol().rows(), preActivation.cols(), options.eigenSolver())) {
            LayerFactors f = pass.stepOne(eigen);
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

    /** bias = zbar - p (q ybar) (zbar - q ybar at full rank, p null), 1 x d_out. */
    private static Tensor bias(Backend b, Tensor p, Tensor q, Tensor zbar, Tensor mean) {
        Tensor bias = DeviceOps.copy(b, zbar);
        try (Tensor qy = b.allocate(1, q.rows()); Tensor pqy = p == null ? null : b.allocate(1, p.rows())) {
            b.gemm(false, true, 1f, mean, q, 0f, qy);
            if (pqy != null) {
                b.gemm(false, true, 1f, qy, p, 0f, pqy);
            }
            b.axpy(-1f, pqy == null ? qy : pqy, bias);
        }
        return bias;
    }

    /** What {@link #run} made: the layers (on the host), the notes for the result, "init &lt;layer&gt;" seconds. */
    public record Result(List<CompressedLayer> layers, List<String> notes, Map<String, Double> phases) {
    }

    /**
     * AS over the whole stack, bottom-up, each layer at its planned rank. A DENSE layer (or one whose
     * rank would not shrink it, with a note) is refit without the rank constraint on its compressed
     * input (ridge least squares for the linear last layer, the same alternation for a hidden one);
     * while its input is still the original network's there is nothing to refit and it keeps its
     * weights. A KEEP layer keeps its original weights. The calibration's rows and layer 0's input are
     * read, not closed.
     */
    public static Result run(Calibration calibration, LayerRanks ranks, Options options, Progress progress) {
        Backend b = calibration.backend();
        FcStack model = calibration.model();
        List<String> notes = new ArrayList<>();
        Map<String, Double> phases = new LinkedHashMap<>();
        List<CompressedLayer> result = new ArrayList<>();
        Rows yhat = null; // the input of layer l > 0, owned here
        boolean originalInput = true; // whether every layer below kept its original weights
        try {
            for (int l = 0; l < model.depth(); l++) {
                long start = System.nanoTime();
                DenseLayer d = model.layer(l);
                boolean relu = model.hasRelu(l);
                Rows input = l == 0 ? calibration.x() : yhat;
                Rows next = null;
                int k = ranks.of(l);
                String denseReason = k > 0 ? RankRule.denseReason(d.name(), k, d.out(), d.in()) : null;
                if (denseReason != null) {
                    notes.add(denseReason + (originalInput ? "" : " and refit"));
                    k = LayerRanks.DENSE;
                }
                try (Backend.Range r = b.range("layer " + d.name())) {
                    if (k == LayerRanks.KEEP || (k == LayerRanks.DENSE && originalInput)) {
                        result.add(new CompressedLayer.Dense(d.name(), d.weight().copy(), d.bias().copy()));
                        if (relu) {
                            try (DeviceLayer layer = DeviceLayer.upload(b, d)) {
                                next = input.map(d.out(), (h, out) -> layer.forward(b, h, true, null, out));
                            }
                        }
                    } else {
                        originalInput = false;
                        yhat = null; // LayerInput takes it (and frees it if it fails)
                        LayerInput in = l == 0 ? calibration.firstInput().get() : LayerInput.of(b, input, options.ridge(), d.name());
                        try (LayerSolution s = solveLayer(b, in, calibration.preActivations().get(l), relu, k, options, d.name(), progress)) {
                            notes.addAll(in.notes());
                            notes.addAll(s.notes());
                            result.add(s.download(b, d.name()));
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
            return new Result(result, notes, phases);
        } finally {
            if (yhat != null) {
                yhat.close();
            }
        }
    }
}
