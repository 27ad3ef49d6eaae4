package ger.method;

import ger.GerException;
import ger.backend.Backend;
import ger.method.as.As;
import ger.method.as.FirstLayerInput;
import ger.method.budget.RankAllocation;
import ger.method.budget.RankBudget;
import ger.method.global.GlobalStage;
import ger.method.global.RateSearch;
import ger.method.quantize.Binarization;
import ger.method.quantize.ProductQuantization;
import ger.model.CompressedLayer;
import ger.model.CompressedModel;
import ger.model.DenseLayer;
import ger.model.FcStack;
import ger.tensor.Matrix;
import ger.tensor.Tensor;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.HashMap;
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.IntStream;
import java.util.stream.Collectors;

/**
 * One model and one calibration set on one backend, compressed by any method at any rank. A sweep
 * runs many jobs through one session, which keeps what does not depend on the rank: the uploaded
 * calibration rows, the original network's activations, one SVD per layer (LRD), the first layer's
 * Gram matrix and Cholesky factor (AS), the PQ and BIN layers (they depend on the weights alone).
 */
public final class CompressionSession implements AutoCloseable {
    static final String VERSION = "0.1.0";

    private final Backend backend;
    private final FcStack model;
    private final Matrix calib;
    private final Options options;
    private final Progress progress;
    private final Lrd lrd;
    /**
     * The calibration rows, n x d_0: uploaded by the first job, or left in host memory when
     * streaming ({@link Options#streamRows}).
     */
    private Rows x;
    /** The original A_l of every layer from the calibration rows, n x d_l, where x lives; the last is the logits F(x). */
    private List<Rows> preActivations;
    /** AS's prepared input of layer 0 (the calibration rows at every rank), made with x. */
    private FirstLayerInput firstInput;
    /** Where the rows went, when the session chose it ({@link Options#STREAM_AUTO}); added to every result's notes. */
    private final List<String> residencyNotes = new ArrayList<>();
    /** AS results by rank and layer set, host copies kept for GER at the same plan. */
    private final Map<LayerRanks, As.Result> asRuns = new HashMap<>();
    /**
     * PQ and BIN layers by method, layer and knob, host copies: they depend on the weights alone, so
     * the single-layer study takes the whole-stack jobs' layers instead of quantising them again.
     */
    private final Map<List<Object>, CompressedLayer> dataFreeLayers = new HashMap<>();
    /** What size budgets measure once per session; made by the first budgeted job. */
    private RankBudget budget;

    /**
     * @param calib the calibration rows, n x d_0 (read, not kept beyond the upload)
     * @throws GerException for an empty calibration set, a width other than the model's input, a
     *                      NaN / infinite value, rows that are all the same, or weights or rows whose
     *                      squares overflow float32
     */
    public CompressionSession(Backend backend, FcStack model, Matrix calib, Options options, Progress progress) {
        if (calib.rows() == 0) {
            throw new GerException("the calibration set has no rows");
        }
        if (calib.cols() != model.inputDim()) {
            throw new GerException("the calibration rows have " + calib.cols() + " columns but the model's first layer "
                    + model.layer(0).name() + " takes " + model.inputDim() + " inputs");
        }
        long bad = calib.firstNonFinite();
        if (bad >= 0) {
            throw new GerException("the calibration set has a non-finite value (" + calib.getFlat(bad) + ") at row "
                    + bad / calib.cols() + ", column " + bad % calib.cols());
        }
        if (allRowsEqual(calib)) {
            throw new GerException("the calibration rows are all the same (" + calib.rows() + (calib.rows() == 1 ? " row" : " rows")
                    + "): the methods fit the layers to how the rows vary, and these do not");
        }
        requireSquaresFit("the calibration rows", sumOfSquares(calib));
        for (DenseLayer d : model.layers()) {
            requireSquaresFit("layer " + d.name() + "'s weights", sumOfSquares(d.weight()));
        }
        this.backend = backend;
        this.model = model;
        this.calib = calib;
        this.options = options;
        this.progress = progress;
        this.lrd = new Lrd(backend, model);
    }

    private static boolean allRowsEqual(Matrix m) {
        for (int i = 1; i < m.rows(); i++) {
            for (int j = 0; j < m.cols(); j++) {
                if (m.get(i, j) != m.get(0, j)) {
                    return false;
                }
            }
        }
        return true;
    }

    private static double sumOfSquares(Matrix m) {
        double s = 0;
        for (long i = 0, n = m.size(); i < n; i++) {
            double v = m.getFlat(i);
            s += v * v;
        }
        return s;
    }

    /**
     * The Gram matrices, losses and norms are float32 sums of squares: values whose squares sum past
     * float32's range would make them infinite, and the job fail later for a reason that misleads
     * (a "singular" Gram matrix, NaN weights). Refused here with the real one.
     */
    private static void requireSquaresFit(String what, double sumOfSquares) {
        if (!(sumOfSquares <= Float.MAX_VALUE)) {
            throw new GerException(String.format(Locale.ROOT, "%s overflow float32: their squares sum to %.3g, past "
                    + "float32's largest value (%.3g), so the Gram matrices and losses computed from them would be "
                    + "infinite; scale them down", what, sumOfSquares, (double) Float.MAX_VALUE));
        }
    }

    /**
     * Compresses every layer with {@code method} at {@code knob}: the rank k for lrd/as/ger-ic/ger,
     * the sub-vector dimension for pq, ignored for bin.
     */
    public CompressionResult compress(MethodName method, int knob) {
        return compress(method, knob, IntStream.range(0, model.depth()).boxed().collect(Collectors.toSet()));
    }

    /**
     * Compresses only the layers of the given indices (the single-layer study, or --keep); the
     * others keep their original weights and the global stage, if any, leaves them as they are.
     */
    public CompressionResult compress(MethodName method, int knob, Set<Integer> selected) {
        for (int l : selected) {
            if (l < 0 || l >= model.depth()) {
                throw new GerException("layer index " + l + " outside 0.." + (model.depth() - 1));
            }
        }
        if (method.isLowRank() && knob < 1) {
            throw new GerException("rank must be >= 1, got " + knob);
        }
        if (method == MethodName.PQ && knob < 1) {
            throw new GerException("the pq sub-vector dimension must be >= 1, got " + knob);
        }
        Map<String, String> meta = new LinkedHashMap<>();
        if (method.isLowRank()) {
            meta.put("rank", Integer.toString(knob));
        } else if (method == MethodName.PQ) {
            meta.put("pq_dim", Integer.toString(knob));
        }
        LayerRanks plan = LayerRanks.uniform(model.depth(), method.isLowRank() ? knob : LayerRanks.DENSE)
                .keeping(complement(selected));
        return job(method, knob, plan, meta, null, new LinkedHashMap<>());
    }

    /** Compresses with a low-rank method at the given rank, DENSE or KEEP per layer. */
    public CompressionResult compress(MethodName method, LayerRanks ranks) {
        requireLowRank(method);
        if (ranks.depth() != model.depth()) {
            throw new IllegalArgumentException(ranks.depth() + " ranks for " + model.depth() + " layers");
        }
        return job(method, 0, ranks, new LinkedHashMap<>(), null, new LinkedHashMap<>());
    }

    /**
     * Compresses with a low-rank method at ranks chosen to store at most {@code budget} weights in
     * all (the kept layers' included), from the method's own error curves weighed by each layer's
     * measured effect on the output ({@link RankAllocation}); the result holds the choice and its
     * predicted output error.
     *
     * @param kept layers that keep their original weights, outside the allocation
     */
    public CompressionResult compressWithin(MethodName method, long budget, Set<Integer> kept) {
        requireLowRank(method);
        Map<String, Double> phases = new LinkedHashMap<>();
        prepare(phases);
        long start = System.nanoTime();
        RankAllocation.Choice choice;
        try (Backend.Range r = backend.range("rank allocation")) {
            choice = budget().choose(method == MethodName.AS || method == MethodName.GER, budget, kept, phases);
        }
        phases.put("ranks", seconds(start));
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("budget_params", Long.toString(budget));
        return job(method, 0, choice.ranks(), meta, choice, phases);
    }

    private Set<Integer> complement(Set<Integer> layers) {
        return IntStream.range(0, model.depth()).filter(l -> !layers.contains(l)).boxed().collect(Collectors.toSet());
    }

    private RankBudget budget() {
        if (budget == null) {
            budget = new RankBudget(calibration(), lrd, options.ridge());
        }
        return budget;
    }

    private static void requireLowRank(MethodName method) {
        if (!method.isLowRank()) {
            throw new GerException("per-layer ranks and size budgets apply to lrd, as, ger-ic and ger, not " + method);
        }
    }

    /**
     * One job: plan says each layer's rank for the low-rank methods (only its KEEP entries matter for
     * pq and bin, whose knob is the sub-vector dimension or nothing); meta is the metadata so far;
     * allocation the budget's choice that led to plan, if any.
     */
    private CompressionResult job(MethodName method, int knob, LayerRanks plan, Map<String, String> meta,
                                  RankAllocation.Choice allocation, Map<String, Double> phases) {
        List<String> notes = new ArrayList<>();
        prepare(phases);
        notes.addAll(residencyNotes);
        List<Double> epochLoss = List.of();
        Double settledLr = null;
        RateSearch.Result lrSearch = null;
        Set<Integer> selected = IntStream.range(0, model.depth()).filter(l -> plan.of(l) != LayerRanks.KEEP).boxed()
                .collect(Collectors.toSet());
        if (method == MethodName.AS || method == MethodName.GER) {
            for (int l : new java.util.TreeSet<>(selected)) {
                if (x.rows() < model.layer(l).in()) {
                    notes.add(String.format(Locale.ROOT, "%s: %d calibration rows for %d inputs span at most %d of its input "
                            + "directions; the ridge (%.3g of the Gram's mean diagonal) settles the rest, more rows fit better",
                            model.layer(l).name(), x.rows(), model.layer(l).in(), x.rows(), options.ridge()));
                }
            }
        }
        List<CompressedLayer> layers = switch (method) {
            case LRD, GER_IC -> lrdLayers(plan, notes, phases);
            case AS, GER -> asLayers(plan, notes, phases);
            case PQ -> perLayer(phases, notes, "pq", selected, (l, d) -> dataFree(method, l, knob,
                    () -> ProductQuantization.compress(d, knob, options.pqCentroids(), options.pqIterations(), options.seed() + l)));
            case BIN -> perLayer(phases, notes, "bin", selected, (l, d) -> dataFree(method, l, 0, () -> Binarization.compress(d)));
        };
        if (method == MethodName.GER || method == MethodName.GER_IC) {
            if (layers.stream().noneMatch(l -> l instanceof CompressedLayer.LowRank)) {
                notes.add("global stage skipped: every layer stays dense");
            } else {
                long start = System.nanoTime();
                GlobalStage.Result r;
                boolean[] trained = new boolean[model.depth()];
                selected.forEach(l -> trained[l] = true);
                try (GlobalStage stage = new GlobalStage(backend, layers, trained, x, preActivations.getLast(),
                        preActivations.subList(0, model.depth() - 1), options, progress)) {
                    r = stage.run();
                }
                layers.forEach(CompressedLayer::close);
                layers = r.layers();
                epochLoss = r.epochLoss();
                settledLr = r.settledLr();
                lrSearch = r.lrSearch();
                notes.addAll(r.notes());
                phases.put("global", seconds(start));
            }
        }
        long start = System.nanoTime();
        double relError = outputRelError(layers);
        phases.put("evaluate", seconds(start));
        for (CompressedLayer l : layers) {
            if (!l.finite()) {
                layers.forEach(CompressedLayer::close);
                throw new GerException(method + " made layer " + l.name() + " with NaN or infinite weights; nothing was written");
            }
        }
        if (!Double.isFinite(relError)) {
            layers.forEach(CompressedLayer::close);
            throw new GerException(method + "'s compressed model gives a " + relError
                    + " output error on the calibration rows; nothing was written");
        }
        meta.put("method", method.cliName());
        if (method.isLowRank()) {
            meta.put("ranks", layers.stream()
                    .map(l -> l.name() + ":" + (l.rank() == null ? "dense" : l.rank().toString()))
                    .collect(Collectors.joining(",")));
        }
        CompressedModel compressed = new CompressedModel(layers, metadata(meta, layers));
        return new CompressionResult(compressed, phases, epochLoss, settledLr, lrSearch, allocation, relError, notes);
    }

    /**
     * Uploads the calibration rows (unless they stream) and computes the original activations,
     * chunk by chunk, once per session.
     */
    private void prepare(Map<String, Double> phases) {
        if (x == null) {
            long start = System.nanoTime();
            int chunk = streamRows();
            x = chunk > 0
                    ? new Rows.OnHost(backend, calib, false, chunk)
                    : new Rows.OnDevice(backend, backend.upload(calib), Forward.CHUNK_ROWS);
            firstInput = new FirstLayerInput(backend, x, calib, options.ridge(), model.layer(0).name());
            phases.put("upload", seconds(start));
        }
        if (preActivations == null) {
            long start = System.nanoTime();
            List<Rows> as = new ArrayList<>();
            List<DeviceLayer> layers = new ArrayList<>();
            try {
                for (DenseLayer d : model.layers()) {
                    layers.add(DeviceLayer.upload(backend, d));
                    as.add(x.allocate(d.out()));
                }
                x.forEachChunk((from, chunk) -> {
                    Tensor h = chunk;
                    for (int l = 0; l < model.depth(); l++) {
                        try (Tensor a = backend.allocate(chunk.rows(), layers.get(l).out())) {
                            layers.get(l).forward(backend, h, false, null, a);
                            as.get(l).write(from, a);
                            if (h != chunk) {
                                h.close();
                            }
                            h = model.hasRelu(l) ? DeviceOps.reluCopy(backend, a) : null;
                        }
                    }
                });
            } catch (RuntimeException e) {
                as.forEach(Rows::close);
                throw e;
            } finally {
                layers.forEach(DeviceLayer::close);
            }
            preActivations = List.copyOf(as);
            phases.put("activations", seconds(start));
            for (int l = 0; l < model.depth(); l++) {
                requireSquaresFit("layer " + model.layer(l).name() + "'s outputs on the calibration rows",
                        preActivations.get(l).squaredNorm());
            }
        }
    }

    /** The rows per streamed chunk, or 0 to keep every row on the device: as asked, or decided here for auto. */
    private int streamRows() {
        if (options.streamRows() != Options.STREAM_AUTO) {
            return options.streamRows();
        }
        int[] widths = new int[model.depth() + 1];
        widths[0] = model.inputDim();
        for (int l = 0; l < model.depth(); l++) {
            widths[l + 1] = model.layer(l).out();
        }
        long need = residentBytes(widths, calib.rows());
        long free = backend.freeMemory();
        if (need <= 0.9 * free) {
            return 0;
        }
        residencyNotes.add(String.format(Locale.ROOT, "the calibration rows stay in host memory and go through the device "
                + "%d rows at a time: keeping them on it would take about %.1f GB, and %.1f GB is free "
                + "(--stream-rows 0 keeps them there anyway)", Forward.CHUNK_ROWS, need / 1e9, free / 1e9));
        return Forward.CHUNK_ROWS;
    }

    /**
     * The device bytes that the resident path needs at its peak for n calibration rows through layers
     * of the given widths (d_0, d_1, ..., d_m): the rows and,
     * while the first layer's input is whitened, two more copies of them; every layer's
     * pre-activation; AS's Z, Y' and the next layer's input at the widest layer; the widest input's
     * Gram matrix and its factor. On VGG-19's FC layers at n = 100,000 this is 43.7 GB, where
     * nvidia-smi, sampled every second, saw a peak of 37.9 GB (bench/results/README.md, run 3).
     */
    static long residentBytes(int[] widths, long n) {
        long sumOut = 0;
        long maxOut = 0;
        long maxIn = 0;
        for (int l = 1; l < widths.length; l++) {
            sumOut += widths[l];
            maxOut = Math.max(maxOut, widths[l]);
            maxIn = Math.max(maxIn, widths[l - 1]);
        }
        return Float.BYTES * (n * (3L * widths[0] + sumOut + 3 * maxOut) + 2 * maxIn * maxIn);
    }

    /** The rows per streamed chunk the session settled on (0: all on the device); known after the first job. */
    public int streamedChunkRows() {
        return x instanceof Rows.OnHost h ? h.chunkRows() : 0;
    }

    /**
     * AS at the planned ranks. GER at the same plan as an earlier AS job starts from that job's
     * result rather than solving again (a sweep runs both).
     */
    private List<CompressedLayer> asLayers(LayerRanks plan, List<String> notes, Map<String, Double> phases) {
        As.Result cached = asRuns.get(plan);
        if (cached == null) {
            As.Result run = As.run(calibration(), plan, options, progress);
            asRuns.put(plan, new As.Result(run.layers().stream().map(CompressionSession::copy).toList(), run.notes(),
                    run.phases()));
            notes.addAll(run.notes());
            phases.putAll(run.phases());
            return run.layers();
        }
        notes.addAll(cached.notes());
        notes.add("AS initialisation at ranks " + plan.describe(model) + " reused from this session's earlier AS job ("
                + String.format(Locale.ROOT, "%.1f", cached.phases().values().stream().mapToDouble(Double::doubleValue).sum())
                + " s then)");
        return cached.layers().stream().map(CompressionSession::copy).toList();
    }

    /** What {@link #prepare} made, for AS and the rank budget. */
    private Calibration calibration() {
        return new Calibration(backend, model, x, preActivations, firstInput);
    }

    private static CompressedLayer copy(CompressedLayer l) {
        return switch (l) {
            case CompressedLayer.LowRank lr -> new CompressedLayer.LowRank(lr.name(), lr.p().copy(), lr.q().copy(), lr.bias().copy());
            case CompressedLayer.Dense d -> new CompressedLayer.Dense(d.name(), d.weight().copy(), d.bias().copy());
            case CompressedLayer.ProductQuantized pq -> new CompressedLayer.ProductQuantized(pq.name(), pq.in(), pq.out(),
                    pq.subDim(), pq.centroids(), pq.codebooks().copy(), pq.codes().clone(), pq.bias().copy());
            case CompressedLayer.Binarized bin -> new CompressedLayer.Binarized(bin.name(), bin.in(), bin.out(),
                    bin.signs().clone(), bin.scales().copy(), bin.bias().copy());
        };
    }

    /** A copy of layer l as a data-free method makes it at knob: made once per session. */
    private CompressedLayer dataFree(MethodName method, int l, int knob, Supplier<CompressedLayer> make) {
        return copy(dataFreeLayers.computeIfAbsent(List.of(method, l, knob), key -> make.get()));
    }

    /** LRD at the planned ranks; a KEEP or DENSE layer, or one its rank would not shrink, keeps its weights. */
    private List<CompressedLayer> lrdLayers(LayerRanks plan, List<String> notes, Map<String, Double> phases) {
        List<CompressedLayer> layers = new ArrayList<>();
        for (int l = 0; l < model.depth(); l++) {
            DenseLayer d = model.layer(l);
            int k = plan.of(l);
            String dense = k > 0 ? RankRule.denseReason(d.name(), k, d.out(), d.in()) : null;
            if (dense != null) {
                notes.add(dense);
            }
            if (dense != null || k <= 0) {
                layers.add(new CompressedLayer.Dense(d.name(), d.weight().copy(), d.bias().copy()));
            } else {
                long start = System.nanoTime();
                boolean fresh = lrd.needsSvd(l);
                layers.add(lrd.layer(l, k));
                if (fresh) {
                    phases.merge("svd", seconds(start), Double::sum);
                }
            }
        }
        return layers;
    }

    private interface LayerCompressor {
        CompressedLayer compress(int index, DenseLayer layer);
    }

    /** A data-free method layer by layer; a layer it cannot shrink stays dense, with a note. */
    private List<CompressedLayer> perLayer(Map<String, Double> phases, List<String> notes, String phase,
                                           Set<Integer> selected, LayerCompressor compressor) {
        List<CompressedLayer> layers = new ArrayList<>();
        progress.start(phase, model.depth());
        for (int l = 0; l < model.depth(); l++) {
            DenseLayer d = model.layer(l);
            if (!selected.contains(l)) {
                layers.add(new CompressedLayer.Dense(d.name(), d.weight().copy(), d.bias().copy()));
                progress.advance(d.name() + " kept");
                continue;
            }
            long start = System.nanoTime();
            try (Backend.Range r = backend.range("layer " + d.name())) {
                CompressedLayer c = compressor.compress(l, d);
                if (c instanceof CompressedLayer.Dense) {
                    notes.add(d.name() + ": " + phase + " would store no fewer bits than its " + d.out() + " x " + d.in()
                            + " fp32 weights, left dense");
                }
                layers.add(c);
            }
            phases.put(phase + " " + d.name(), seconds(start));
            progress.advance(d.name());
        }
        progress.done();
        return layers;
    }

    /** ||Fhat - F|| / ||F|| over the calibration rows. */
    private double outputRelError(List<CompressedLayer> layers) {
        List<DeviceLayer> device = new ArrayList<>();
        try {
            for (CompressedLayer l : layers) {
                device.add(DeviceLayer.upload(backend, l));
            }
            Rows logits = preActivations.getLast();
            double error = Forward.squaredError(backend, device, x, logits);
            double norm = logits.squaredNorm();
            return norm > 0 ? Math.sqrt(error / norm) : Math.sqrt(error);
        } finally {
            device.forEach(DeviceLayer::close);
        }
    }

    /** meta with the compression rate and the tool's version added. */
    private static Map<String, String> metadata(Map<String, String> meta, List<CompressedLayer> layers) {
        meta.put("compression_rate", String.format(Locale.ROOT, "%.2f", new CompressedModel(layers, Map.of()).compressionRate()));
        meta.put("version", VERSION);
        return meta;
    }

    private double seconds(long start) {
        backend.synchronize();
        return (System.nanoTime() - start) * 1e-9;
    }

    @Override
    public void close() {
        asRuns.values().forEach(run -> run.layers().forEach(CompressedLayer::close));
        dataFreeLayers.values().forEach(CompressedLayer::close);
        if (budget != null) {
            budget.close();
        }
        if (firstInput != null) {
            firstInput.close();
        }
        if (preActivations != null) {
            preActivations.forEach(Rows::close);
        }
        if (x != null) {
            x.close();
        }
        lrd.close();
    }
}
