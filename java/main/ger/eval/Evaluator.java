package ger.eval;

import ger.GerException;
import ger.backend.Backend;
import ger.method.Forward;
import ger.model.CompressedModel;
import ger.model.FcStack;
import ger.tensor.Matrix;
import ger.tensor.Tensor;

import java.util.Arrays;

/**
 * The accuracy of an original or compressed FC stack on labelled data, and the compressed model's
 * output error against the original, through {@link Forward}, chunk by chunk.
 */
public final class Evaluator {
    /** Rows per chunk: 4096 x 4096 floats of activations is 64 MiB, small on any device. */
    static final int CHUNK_ROWS = 4096;

    private Evaluator() {
    }

    /**
     * Evaluates {@code compressed} (or {@code original} when compressed is null) on data (n x in):
     * the top-k error for each k in ks against labels (none when labels is null), and the relative
     * error of its logits against the original's (0 when compressed is null).
     */
    public static Evaluation evaluate(Backend b, FcStack original, CompressedModel compressed, Matrix data,
                                      int[] labels, int[] ks) {
        return evaluate(b, original, null, compressed, data, labels, ks, CHUNK_ROWS);
    }

    /**
     * As {@link #evaluate(Backend, FcStack, CompressedModel, Matrix, int[], int[])} with the original's
     * logits on data given (from {@link #originalOutputs}), so that many compressed models are compared
     * without running the original again for each.
     */
    public static Evaluation evaluate(Backend b, FcStack original, Matrix originalOutputs, CompressedModel compressed,
                                      Matrix data, int[] labels, int[] ks) {
        if (originalOutputs.rows() != data.rows() || originalOutputs.cols() != original.outputDim()) {
            throw new IllegalArgumentException("original outputs " + originalOutputs.shape() + " for " + data.rows()
                    + " rows of a model with " + original.outputDim() + " outputs");
        }
        return evaluate(b, original, originalOutputs, compressed, data, labels, ks, CHUNK_ROWS);
    }

    /** The original's logits on data (n x outputs), chunk by chunk as {@link #evaluate} computes them. */
    public static Matrix originalOutputs(Backend b, FcStack original, Matrix data) {
        Matrix out = Matrix.zeros(data.rows(), original.outputDim());
        try (Forward net = Forward.of(b, original)) {
            net.requireInput(data);
            for (int from = 0; from < data.rows(); from += CHUNK_ROWS) {
                int count = Math.min(CHUNK_ROWS, data.rows() - from);
                try (Matrix hostChunk = data.rowRange(from, count);
                     Tensor chunk = b.upload(hostChunk);
                     Tensor logits = net.outputs(chunk)) {
                    b.downloadRows(logits, 0, out, from, count);
                }
            }
        } catch (RuntimeException e) {
            out.close();
            throw e;
        }
        return out;
    }

    /** originalOutputs null: computed chunk by chunk here. */
    static Evaluation evaluate(Backend b, FcStack original, Matrix originalOutputs, CompressedModel compressed,
                               Matrix data, int[] labels, int[] ks, int chunkRows) {
        int outputs = original.outputDim();
        if (data.rows() == 0) {
            throw new GerException("evaluation data has no rows");
        }
        if (labels != null) {
            if (labels.length != data.rows()) {
                throw new GerException(labels.length + " labels for " + data.rows() + " rows");
            }
            for (int i = 0; i < labels.length; i++) {
                if (labels[i] < 0 || labels[i] >= outputs) {
                    throw new GerException("label " + labels[i] + " of row " + i + " is outside 0.." + (outputs - 1)
                            + " (the model has " + outputs + " outputs)");
                }
            }
            for (int k : ks) {
                if (k < 1 || k > outputs) {
                    throw new GerException("top-" + k + " is outside 1.." + outputs + " (the model has " + outputs
                            + " outputs)");
                }
            }
        }
        int[] kept = labels == null ? new int[0] : ks.clone();
        long[] correct = new long[kept.length];
        double squaredError = 0;
        double squaredNorm = 0;
        try (Forward originalNet = Forward.of(b, original);
             Forward compressedNet = compressed == null ? null : Forward.of(b, compressed)) {
            if (compressedNet != null) {
                originalNet.requireSameShape(compressedNet);
            }
            originalNet.requireInput(data);
            boolean needed = compressedNet != null || labels != null;
            for (int from = 0; needed && from < data.rows(); from += chunkRows) {
                int count = Math.min(chunkRows, data.rows() - from);
                try (Matrix hostChunk = data.rowRange(from, count);
                     Tensor chunk = b.upload(hostChunk);
                     Tensor reference = originalOutputs == null ? originalNet.outputs(chunk)
                             : uploadRows(b, originalOutputs, from, count);
                     Tensor logits = compressedNet == null ? null : compressedNet.outputs(chunk)) {
                    if (logits != null) {
                        squaredError += b.squaredError(logits, reference);
                        squaredNorm += b.squaredNorm(reference);
                    }
                    if (labels != null) {
                        long[] c = b.topkCorrect(logits == null ? reference : logits,
                                Arrays.copyOfRange(labels, from, from + count), kept);
                        for (int q = 0; q < c.length; q++) {
                            correct[q] += c[q];
                        }
                    }
                }
            }
        }
        double[] topkError = new double[kept.length];
        for (int q = 0; q < kept.length; q++) {
            topkError[q] = 1.0 - (double) correct[q] / data.rows();
        }
        double relError = squaredError == 0 ? 0 : Math.sqrt(squaredError / squaredNorm);
        return new Evaluation(kept, topkError, relError);
    }

    private static Tensor uploadRows(Backend b, Matrix host, int from, int count) {
        Tensor t = b.allocate(count, host.cols());
        b.uploadRows(host, from, t, 0, count);
        return t;
    }
}
