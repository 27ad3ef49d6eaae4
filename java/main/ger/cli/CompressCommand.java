package ger.cli;

import ger.GerException;
import ger.backend.Backend;
import ger.io.ModelFiles;
import ger.method.CompressionResult;
import ger.method.CompressionSession;
import ger.method.MethodName;
import ger.method.budget.RankAllocation;
import ger.model.CompressedLayer;
import ger.model.FcStack;
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

@Command(name = "compress", mixinStandardHelpOptions = true,
        description = "Compress an FC stack with one method and write it as a safetensors file.")
final class CompressCommand implements Callable<Integer> {
    @Mixin
    ModelMixin model;

    @Option(names = "--calib", required = true, paramLabel = "X.npy",
            description = "calibration rows (n x input features, .npy or IDX); no labels needed")
    Path calib;

    @Option(names = "--calib-rows", paramLabel = "N", description = "use only the first N calibration rows (default: all)")
    Integer calibRows;

    @Option(names = "--method", required = true, description = "lrd, as, ger-ic, ger, pq or bin")
    String method;

    @Mixin
    RankMixin ranks;

    @Option(names = "--rate", paramLabel = "R",
            description = "a size budget: ger chooses each layer's rank so that the weights shrink at least R times "
                    + "(the compression rate as the report counts it); for lrd, as, ger-ic and ger")
    Double rate;

    @Option(names = "--params", paramLabel = "N",
            description = "a size budget in stored weights (kept layers included), instead of --rate")
    Long params;

    @Option(names = "--out", required = true, paramLabel = "C.safetensors", description = "the compressed model")
    Path out;

    @Option(names = "--report", paramLabel = "R.json", description = "a JSON report of the job")
    Path report;

    @Mixin
    MethodRunMixin compute;

    @Override
    public Integer call() {
        MethodName m = MethodName.parse(method);
        new OutputPaths().input("--model", model.model).input("--calib", calib)
                .output("--out", out).output("--report", report);
        notAFolder(out, "--out");
        if (report != null) {
            notAFolder(report, "--report");
        }
        FcStack stack = model.load();
        RankMixin.Job job = ranks.job(m, stack, budget(stack));
        Matrix x = Inputs.firstRows(Inputs.features(calib), calibRows, calib, "--calib-rows");
        String created = Inputs.missingFolders(out, report);
        long started = System.nanoTime();
        Verbosity say = compute.backend.verbosity;
        try (Backend b = compute.backend.open();
             CompressionSession session = Inputs.about(
                     () -> new CompressionSession(b, stack, x, compute.options.toOptions(), say.progress()), calib, model.model)) {
            CompressionResult result = Inputs.about(() -> job.run(session, stack.depth()), calib, model.model);
            double seconds = (System.nanoTime() - started) / 1e9;
            ModelFiles.saveCompressed(out, result.model());
            if (report != null) {
                try {
                    Json.write(report, report(job, result, b, seconds, x.rows()));
                } catch (GerException e) {
                    deleteQuietly(out); // all or nothing: no model without the report asked for
                    throw e;
                }
            }
            say.line(String.format(java.util.Locale.ROOT,
                    "%s: %s, compression rate %.2fx, output relative error %.4f on %d calibration rows, %.1f s on %s%s",
                    out, job.describe(stack), result.model().compressionRate(), result.outputRelError(), x.rows(), seconds,
                    b.name(), created));
            if (result.allocation() != null) {
                say.line(String.format(java.util.Locale.ROOT, "ranks chosen: %s (predicted output relative error %.4f)",
                        result.model().metadata().get("ranks"), result.allocation().predictedRelError()));
            }
            say.notes(result.notes(), report);
        }
        return 0;
    }

    /** Fails before the job, not after it, when an output path is a folder. */
    private static void notAFolder(Path file, String option) {
        if (Files.isDirectory(file)) {
            throw GerException.inFile(file, option + " names a folder, not a file");
        }
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (java.io.IOException ignored) {
            // The report's error is the one to show.
        }
    }

    /** The size budget in weights from --rate or --params, or null. */
    private Long budget(FcStack stack) {
        if (rate != null && params != null) {
            throw new GerException("give --rate or --params, not both");
        }
        if (params != null && params < 1) {
            throw new GerException("--params must be >= 1, got " + params);
        }
        return rate != null ? Long.valueOf(RankAllocation.weightsForRate(stack, rate)) : params;
    }

    /** The report JSON: what was asked, what came out, how long it took. */
    static Map<String, Object> report(RankMixin.Job job, CompressionResult r, Backend b, double seconds, int calibRows) {
        MethodName m = job.method();
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("method", m.cliName());
        json.put("rank", m.isLowRank() && job.budget() == null && job.ranks() == null ? job.knob() : null);
        if (m == MethodName.PQ) {
            json.put("pq_dim", job.knob());
        }
        if (r.allocation() != null) {
            Map<String, Object> budget = new LinkedHashMap<>();
            budget.put("weights", r.allocation().budget());
            budget.put("weights_stored", r.allocation().params());
            budget.put("ranks", r.model().metadata().get("ranks"));
            budget.put("predicted_output_rel_error", r.allocation().predictedRelError());
            budget.put("measured_output_rel_error", r.outputRelError());
            json.put("budget", budget);
        }
        json.put("compression_rate", r.model().compressionRate());
        List<Map<String, Object>> layers = new ArrayList<>();
        for (CompressedLayer l : r.model().layers()) {
            Map<String, Object> layer = new LinkedHashMap<>();
            layer.put("name", l.name());
            layer.put("form", form(l));
            layer.put("rank", l.rank());
            layer.put("shape", List.of(l.out(), l.in()));
            layer.put("rate", l.rate());
            layers.add(layer);
        }
        json.put("layers", layers);
        json.put("output_rel_error", r.outputRelError());
        json.put("calibration_rows", calibRows);
        json.put("seconds", seconds);
        json.put("phase_seconds", r.phaseSeconds());
        json.put("epoch_loss", r.epochLoss());
        if (r.lrSearch() != null) {
            Map<String, Object> search = new LinkedHashMap<>();
            search.put("slice_loss", r.lrSearch().initialLoss());
            search.put("probes", r.lrSearch().byRate().stream().map(p -> {
                Map<String, Object> probe = new LinkedHashMap<>();
                probe.put("lr", p.rate());
                probe.put("pass_loss", p.passLoss());
                probe.put("steady", p.steady());
                return probe;
            }).toList());
            search.put("largest_steady", r.lrSearch().largestSteady());
            search.put("chosen", r.lrSearch().chosen());
            json.put("lr_search", search);
        }
        json.put("settled_lr", r.settledLr());
        json.put("notes", r.notes());
        json.put("backend", b.name());
        json.put("device", b.device());
        json.put("version", Main.VERSION);
        return json;
    }

    static String form(CompressedLayer l) {
        return switch (l) {
            case CompressedLayer.Dense d -> "dense";
            case CompressedLayer.LowRank lr -> "lowrank";
            case CompressedLayer.ProductQuantized pq -> "pq";
            case CompressedLayer.Binarized bin -> "bin";
        };
    }
}
