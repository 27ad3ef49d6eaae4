package ger.backend;

import ger.tensor.Tensor;

/** The host side of {@link Backend#topkCorrect}, the same for every backend. */
public final class TopK {
    private TopK() {
    }

    /** Fails unless there is one label per row of logits (n x c), each in 0..c-1. */
    public static void checkLabels(Tensor logits, int[] labels) {
        if (labels.length != logits.rows()) {
            throw new IllegalArgumentException("topkCorrect: " + labels.length + " labels for " + logits.rows() + " rows");
        }
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] >= logits.cols()) {
                throw new IllegalArgumentException("topkCorrect: labels[" + i + "] = " + labels[i] + " outside 0.."
                        + (logits.cols() - 1));
            }
        }
    }

    /**
     * The rows counted correct for each k in ks, given ahead[i] = the entries of row i ranked ahead of
     * its label (ties count against it): correct when ahead[i] < k.
     */
    public static long[] correct(int[] ahead, int[] ks) {
        long[] correct = new long[ks.length];
        for (int a : ahead) {
            for (int q = 0; q < ks.length; q++) {
                if (a < ks[q]) {
                    correct[q]++;
                }
            }
        }
        return correct;
    }
}
