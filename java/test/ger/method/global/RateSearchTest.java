package ger.method.global;

import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The rate search on quadratics whose stable rates are known in closed form. */
class RateSearchTest {
    private static final double MOMENTUM = 0.9;
    private static final int PASSES = GlobalStage.PROBE_PASSES;
    private static final int STEPS_PER_PASS = GlobalStage.PROBE_BATCHES;

    /**
     * Heavy-ball SGD (the stage's update: v = m v + g, w -= lr v) on f(w) = 1/2 sum h_i w_i^2 from w0,
     * each pass's mean loss over its steps, as the stage's probe reports it.
     */
    private static double[] passLosses(double[] h, double[] w0, double lr) {
        double[] w = w0.clone();
        double[] v = new double[w.length];
        double[] losses = new double[PASSES];
        for (int p = 0; p < PASSES; p++) {
            double sum = 0;
            for (int s = 0; s < STEPS_PER_PASS; s++) {
                sum += loss(h, w);
                for (int i = 0; i < w.length; i++) {
                    v[i] = MOMENTUM * v[i] + h[i] * w[i];
                    w[i] -= lr * v[i];
                }
            }
            losses[p] = sum / STEPS_PER_PASS;
        }
        return losses;
    }

    private static double loss(double[] h, double[] w) {
        double f = 0;
        for (int i = 0; i < w.length; i++) {
            f += 0.5 * h[i] * w[i] * w[i];
        }
        return f;
    }

    /**
     * Heavy ball on curvature h is stable for lr h < 2 (1 + m) = 3.8: the largest steady rate of a
     * quadratic whose largest curvature is hMax lies within a factor of two below 3.8 / hMax.
     */
    @RepeatedTest(10)
    void findsTheLargestStableRateOfAQuadratic() {
        long seed = System.nanoTime();
        Random r = new Random(seed);
        int d = 5 + r.nextInt(20);
        double hMax = Math.exp(-5 + 13 * r.nextDouble()); // edges 1e-3 .. 560, inside the walk's bounds
        double[] h = new double[d];
        double[] w0 = new double[d];
        for (int i = 0; i < d; i++) {
            h[i] = i == 0 ? hMax : hMax * Math.pow(10, -3 * r.nextDouble());
            w0[i] = r.nextGaussian();
        }
        RateSearch.Result result = RateSearch.choose(lr -> passLosses(h, w0, lr), loss(h, w0));
        double edge = 2 * (1 + MOMENTUM) / hMax;
        double steady = result.largestSteady();
        String s = "seed " + seed + ", hMax " + hMax + ", largest steady " + steady + ", edge " + edge;
        assertTrue(steady <= edge && steady > edge / 2 / RateSearch.FACTOR, s);
        assertEquals(RateSearch.HEADROOM * steady, result.chosen(), s);
        // The walk's own record: that rate was steady, none larger was, and the largest probed diverged.
        assertTrue(result.probes().stream().anyMatch(p -> p.rate() == steady && p.steady()), s);
        assertTrue(result.probes().stream().noneMatch(p -> p.rate() > steady && p.steady()), s);
        RateSearch.Probe top = result.byRate().getLast();
        assertTrue(RateSearch.diverged(result.initialLoss(), top.passLoss()), s);
        // And the stage, starting there, settles by its divergence guard on the rates of the grid just below
        // the edge (within a factor of four: one grid step, and one more where the grid point is so close to
        // the edge that it converges too slowly to pass the guard), where a quadratic's fastest rates lie.
        double settled = settledRate(h, w0, result.chosen());
        assertTrue(settled > edge / 4 && settled <= edge, s + ", settled " + settled);
    }

    /**
     * The stage's schedule in miniature: 10 epochs of 20 steps; an epoch that ends above twice the
     * starting loss (or not finite) is undone and redone at half the rate, at most 8 times. The rate
     * it settles on.
     */
    private static double settledRate(double[] h, double[] w0, double lr) {
        double[] w = w0.clone();
        double[] v = new double[w.length];
        double start = loss(h, w0);
        int halvings = 0;
        for (int epoch = 0; epoch < 10; ) {
            double[] savedW = w.clone();
            double[] savedV = v.clone();
            for (int s = 0; s < 20; s++) {
                for (int i = 0; i < w.length; i++) {
                    v[i] = MOMENTUM * v[i] + h[i] * w[i];
                    w[i] -= lr * v[i];
                }
            }
            if (!(loss(h, w) <= GlobalStage.DIVERGENCE_FACTOR * start) && halvings < GlobalStage.MAX_HALVINGS) {
                w = savedW;
                v = savedV;
                lr /= 2;
                halvings++;
                continue;
            }
            epoch++;
        }
        return lr;
    }

    @Test
    void walksDownWhenTheFirstRateDiverges() {
        // Curvature 1000: START = 0.01 is 10x past the edge 0.0038.
        double[] h = {1000, 3};
        double[] w0 = {1, 1};
        RateSearch.Result result = RateSearch.choose(lr -> passLosses(h, w0, lr), loss(h, w0));
        assertFalse(result.probes().getFirst().steady());
        assertEquals(RateSearch.START, result.probes().getFirst().rate());
        assertTrue(result.largestSteady() < 0.0038 && result.largestSteady() > 0.0038 / 4, "steady " + result.largestSteady());
    }

    @Test
    void steadyMeansEveryPassBelowTheOneBeforeAndTheLastBelowTheStart() {
        assertTrue(RateSearch.steady(10, new double[] {9, 8, 7.9}));
        assertTrue(RateSearch.steady(10, new double[] {11, 10.5, 9}), "the first pass may rise");
        assertFalse(RateSearch.steady(10, new double[] {11, 10.5, 10}), "but the last must end below the start");
        assertFalse(RateSearch.steady(10, new double[] {9, 9, 8}));
        assertFalse(RateSearch.steady(10, new double[] {9, Double.NaN, 7}));
        assertTrue(RateSearch.diverged(10, new double[] {9, 8, 10}));
        assertTrue(RateSearch.diverged(10, new double[] {9, 8, Double.NaN}));
        assertFalse(RateSearch.diverged(10, new double[] {12, 13, 9.9}));
    }
}
