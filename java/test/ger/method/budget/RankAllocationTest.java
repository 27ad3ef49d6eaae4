package ger.method.budget;

import ger.GerException;
import ger.method.RankRule;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The allocation against brute force over every rank combination of small stacks. */
class RankAllocationTest {

    /** A layer of random shape whose errors fall with the rank: convex (a spectrum's tail) or not. */
    private static RankAllocation.Layer layer(Random r, boolean convex) {
        int out = 4 + r.nextInt(14);
        int in = 4 + r.nextInt(14);
        int maxRank = RankRule.maxUsefulRank(out, in);
        double[] error = new double[maxRank];
        double scale = Math.exp(3 * r.nextGaussian());
        double decay = 0.3 + 0.6 * r.nextDouble();
        double tail = 0;
        for (int k = maxRank; k >= 1; k--) {
            // Convex: the dropped mass of a decaying spectrum; otherwise falls in random steps.
            tail += convex ? scale * Math.pow(decay, k) : scale * r.nextDouble() * r.nextDouble();
            error[k - 1] = tail;
        }
        return new RankAllocation.Layer(out, in, error, convex ? 0 : scale * r.nextDouble() * 0.1 * error[maxRank - 1]);
    }

    /** The least summed error of any combination within the budget, by enumeration. */
    private static double bruteForce(List<RankAllocation.Layer> layers, long budget, int l, long spent) {
        if (l == layers.size()) {
            return 0;
        }
        double best = Double.POSITIVE_INFINITY;
        RankAllocation.Layer o = layers.get(l);
        for (int option = 0; option < o.count(); option++) {
            if (spent + o.cost(option) <= budget) {
                best = Math.min(best, o.error(option) + bruteForce(layers, budget, l + 1, spent + o.cost(option)));
            }
        }
        return best;
    }

    @RepeatedTest(20)
    void theChoiceIsWithinTwoPercentOfTheBestCombination() {
        long seed = System.nanoTime();
        Random r = new Random(seed);
        boolean convex = r.nextBoolean();
        List<RankAllocation.Layer> layers = new ArrayList<>();
        int depth = 2 + r.nextInt(3);
        long least = 0;
        long most = 0;
        for (int l = 0; l < depth; l++) {
            RankAllocation.Layer o = layer(r, convex);
            layers.add(o);
            least += o.cost(0);
            most += o.cost(o.count() - 1);
        }
        long budget = least + (long) (r.nextDouble() * (most - least));
        int[] chosen = RankAllocation.allocate(layers, budget);
        long cost = 0;
        for (int l = 0; l < depth; l++) {
            cost += layers.get(l).cost(chosen[l]);
        }
        double best = bruteForce(layers, budget, 0, 0);
        double got = RankAllocation.error(layers, chosen);
        String s = "seed " + seed + (convex ? ", convex" : ", random steps") + ", budget " + budget + ": " + got + " vs best " + best;
        assertTrue(cost <= budget, s + ", cost " + cost);
        assertTrue(got <= 1.02 * best + 1e-12, s);
    }

    @Test
    void aBudgetBelowRankOneEverywhereIsRefused() {
        List<RankAllocation.Layer> layers = List.of(new RankAllocation.Layer(10, 20, new double[] {3, 2, 1}, 0),
                new RankAllocation.Layer(8, 8, new double[] {1, 0.5, 0.2}, 0));
        GerException e = assertThrows(GerException.class, () -> RankAllocation.allocate(layers, 45));
        assertTrue(e.getMessage().contains("46") && e.getMessage().contains("45"), e.getMessage());
        // Exactly rank 1 everywhere fits; everything dense is the most there is.
        assertEquals(List.of(0, 0), toList(RankAllocation.allocate(layers, 46)));
        assertEquals(List.of(3, 3), toList(RankAllocation.allocate(layers, 200 + 64)));
    }

    /** Large layers, where the budget grid is coarser than one parameter: still fits, still near the best pair. */
    @RepeatedTest(5)
    void aCoarseGridStaysWithinTheBudgetAndNearTheBest() {
        long seed = System.nanoTime();
        Random r = new Random(seed);
        List<RankAllocation.Layer> layers = new ArrayList<>();
        for (int l = 0; l < 2; l++) {
            int out = 500 + r.nextInt(1500);
            int in = 500 + r.nextInt(1500);
            double[] error = new double[RankRule.maxUsefulRank(out, in)];
            double decay = 0.99 + 0.009 * r.nextDouble();
            double tail = 0;
            for (int k = error.length; k >= 1; k--) {
                tail += Math.pow(decay, k) * (1 + 0.5 * r.nextDouble());
                error[k - 1] = tail;
            }
            layers.add(new RankAllocation.Layer(out, in, error, 0));
        }
        long least = layers.get(0).cost(0) + layers.get(1).cost(0);
        long most = layers.get(0).cost(layers.get(0).count() - 1) + layers.get(1).cost(layers.get(1).count() - 1);
        // above least by more than the grid's cells, so the grid is coarser than one parameter (checked below)
        long budget = least + RankAllocation.CELLS + 1 + (long) (r.nextDouble() * (most - least - RankAllocation.CELLS - 1));
        int[] chosen = RankAllocation.allocate(layers, budget);
        long cost = layers.get(0).cost(chosen[0]) + layers.get(1).cost(chosen[1]);
        double best = bruteForce(layers, budget, 0, 0);
        double got = RankAllocation.error(layers, chosen);
        String s = "seed " + seed + ", budget " + budget + ": " + got + " vs best " + best;
        assertTrue(budget - least > RankAllocation.CELLS, s);
        assertTrue(cost <= budget, s + ", cost " + cost);
        assertTrue(got <= 1.02 * best + 1e-12, s);
    }

    private static List<Integer> toList(int[] a) {
        return java.util.Arrays.stream(a).boxed().toList();
    }
}
