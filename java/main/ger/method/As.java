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
 * AS (Zhang et al.), the layer-wise asymmetric nonlinear solver (../shared/GER.md, "AS"). Bottom-up:
 * layer l regresses the original pre-activation A_l (from the original input) on Yhat_l, the input
 * that the already compressed layers below produce, under rank(M) <= k, alternating Step I
 * (reduced-rank regression) and Step II (the ReLU penalty) over the lambda schedule.
 */
final class As {
    private As() {
    }

    /**
     * W ~ p q (p d_out x k, q k x d_in) held as p and bu = B U_k (d_in x k): Q^T in the whitened
     * input's coordinates, Yc Q^T = W bu, so q = (L^-T bu)^T; zbar (1 x d_out) is the bias to use
     * with the centred input.
     */
    record Factors(Tensor p, Tensor bu, Tensor zbar) implements AutoCloseable {
        /** q = (L^-T bu)^T, k x d_in, a new tensor. */
        Tensor q(Backend b, LayerInput in) {
            try (Tensor qt = DeviceOps.copy(b, bu)) {
                b.triangularSolve(in.chol, true, qt);
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

    /**
     * One layer's solution: factors, q (k x d_in), bias = zbar - p q ybar (1 x d_out) for the
     * uncentred input, and the objective ||T - relu(Z)||^2 + lambda ||Z - (M Yhat + b)||^2 after each
     * Step II.
     */
    record LayerSolution(Factors factors, Tensor q, Tensor bias, double[] objectives) implements AutoCloseable {
        @Override
        public void close() {
            factors.close();
            q.close();
            bias.close();
        }
    }

    /**
     * Step I: the rank-k regression of z (n x d_out, centred in place) on the centred input:
     * B = L^-1 Yc^T Zc = W^T Zc, U_k = top-k eigenvectors of B^T B, P = U_k, Q^T = L^-T (B U_k).
     */
    static Factors reducedRankRegression(Backend b, LayerInput in, Tensor z, TopEigenvectors eigen) {
        int dIn = in.wt.rows();
        int dOut = z.cols();
        Tensor zbar = b.allocate(1, dOut);
        b.columnMeans(z, zbar);
        b.addRowVector(z, -1f, zbar);
        try (Tensor bMat = b.allocate(dIn, dOut)) {
            b.gemm(false, false, 1f, in.wt, z, 0f, bMat);
            Tensor p = eigen.next(bMat);
            Tensor bu = b.allocate(dIn, p.cols());
            b.gemm(false, false, 1f, bMat, p, 0f, bu);
            return new Factors(p, bu, zbar);
        }
    }

    /** out = Yc Q^T P^T + zbar = W bu P^T + zbar (n x d_out), then relu if asked; qh n x k scratch. */
    static void forward(Backend b, LayerInput in, Factors f, boolean relu, Tensor qh, Tensor out) {
        b.gemm(true, false, 1f, in.wt, f.bu(), 0f, qh);
        b.gemm(false, true, 1f, qh, f.p(), 0f, out);
        b.addBiasRelu(out, f.zbar(), relu);
    }

    /**
     * Solves one layer. With relu, Step I then the schedule's (Step II, Step I) iterations; without
     * (the last layer), one Step I on the original logits.
     *
     * @param preActivation A, n x d_out, the original layer's pre-activation (not modified)
     */
    static LayerSolution solveLayer(Backend b, LayerInput in, Tensor preActivation, boolean relu, int k,
                                    Options options, String name, Progress progress) {
        int n = preActivation.rows();
        int dOut = preActivation.cols();
        List<Double> objectives = new ArrayList<>();
        try (Tensor z = DeviceOps.copy(b, preActivation);
             TopEigenvectors eigen = new TopEigenvectors(b, k, in.wt.rows(), dOut, options.eigenSolver())) {
            Factors f = reducedRankRegression(b, in, z, eigen);
            if (relu) {
                int total = options.schedule().stream().mapToInt(Options.LambdaStep::iterations).sum();
                progress.start("as " + name, total);
                try (Tensor yPrime = b.allocate(n, dOut); Tensor qh = b.allocate(n, k)) {
                    int iteration = 0;
                    for (Options.LambdaStep step : options.schedule()) {
                        for (int i = 0; i < step.iterations(); i++, iteration++) {
                            try (Backend.Range r = b.range("lambda iteration " + iteration)) {
                                forward(b, in, f, false, qh, yPrime);
                                double objective = b.reluPenalty(yPrime, preActivation, (float) step.lambda(), z);
                                f.close();
                                f = reducedRankRegression(b, in, z, eigen);
                                objectives.add(objective);
                                progress.advance(String.format("lambda %g objective %.6g", step.lambda(), objective));
                            }
                        }
                    }
                }
                progress.done();
            }
            Tensor q = f.q(b, in);
            return new LayerSolution(f, q, bias(b, f.p(), q, f.zbar(), in.mean),
                    objectives.stream().mapToDouble(Double::doubleValue).toArray());
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
     * @param x              the calibration rows, n x d_0
     * @param preActivations the original network's A_l for every layer (n x d_l)
     * @param firstInput     layer 0's prepared input (the session caches it across ranks; not closed here)
     * @param phases         "init &lt;layer&gt;" seconds are added to it
     * @param selected       the layers to compress; the others keep their original weights
     */
    static List<CompressedLayer> run(Backend b, FcStack model, int k, Tensor x, List<Tensor> preActivations,
                                     Supplier<LayerInput> firstInput, Options options, Progress progress,
                                     List<String> notes, Map<String, Double> phases, Set<Integer> selected) {
        List<CompressedLayer> result = new ArrayList<>();
        Tensor yhat = null; // the input of layer l > 0, owned here
        try {
            for (int l = 0; l < model.depth(); l++) {
                long start = System.nanoTime();
                DenseLayer d = model.layer(l);
                boolean relu = model.hasRelu(l);
                Tensor next = null;
                try (Backend.Range r = b.range("layer " + d.name())) {
                    String dense = RankRule.denseReason(d.name(), k, d.out(), d.in());
                    if (dense != null || !selected.contains(l)) {
                        if (selected.contains(l)) {
                            notes.add(dense);
                        }
                        result.add(new CompressedLayer.Dense(d.name(), d.weight().copy(), d.bias().copy()));
                        if (relu) {
                            try (DeviceLayer layer = DeviceLayer.upload(b, d)) {
                                next = b.allocate(x.rows(), d.out());
                                layer.forward(b, l == 0 ? x : yhat, true, null, next);
                            }
                        }
                    } else {
                        Tensor input = yhat;
                        yhat = null; // LayerInput takes it (and frees it if it fails)
                        LayerInput in = l == 0 ? firstInput.get() : LayerInput.of(b, input, options.ridge(), d.name());
                        try (LayerSolution s = solveLayer(b, in, preActivations.get(l), relu, k, options, d.name(), progress)) {
                            notes.addAll(in.notes);
                            Factors f = s.factors();
                            result.add(new CompressedLayer.LowRank(d.name(), b.download(f.p()), b.download(s.q()),
                                    b.download(s.bias())));
                            if (relu) {
                                next = b.allocate(x.rows(), d.out());
                                try (Tensor qh = b.allocate(x.rows(), k)) {
                                    forward(b, in, f, true, qh, next);
                                }
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
