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
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
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

    @Option(names = "--json", description = "print the result as JSON instead of lines")
    boolean json;

    @Option(names = "--report", paramLabel = "R.json", description = "also write the result as JSON to this file")
    Path report;

    @Mixin
    BackendMixin backend;

    @Override
    public Integer call() {
        new OutputPaths().input("--model", model.model).input("--compressed", compressed).input("--data", data)
                .input("--labels", labels).output("--report", report);
        FcStack stack = model.load();
        CompressedModel small = compressed == null ? null : ModelFiles.loadCompressed(compressed);
        Matrix x = Inputs.features(data);
        int[] y = Inputs.labels(labels);
        int[] ks = Inputs.topK(topk, stack.outputDim());
        try (Backend b = backend.open()) {
            Map<String, Object> result = new LinkedHashMap<>();
            result.put("topk", ks);
            Evaluation original = Inputs.about(() -> Evaluator.evaluate(b, stack, null, x, y, ks), data, labels, model.model);
            result.put("original", entry(model.model.toString(), null, original));
            Verbosity say = json ? null : backend.verbosity;
            if (say != null) {
                say.line(line(model.model.toString(), original));
            }
            if (small != null) {
                Evaluation e = Inputs.about(() -> Evaluator.evaluate(b, stack, small, x, y, ks), data, labels, model.model, compressed);
                result.put("compressed", entry(compressed.toString(), small.compressionRate(), e));
                result.put("output_rel_error", e.outputRelError());
                if (say != null) {
                    say.line(line(compressed + String.format(Locale.ROOT, " (rate %.2fx)", small.compressionRate()), e));
                    say.line(String.format(Locale.ROOT, "output relative error: %.6f", e.outputRelError()));
                }
            }
            result.put("rows", x.rows());
            result.put("backend", b.name());
            if (report != null) {
                Json.write(report, result);
            }
            if (json) {
                System.out.println(Json.text(result));
            }
        }
        return 0;
    }

    private static Map<String, Object> entry(String file, Double rate, Evaluation e) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model", file);
        if (rate != null) {
            m.put("compression_rate", rate);
        }
        Map<String, Object> errors = new LinkedHashMap<>();
        for (int i = 0; i < e.ks().length; i++) {
            errors.put("top" + e.ks()[i], e.topkError()[i]);
        }
        m.put("error", errors);
        return m;
    }

    private static String line(String what, Evaluation e) {
        StringBuilder line = new StringBuilder(what).append(':');
        for (int i = 0; i < e.ks().length; i++) {
            line.append(String.format(Locale.ROOT, " top-%d error %.4f", e.ks()[i], e.topkError()[i]));
        }
        return line.toString();
    }
}
