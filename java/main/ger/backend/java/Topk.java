package ger.backend.java;

import ger.backend.TopK;
import ger.tensor.Matrix;

/**
 * Top-k accuracy: topkCorrect.
 * Kernel: kernels/portable/topk.h. Conformance: ger.backend.TopkConformance.
 */
final class Topk {
    private Topk() {
    }

    /**
     * For each k, the rows whose label is among the k largest logits, a tie counting against the
     * label (labels already checked to lie in [0, cols)).
     */
    static long[] topkCorrect(Matrix logits, int[] labels, int[] ks) {
        int[] ahead = new int[logits.rows()];
        for (int i = 0; i < logits.rows(); i++) {
            float target = logits.get(i, labels[i]);
            for (int j = 0; j < logits.cols(); j++) {
                if (j != labels[i] && logits.get(i, j) >= target) {
                    ahead[i]++;
                }
            }
        }
        return TopK.correct(ahead, ks);
    }
}
