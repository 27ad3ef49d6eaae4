package ger.cli;

import ger.GerException;
import ger.method.CompressionResult;
import ger.method.CompressionSession;
import ger.method.LayerRanks;
import ger.method.MethodName;
import ger.method.RankRule;
import ger.model.FcStack;
import picocli.CommandLine.Option;

import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/** How one job sets its layers: --rank or --ranks (low-rank methods), --pq-dim (pq), --keep (any method). */
final class RankMixin {
    static final int DEFAULT_PQ_DIM = 4;

    @Option(names = "--rank", paramLabel = "K", description = "k in every layer, for lrd, as, ger-ic and ger")
    Integer rank;

    @Option(names = "--ranks", paramLabel = "LAYER:K,...",
            description = "per-layer ranks for lrd, as, ger-ic and ger, e.g. fc6:512,fc7:256,fc8:dense (layer names, "
                    + "or positions from 0; 'dense' keeps the layer full-rank, refit and trained); layers not named take --rank")
    String ranks;

    @Option(names = "--pq-dim", paramLabel = "S", description = "PQ sub-vector dimension, e.g. 1, 2, 4 or 8 as in the paper (default " + DEFAULT_PQ_DIM
                    + "; a width it does not divide ends in a narrower sub-space)")
    Integer pqDim;

    @Option(names = "--keep", split = ",", paramLabel = "LAYER,...",
            description = "layers that keep their original weights: neither compressed, refit nor trained")
    List<String> keep;

    /** The indices of the layers a --keep list names (none without one). */
    static Set<Integer> kept(List<String> keep, FcStack model) {
        return keep == null ? Set.of()
                : keep.stream().map(l -> LayerRanks.layerIndex(l.strip(), model, "--keep")).collect(Collectors.toSet());
    }

    /**
     * The job these options ask for; {@code budget} (weights, from --rate or --params; null without)
     * replaces --rank and --ranks.
     */
    Job job(MethodName m, FcStack model, Long budget) {
        Set<Integer> kept = kept(keep, model);
        if (!m.isLowRank() && (rank != null || ranks != null || budget != null)) {
            throw new GerException("--rank, --ranks, --rate and --params choose ranks, for lrd, as, ger-ic and ger; "
                    + (m == MethodName.PQ ? "pq's knob is --pq-dim" : "bin has no knob"));
        }
        if (m != MethodName.PQ && pqDim != null) {
            throw new GerException("--pq-dim is pq's knob, not " + m + "'s");
        }
        if (m == MethodName.PQ) {
            int s = pqDim == null ? DEFAULT_PQ_DIM : pqDim;
            if (s < 1) {
                throw new GerException("--pq-dim must be >= 1, got " + s);
            }
            return new Job(m, s, null, null, kept);
        }
        if (m == MethodName.BIN) {
            return new Job(m, 0, null, null, kept);
        }
        if (budget != null) {
            if (rank != null || ranks != null) {
                throw new GerException("give either a size budget (--rate or --params) or ranks (--rank, --ranks), not both");
            }
            return new Job(m, 0, null, budget, kept);
        }
        if (rank != null && rank < 1) {
            throw new GerException("--rank must be >= 1, got " + rank);
        }
        if (ranks != null) {
            return new Job(m, 0, LayerRanks.parse(ranks, model, rank, kept), null, kept);
        }
        if (rank == null) {
            throw new GerException("--method " + m + " needs --rank K, --ranks LAYER:K,... or a size budget (--rate R, --params N)");
        }
        List<Integer> compressed = IntStream.range(0, model.depth()).filter(l -> !kept.contains(l)).boxed().toList();
        int[] largest = compressed.stream().mapToInt(l -> RankRule.maxUsefulRank(model.layer(l).out(), model.layer(l).in())).toArray();
        if (Arrays.stream(largest).allMatch(k -> rank > k)) {
            throw new GerException("--rank " + rank + " shrinks no layer: the largest ranks that do are "
                    + IntStream.range(0, largest.length).mapToObj(i -> model.layer(compressed.get(i)).name() + " " + largest[i])
                    .collect(Collectors.joining(", ")));
        }
        return new Job(m, rank, null, null, kept);
    }

    /**
     * One compression job: the method with a uniform knob, per-layer ranks, or a weight budget, the
     * kept layers aside.
     */
    record Job(MethodName method, int knob, LayerRanks ranks, Long budget, Set<Integer> kept) {
        CompressionResult run(CompressionSession session, int depth) {
            if (budget != null) {
                return session.compressWithin(method, budget, kept);
            }
            if (ranks != null) {
                return session.compress(method, ranks);
            }
            return session.compress(method, knob,
                    IntStream.range(0, depth).filter(l -> !kept.contains(l)).boxed().collect(Collectors.toSet()));
        }

        /** The same layers with another method (validate's initialisation step). */
        Job withMethod(MethodName m) {
            return new Job(m, knob, ranks, budget, kept);
        }

        /** "ger k=64", "ger ranks fc1:20,...", "ger within 71936 weights", "pq s=4", "bin". */
        String describe(FcStack model) {
            if (budget != null) {
                return method + " within " + budget + " weights";
            }
            if (ranks != null) {
                return method + " ranks " + ranks.describe(model);
            }
            return method + (method.isLowRank() ? " k=" + knob : method == MethodName.PQ ? " s=" + knob : "");
        }
    }
}
