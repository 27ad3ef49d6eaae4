package ger.method.budget;

import ger.backend.Backend;
import ger.backend.java.JavaBackend;
import ger.method.CompressionResult;
import ger.method.CompressionSession;
import ger.method.CriterionInputs;
import ger.method.MethodName;
import ger.method.Options;
import ger.method.Progress;
import ger.method.RankRule;
import ger.model.CompressedModel;
import ger.model.FcStack;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The size budget's criterion (bench/results/budget.md): at each rate R, each method with ranks chosen
 * under R's budget against the same method at the cheapest uniform rank whose rate is at most R (so
 * the uniform model stores at least as many weights); prints the calibration rows' output errors.
 *
 * <pre>
 * java ... ger.method.budget.BudgetCriterion demo MODEL.safetensors FASHION_MNIST_DIR lrd,as,ger 12,16,24,32,48 [schedule] [epochs]
 * java ... ger.method.budget.BudgetCriterion vgg19 N lrd 10,16,32 [schedule] [epochs]
 * </pre>
 */
public final class BudgetCriterion {
    private BudgetCriterion() {
    }

    public static void main(String[] args) {
        CriterionInputs inputs = CriterionInputs.of(args);
        FcStack model = inputs.model();
        List<MethodName> methods = Arrays.stream(inputs.rest().get(0).split(",")).map(MethodName::parse).toList();
        List<Double> rates = Arrays.stream(inputs.rest().get(1).split(",")).map(Double::parseDouble).toList();
        String schedule = inputs.optional(2, "0.01x25,1x25");
        int epochs = Integer.parseInt(inputs.optional(3, "20"));
        Options options = CriterionInputs.options(schedule, epochs);
        inputs.printHeading(schedule, epochs + " global epochs, lr found", "| method | rate R | budgeted ranks | budgeted rate "
                + "| budgeted error | uniform k | uniform rate | uniform error | budgeted / uniform |",
                "|---|---:|---|---:|---:|---:|---:|---:|---:|");
        Backend b = new JavaBackend();
        try (CompressionSession session = new CompressionSession(b, model, inputs.calib(), options, Progress.NONE)) {
            for (MethodName m : methods) {
                for (double rate : rates) {
                    int k = cheapestUniformRankAtMost(model, rate);
                    CompressionResult budgeted = session.compressWithin(m, RankAllocation.weightsForRate(model, rate), Set.of());
                    CompressionResult uniform = session.compress(m, k);
                    try (CompressedModel bm = budgeted.model(); CompressedModel um = uniform.model()) {
                        System.out.printf(Locale.ROOT, "| %s | %.4g | %s | %.2f | %.5f | %d | %.2f | %.5f | %.3f |%n", m, rate,
                                bm.metadata().get("ranks"), bm.compressionRate(), budgeted.outputRelError(), k,
                                um.compressionRate(), uniform.outputRelError(),
                                budgeted.outputRelError() / uniform.outputRelError());
                    }
                }
            }
        }
    }

    /** The smallest uniform rank whose compression rate is at most rate (it stores at least R's budget). */
    private static int cheapestUniformRankAtMost(FcStack model, double rate) {
        for (int k = 1; ; k++) {
            long stored = 0;
            for (int l = 0; l < model.depth(); l++) {
                int out = model.layer(l).out();
                int in = model.layer(l).in();
                stored += RankRule.staysDense(k, out, in) ? (long) out * in : (long) k * (out + in);
            }
            if ((double) model.weightCount() / stored <= rate) {
                return k;
            }
        }
    }
}
