package ger.method;

import ger.GerException;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every knob of the methods, with the defaults of docs/method.md. Immutable; change one with the
 * with* methods.
 *
 * @param schedule      AS's lambda schedule, e.g. 0.01 x 25 then 1 x 25
 * @param ridge         the Cholesky ridge, relative to the mean diagonal of the Gram matrix
 * @param eigenSolver   how AS finds the top-k eigenvectors: FULL (backend eigendecomposition every
 *                      iteration), SUBSPACE (warm-started subspace iteration), AUTO (the faster)
 * @param epochs        global stage epochs (0 skips it)
 * @param lr            global stage initial learning rate (halved on divergence, and every lrHalvingEpochs);
 *                      {@link #FIND_LR}: found by {@link ger.method.global.RateSearch}
 * @param momentum      SGD momentum
 * @param weightDecay   on the factors, not on biases
 * @param batch         minibatch rows
 * @param lrHalvingEpochs halve the rate every this many epochs
 * @param beta          weight of the intermediate FC outputs' errors in the global loss (0 = final only)
 * @param pqCentroids   PQ's centroids per sub-space (256: byte codes)
 * @param pqIterations  cap on PQ's Lloyd iterations
 * @param seed          shuffling, k-means++ and anything else random
 * @param streamRows    0: the calibration rows and every per-row matrix live on the device; N &gt; 0: they stay
 *                      in host memory and go through the device N rows at a time (calibration sets larger
 *                      than device memory; the Gram matrix and AS's G accumulate over the chunks);
 *                      {@link #STREAM_AUTO}: the session streams when the rows would not fit
 */
public record Options(List<LambdaStep> schedule, double ridge, EigenSolver eigenSolver, int epochs, double lr,
                      double momentum, double weightDecay, int batch, int lrHalvingEpochs, double beta,
                      int pqCentroids, int pqIterations, long seed, int streamRows) {

    public enum EigenSolver { AUTO, FULL, SUBSPACE }

    /** {@link #streamRows} value: stream only when the resident footprint would not fit the device. */
    public static final int STREAM_AUTO = -1;

    /** {@link #lr} value: the global stage finds its rate ({@link ger.method.global.RateSearch}). */
    public static final double FIND_LR = -1;

    /** lambda for this many iterations. */
    public record LambdaStep(double lambda, int iterations) {
    }

    public Options {
        schedule = List.copyOf(schedule);
        if (ridge <= 0 || !Double.isFinite(ridge)) {
            throw new GerException("--ridge must be positive, got " + ridge);
        }
        if (epochs < 0) {
            throw new GerException("--epochs must be >= 0, got " + epochs);
        }
        if (!(lr > 0 && Double.isFinite(lr)) && lr != FIND_LR) {
            throw new GerException("--lr must be a positive number, got " + lr);
        }
        if (batch < 1) {
            throw new GerException("--batch must be >= 1, got " + batch);
        }
        if (beta < 0) {
            throw new GerException("--beta must be >= 0, got " + beta);
        }
        if (streamRows < STREAM_AUTO) {
            throw new GerException("--stream-rows takes auto, 0 (all rows on the device) or a number of rows, got "
                    + streamRows);
        }
    }

    public static Options defaults() {
        return new Options(parseSchedule("0.01x25,1x25"), 1e-3, EigenSolver.AUTO, 20, FIND_LR, 0.9, 5e-4, 256, 10,
                0.0, 256, 100, 42L, STREAM_AUTO);
    }

    /** Whether the global stage finds its learning rate. */
    public boolean findsLr() {
        return lr == FIND_LR;
    }

    /**
     * The options as a user gives them, keyed by the CLI's option names (the schedule as
     * "0.01x25,1x25", the rate "auto" when found), for the JSON and markdown outputs.
     */
    public Map<String, Object> described() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("schedule", schedule.stream().map(st -> formatNumber(st.lambda()) + "x" + st.iterations())
                .collect(java.util.stream.Collectors.joining(",")));
        m.put("ridge", ridge);
        m.put("eigen_solver", eigenSolver.name().toLowerCase(java.util.Locale.ROOT));
        m.put("epochs", epochs);
        m.put("lr", findsLr() ? "auto" : lr);
        m.put("momentum", momentum);
        m.put("weight_decay", weightDecay);
        m.put("batch", batch);
        m.put("lr_halving_epochs", lrHalvingEpochs);
        m.put("beta", beta);
        m.put("pq_centroids", pqCentroids);
        m.put("pq_iterations", pqIterations);
        m.put("seed", seed);
        m.put("stream_rows", streamRows == STREAM_AUTO ? "auto" : streamRows);
        return m;
    }

    private static String formatNumber(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
    }

    /** "0.01x25,1x25" -> [(0.01, 25), (1, 25)]. */
    public static List<LambdaStep> parseSchedule(String text) {
        List<LambdaStep> steps = new ArrayList<>();
        for (String part : text.split(",")) {
            String[] lx = part.trim().toLowerCase().split("x");
            try {
                if (lx.length != 2) {
                    throw new NumberFormatException();
                }
                double lambda = Double.parseDouble(lx[0]);
                int iterations = Integer.parseInt(lx[1]);
                if (!(lambda > 0) || iterations < 0) {
                    throw new NumberFormatException();
                }
                steps.add(new LambdaStep(lambda, iterations));
            } catch (NumberFormatException e) {
                throw new GerException("bad lambda schedule '" + text + "': each step is LAMBDAxITERATIONS, "
                        + "lambda > 0, e.g. 0.01x25,1x25");
            }
        }
        return steps;
    }

    public Options withSchedule(List<LambdaStep> s) {
        return new Options(s, ridge, eigenSolver, epochs, lr, momentum, weightDecay, batch, lrHalvingEpochs, beta, pqCentroids, pqIterations, seed, streamRows);
    }

    public Options withRidge(double r) {
        return new Options(schedule, r, eigenSolver, epochs, lr, momentum, weightDecay, batch, lrHalvingEpochs, beta, pqCentroids, pqIterations, seed, streamRows);
    }

    public Options withEigenSolver(EigenSolver e) {
        return new Options(schedule, ridge, e, epochs, lr, momentum, weightDecay, batch, lrHalvingEpochs, beta, pqCentroids, pqIterations, seed, streamRows);
    }

    public Options withGlobal(int epochs, double lr, int batch, double beta) {
        return new Options(schedule, ridge, eigenSolver, epochs, lr, momentum, weightDecay, batch, lrHalvingEpochs, beta, pqCentroids, pqIterations, seed, streamRows);
    }

    public Options withSgd(double momentum, double weightDecay, int lrHalvingEpochs) {
        return new Options(schedule, ridge, eigenSolver, epochs, lr, momentum, weightDecay, batch, lrHalvingEpochs, beta, pqCentroids, pqIterations, seed, streamRows);
    }

    public Options withPq(int centroids, int iterations) {
        return new Options(schedule, ridge, eigenSolver, epochs, lr, momentum, weightDecay, batch, lrHalvingEpochs, beta, centroids, iterations, seed, streamRows);
    }

    public Options withSeed(long s) {
        return new Options(schedule, ridge, eigenSolver, epochs, lr, momentum, weightDecay, batch, lrHalvingEpochs, beta, pqCentroids, pqIterations, s, streamRows);
    }

    public Options withStreamRows(int rows) {
        return new Options(schedule, ridge, eigenSolver, epochs, lr, momentum, weightDecay, batch, lrHalvingEpochs, beta, pqCentroids, pqIterations, seed, rows);
    }
}
