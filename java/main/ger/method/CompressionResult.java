package ger.method;

import ger.method.budget.RankAllocation;
import ger.method.global.RateSearch;
import ger.model.CompressedModel;

import java.util.List;
import java.util.Map;

/**
 * What one compression job produced.
 *
 * @param model          the compressed layers and the file metadata
 * @param phaseSeconds   wall seconds per phase, in order (e.g. "svd", "init fc1", "global")
 * @param epochLoss      the global stage's normalised loss after each epoch (empty without it)
 * @param settledLr      the learning rate the global stage ended with after its divergence guard
 *                       (null without a global stage)
 * @param lrSearch       the rates the global stage probed and the one it chose (null without a
 *                       global stage, or when --lr was given)
 * @param allocation     the ranks chosen under a size budget, with their predicted output error
 *                       (null when the ranks were given)
 * @param outputRelError ||F^ - F|| / ||F|| over the final outputs on the calibration rows
 * @param notes          things the user should know (a layer left dense, a ridge raised, a restart)
 */
public record CompressionResult(CompressedModel model, Map<String, Double> phaseSeconds, List<Double> epochLoss,
                                Double settledLr, RateSearch.Result lrSearch, RankAllocation.Choice allocation,
                                double outputRelError, List<String> notes) {
}
