package ger.model;

import java.util.List;
import java.util.Map;

/**
 * A compressed FC stack: one {@link CompressedLayer} per original layer, in order, and the metadata
 * recorded in the file (method, ranks, compression rate, tool version).
 */
public record CompressedModel(List<CompressedLayer> layers, Map<String, String> metadata) implements AutoCloseable {
    public CompressedModel {
        layers = List.copyOf(layers);
        metadata = Map.copyOf(metadata);
    }

    /** Frees every layer's off-heap matrices. */
    @Override
    public void close() {
        layers.forEach(CompressedLayer::close);
    }

    /** sum of original weights / sum of stored weights, both in bits (docs/method.md). */
    public double compressionRate() {
        long original = layers.stream().mapToLong(l -> 32L * l.in() * l.out()).sum();
        long stored = layers.stream().mapToLong(CompressedLayer::storedWeightBits).sum();
        return (double) original / stored;
    }
}
