package ger.eval;

/**
 * Accuracy of a model on labelled data.
 *
 * @param ks             the k of each top-k figure
 * @param topkError      fraction of rows whose label is not among the k largest logits, per k
 * @param outputRelError ||F^ - F|| / ||F|| of the compressed against the original final outputs
 *                       (0 when the model evaluated is the original)
 */
public record Evaluation(int[] ks, double[] topkError, double outputRelError) {
}
