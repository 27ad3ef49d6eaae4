package ger.method;

import ger.bench.Workload;
import ger.io.Idx;
import ger.io.ModelFiles;
import ger.model.FcStack;
import ger.tensor.Matrix;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The model and calibration rows of the recorded criteria (RateSearchCriterion, BudgetCriterion), from
 * their first arguments: {@code demo MODEL FASHION_MNIST_DIR} (the first 10,000 training images) or a
 * synthetic workload {@code NAME N} (seed 42); {@code rest} holds the arguments after them.
 */
public record CriterionInputs(String name, FcStack model, Matrix calib, List<String> rest) {
    public static CriterionInputs of(String[] args) {
        if (args[0].equals("demo")) {
            try (Matrix train = Idx.readImages(Path.of(args[2]).resolve("train-images-idx3-ubyte.gz"))) {
                return new CriterionInputs("demo", ModelFiles.loadStack(Path.of(args[1]), null), train.rowRange(0, 10_000),
                        after(args, 3));
            }
        }
        Workload w = Workload.of(args[0], Integer.parseInt(args[1]), 42);
        return new CriterionInputs(args[0], w.model(), w.calib(), after(args, 2));
    }

    private static List<String> after(String[] args, int from) {
        return Arrays.asList(args).subList(from, args.length);
    }

    /** The i-th of the rest, or fallback where there are fewer. */
    public String optional(int i, String fallback) {
        return i < rest.size() ? rest.get(i) : fallback;
    }

    /**
     * Prints the report's heading: "NAME, N calibration rows, schedule S, " and what the epochs are,
     * a blank line, then the table's column row and its alignment row.
     */
    public void printHeading(String schedule, String epochs, String columns, String alignment) {
        System.out.printf(Locale.ROOT, "%s, %d calibration rows, schedule %s, %s%n%n", name, calib.rows(), schedule, epochs);
        System.out.println(columns);
        System.out.println(alignment);
    }

    /** The criteria's method options: the schedule, and epochs of the global stage at the rate found, batch 256. */
    public static Options options(String schedule, int epochs) {
        return Options.defaults().withSchedule(Options.parseSchedule(schedule)).withGlobal(epochs, Options.FIND_LR, 256, 0);
    }
}
