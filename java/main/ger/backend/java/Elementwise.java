package ger.backend.java;

import ger.tensor.Matrix;

/**
 * Element-wise updates: axpy, scale, reluBackward, sgdUpdate, in parallel chunks; the float
 * expressions the kernels evaluate, in the same order.
 * Kernel: kernels/portable/elementwise.h. Conformance: ger.backend.ElementwiseConformance.
 */
final class Elementwise {
    private Elementwise() {
    }

    /** y = alpha x + y. */
    static void axpy(float alpha, Matrix x, Matrix y) {
        ParallelChunks.run(x.size(), (from, to) -> {
            for (long i = from; i < to; i++) {
                y.setFlat(i, alpha * x.getFlat(i) + y.getFlat(i));
            }
            return 0;
        });
    }

    /** x = alpha x. */
    static void scale(Matrix x, float alpha) {
        ParallelChunks.run(x.size(), (from, to) -> {
            for (long i = from; i < to; i++) {
                x.setFlat(i, alpha * x.getFlat(i));
            }
            return 0;
        });
    }

    /** grad = 0 where activation <= 0. */
    static void reluBackward(Matrix grad, Matrix activation) {
        ParallelChunks.run(grad.size(), (from, to) -> {
            for (long i = from; i < to; i++) {
                if (activation.getFlat(i) <= 0f) {
                    grad.setFlat(i, 0f);
                }
            }
            return 0;
        });
    }

    /** velocity = momentum velocity + grad + weightDecay param; param -= lr velocity. */
    static void sgdUpdate(Matrix param, Matrix grad, Matrix velocity, float lr, float momentum, float weightDecay) {
        ParallelChunks.run(param.size(), (from, to) -> {
            for (long i = from; i < to; i++) {
                float w = param.getFlat(i);
                float vi = momentum * velocity.getFlat(i) + grad.getFlat(i) + weightDecay * w;
                velocity.setFlat(i, vi);
                param.setFlat(i, w - lr * vi);
            }
            return 0;
        });
    }
}
