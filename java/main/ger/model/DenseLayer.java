package ger.model;

import ger.tensor.Matrix;

/** One fully-connected layer in PyTorch's nn.Linear convention: weight out x in, bias 1 x out. */
public record DenseLayer(String name, Matrix weight, Matrix bias) {
    public DenseLayer {
        if (bias.rows() != 1 || bias.cols() != weight.rows()) {
            throw new IllegalArgumentException(
                    name + ": bias is " + bias.shape() + ", expected 1 x " + weight.rows());
        }
    }

    public int in() {
        return weight.cols();
    }

    public int out() {
        return weight.rows();
    }
}
