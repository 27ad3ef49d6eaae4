package ger.method.budget;

import ger.GerException;
import ger.method.LayerRanks;
import ger.method.RankRule;
import ger.model.FcStack;

import java.util.List;

/**
 * Per-layer ranks under a parameter budget (docs/method.md, "Choosing the ranks under a size
 * budget"): each layer offers ranks 1..K (K the largest at which it shrinks) and dense, each at a
 * cost in stored parameters and a predicted cost in squared output error; the allocation minimises
 * the summed error within the budget. The predicted errors are additive over layers (each layer's
 * reconstruction error times its measured sensitivity), so the problem is a multiple-choice
 * knapsack, solved by dynamic programming over the budget beyond rank 1 everywhere, counted in at
 * most {@link #CELLS} cells (exact when that budget is smaller; otherwise each option's extra cost is
 * rounded up to whole cells, so the choice always fits), then raising layers with what is left.
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

    /** The budget grid's size: the dynamic programme costs layers x CELLS x options. */
    static final int CELLS = 1 << 14;

    /** The option of each layer (an index into its options) minimising the summed error within budget. */
    static int[] allocate(List<Layer> layers, long budget) {
        int m = layers.size();
        long base = 0;
        for (Layer o : layers) {
            base += o.cost(0);
        }
        if (base > budget) {
            throw new GerException("a budget of " + budget + " parameters is below the " + base
                    + " that rank 1 in every compressed layer stores");
        }
        long free = budget - base;
        long cell = Math.max(1, (free + CELLS - 1) / CELLS);
        int cells = (int) (free / cell);
        // best[c]: the least error of layers 0..l within c cells of extra cost; pick[l][c] the option of layer l
        // there; extras[l][option]: that option's cost beyond rank 1, in cells (rounded up).
        double[] best = new double[cells + 1];
        double[] next = new double[cells + 1];
        int[][] pick = new int[m][cells + 1];
        int[][] extras = new int[m][];
        for (int l = 0; l < m; l++) {
            Layer o = layers.get(l);
            int[] extra = extras[l] = new int[o.count()];
            for (int option = 0; option < o.count(); option++) {
                long e = (o.cost(option) - o.cost(0) + cell - 1) / cell;
                extra[option] = (int) Math.min(e, cells + 1L);
            }
            for (int c = 0; c <= cells; c++) {
                double least = Double.POSITIVE_INFINITY;
                int chosen = 0;
                for (int option = 0; option < o.count() && extra[option] <= c; option++) {
                    double e = o.error(option) + (l == 0 ? 0 : best[c - extra[option]]);
                    if (e < least) {
                        least = e;
                        chosen = option;
                    }
                }
                next[c] = least;
                pick[l][c] = chosen;
            }
            double[] t = best;
            best = next;
            next = t;
        }
        int[] chosen = new int[m];
        int c = cells;
        for (int l = m - 1; l >= 0; l--) {
            chosen[l] = pick[l][c];
            c -= extras[l][chosen[l]];
        }
        long spent = 0;
        for (int l = 0; l < m; l++) {
            spent += layers.get(l).cost(chosen[l]);
        }
        fill(layers, chosen, spent, budget);
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

    /** Spends what is left: repeatedly raises the layer whose affordable option saves the most error. */
    private static void fill(List<Layer> layers, int[] chosen, long spent, long budget) {
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
                return;
            }
            spent += layers.get(best).cost(bestOption) - layers.get(best).cost(chosen[best]);
            chosen[best] = bestOption;
        }
    }
}
