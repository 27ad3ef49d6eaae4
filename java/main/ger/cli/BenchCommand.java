package ger.cli;

import ger.backend.Backend;
import ger.backend.cuda.CudaBackend;
import ger.backend.ProfilingBackend;
import ger.bench.PeerPhases;
import ger.bench.Roofline;
import ger.bench.Workload;
import ger.io.ModelFiles;
import ger.io.Npy;
import ger.method.CompressionResult;
import ger.method.CompressionSession;
import ger.method.LayerRanks;
import ger.method.MethodName;
import ger.method.Options;
import ger.model.FcStack;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;

@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Generate a synthetic workload of the paper's shapes (bench/peer/WORKLOAD.md), run GER and LRD on it "
                + "and print per-phase times, the output errors and the roofline figures measured in the same run.")
final class BenchCommand implements Callable<Integer> {
    @Option(names = "--workload", defaultValue = "small", description = "vgg19, alexnet or small (default ${DEFAULT-VALUE})")
    String workload;

    @Option(names = "--n", defaultValue = "2000", description = "calibration rows (default ${DEFAULT-VALUE})")
    int n;

    @Option(names = "--rank", defaultValue = "256", description = "k (default ${DEFAULT-VALUE})")
    int rank;

    @Option(names = "--ranks", paramLabel = "LAYER:K,...",
            description = "per-layer ranks instead of --rank for every layer, e.g. fc6:512,fc7:256,fc8:128")
    String ranks;

    @Option(names = "--workload-seed", defaultValue = "42", description = "the workload's seed (default ${DEFAULT-VALUE})")
    long workloadSeed;

    @Option(names = "--out", paramLabel = "ger.json", description = "the results as JSON (bench/peer/compare.py reads it)")
    Path out;

    @Option(names = "--export", paramLabel = "DIR",
            description = "write the workload as DIR/model.safetensors and DIR/calib.npy and stop (inputs for ger compress, validate)")
    Path export;

    @Option(names = "--roofline", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "measure SGEMM and copy ceilings (default ${DEFAULT-VALUE})")
    boolean roofline;

    @Mixin
    MethodRunMixin compute;

    @Override
    public Integer call() {
        Options o = compute.options.toOptions();
        Map<String, Object> json = new LinkedHashMap<>();
        List<Map<String, Object>> phases = new ArrayList<>();
        ProfilingBackend profiler = ProfilingBackend.wrap(compute.backend.open());
        try (Backend b = profiler.backend()) {
            json.put("tool", "ger");
            json.put("backend", b.name());
            json.put("device", b.device());
            json.put("date", Instant.now().toString());
            // bench/device/run.sh passes the commit pack.sh packed, so every recorded result names its code.
            json.put("commit", System.getProperty("ger.commit"));
            long start = System.nanoTime();
            try (Workload w = Workload.generate(b, workload, n, workloadSeed)) {
                PeerPhases.add(phases, "workload_generation", (System.nanoTime() - start) * 1e-6);
                if (export != null) {
                    ModelFiles.saveStack(export.resolve("model.safetensors"), w.model(),
                            Map.of("workload", workload, "seed", Long.toString(workloadSeed)));
                    Npy.writeMatrix(export.resolve("calib.npy"), w.calib());
                    System.out.println("wrote " + export.resolve("model.safetensors") + " and " + export.resolve("calib.npy"));
                    return 0;
                }
                FcStack model = w.model();
                Map<String, Object> wl = new LinkedHashMap<>();
                wl.put("name", workload);
                wl.put("n", n);
                wl.put("seed", workloadSeed);
                wl.put("rank", rank);
                wl.put("dims", dims(model));
                wl.put("schedule", compute.options.schedule);
                wl.put("epochs", o.epochs());
                wl.put("batch", o.batch());
                wl.put("lr", o.findsLr() ? "auto" : o.lr());
                wl.put("weight_decay", o.weightDecay());
                wl.put("gemm", b.name().equals("cuda") ? System.getProperty(CudaBackend.GEMM_PROPERTY, "fp32") : "fp32");
                json.put("workload", wl);
                try (CompressionSession session = new CompressionSession(b, model, w.calib(), o, compute.backend.verbosity.progress())) {
                    LayerRanks plan = ranks == null ? LayerRanks.uniform(model.depth(), rank)
                            : LayerRanks.parse(ranks, model, null, Set.of());
                    wl.put("ranks", plan.describe(model));
                    CompressionResult ger = session.compress(MethodName.GER, plan);
                    wl.put("stream_rows", session.streamedChunkRows());
                    double endToEnd = ger.phaseSeconds().entrySet().stream().filter(e -> !e.getKey().equals("evaluate"))
                            .mapToDouble(Map.Entry::getValue).sum();
                    CompressionResult as = session.compress(MethodName.AS, plan); // reuses GER's initialisation
                    start = System.nanoTime();
                    CompressionResult lrd = session.compress(MethodName.LRD, plan);
                    double lrdMs = (System.nanoTime() - start) * 1e-6;
                    PeerPhases.addProfile(phases, profiler, model);
                    PeerPhases.add(phases, "end_to_end", endToEnd * 1e3);
                    PeerPhases.add(phases, "lrd", lrdMs);
                    json.put("phases", phases);
                    json.put("end_to_end_ms", endToEnd * 1e3);
                    json.put("output_rel_error_init", as.outputRelError());
                    json.put("output_rel_error", ger.outputRelError());
                    json.put("output_rel_error_lrd", lrd.outputRelError());
                    json.put("lr", ger.settledLr());
                    json.put("lr_chosen", ger.lrSearch() == null ? null : ger.lrSearch().chosen());
                    json.put("epoch_loss", ger.epochLoss());
                    json.put("notes", ger.notes());
                    if (roofline) {
                        json.put("roofline", Roofline.measure(b, model, n, rank, phases));
                    }
                }
            }
        }
        print(json, phases, compute.backend.verbosity);
        if (out != null) {
            Json.write(out, json);
            compute.backend.verbosity.line("wrote " + out);
        }
        return 0;
    }

    private static List<Integer> dims(FcStack model) {
        List<Integer> dims = new ArrayList<>(List.of(model.inputDim()));
        model.layers().forEach(d -> dims.add(d.out()));
        return dims;
    }

    private static void print(Map<String, Object> json, List<Map<String, Object>> phases, Verbosity say) {
        StringBuilder b = new StringBuilder("ger bench on " + json.get("device") + " (" + json.get("backend") + "), workload "
                + json.get("workload") + "\n| phase | ms |\n|---|---:|\n");
        for (Map<String, Object> p : phases) {
            b.append(String.format(Locale.ROOT, "| %s | %.1f |%n", p.get("name"), (Double) p.get("ms")));
        }
        b.append(String.format(Locale.ROOT, "output relative error: init %.5f, GER %.5f, LRD %.5f; settled lr %.4g",
                json.get("output_rel_error_init"), json.get("output_rel_error"), json.get("output_rel_error_lrd"), json.get("lr")));
        if (json.get("roofline") instanceof Map<?, ?> r) {
            b.append("\n\n| roofline, measured in this run | value |\n|---|---:|\n");
            r.forEach((key, value) -> {
                String name = key.toString();
                String unit = name.endsWith("_tflops") ? " TFLOP/s" : name.endsWith("_gbps") ? " GB/s"
                        : name.endsWith("_gflop") ? " GFLOP" : name.endsWith("_ms") ? " ms" : "";
                String label = name.replaceAll("_(tflops|gbps|gflop|ms)$", "").replace('_', ' ');
                b.append(value instanceof Double d ? String.format(Locale.ROOT, "| %s | %.4g%s |%n", label, d, unit)
                        : "| " + label + " | " + value + unit + " |\n");
            });
        }
        say.line(b.toString().stripTrailing());
        if (json.get("notes") instanceof List<?> notes) {
            say.notes(notes.stream().map(Object::toString).toList(), null);
        }
    }
}
