package ger.method.global;

import ger.backend.Backend;
import ger.backend.java.JavaBackend;
import ger.method.CompressionSession;
import ger.method.CriterionInputs;
import ger.method.DeviceOps;
import ger.method.Forward;
import ger.method.MethodName;
import ger.method.Options;
import ger.method.Progress;
import ger.method.Rows;
import ger.model.CompressedLayer;
import ger.model.FcStack;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The rate search's criterion (bench/results/lr-search.md): at each rank, the global stage from the
 * same AS initialisation with the rate found, then with fixed rates 2^-4 .. 2^4 times it (a 256x
 * span), the same epochs; prints the final epoch loss of each and the found run's excess over the
 * best fixed one.
 *
 * <pre>
 * java ... ger.method.global.RateSearchCriterion demo MODEL.safetensors FASHION_MNIST_DIR 8,16,32 [epochs] [schedule]
 * java ... ger.method.global.RateSearchCriterion alexnet N 256 [epochs] [schedule]
 * </pre>
 */
public final class RateSearchCriterion {
    private RateSearchCriterion() {
    }

    public static void main(String[] args) {
        CriterionInputs inputs = CriterionInputs.of(args);
        FcStack model = inputs.model();
        List<Integer> ranks = java.util.Arrays.stream(inputs.rest().get(0).split(",")).map(Integer::parseInt).toList();
        int epochs = Integer.parseInt(inputs.optional(1, "30"));
        String schedule = inputs.optional(2, "0.01x25,1x25");
        Options options = CriterionInputs.options(schedule, epochs);
        inputs.printHeading(schedule, epochs + " epochs, batch 256", "| k | lr found | final loss (found) | best fixed lr "
                + "| best final loss (fixed) | found / best - 1 | fixed rates: final loss |", "|---|---:|---:|---:|---:|---:|---|");
        Backend b = new JavaBackend();
        for (int k : ranks) {
            try (CompressionSession session = new CompressionSession(b, model, inputs.calib(), options, Progress.NONE);
                 Rows x = new Rows.OnDevice(b, b.upload(inputs.calib()), Forward.CHUNK_ROWS);
                 Rows target = x.map(model.outputDim(), (in, out) -> {
                     try (Forward f = Forward.of(b, model); ger.tensor.Tensor y = f.outputs(in)) {
                         DeviceOps.copyInto(b, y, out);
                     }
                 })) {
                List<CompressedLayer> init = session.compress(MethodName.AS, k).model().layers();
                boolean[] trained = new boolean[model.depth()];
                java.util.Arrays.fill(trained, true);
                GlobalStage.Result found = stage(b, init, trained, x, target, options);
                double chosen = found.lrSearch().chosen();
                double foundLoss = found.epochLoss().getLast();
                double bestLoss = Double.POSITIVE_INFINITY;
                double bestLr = 0;
                List<String> grid = new ArrayList<>();
                for (int j = -4; j <= 4; j++) {
                    double lr = chosen * Math.pow(2, j);
                    GlobalStage.Result fixed = stage(b, init, trained, x, target, options.withGlobal(epochs, lr, 256, 0));
                    double loss = fixed.epochLoss().isEmpty() ? Double.NaN : fixed.epochLoss().getLast();
                    grid.add(String.format(Locale.ROOT, "%.3g: %.5g", lr, loss));
                    if (loss < bestLoss) {
                        bestLoss = loss;
                        bestLr = lr;
                    }
                }
                System.out.printf(Locale.ROOT, "| %d | %.4g | %.5g | %.4g | %.5g | %+.1f%% | %s |%n", k, chosen, foundLoss,
                        bestLr, bestLoss, 100 * (foundLoss / bestLoss - 1), String.join("; ", grid));
            }
        }
    }

    /** The global stage's epoch losses and rate search (its layers freed). */
    private static GlobalStage.Result stage(Backend b, List<CompressedLayer> init, boolean[] trained, Rows x, Rows target,
                                            Options options) {
        try (GlobalStage stage = new GlobalStage(b, init, trained, x, target, List.of(), options, Progress.NONE)) {
            GlobalStage.Result r = stage.run();
            r.layers().forEach(CompressedLayer::close);
            return r;
        }
    }
}
