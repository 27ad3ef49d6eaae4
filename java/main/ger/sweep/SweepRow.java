package ger.sweep;

import java.util.Map;

/**
 * One point of a sweep.
 *
 * @param study          "all" (every layer compressed) or the one layer compressed
 * @param method         the method's CLI name, or "original"
 * @param knob           the rank k (lrd, as, ger-ic, ger), the sub-vector dimension (pq), or 0
 * @param rate           compression rate of the FC stack's weights, or of the one layer in a single-layer row
 * @param topkError      per k of {@link Sweep#ks()}
 * @param outputRelError on the evaluation rows, against the original model
 * @param calibRelError  on the calibration rows, against the original model
 * @param phaseSeconds   the job's phases
 * @param seconds        the whole job, evaluation excluded
 */
public record SweepRow(String study, String method, int knob, double rate, double[] topkError, double outputRelError,
                       double calibRelError, Map<String, Double> phaseSeconds, double seconds) {
}
