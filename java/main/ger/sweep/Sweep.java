package ger.sweep;

import ger.GerException;
import ger.backend.Backend;
import ger.eval.Evaluation;
import ger.eval.Evaluator;
import ger.method.CompressionResult;
import ger.method.CompressionSession;
import ger.method.MethodName;
import ger.method.Options;
import ger.method.Progress;
import ger.model.CompressedModel;
import ger.model.FcStack;
import ger.tensor.Matrix;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

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
    private final int[] ks;
    private final CompressionSession session;
    private final Progress progress;

    public Sweep(Backend backend, FcStack model, Matrix calib, Matrix evalX, int[] evalY, int[] ks, Options options,
                 Progress progress) {
        if (evalX.cols() != model.inputDim()) {
            throw new GerException("evaluation data has " + evalX.cols() + " features but the model takes " + model.inputDim());
        }
        this.backend = backend;
        this.model = model;
        this.evalX = evalX;
        this.evalY = evalY;
        this.ks = ks.clone();
        this.progress = progress;
        this.session = new CompressionSession(backend, model, calib, options, progress);
    }

    public int[] ks() {
        return ks.clone();
    }

    /** The uncompressed model's row (rate 1). */
    public SweepRow original() {
        Evaluation e = Evaluator.evaluate(backend, model, null, evalX, evalY, ks);
        return new SweepRow("all", "original", 0, 1.0, e.topkError(), 0.0, 0.0, Map.of(), 0.0);
    }

    /**
     * Every method at each of its knobs, all layers compressed (layers == null) or only the layer
     * of that index.
     */
    public List<SweepRow> run(List<MethodName> methods, List<Integer> ranks, List<Integer> pqDims, Integer layer) {
        List<SweepRow> rows = new ArrayList<>();
        for (MethodName m : methods) {
            List<Integer> knobs = m.isLowRank() ? ranks : m == MethodName.PQ ? pqDims : List.of(0);
            for (int knob : knobs) {
                rows.add(job(m, knob, layer));
            }
        }
        return rows;
    }

    private SweepRow job(MethodName m, int knob, Integer layer) {
        String study = layer == null ? "all" : model.layer(layer).name();
        String label = m + (m.isLowRank() ? " k=" + knob : m == MethodName.PQ ? " s=" + knob : "")
                + (layer == null ? "" : " (" + study + " only)");
        try (Backend.Range range = backend.range("sweep point " + label)) {
            long started = System.nanoTime();
            CompressionResult r = layer == null ? session.compress(m, knob) : session.compress(m, knob, Set.of(layer));
            double seconds = (System.nanoTime() - started) / 1e9;
            try (CompressedModel compressed = r.model()) {
                Evaluation e = Evaluator.evaluate(backend, model, compressed, evalX, evalY, ks);
                // A single-layer row's rate is that layer's own: the stack's would hide it behind the others.
                double rate = layer == null ? compressed.compressionRate() : compressed.layers().get(layer).rate();
                System.err.printf("%-32s rate %7.2fx  top-%d error %.4f  output error %.4f  %.1fs%n", label,
                        rate, ks[0], e.topkError()[0], e.outputRelError(), seconds);
                return new SweepRow(study, m.cliName(), knob, rate, e.topkError(), e.outputRelError(),
                        r.outputRelError(), r.phaseSeconds(), seconds);
            }
        }
    }

    public void close() {
        session.close();
    }
}
