package ger.cli;

import ger.GerException;
import ger.backend.Backend;
import ger.eval.Evaluation;
import ger.eval.Evaluator;
import ger.io.ModelFiles;
import ger.train.TrainOptions;
import ger.train.Trainer;
import ger.model.FcStack;
import ger.tensor.Matrix;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Train an FC stack (ReLU MLP) on labelled data by softmax cross-entropy and SGD with momentum.")
final class TrainCommand implements Callable<Integer> {
    @Option(names = "--data", required = true, paramLabel = "X", description = "training features (.npy or IDX)")
    Path data;

    @Option(names = "--labels", required = true, paramLabel = "y", description = "training labels (.npy or IDX)")
    Path labels;

    @Option(names = "--hidden", split = ",", defaultValue = "1024,1024", paramLabel = "W,...",
            description = "the hidden layers' widths, bottom first; the input and output widths come from the data (default ${DEFAULT-VALUE})")
    int[] hidden;

    @Option(names = "--epochs", defaultValue = "20", description = "passes over the training data (default ${DEFAULT-VALUE})")
    int epochs;

    @Option(names = "--lr", defaultValue = "0.05", description = "initial SGD learning rate (default ${DEFAULT-VALUE})")
    double lr;

    @Option(names = "--milestones", split = ",", defaultValue = "10,15",
            paramLabel = "E,...",
            description = "epochs (counted from 0) at whose start the learning rate is multiplied by --gamma (default ${DEFAULT-VALUE})")
    List<Integer> milestones;

    @Option(names = "--gamma", defaultValue = "0.1", description = "factor on the learning rate at each of --milestones (default ${DEFAULT-VALUE})")
    double gamma;

    @Option(names = "--momentum", defaultValue = "0.9", description = "SGD momentum (default ${DEFAULT-VALUE})")
    double momentum;

    @Option(names = "--weight-decay", defaultValue = "5e-4", description = "L2 weight decay on the weights, not the biases (default ${DEFAULT-VALUE})")
    double weightDecay;

    @Option(names = "--batch", defaultValue = "128", description = "minibatch rows (default ${DEFAULT-VALUE})")
    int batch;

    @Option(names = "--seed", defaultValue = "42", description = "seed of the initial weights and the shuffling (default ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--test-data", paramLabel = "Xt", description = "held-out features (.npy or IDX): the top-1 (and top-5) error on them is printed after training")
    Path testData;

    @Option(names = "--test-labels", paramLabel = "yt", description = "the held-out features' labels (.npy or IDX)")
    Path testLabels;

    @Option(names = "--out", required = true, paramLabel = "M.safetensors", description = "where to write the trained model (safetensors, one weight and bias per layer)")
    Path out;

    @Mixin
    BackendMixin backend;

    @Override
    public Integer call() {
        if ((testData == null) != (testLabels == null)) {
            throw new GerException("--test-data and --test-labels go together");
        }
        new OutputPaths().input("--data", data).input("--labels", labels)
                .input("--test-data", testData).input("--test-labels", testLabels).output("--out", out);
        Matrix x = Inputs.features(data);
        int[] y = Inputs.labels(labels);
        int classes = IntStream.of(y).max().orElse(0) + 1;
        int[] dims = IntStream.concat(IntStream.concat(IntStream.of(x.cols()), IntStream.of(hidden)), IntStream.of(classes)).toArray();
        TrainOptions o = new TrainOptions(epochs, lr, milestones, gamma, momentum, weightDecay, batch, seed);
        try (Backend b = backend.open()) {
            long started = System.nanoTime();
            FcStack stack = Inputs.about(() -> Trainer.train(b, dims, x, y, o, backend.verbosity.progress()), data, labels);
            double seconds = (System.nanoTime() - started) / 1e9;
            ModelFiles.saveStack(out, stack, Map.of("trained_by", "ger train", "options", o.toString(), "version", Main.VERSION));
            System.out.printf("%s: MLP %s trained in %.1f s on %s%n", out, java.util.Arrays.toString(dims), seconds, b.name());
            if (testData != null) {
                // top-5 only where there are at least 5 classes (the evaluator rejects k > outputs)
                int[] ks = IntStream.of(1, 5).filter(k -> k <= classes).toArray();
                Matrix xt = Inputs.features(testData);
                int[] yt = Inputs.labels(testLabels);
                Evaluation e = Inputs.about(() -> Evaluator.evaluate(b, stack, null, xt, yt, ks), testData, testLabels);
                System.out.println("test: " + IntStream.range(0, ks.length)
                        .mapToObj(i -> String.format(Locale.ROOT, "top-%d error %.4f", ks[i], e.topkError()[i]))
                        .collect(Collectors.joining(", ")));
            }
        }
        return 0;
    }
}
