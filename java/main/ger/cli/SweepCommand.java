package ger.cli;

import ger.backend.Backend;
import ger.method.MethodName;
import ger.method.Options;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
    BackendMixin backend;

    @Mixin
    MethodOptionsMixin options;

    @Override
    public Integer call() {
        FcStack stack = model.load();
        Matrix x = Inputs.features(calib);
        Matrix xv = Inputs.features(data);
        int[] yv = Inputs.labels(labels);
        Map<String, Object> context = new LinkedHashMap<>();
        context.put("model", model.model.toString());
        context.put("calibration", calib + " (" + x.rows() + " rows)");
        context.put("evaluation", data + " (" + xv.rows() + " rows)");
        try (Backend b = backend.open()) {
            run(b, stack, x, xv, yv, sweep, options.toOptions(), out, context);
        }
        return 0;
    }

    /** The sweep and its files; shared with the demo. */
    static void run(Backend b, FcStack stack, Matrix x, Matrix xv, int[] yv, SweepMixin s, Options o, Path out,
                    Map<String, Object> context) {
        List<MethodName> methods = s.methods.stream().map(MethodName::parse).toList();
        s.ranks.forEach(k -> CompressCommand.knob(MethodName.LRD, k, 1));
        s.singleLayerRanks().forEach(k -> CompressCommand.knob(MethodName.LRD, k, 1));
        s.pqDims.forEach(d -> CompressCommand.knob(MethodName.PQ, null, d));
        context.put("backend", b.name() + " (" + b.device() + ")");
        context.put("options", o.toString());
        long started = System.nanoTime();
        int[] ks = Inputs.topK(s.topk, stack.outputDim());
        Sweep sw = new Sweep(b, stack, x, xv, yv, ks, o, new TerminalProgress());
        try {
            SweepRow original = sw.original();
            List<SweepRow> rows = new ArrayList<>(sw.run(methods, s.ranks, s.pqDims, null));
            if (s.singleLayer) {
                for (int l = 0; l < stack.depth(); l++) {
                    rows.addAll(sw.run(methods, s.singleLayerRanks(), s.pqDims, l));
                }
            }
            context.put("seconds", String.format("%.1f", (System.nanoTime() - started) / 1e9));
            SweepWriter.write(out, ks, original, rows, context);
            System.out.print(readQuietly(out.resolve("results.md")));
            System.out.println("wrote " + out.resolve("results.csv") + ", results.json, results.md, rate_distortion.png/.svg"
                    + (s.singleLayer ? ", single_layer.png/.svg" : ""));
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

        @Option(names = "--ranks", split = ",", defaultValue = "32,64,128,256,512,1024",
                description = "ranks k for lrd, as, ger-ic, ger (default ${DEFAULT-VALUE})")
        List<Integer> ranks;

        @Option(names = "--pq-dims", split = ",", defaultValue = "1,2,4,8",
                description = "PQ sub-vector dimensions (default ${DEFAULT-VALUE})")
        List<Integer> pqDims;

        @Option(names = "--topk", split = ",", paramLabel = "K,...",
                description = "top-k errors to report (default 1,5; 1 alone for a model with fewer than 5 outputs)")
        int[] topk;

        @Option(names = "--single-layer", negatable = true, defaultValue = "true", fallbackValue = "true",
                description = "also compress each layer alone, the others original (default ${DEFAULT-VALUE})")
        boolean singleLayer;

        @Option(names = "--single-layer-ranks", split = ",",
                description = "ranks for the single-layer study (default: the sweep's --ranks)")
        List<Integer> singleLayerRanks;

        List<Integer> singleLayerRanks() {
            return singleLayerRanks == null ? ranks : singleLayerRanks;
        }
    }
}
