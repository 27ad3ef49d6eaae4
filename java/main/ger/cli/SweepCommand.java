package ger.cli;

import ger.backend.Backend;
import ger.GerException;
import ger.method.LayerRanks;
import ger.method.MethodName;
import ger.method.Options;
import ger.method.budget.RankAllocation;
import ger.model.FcStack;
import ger.sweep.Sweep;
import ger.sweep.SweepRow;
import ger.sweep.SweepWriter;
import ger.tensor.Matrix;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.concurrent.Callable;

@Command(name = "sweep", mixinStandardHelpOptions = true,
        description = "Rate-distortion sweep: every method at every rank, evaluated on labelled data; writes "
                + "results.csv/.json/.md, rate_distortion.png/.svg and the single-layer study.")
final class SweepCommand implements Callable<Integer> {
    @Mixin
    ModelMixin model;

    @Option(names = "--calib", required = true, paramLabel = "X.npy", description = "calibration rows (.npy or IDX)")
    Path calib;

    @Option(names = "--data", required = true, paramLabel = "Xv.npy", description = "evaluation features (.npy or IDX)")
    Path data;

    @Option(names = "--labels", required = true, paramLabel = "yv.npy", description = "evaluation labels (.npy or IDX)")
    Path labels;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "output folder")
    Path out;

    @Mixin
    SweepMixin sweep;

    @Mixin
    MethodRunMixin compute;

    @Override
    public Integer call() {
        OutputPaths paths = new OutputPaths().input("--model", model.model).input("--calib", calib)
                .input("--data", data).input("--labels", labels);
        SweepWriter.files(out).forEach(f -> paths.output("--out", f));
        FcStack stack = model.load();
        Matrix x = Inputs.features(calib);
        Matrix xv = Inputs.features(data);
        int[] yv = Inputs.labels(labels);
        Map<String, Object> context = new LinkedHashMap<>();
        context.put("model", model.model.toString());
        context.put("calibration", calib + " (" + x.rows() + " rows)");
        context.put("evaluation", data + " (" + xv.rows() + " rows)");
        try (Backend b = compute.backend.open()) {
            run(b, stack, x, xv, yv, sweep, compute.options.toOptions(), out, context, compute.backend.verbosity, model.model, calib, data, labels);
        }
        return 0;
    }

    /** The sweep and its files; shared with the demo. Refusals about the data name {@code inputs}. */
    static void run(Backend b, FcStack stack, Matrix x, Matrix xv, int[] yv, SweepMixin s, Options o, Path out,
                    Map<String, Object> context, Verbosity say, Path... inputs) {
        List<MethodName> methods = s.methods.stream().map(MethodName::parse).toList();
        SweepMixin.Grid grid = s.grid(stack);
        context.put("backend", b.name() + " (" + b.device() + ")");
        context.put("options", o.described());
        long started = System.nanoTime();
        int[] ks = Inputs.topK(s.topk, stack.outputDim());
        Sweep sw = Inputs.about(() -> new Sweep(b, stack, x, xv, yv, ks, o, grid.kept(), say.progress()), inputs);
        if (s.saveModels) {
            sw.saveModelsTo(out.resolve("models"));
        }
        try {
            sw.planJobs(Sweep.jobs(methods, grid.uniform().size(), s.pqDims.size())
                    + Sweep.lowRankJobs(methods, grid.perLayer().size() + grid.rates().size())
                    + (s.singleLayer ? stack.depth() * Sweep.jobs(methods, grid.singleLayer().size(), s.pqDims.size()) : 0));
            SweepRow original = Inputs.about(sw::original, inputs);
            List<SweepRow> rows = Inputs.about(() -> {
                List<SweepRow> all = new ArrayList<>(sw.run(methods, grid.uniform(), s.pqDims, null));
                all.addAll(sw.runRanks(methods, grid.perLayer()));
                all.addAll(sw.runBudgets(methods, grid.rates()));
                if (s.singleLayer) {
                    for (int l = 0; l < stack.depth(); l++) {
                        all.addAll(sw.run(methods, grid.singleLayer(), s.pqDims, l));
                    }
                }
                return all;
            }, inputs);
            context.put("seconds", Math.round((System.nanoTime() - started) / 1e8) / 10.0);
            boolean replaced = Files.exists(out.resolve("results.json"));
            List<String> written = SweepWriter.write(out, ks, original, rows, context);
            say.detail(readQuietly(out.resolve("results.md")));
            say.line((replaced ? "replaced the earlier results in " : "wrote ") + out + ": " + String.join(", ", written));
        } finally {
            sw.close();
        }
    }

    private static String readQuietly(Path p) {
        try {
            return Files.readString(p);
        } catch (java.io.IOException e) {
            return "";
        }
    }

    /** The sweep's grid. */
    static final class SweepMixin {
        @Option(names = "--methods", split = ",", defaultValue = "lrd,as,ger-ic,ger,pq,bin",
                description = "methods to sweep (default ${DEFAULT-VALUE})")
        List<String> methods;

        @Option(names = "--ranks", defaultValue = "32,64,128,256,512,1024", paramLabel = "K,...|LAYER:K,...",
                description = "ranks for lrd, as, ger-ic and ger: a list of uniform ranks, or one point of per-layer "
                        + "ranks (fc6:512,fc7:256,fc8:dense); repeat the option for more (default ${DEFAULT-VALUE})")
        List<String> ranks;

        @Option(names = "--rates", split = ",", paramLabel = "R,...",
                description = "compression rates at which lrd, as, ger-ic and ger also run with ranks chosen under that "
                        + "size budget (drawn as the 'method (budget)' curves)")
        List<Double> rates;

        @Option(names = "--keep", split = ",", paramLabel = "LAYER,...",
                description = "layers every job keeps with their original weights (the single-layer study aside)")
        List<String> keep;

        @Option(names = "--pq-dims", split = ",", defaultValue = "1,2,4,8",
                description = "PQ sub-vector dimensions (default ${DEFAULT-VALUE})")
        List<Integer> pqDims;

        @Option(names = "--topk", split = ",", paramLabel = "K,...",
                description = "top-k errors to report (default 1,5; 1 alone for a model with fewer than 5 outputs)")
        int[] topk;

        @Option(names = "--save-models", description = "also keep every job's compressed model, as OUT/models/<job>.safetensors "
                + "(e.g. ger-k32.safetensors, ger-at-8x.safetensors)")
        boolean saveModels;

        @Option(names = "--single-layer", negatable = true, defaultValue = "true", fallbackValue = "true",
                description = "also compress each layer alone, the others original (default ${DEFAULT-VALUE})")
        boolean singleLayer;

        @Option(names = "--single-layer-ranks", split = ",",
                description = "ranks for the single-layer study (default: the sweep's uniform --ranks)")
        List<Integer> singleLayerRanks;

        /** The jobs of the sweep, checked against the model. */
        record Grid(List<Integer> uniform, List<LayerRanks> perLayer, List<Double> rates, List<Integer> singleLayer,
                    Set<Integer> kept) {
        }

        Grid grid(FcStack model) {
            Set<Integer> kept = RankMixin.kept(keep, model);
            List<Integer> uniform = new ArrayList<>();
            List<LayerRanks> perLayer = new ArrayList<>();
            for (String value : ranks) {
                if (value.contains(":")) {
                    perLayer.add(LayerRanks.parse(value, model, null, kept));
                } else {
                    uniform.addAll(positiveInts(value, "--ranks"));
                }
            }
            List<Double> budgetRates = rates == null ? List.of() : rates;
            budgetRates.forEach(r -> RankAllocation.weightsForRate(model, r));
            List<Integer> single = singleLayerRanks == null ? uniform : singleLayerRanks;
            single.forEach(k -> positiveInts(Integer.toString(k), "--single-layer-ranks"));
            pqDims.forEach(d -> {
                if (d < 1) {
                    throw new GerException("--pq-dims takes sub-vector dimensions >= 1, got " + d);
                }
            });
            return new Grid(uniform, perLayer, budgetRates, single, kept);
        }

        private static List<Integer> positiveInts(String list, String option) {
            return Arrays.stream(list.split(",")).map(v -> OptionValues.parse(option, v.strip(), Integer::parseInt,
                    k -> k >= 1, "ranks >= 1 (or LAYER:K points)")).toList();
        }
    }
}
