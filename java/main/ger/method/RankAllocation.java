package ger.method;

import ger.GerException;
import ger.model.FcStack;

import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;

/**
 * Per-layer ranks under a parameter budget (docs/method.md, "Choosing the ranks under a size
 * budget"): each layer offers ranks 1..K (K the largest at which it shrinks) and dense, each at a
 * cost in stored parameters and a predicted cost in squared output error; the allocation minimises
 * the summed error within the budget. The predicted errors are additive over layers (each layer's
 * reconstruction error times its measured sensitivity), so the problem is a multiple-choice
 * knapsack: solved by taking the steepest segments of each layer's lower convex hull first, then
 * filling what is left, then exchanging budget between pairs of layers while that lowers the error.
 */
public final class RankAllocation {
    private RankAllocation() {
    }

    /**
     * One layer's options: rank k costs k (out + in) parameters and predicts error[k - 1]; dense
     * costs out in and predicts denseError. Errors must not rise with the rank.
     */
    record Layer(int out, int in, double[] error, double denseError) {
        Layer {
            if (error.length < 1 || error.length > RankRule.maxUsefulRank(out, in)) {
                throw new IllegalArgumentException(out + " x " + in + ": " + error.length + " ranks offered");
            }
        }

        /** Layer in ascending cost: ranks 1..K, then dense. */
        int count() {
            return error.length + 1;
        }

        long cost(int option) {
            return option < error.length ? (long) (option + 1) * (out + in) : (long) out * in;
        }

        double error(int option) {
            return option < error.length ? error[option] : Math.min(denseError, error[error.length - 1]);
        }

        /** The rank of an option: k, or {@link LayerRanks#DENSE}. */
        int rank(int option) {
            return option < error.length ? option + 1 : LayerRanks.DENSE;
        }

        /** The most expensive option costing at most budget (-1 when none does); errors fall with cost. */
        int mostWithin(long budget) {
            int lo = -1;
            int hi = count() - 1;
            while (lo < hi) {
                int mid = (lo + hi + 1) >>> 1;
                if (cost(mid) <= budget) {
                    lo = mid;
                } else {
                    hi = mid - 1;
                }
            }
            return lo;
        }
    }

    /**
     * What the budget chose.
     *
     * @param ranks             per layer: the rank, DENSE, or KEEP for the layers outside the allocation
     * @param budget            the parameter budget of the whole stack (kept layers included)
     * @param params            the parameters the chosen ranks store (kept layers included)
     * @param predictedRelError the predicted ||Fhat - F|| / ||F|| at those ranks
     * @param uniform           whether the uniform ranks of the budget were kept, having measured better
     *                          on the method's first step than the allocation's
     */
    public record Choice(LayerRanks ranks, long budget, long params, double predictedRelError, boolean uniform) {
    }

    /** The weights a stack may store to reach a compression rate of at least {@code rate}. */
    public static long weightsForRate(FcStack model, double rate) {
        if (!(rate >= 1) || Double.isInfinite(rate)) {
            throw new GerException("a compression rate must be a number >= 1, got " + rate);
        }
        return (long) Math.floor(model.weightCount() / rate);
    }

    /** The option of each layer (an index into its options) minimising the summed error within budget. */
    static int[] allocate(List<Layer> layers, long budget) {
        int m = layers.size();
        int[] chosen = new int[m];
        long spent = 0;
        for (Layer o : layers) {
            spent += o.cost(0);
        }
        if (spent > budget) {
            throw new GerException("a budget of " + budget + " parameters is below the " + spent
                    + " that rank 1 in every compressed layer stores");
        }
        spent = takeHullSegments(layers, chosen, spent, budget);
        spent = fill(layers, chosen, spent, budget);
        exchange(layers, chosen, spent, budget);
        return chosen;
    }

    /** The summed predicted error of the chosen options. */
    static double error(List<Layer> layers, int[] chosen) {
        double e = 0;
        for (int l = 0; l < layers.size(); l++) {
            e += layers.get(l).error(chosen[l]);
        }
        return e;
    }

    /** The lower convex hull of a layer's (cost, error) points from its cheapest option, as option indices. */
    static int[] hull(Layer o) {
        List<Integer> h = new ArrayList<>();
        for (int i = 0; i < o.count(); i++) {
            while (h.size() >= 2) {
                int a = h.get(h.size() - 2);
                int b = h.get(h.size() - 1);
                // b lies on or above the chord from a to i: it is not on the lower hull.
                double cross = (o.cost(b) - o.cost(a)) * (double) (o.error(i) - o.error(a))
                        - (o.cost(i) - o.cost(a)) * (double) (o.error(b) - o.error(a));
                if (cross <= 0) {
                    h.removeLast();
                } else {
                    break;
                }
            }
            h.add(i);
        }
        return h.stream().mapToInt(Integer::intValue).toArray();
    }

    /** A step along a layer's hull: its error saved per parameter. */
    private record Segment(int layer, int hullIndex, double slope) {
    }

    /** Takes hull segments steepest first while they fit; a layer whose next segment does not fit stops there. */
    private static long takeHullSegments(List<Layer> layers, int[] chosen, long spent, long budget) {
        int[][] hulls = layers.stream().map(RankAllocation::hull).toArray(int[][]::new);
        PriorityQueue<Segment> queue = new PriorityQueue<>((a, b) -> Double.compare(b.slope, a.slope));
        for (int l = 0; l < layers.size(); l++) {
            offer(queue, layers.get(l), hulls[l], l, 1);
        }
        while (!queue.isEmpty()) {
            Segment s = queue.poll();
            Layer o = layers.get(s.layer);
            int to = hulls[s.layer][s.hullIndex];
            long extra = o.cost(to) - o.cost(chosen[s.layer]);
            if (spent + extra <= budget) {
                spent += extra;
                chosen[s.layer] = to;
                offer(queue, o, hulls[s.layer], s.layer, s.hullIndex + 1);
            }
        }
        return spent;
    }

    private static void offer(PriorityQueue<Segment> queue, Layer o, int[] hull, int layer, int index) {
        if (index < hull.length) {
            int from = hull[index - 1];
            int to = hull[index];
            double slope = (o.error(from) - o.error(to)) / (double) (o.cost(to) - o.cost(from));
            queue.add(new Segment(layer, index, slope));
        }
    }

    /** Spends what is left: repeatedly raises the layer whose affordable option saves the most error. */
    private static long fill(List<Layer> layers, int[] chosen, long spent, long budget) {
        while (true) {
            int best = -1;
            int bestOption = -1;
            double bestGain = 0;
            for (int l = 0; l < layers.size(); l++) {
                Layer o = layers.get(l);
                int option = o.mostWithin(o.cost(chosen[l]) + budget - spent);
                double gain = o.error(chosen[l]) - o.error(option);
                if (option > chosen[l] && gain > bestGain) {
                    best = l;
                    bestOption = option;
                    bestGain = gain;
                }
            }
            if (best < 0) {
                return spent;
            }
            spent += layers.get(best).cost(bestOption) - layers.get(best).cost(chosen[best]);
            chosen[best] = bestOption;
        }
    }

    /**
     * Moves budget from one layer to another (each cheaper option of the one, the most the other can
     * then afford) while that lowers the summed error.
     */
    private static void exchange(List<Layer> layers, int[] chosen, long spent, long budget) {
        boolean improved = true;
        for (int round = 0; improved && round < 1000; round++) {
            improved = false;
            double bestDelta = -1e-12 * Math.max(error(layers, chosen), Double.MIN_NORMAL);
            int bestFrom = -1;
            int bestFromOption = -1;
            int bestTo = -1;
            int bestToOption = -1;
            for (int i = 0; i < layers.size(); i++) {
                Layer a = layers.get(i);
                for (int j = 0; j < layers.size(); j++) {
                    if (i == j) {
                        continue;
                    }
                    Layer b = layers.get(j);
                    for (int option = 0; option < chosen[i]; option++) {
                        long freed = a.cost(chosen[i]) - a.cost(option);
                        int to = b.mostWithin(b.cost(chosen[j]) + budget - spent + freed);
                        double delta = a.error(option) - a.error(chosen[i]) + b.error(to) - b.error(chosen[j]);
                        if (delta < bestDelta) {
                            bestDelta = delta;
                            bestFrom = i;
                            bestFromOption = option;
                            bestTo = j;
                            bestToOption = to;
                        }
                    }
                }
            }
            if (bestFrom >= 0) {
                spent += layers.get(bestFrom).cost(bestFromOption) - layers.get(bestFrom).cost(chosen[bestFrom])
                        + layers.get(bestTo).cost(bestToOption) - layers.get(bestTo).cost(chosen[bestTo]);
                chosen[bestFrom] = bestFromOption;
                chosen[bestTo] = bestToOption;
                improved = true;
            }
        }
    }
}
