package ger.sweep;

import ger.GerException;
import ger.backend.Backend;
import ger.eval.Evaluation;
import ger.eval.Evaluator;
import ger.io.ModelFiles;
import ger.method.CompressionResult;
import ger.method.CompressionSession;
import ger.method.LayerRanks;
import ger.method.MethodName;
import ger.method.Options;
import ger.method.Progress;
import ger.method.budget.RankAllocation;
import ger.model.CompressedModel;
import ger.model.FcStack;
import ger.tensor.Matrix;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * The rate-distortion sweep: every method at every rank (or PQ dimension; BIN once), each result
 * evaluated on held-out labelled rows; then, if asked, the single-layer study: each layer compressed
 * alone, the others left original. All jobs share one {@link CompressionSession}, which keeps what
 * does not depend on the rank.
 */
public final class Sweep {
    private final Backend backend;
    private final FcStack model;
    private final Matrix evalX;
    private final int[] evalY;
    /** The original's logits on evalX, computed once for every job's evaluation. */
    private final Matrix evalOutputs;
    private final int[] ks;
    private final CompressionSession session;
    private final Progress progress;
    /** Layers every job of the sweep (the single-layer study aside) leaves with their original weights. */
    private final Set<Integer> kept;
    private Path modelsDir;
    /** Jobs the caller announced ({@link #planJobs}), for the progress line; 0 when not announced. */
    private int jobsPlanned;
    private int jobsDone;
    private long firstJobStarted;

    public Sweep(Backend backend, FcStack model, Matrix calib, Matrix evalX, int[] evalY, int[] ks, Options options,
                 Set<Integer> kept, Progress progress) {
        if (evalX.cols() != model.inputDim()) {
            throw new GerException("evaluation data has " + evalX.cols() + " features but the model takes " + model.inputDim());
        }
        this.backend = backend;
        this.model = model;
        this.evalX = evalX;
        this.evalY = evalY;
        this.ks = ks.clone();
        this.progress = progress;
        this.kept = Set.copyOf(kept);
        this.session = new CompressionSession(backend, model, calib, options, progress);
        this.evalOutputs = Evaluator.originalOutputs(backend, model, evalX);
    }

    public int[] ks() {
        return ks.clone();
    }

    /** How many jobs {@link #run} makes for these methods at this many ranks and PQ dimensions. */
    public static int jobs(List<MethodName> methods, int ranks, int pqDims) {
        return methods.stream().mapToInt(m -> m.isLowRank() ? ranks : m == MethodName.PQ ? pqDims : 1).sum();
    }

    /** How many jobs {@link #runRanks} and {@link #runBudgets} make for these methods at this many plans or rates. */
    public static int lowRankJobs(List<MethodName> methods, int plans) {
        return (int) methods.stream().filter(MethodName::isLowRank).count() * plans;
    }

    /**
     * Announces the jobs the caller will run, so that each job's progress line says which of how many
     * it is and the time left, estimated from the mean time of the jobs so far.
     */
    public void planJobs(int total) {
        jobsPlanned = total;
    }

    private void announce(String label) {
        if (jobsDone == 0) {
            firstJobStarted = System.nanoTime();
        }
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "job %d", jobsDone + 1));
        if (jobsPlanned > 0) {
            line.append(String.format(Locale.ROOT, " of %d", Math.max(jobsPlanned, jobsDone + 1)));
            if (jobsDone > 0) {
                double mean = (System.nanoTime() - firstJobStarted) / 1e9 / jobsDone;
                line.append(", about ").append(minutes(mean * Math.max(0, jobsPlanned - jobsDone))).append(" left");
            }
        }
        progress.result(line.append(": ").append(label).toString());
    }

    private static String minutes(double seconds) {
        long s = Math.round(seconds);
        return s < 60 ? s + " s" : String.format(Locale.ROOT, "%d min %02d s", s / 60, s % 60);
    }

    /** The uncompressed model's row (rate 1). */
    public SweepRow original() {
        Evaluation e = Evaluator.evaluate(backend, model, evalOutputs, null, evalX, evalY, ks);
        return new SweepRow("all", "original", 0, null, null, 1.0, e.topkError(), 0.0, 0.0, null, Map.of(), 0.0, List.of());
    }

    /**
     * Every method at each of its knobs, all layers compressed but the kept ones (layer == null), or
     * only the layer of that index.
     */
    public List<SweepRow> run(List<MethodName> methods, List<Integer> ranks, List<Integer> pqDims, Integer layer) {
        Set<Integer> selected = layer != null ? Set.of(layer)
                : IntStream.range(0, model.depth()).filter(l -> !kept.contains(l)).boxed().collect(Collectors.toSet());
        List<SweepRow> rows = new ArrayList<>();
        for (MethodName m : methods) {
            List<Integer> knobs = m.isLowRank() ? ranks : m == MethodName.PQ ? pqDims : List.of(0);
            for (int knob : knobs) {
                String label = m + (m.isLowRank() ? " k=" + knob : m == MethodName.PQ ? " s=" + knob : "")
                        + (layer == null ? "" : " (" + model.layer(layer).name() + " only)");
                rows.add(job(m, knob, null, layer, label, () -> session.compress(m, knob, selected)));
            }
        }
        return rows;
    }

    /** Every low-rank method at each of the given per-layer ranks (kept layers KEEP in them already). */
    public List<SweepRow> runRanks(List<MethodName> methods, List<LayerRanks> plans) {
        List<SweepRow> rows = new ArrayList<>();
        for (MethodName m : methods.stream().filter(MethodName::isLowRank).toList()) {
            for (LayerRanks plan : plans) {
                rows.add(job(m, 0, null, null, m + " " + plan.describe(model), () -> session.compress(m, plan)));
            }
        }
        return rows;
    }

    /** Every low-rank method at ranks chosen to reach each compression rate (a budget of weights). */
    public List<SweepRow> runBudgets(List<MethodName> methods, List<Double> rates) {
        List<SweepRow> rows = new ArrayList<>();
        for (MethodName m : methods.stream().filter(MethodName::isLowRank).toList()) {
            for (double rate : rates) {
                long budget = RankAllocation.weightsForRate(model, rate);
                rows.add(job(m, 0, rate, null, String.format(Locale.ROOT, "%s at %.4gx", m, rate),
                        () -> session.compressWithin(m, budget, kept)));
            }
        }
        return rows;
    }

    private SweepRow job(MethodName m, int knob, Double budgetRate, Integer layer, String label,
                         Supplier<CompressionResult> compress) {
        String study = layer == null ? "all" : model.layer(layer).name();
        announce(label);
        try (Backend.Range range = backend.range("sweep point " + label)) {
            long started = System.nanoTime();
            CompressionResult r = compress.get();
            double seconds = (System.nanoTime() - started) / 1e9;
            try (CompressedModel compressed = r.model()) {
                Evaluation e = Evaluator.evaluate(backend, model, evalOutputs, compressed, evalX, evalY, ks);
                // A single-layer row's rate is that layer's own: the stack's would hide it behind the others.
                double rate = layer == null ? compressed.compressionRate() : compressed.layers().get(layer).rate();
                progress.result(String.format(Locale.ROOT, "%-32s rate %7.2fx  top-%d error %.4f  output error %.4f  %.1fs",
                        label, rate, ks[0], e.topkError()[0], e.outputRelError(), seconds));
                if (modelsDir != null) {
                    ModelFiles.saveCompressed(modelsDir.resolve(fileName(label)), compressed);
                }
                return new SweepRow(study, m.cliName(), knob, compressed.metadata().get("ranks"), budgetRate, rate,
                        e.topkError(), e.outputRelError(), r.outputRelError(),
                        r.allocation() == null ? null : r.allocation().predictedRelError(), r.phaseSeconds(), seconds,
                        r.notes());
            }
        } finally {
            jobsDone++;
        }
    }

    /** Keeps each job's compressed model in dir, named after the job (e.g. ger-k32.safetensors). */
    public void saveModelsTo(Path dir) {
        modelsDir = dir;
    }

    static String fileName(String label) {
        return label.toLowerCase(Locale.ROOT).replace("=", "").replaceAll("[^a-z0-9.]+", "-").replaceAll("^-|-$", "")
                + ".safetensors";
    }

    public void close() {
        session.close();
        evalOutputs.close();
    }
}
