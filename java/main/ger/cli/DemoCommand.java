package ger.cli;

import ger.GerException;
import ger.backend.Backend;
import ger.io.Idx;
import ger.io.ModelFiles;
import ger.train.TrainOptions;
import ger.train.Trainer;
import ger.model.FcStack;
import ger.sweep.SweepWriter;
import ger.tensor.Matrix;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "demo", mixinStandardHelpOptions = true, defaultValueProvider = DemoCommand.Defaults.class,
        description = "The embedded default: the Fashion-MNIST MLP 784-1024-1024-10 (loaded from the jar, or trained "
                + "if absent), swept with 3,000 training rows as calibration and the 10,000 test images as evaluation. "
                + "Its defaults differ from the sweep's so that it ends in under two minutes on 2 cores: ranks 8..128 "
                + "(the layers are 1024 wide), budgets at 8x, 16x and 32x, a 10-iteration lambda schedule, 5 global "
                + "epochs at lr 0.05 (the rate search would cost more than the epochs here), 25 PQ iterations.")
final class DemoCommand implements Callable<Integer> {
    /** The demo's own defaults; every other option keeps the sweep's. */
    static final class Defaults implements CommandLine.IDefaultValueProvider {
        private static final Map<String, String> VALUES = Map.of(
                "--ranks", "8,16,32,64,128",
                "--single-layer-ranks", "16,64",
                "--rates", "8,16,32",
                "--lambda-schedule", "0.01x5,1x5",
                "--epochs", "5",
                "--lr", "0.05",
                "--pq-iterations", "25");

        @Override
        public String defaultValue(CommandLine.Model.ArgSpec arg) {
            return arg instanceof CommandLine.Model.OptionSpec o ? VALUES.get(o.longestName()) : null;
        }
    }

    static final String MODEL_RESOURCE = "/models/fashion-mnist-mlp.safetensors";
    static final String INSTALL_HINT = "install it with: apt-get install dataset-fashion-mnist (as root)";

    @Option(names = "--data-dir", defaultValue = "/usr/share/datasets/fashion-mnist",
            description = "Fashion-MNIST's IDX files (default ${DEFAULT-VALUE}, from Debian's dataset-fashion-mnist)")
    Path dataDir;

    @Option(names = "--model", paramLabel = "M.safetensors",
            description = "use this FC stack instead of the one embedded in the jar")
    Path model;

    @Option(names = "--calib-rows", defaultValue = "3000", description = "training rows used for calibration (default ${DEFAULT-VALUE})")
    int calibRows;

    @Option(names = "--out", defaultValue = "ger-demo", paramLabel = "DIR", description = "output folder (default ${DEFAULT-VALUE})")
    Path out;

    @Mixin
    SweepCommand.SweepMixin sweep;

    @Mixin
    MethodRunMixin compute;

    @Override
    public Integer call() {
        Path trainImages = dataFile("train-images-idx3-ubyte.gz");
        Path trainLabels = dataFile("train-labels-idx1-ubyte.gz");
        Path testImages = dataFile("t10k-images-idx3-ubyte.gz");
        Path testLabels = dataFile("t10k-labels-idx1-ubyte.gz");
        OutputPaths paths = new OutputPaths().input("--model", model);
        List.of(trainImages, trainLabels, testImages, testLabels).forEach(f -> paths.input("--data-dir", f));
        SweepWriter.files(out).forEach(f -> paths.output("--out", f));
        Matrix train = Idx.readImages(trainImages);
        if (calibRows < 1 || calibRows > train.rows()) {
            throw new GerException("--calib-rows must be in 1.." + train.rows() + ", got " + calibRows);
        }
        Matrix calib = train.rowRange(0, calibRows);
        Matrix test = Idx.readImages(testImages);
        int[] testY = Idx.readLabels(testLabels);
        Map<String, Object> context = new LinkedHashMap<>();
        context.put("data", dataDir + " (Fashion-MNIST)");
        context.put("calibration", "the first " + calibRows + " training images");
        context.put("evaluation", "the " + test.rows() + " test images");
        try (Backend b = compute.backend.open()) {
            FcStack stack = loadOrTrain(b, train, trainLabels, context);
            train.close();
            SweepCommand.run(b, stack, calib, test, testY, sweep, compute.options.toOptions(), out, context, compute.backend.verbosity,
                    trainImages, testImages, testLabels);
        }
        return 0;
    }

    private FcStack loadOrTrain(Backend b, Matrix train, Path trainLabels, Map<String, Object> context) {
        if (model != null) {
            context.put("model", model.toString());
            return ModelFiles.loadStack(model, null);
        }
        try (InputStream in = DemoCommand.class.getResourceAsStream(MODEL_RESOURCE)) {
            if (in != null) {
                Path temp = Files.createTempFile("ger-demo-model", ".safetensors");
                try {
                    Files.copy(in, temp, StandardCopyOption.REPLACE_EXISTING);
                    context.put("model", "embedded " + MODEL_RESOURCE + " (made by ger train, see README)");
                    return ModelFiles.loadStack(temp, null);
                } finally {
                    Files.deleteIfExists(temp);
                }
            }
        } catch (IOException e) {
            throw new GerException("reading the embedded model " + MODEL_RESOURCE + ": " + e.getMessage(), e);
        }
        System.err.println("no embedded model in this jar: training the MLP 784-1024-1024-10 first (ger train defaults)");
        context.put("model", "trained now by ger train defaults");
        return Trainer.train(b, new int[] {784, 1024, 1024, 10}, train, Idx.readLabels(trainLabels),
                TrainOptions.defaults(), compute.backend.verbosity.progress());
    }

    private Path dataFile(String name) {
        Path p = dataDir.resolve(name);
        if (!Files.isRegularFile(p)) {
            throw GerException.inFile(p, "Fashion-MNIST not found; " + INSTALL_HINT + " (or pass --data-dir)");
        }
        return p;
    }
}
