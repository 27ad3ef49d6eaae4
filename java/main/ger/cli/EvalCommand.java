package ger.cli;

import ger.backend.Backend;
import ger.eval.Evaluation;
import ger.eval.Evaluator;
import ger.io.ModelFiles;
import ger.model.CompressedModel;
import ger.model.FcStack;
import ger.tensor.Matrix;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "eval", mixinStandardHelpOptions = true,
        description = "Top-k errors of a model (and of its compressed form) on labelled data, and the compressed "
                + "model's output error relative to the original.")
final class EvalCommand implements Callable<Integer> {
    @Mixin
    ModelMixin model;

    @Option(names = "--compressed", paramLabel = "C.safetensors", description = "a file written by ger compress")
    Path compressed;

    @Option(names = "--data", required = true, paramLabel = "X.npy", description = "features (.npy or IDX)")
    Path data;

    @Option(names = "--labels", required = true, paramLabel = "y.npy", description = "integer labels (.npy or IDX)")
    Path labels;

    @Option(names = "--topk", split = ",", paramLabel = "K,...",
            description = "the k of each top-k error (default 1,5; 1 alone for a model with fewer than 5 outputs)")
    int[] topk;

    @Mixin
    BackendMixin backend;

    @Override
    public Integer call() {
        FcStack stack = model.load();
        CompressedModel small = compressed == null ? null : ModelFiles.loadCompressed(compressed);
        Matrix x = Inputs.features(data);
        int[] y = Inputs.labels(labels);
        int[] ks = Inputs.topK(topk, stack.outputDim());
        try (Backend b = backend.open()) {
            print(model.model.toString(), Inputs.about(() -> Evaluator.evaluate(b, stack, null, x, y, ks),
                    data, labels, model.model));
            if (small != null) {
                Evaluation e = Inputs.about(() -> Evaluator.evaluate(b, stack, small, x, y, ks), data, labels, model.model, compressed);
                print(compressed + String.format(" (rate %.2fx)", small.compressionRate()), e);
                System.out.printf("output relative error: %.6f%n", e.outputRelError());
            }
        }
        return 0;
    }

    private static void print(String what, Evaluation e) {
        StringBuilder line = new StringBuilder(what).append(':');
        for (int i = 0; i < e.ks().length; i++) {
            line.append(String.format(" top-%d error %.4f", e.ks()[i], e.topkError()[i]));
        }
        System.out.println(line);
    }
}
