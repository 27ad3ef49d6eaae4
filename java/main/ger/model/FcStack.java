package ger.model;

import java.util.List;

/**
 * A stack of fully-connected layers: a_l = W_l h_{l-1} + b_l, h_l = relu(a_l) for every layer but
 * the last, whose output (the logits) is linear. The shapes chain: layer l's in = layer l-1's out.
 */
public record FcStack(List<DenseLayer> layers) {
    public FcStack {
        if (layers.isEmpty()) {
            throw new IllegalArgumentException("a model needs at least one layer");
        }
        for (int l = 1; l < layers.size(); l++) {
            DenseLayer below = layers.get(l - 1);
            DenseLayer above = layers.get(l);
            if (above.in() != below.out()) {
                throw new IllegalArgumentException("layer " + above.name() + " takes " + above.in()
                        + " inputs but layer " + below.name() + " gives " + below.out());
            }
        }
        layers = List.copyOf(layers);
    }

    public int depth() {
        return layers.size();
    }

    public DenseLayer layer(int l) {
        return layers.get(l);
    }

    public int inputDim() {
        return layers.getFirst().in();
    }

    public int outputDim() {
        return layers.getLast().out();
    }

    /** Whether layer l is followed by a ReLU (every layer but the last). */
    public boolean hasRelu(int l) {
        return l < layers.size() - 1;
    }

    /** The number of weights (biases excluded), the numerator of the compression rate. */
    public long weightCount() {
        return layers.stream().mapToLong(d -> (long) d.in() * d.out()).sum();
    }
}
