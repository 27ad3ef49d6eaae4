package ger.method.budget;

import ger.GerException;
import ger.backend.Backend;
import ger.method.Calibration;
import ger.method.DeviceLayer;
import ger.method.Forward;
import ger.method.LayerRanks;
import ger.method.Lrd;
import ger.method.RankRule;
import ger.method.Rows;
import ger.method.as.FirstLayerInput;
import ger.method.as.LayerInput;
import ger.model.CompressedLayer;
import ger.model.DenseLayer;
import ger.model.FcStack;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Per-layer ranks chosen under a size budget, label-free (docs/method.md, "Choosing the ranks under a
 * size budget"). For each layer that can shrink, the output's squared error on the calibration rows
 * when that layer alone is at rank k, as the method's first step makes it (LRD's truncated SVD, or
 * AS's linear reduced-rank regression): measured at ranks 1, 2, 4, ..., K, and between them
 * interpolated along the layer's free error curve ({@link ErrorCurve}); summed over the layers it
 * predicts the stack's error, which {@link RankAllocation} minimises within the budget. The
 * choice is then checked on the first step itself against the uniform ranks of the same budget,
 * and the better of the two kept.
 */
public final class RankBudget implements AutoCloseable {
    private final Backend b;
    private final FcStack model;
    private final Rows x;
    private final List<Rows> preActivations;
    private final FirstLayerInput firstInput;
    private final Lrd lrd;
    private final double ridge;
    /** By family (AS's curves, else LRD's): per layer, its curve and its output error at every rank; null where it cannot shrink. */
    private final Map<Boolean, List<LayerErrors>> families = new HashMap<>();

    /** A layer's free curve and the output's squared error at ranks 1..K with that layer alone at each (outputError[k - 1]). */
    private record LayerErrors(ErrorCurve curve, double[] outputError) {
    }

    /** The calibration's rows and inputs are read, not closed. */
    public RankBudget(Calibration calibration, Lrd lrd, double ridge) {
        this.b = calibration.backend();
        this.model = calibration.model();
        this.x = calibration.x();
        this.preActivations = calibration.preActivations();
        this.firstInput = calibration.firstInput();
        this.lrd = lrd;
        this.ridge = ridge;
    }

    /**
     * The ranks within {@code budget} weights (the kept layers' included) for a method of the AS family
     * (as, ger) or the LRD family (lrd, ger-ic); "curves" and "single-layer errors" seconds go to phases.
     */
    public RankAllocation.Choice choose(boolean asFamily, long budget, Set<Integer> kept, Map<String, Double> phases) {
        List<LayerErrors> layers = family(asFamily, phases);
        long fixed = 0;
        List<Integer> free = new ArrayList<>();
        for (int l = 0; l < model.depth(); l++) {
            if (kept.contains(l) || layers.get(l) == null) {
                fixed += (long) model.layer(l).out() * model.layer(l).in();
            } else {
                free.add(l);
            }
        }
        if (free.isEmpty()) {
            throw new GerException("no layer to choose a rank for: every layer is kept or cannot shrink");
        }
        if (fixed > budget) {
            throw new GerException("the layers kept dense alone store " + fixed + " weights, above the budget of " + budget);
        }
        List<RankAllocation.Layer> options = new ArrayList<>();
        for (int l : free) {
            options.add(new RankAllocation.Layer(model.layer(l).out(), model.layer(l).in(), layers.get(l).outputError(), 0));
        }
        int[] chosen = RankAllocation.allocate(options, budget - fixed);
        LayerRanks allocated = plan(free, kept, options, chosen);
        double predicted = RankAllocation.error(options, chosen);
        int[] uniform = uniformWithin(options, budget - fixed);
        LayerRanks flat = plan(free, kept, options, uniform);
        boolean keepUniform = !flat.equals(allocated) && firstStepError(flat, layers) < firstStepError(allocated, layers);
        if (keepUniform) {
            chosen = uniform;
            allocated = flat;
            predicted = RankAllocation.error(options, uniform);
        }
        long params = fixed;
        for (int i = 0; i < free.size(); i++) {
            params += options.get(i).cost(chosen[i]);
        }
        double norm = preActivations.getLast().squaredNorm();
        return new RankAllocation.Choice(allocated, budget, params, Math.sqrt(predicted / (norm > 0 ? norm : 1)), keepUniform);
    }

    private LayerRanks plan(List<Integer> free, Set<Integer> kept, List<RankAllocation.Layer> options, int[] chosen) {
        Integer[] ranks = new Integer[model.depth()];
        for (int l = 0; l < model.depth(); l++) {
            ranks[l] = kept.contains(l) ? LayerRanks.KEEP : LayerRanks.DENSE;
        }
        for (int i = 0; i < free.size(); i++) {
            ranks[free.get(i)] = options.get(i).rank(chosen[i]);
        }
        return new LayerRanks(Arrays.asList(ranks));
    }

    /** The options of the largest uniform rank (capped at each layer's K) that fits the budget; rank 1 at least. */
    private static int[] uniformWithin(List<RankAllocation.Layer> options, long budget) {
        int[] best = new int[options.size()];
        int top = options.stream().mapToInt(o -> o.count() - 1).max().orElse(1);
        for (int k = 1; k <= top; k++) {
            int[] option = new int[options.size()];
            long cost = 0;
            for (int i = 0; i < options.size(); i++) {
                option[i] = Math.min(k, options.get(i).count() - 1) - 1;
                cost += options.get(i).cost(option[i]);
            }
            if (cost > budget) {
                break;
            }
            best = option;
        }
        return best;
    }

    /** The output's squared error with every planned layer at its first-step approximation (DENSE and KEEP original). */
    private double firstStepError(LayerRanks plan, List<LayerErrors> layers) {
        List<DeviceLayer> device = new ArrayList<>();
        try {
            for (int l = 0; l < model.depth(); l++) {
                int k = plan.of(l);
                if (k > 0) {
                    try (CompressedLayer.LowRank approx = layers.get(l).curve().approximation(k)) {
                        device.add(DeviceLayer.upload(b, approx));
                    }
                } else {
                    device.add(DeviceLayer.upload(b, model.layer(l)));
                }
            }
            return Forward.squaredError(b, device, x, preActivations.getLast());
        } finally {
            device.forEach(DeviceLayer::close);
        }
    }

    private List<LayerErrors> family(boolean asFamily, Map<String, Double> phases) {
        List<LayerErrors> cached = families.get(asFamily);
        if (cached != null) {
            return cached;
        }
        List<LayerErrors> list = new ArrayList<>();
        families.put(asFamily, list);
        for (int l = 0; l < model.depth(); l++) {
            DenseLayer d = model.layer(l);
            int maxRank = RankRule.maxUsefulRank(d.out(), d.in());
            if (maxRank < 1) {
                list.add(null);
                continue;
            }
            long start = System.nanoTime();
            ErrorCurve curve = curve(asFamily, l, maxRank);
            phases.merge("error curves", seconds(start), Double::sum);
            start = System.nanoTime();
            list.add(new LayerErrors(curve, outputErrors(curve, l)));
            phases.merge("single-layer errors", seconds(start), Double::sum);
        }
        return list;
    }

    /** Layer l's free curve: LRD's or AS's, on the layer's original input. */
    private ErrorCurve curve(boolean asFamily, int l, int maxRank) {
        DenseLayer d = model.layer(l);
        if (!asFamily) {
            try (Rows relu = l == 0 ? null : preActivations.get(l - 1).relu()) {
                return ErrorCurve.Lrd.of(b, lrd, l, d, l == 0 ? x : relu, preActivations.get(l));
            }
        }
        LayerInput in = l == 0 ? firstInput.get() : LayerInput.of(b, preActivations.get(l - 1).relu(), ridge, d.name());
        try {
            return ErrorCurve.As.of(b, d.name(), in, preActivations.get(l), maxRank);
        } finally {
            if (l > 0) {
                in.close();
            }
        }
    }

    /**
     * The output's squared error with layer l alone at each rank 1..K: measured at 1, 2, 4, ... and K
     * (the layers above run from layer l's original input), and in between the measured ratio of
     * output error to curve error interpolated in log rank; never rising with the rank.
     */
    private double[] outputErrors(ErrorCurve curve, int l) {
        int maxRank = curve.maxRank();
        List<Integer> grid = new ArrayList<>();
        for (int k = 1; k < maxRank; k *= 2) {
            grid.add(k);
        }
        grid.add(maxRank);
        double[] measured = new double[grid.size()];
        List<DeviceLayer> layers = new ArrayList<>();
        try (Rows input = l == 0 ? null : preActivations.get(l - 1).relu()) {
            layers.add(null);
            for (int above = l + 1; above < model.depth(); above++) {
                layers.add(DeviceLayer.upload(b, model.layer(above)));
            }
            for (int g = 0; g < grid.size(); g++) {
                try (CompressedLayer.LowRank approx = curve.approximation(grid.get(g));
                     DeviceLayer layer = DeviceLayer.upload(b, approx)) {
                    layers.set(0, layer);
                    measured[g] = Forward.squaredError(b, layers, l == 0 ? x : input, preActivations.getLast());
                }
            }
        } finally {
            layers.subList(1, layers.size()).forEach(DeviceLayer::close);
        }
        double[] errors = new double[maxRank];
        errors[grid.getFirst() - 1] = measured[0];
        for (int g = 0; g + 1 < grid.size(); g++) {
            for (int k = grid.get(g); k <= grid.get(g + 1); k++) {
                errors[k - 1] = between(curve, grid.get(g), measured[g], grid.get(g + 1), measured[g + 1], k);
            }
        }
        for (int k = 1; k < maxRank; k++) {
            errors[k] = Math.min(errors[k], errors[k - 1]);
        }
        return errors;
    }

    /**
     * The output error at rank k between two measured ranks: the ratio output error / curve error
     * interpolated geometrically in log rank, or the errors themselves linearly where a ratio is
     * undefined (a curve error of 0).
     */
    private static double between(ErrorCurve curve, int from, double eFrom, int to, double eTo, int k) {
        if (k == from) {
            return eFrom;
        }
        if (k == to) {
            return eTo;
        }
        double t = (Math.log(k) - Math.log(from)) / (Math.log(to) - Math.log(from));
        double cFrom = curve.error(from);
        double cTo = curve.error(to);
        double c = curve.error(k);
        if (cFrom > 0 && cTo > 0 && eFrom > 0 && eTo > 0) {
            return c * Math.exp((1 - t) * Math.log(eFrom / cFrom) + t * Math.log(eTo / cTo));
        }
        return (1 - t) * eFrom + t * eTo;
    }

    private double seconds(long start) {
        b.synchronize();
        return (System.nanoTime() - start) * 1e-9;
    }

    @Override
    public void close() {
        families.values().forEach(list -> list.stream().filter(e -> e != null).forEach(e -> e.curve().close()));
    }
}
