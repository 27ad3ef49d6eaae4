package ger.method.global;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The global stage's learning rate, found rather than given (docs/method.md, "Finding the learning
 * rate"): from the same starting state, short probes train a slice of the calibration rows at rates a
 * factor of two apart, walking up from {@link #START} until the loss ends above where it began (or
 * down, when no rate up there fell steadily, until one does). The largest rate whose loss fell
 * steadily is a lower bound of the rates that train well: a probe is short, and momentum's start-up
 * transient makes it pessimistic (on the demo's MLP the best fixed rate over 30 epochs was 2 to 4
 * times it, bench/results/lr-search.md). So the stage starts at {@link #HEADROOM} times that rate, and
 * its divergence guard halves it down to the largest rate that is stable over whole epochs; then the
 * halving schedule. The walk up does not stop at the first unsteady rate: with momentum a rate whose
 * oscillation is slower than a probe looks unsteady though larger rates are steady again.
 */
public final class RateSearch {
    /** The first rate probed: the paper's 0.01. */
    static final double START = 0.01;
    static final double FACTOR = 2;
    /** Bounds of the walk: 2^-20 and 2^16 around START. */
    static final double MIN_RATE = START / (1 << 20);
    static final double MAX_RATE = START * (1 << 16);
    /** The stage starts this many times above the largest steady probe (a power of FACTOR). */
    static final double HEADROOM = 4;

    /**
     * One probed rate: the mean normalised loss over each pass of the probe (the same rows in the
     * same order every pass), and whether it fell steadily.
     */
    public record Probe(double rate, double[] passLoss, boolean steady) {
    }

    /**
     * The probes in the order run, the slice's loss before any of them, the largest steady rate, and
     * the rate the stage starts at (HEADROOM times it).
     */
    public record Result(List<Probe> probes, double initialLoss, double largestSteady, double chosen) {
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

    /**
     * Whether every pass ended below the one before it and the last below the starting loss. The
     * first pass may end above the start: momentum builds up over it, and from a layer-wise fit the
     * first steps often cost a little before the joint descent pays.
     */
    static boolean steady(double initialLoss, double[] passLoss) {
        for (int p = 1; p < passLoss.length; p++) {
            if (!(passLoss[p] < passLoss[p - 1])) {
                return false;
            }
        }
        return !diverged(initialLoss, passLoss);
    }

    /** Whether a probe ended where it began or above (or not finite): rates above it are not tried. */
    static boolean diverged(double initialLoss, double[] passLoss) {
        double last = passLoss[passLoss.length - 1];
        return !(Double.isFinite(last) && last < initialLoss);
    }

    /**
     * The walk: up from START by FACTOR until a probe diverges; if none of those was steady, down from
     * START / FACTOR until one is (with none steady down to MIN_RATE, MIN_RATE counts as the largest
     * steady rate). The stage starts at HEADROOM times the largest steady rate.
     */
    static Result choose(Trial trial, double initialLoss) {
        List<Probe> probes = new ArrayList<>();
        double chosen = 0;
        for (double rate = START; rate <= MAX_RATE; rate *= FACTOR) {
            Probe p = probe(trial, rate, initialLoss, probes);
            if (p.steady()) {
                chosen = rate;
            }
            if (diverged(initialLoss, p.passLoss())) {
                break;
            }
        }
        for (double rate = START / FACTOR; chosen == 0 && rate >= MIN_RATE; rate /= FACTOR) {
            if (probe(trial, rate, initialLoss, probes).steady()) {
                chosen = rate;
            }
        }
        double steady = chosen == 0 ? MIN_RATE : chosen;
        return new Result(List.copyOf(probes), initialLoss, steady, HEADROOM * steady);
    }

    private static Probe probe(Trial trial, double rate, double initialLoss, List<Probe> probes) {
        double[] losses = trial.passLosses(rate);
        Probe p = new Probe(rate, losses, steady(initialLoss, losses));
        probes.add(p);
        return p;
    }
}
