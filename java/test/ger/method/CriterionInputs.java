package ger.method;

import ger.bench.Workload;
import ger.io.Idx;
import ger.io.ModelFiles;
import ger.model.FcStack;
import ger.tensor.Matrix;

import java.nio.file.Path;

/**
 * The model and calibration rows of the recorded criteria (RateSearchCriterion, BudgetCriterion), from
 * their first arguments: {@code demo MODEL FASHION_MNIST_DIR} (the first 10,000 training images) or a
 * synthetic workload {@code NAME N} (seed 42); {@code next} is the index of the arguments after them.
 */
record CriterionInputs(String name, FcStack model, Matrix calib, int next) {
    static CriterionInputs of(String[] args) {
        if (args[0].equals("demo")) {
            try (Matrix train = Idx.readImages(Path.of(args[2]).resolve("train-images-idx3-ubyte.gz"))) {
                return new CriterionInputs("demo", ModelFiles.loadStack(Path.of(args[1]), null), train.rowRange(0, 10_000), 3);
            }
        }
        Workload w = Workload.of(args[0], Integer.parseInt(args[1]), 42);
        return new CriterionInputs(args[0], w.model(), w.calib(), 2);
    }
}
