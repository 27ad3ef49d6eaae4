package ger.train;

import ger.GerException;

import java.util.List;

/**
 * How {@link Trainer} trains an MLP: SGD with momentum and weight decay (not on biases) on the mean
 * softmax cross-entropy of each minibatch; the learning rate is multiplied by gamma at each
 * milestone epoch (PyTorch's MultiStepLR).
 *
 * @param epochs      passes over the data
 * @param lr          initial learning rate
 * @param milestones  epochs (0-based, ascending) at whose start the rate is multiplied by gamma
 * @param gamma       the rate's factor at each milestone
 * @param momentum    SGD momentum
 * @param weightDecay L2 decay of the weights (biases are not decayed)
 * @param batch       minibatch rows (the last batch of an epoch may be smaller)
 * @param seed        the initial weights and the shuffling
 */
public record TrainOptions(int epochs, double lr, List<Integer> milestones, double gamma, double momentum,
                           double weightDecay, int batch, long seed) {
    public TrainOptions {
        milestones = List.copyOf(milestones);
        if (epochs < 1) {
            throw new GerException("--epochs must be >= 1, got " + epochs);
        }
        if (!(lr > 0) || !Double.isFinite(lr)) {
            throw new GerException("--lr must be positive, got " + lr);
        }
        if (!(gamma > 0) || !Double.isFinite(gamma)) {
            throw new GerException("--gamma must be positive, got " + gamma);
        }
        if (!(momentum >= 0 && momentum < 1)) {
            throw new GerException("--momentum must be in [0, 1), got " + momentum);
        }
        if (!(weightDecay >= 0) || !Double.isFinite(weightDecay)) {
            throw new GerException("--weight-decay must be >= 0, got " + weightDecay);
        }
        if (batch < 1) {
            throw new GerException("--batch must be >= 1, got " + batch);
        }
        for (int m : milestones) {
            if (m < 0) {
                throw new GerException("--milestones must be epochs >= 0, got " + milestones);
            }
        }
    }

    /** 20 epochs, lr 0.05 x 0.1 at epochs 10 and 15, momentum 0.9, weight decay 5e-4, batch 128, seed 42. */
    public static TrainOptions defaults() {
        return new TrainOptions(20, 0.05, List.of(10, 15), 0.1, 0.9, 5e-4, 128, 42L);
    }

    /** The learning rate of epoch e (0-based): lr x gamma^(milestones <= e). */
    public double lrAt(int epoch) {
        return lr * Math.pow(gamma, milestones.stream().filter(m -> m <= epoch).count());
    }
}
