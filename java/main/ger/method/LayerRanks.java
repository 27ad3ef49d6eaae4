package ger.method;

import ger.GerException;
import ger.model.FcStack;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * What a low-rank method makes of each layer of a stack: a rank k &gt;= 1, {@link #DENSE} (full rank:
 * AS refits it on the compressed input and the global stage trains it), or {@link #KEEP} (the
 * original weights, neither refit nor trained). A rank at which a layer would not shrink is taken as
 * DENSE, with a note ({@link RankRule}).
 */
public record LayerRanks(List<Integer> ranks) {
    public static final int DENSE = 0;
    public static final int KEEP = -1;

    public LayerRanks {
        ranks = List.copyOf(ranks);
        for (int k : ranks) {
            if (k < KEEP) {
                throw new IllegalArgumentException("rank " + k + " is neither >= 1, DENSE nor KEEP");
            }
        }
    }

    /** Rank k in every layer. */
    public static LayerRanks uniform(int depth, int k) {
        return new LayerRanks(Collections.nCopies(depth, k));
    }

    public int depth() {
        return ranks.size();
    }

    /** Layer l's rank, DENSE or KEEP. */
    public int of(int l) {
        return ranks.get(l);
    }

    /** The same plan with the given layers kept. */
    public LayerRanks keeping(Set<Integer> kept) {
        List<Integer> r = new ArrayList<>(ranks);
        kept.forEach(l -> r.set(l, KEEP));
        return new LayerRanks(r);
    }

    /** "fc6:512,fc7:dense,fc8:keep", in the model's layer names. */
    public String describe(FcStack model) {
        List<String> parts = new ArrayList<>();
        for (int l = 0; l < depth(); l++) {
            int k = of(l);
            parts.add(model.layer(l).name() + ":" + (k == DENSE ? "dense" : k == KEEP ? "keep" : Integer.toString(k)));
        }
        return String.join(",", parts);
    }

    /**
     * Parses "fc6:512,fc7:256,fc8:dense": each entry names a layer (by name, else by its position
     * 0..m-1 in the stack) and a rank or {@code dense}. The kept layers are KEEP, whatever is given;
     * a layer neither named nor kept takes {@code fallback} (null: it must be named).
     */
    public static LayerRanks parse(String text, FcStack model, Integer fallback, Set<Integer> kept) {
        Map<Integer, Integer> given = new LinkedHashMap<>();
        for (String entry : text.split(",")) {
            int colon = entry.lastIndexOf(':');
            if (colon < 0) {
                throw new GerException("--ranks entry '" + entry.strip() + "' is not LAYER:RANK (e.g. fc6:512 or fc8:dense)");
            }
            int layer = layerIndex(entry.substring(0, colon).strip(), model, "--ranks");
            String value = entry.substring(colon + 1).strip();
            int k;
            if (value.equalsIgnoreCase("dense")) {
                k = DENSE;
            } else {
                try {
                    k = Integer.parseInt(value);
                } catch (NumberFormatException e) {
                    k = -2;
                }
                if (k < 1) {
                    throw new GerException("--ranks entry '" + entry.strip() + "': the rank must be an integer >= 1 or 'dense'");
                }
            }
            if (given.put(layer, k) != null) {
                throw new GerException("--ranks names layer " + model.layer(layer).name() + " twice");
            }
        }
        List<Integer> ranks = new ArrayList<>();
        for (int l = 0; l < model.depth(); l++) {
            Integer k = kept.contains(l) ? Integer.valueOf(KEEP) : given.getOrDefault(l, fallback);
            if (k == null) {
                throw new GerException("--ranks gives no rank for layer " + model.layer(l).name()
                        + ": name every layer, or add --rank K for the others");
            }
            ranks.add(k);
        }
        return new LayerRanks(ranks);
    }

    /** A layer by name, else by position; {@code option} names the option in the error. */
    public static int layerIndex(String ref, FcStack model, String option) {
        for (int l = 0; l < model.depth(); l++) {
            if (model.layer(l).name().equals(ref)) {
                return l;
            }
        }
        try {
            int l = Integer.parseInt(ref);
            if (l >= 0 && l < model.depth()) {
                return l;
            }
        } catch (NumberFormatException e) {
            // the message below
        }
        throw new GerException(option + ": no layer '" + ref + "' (layers: "
                + model.layers().stream().map(d -> d.name()).collect(Collectors.joining(", "))
                + ", or positions 0.." + (model.depth() - 1) + ")");
    }
}
