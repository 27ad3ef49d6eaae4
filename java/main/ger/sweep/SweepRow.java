package ger.sweep;

import java.util.List;
import java.util.Map;

/**
 * One point of a sweep.
 *
 * @param study             "all" (every layer compressed) or the one layer compressed
 * @param method            the method's CLI name, or "original"
 * @param knob              the uniform rank k (lrd, as, ger-ic, ger), the sub-vector dimension (pq), or 0
 * @param ranks             the rank of each layer ("fc1:20,fc2:12,fc3:dense") for the low-rank methods, else null
 * @param budgetRate        the compression rate asked for when the ranks were chosen under a size budget, else null
 * @param rate              compression rate of the FC stack's weights, or of the one layer in a single-layer row
 * @param topkError         per k of {@link Sweep#ks()}
 * @param outputRelError    on the evaluation rows, against the original model
 * @param calibRelError     on the calibration rows, against the original model
 * @param predictedRelError the budget's prediction of calibRelError (null without a budget)
 * @param phaseSeconds      the job's phases
 * @param seconds           the whole job, evaluation excluded
 * @param notes             the job's notes
 */
public record SweepRow(String study, String method, int knob, String ranks, Double budgetRate, double rate,
                       double[] topkError, double outputRelError, double calibRelError, Double predictedRelError,
                       Map<String, Double> phaseSeconds, double seconds, List<String> notes) {
    /** The curve the row belongs to: the method, or "method (budget)" for ranks chosen under a budget. */
    public String series() {
        return budgetRate == null ? method : method + " (budget)";
    }
}
