package ger.cli;

import ger.method.Options;
import picocli.CommandLine.Option;

/** The knobs of the methods; defaults from docs/method.md (see {@link Options#defaults()}). */
final class MethodOptionsMixin {
    private static final Options DEFAULTS = Options.defaults();

    @Option(names = "--lambda-schedule", defaultValue = "0.01x25,1x25", paramLabel = "LxN,...",
            description = "AS's ReLU-penalty schedule: lambda x iterations, ... (default ${DEFAULT-VALUE})")
    String schedule;

    @Option(names = "--ridge", defaultValue = "1e-3",
            description = "Cholesky ridge relative to the mean diagonal of the Gram matrix (default ${DEFAULT-VALUE})")
    double ridge;

    @Option(names = "--eigen", defaultValue = "AUTO",
            description = "AS's top-k eigenvectors: ${COMPLETION-CANDIDATES} (default ${DEFAULT-VALUE})")
    Options.EigenSolver eigen;

    @Option(names = "--epochs", defaultValue = "20", description = "global stage epochs (default ${DEFAULT-VALUE})")
    int epochs;

    @Option(names = "--lr", defaultValue = "auto", paramLabel = "auto|RATE",
            description = "global stage learning rate; auto: found by short probes on a slice of the calibration rows, "
                    + "the largest rate whose loss falls steadily (default ${DEFAULT-VALUE})")
    String lr;

    @Option(names = "--batch", defaultValue = "256", description = "global stage batch rows (default ${DEFAULT-VALUE})")
    int batch;

    @Option(names = "--beta", defaultValue = "0",
            description = "weight of the intermediate FC outputs' errors in the global loss (default ${DEFAULT-VALUE})")
    double beta;

    @Option(names = "--momentum", defaultValue = "0.9", description = "SGD momentum (default ${DEFAULT-VALUE})")
    double momentum;

    @Option(names = "--weight-decay", defaultValue = "5e-4", description = "SGD weight decay on the factors (default ${DEFAULT-VALUE})")
    double weightDecay;

    @Option(names = "--lr-halving", defaultValue = "10", description = "halve the learning rate every N epochs (default ${DEFAULT-VALUE})")
    int lrHalving;

    @Option(names = "--pq-iterations", defaultValue = "100", description = "cap on PQ's Lloyd iterations (default ${DEFAULT-VALUE})")
    int pqIterations;

    @Option(names = "--seed", defaultValue = "42", description = "shuffling and k-means++ seed (default ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--stream-rows", defaultValue = "auto", paramLabel = "auto|0|N",
            description = "N: keep the calibration rows and activations in host memory and stream them through the "
                    + "device N rows at a time, for calibration sets larger than device memory; 0: all on the device; "
                    + "auto: stream only when they would not fit (default ${DEFAULT-VALUE})")
    String streamRows;

    private double lr() {
        return lr.equalsIgnoreCase("auto") ? Options.FIND_LR
                : OptionValues.parse("--lr", lr, Double::parseDouble, rate -> rate > 0 && Double.isFinite(rate),
                        "auto or a positive number");
    }

    private int streamRows() {
        return streamRows.equalsIgnoreCase("auto") ? Options.STREAM_AUTO
                : OptionValues.parse("--stream-rows", streamRows, Integer::parseInt, rows -> rows >= 0,
                        "auto, 0 (all rows on the device) or a number of rows");
    }

    Options toOptions() {
        return DEFAULTS.withSchedule(Options.parseSchedule(schedule))
                .withRidge(ridge)
                .withEigenSolver(eigen)
                .withGlobal(epochs, lr(), batch, beta)
                .withSgd(momentum, weightDecay, lrHalving)
                .withPq(DEFAULTS.pqCentroids(), pqIterations)
                .withSeed(seed)
                .withStreamRows(streamRows());
    }
}
