package ger.method;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The global stage's learning rate, found rather than given (docs/method.md, "Finding the learning
 * rate"): from the same starting state, short probes train a slice of the calibration rows at rates a
 * factor of two apart, walking up from {@link #START} while the loss falls steadily (or down until it
 * does); the rate chosen is the largest whose loss fell steadily. The stage then runs its halving
 * schedule and divergence guard from there.
 */
public final class RateSearch {
    /** The first rate probed: the paper's 0.01. */
    static final double START = 0.01;
    static final double FACTOR = 2;
    /** Bounds of the walk: 2^-20 and 2^16 around START. */
    static final double MIN_RATE = START / (1 << 20);
    static final double MAX_RATE = START * (1 << 16);

    /**
     * One probed rate: the mean normalised loss over each pass of the probe (the same rows in the
     * same order every pass), and whether it fell steadily.
     */
    public record Probe(double rate, double[] passLoss, boolean steady) {
    }

    /** The probes in the order run, the slice's loss before any of them, the rate chosen. */
    public record Result(List<Probe> probes, double initialLoss, double chosen) {
        /** The probes by rate, ascending. */
        public List<Probe> byRate() {
            return probes.stream().sorted(Comparator.comparingDouble(Probe::rate)).toList();
        }
    }

    /** Trains from the starting state at one rate and returns the loss of each pass (NaN once it fails). */
    interface Trial {
        double[] passLosses(double rate);
    }

    private RateSearch() {
    }

    /** Whether every pass ended below the one before it, the first below the starting loss. */
    static boolean steady(double initialLoss, double[] passLoss) {
        double previous = initialLoss;
        for (double loss : passLoss) {
            if (!(Double.isFinite(loss) && loss < previous)) {
                return false;
            }
            previous = loss;
        }
        return true;
    }

    /**
     * The largest steady rate of the walk: up from START by FACTOR while steady; if START is not
     * steady, down until a rate is. With none steady down to MIN_RATE, MIN_RATE.
     */
    static Result choose(Trial trial, double initialLoss) {
        List<Probe> probes = new ArrayList<>();
        Probe first = probe(trial, START, initialLoss, probes);
        double chosen;
        if (first.steady()) {
            chosen = START;
            for (double rate = START * FACTOR; rate <= MAX_RATE && probe(trial, rate, initialLoss, probes).steady();
                 rate *= FACTOR) {
                chosen = rate;
            }
        } else {
            chosen = MIN_RATE;
            for (double rate = START / FACTOR; rate >= MIN_RATE; rate /= FACTOR) {
                if (probe(trial, rate, initialLoss, probes).steady()) {
                    chosen = rate;
                    break;
                }
            }
        }
        return new Result(List.copyOf(probes), initialLoss, chosen);
    }

    private static Probe probe(Trial trial, double rate, double initialLoss, List<Probe> probes) {
        double[] losses = trial.passLosses(rate);
        Probe p = new Probe(rate, losses, steady(initialLoss, losses));
        probes.add(p);
        return p;
    }
}
