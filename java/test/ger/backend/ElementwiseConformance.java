package ger.backend;

import ger.backend.Conformance.Draw;
import ger.tensor.Matrix;
import ger.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static ger.backend.Conformance.assertClose;
import static ger.backend.Conformance.d;
import static ger.backend.Conformance.scaled;

/**
 * The element-wise updates: axpy, scale, reluBackward, sgdUpdate.
 * Kernels: kernels/portable/elementwise.h. Reference: ger.backend.java.Elementwise.
 */
public interface ElementwiseConformance extends ConformanceFixture {

    @Test
    default void axpy() {
        Draw r = Draw.fresh();
        Matrix x = gaussian(r, 37, 53);
        Matrix y = gaussian(r, 37, 53);
        float alpha = (float) r.rng().nextGaussian();
        Tensor yt = up(y);
        backend().axpy(alpha, up(x), yt);
        assertClose(scaled(d(x), alpha, d(y), 1), down(yt), tolerance(), r.tag("axpy alpha=" + alpha));
    }

    @Test
    default void scale() {
        Draw r = Draw.fresh();
        Matrix x = gaussian(r, 53, 37);
        float alpha = (float) r.rng().nextGaussian();
        Tensor xt = up(x);
        backend().scale(xt, alpha);
        assertClose(scaled(d(x), alpha, null, 0), down(xt), tolerance(), r.tag("scale alpha=" + alpha));
    }

    @Test
    default void reluBackward() {
        Draw r = Draw.fresh();
        Matrix grad = gaussian(r, 37, 53);
        Matrix act = gaussian(r, 37, 53);
        for (long i = 0; i < act.size(); i += 7) {
            act.setFlat(i, 0f); // the boundary: a zero activation blocks the gradient
        }
        Tensor g = up(grad);
        backend().reluBackward(g, up(act));
        double[][] expected = d(grad);
        for (int i = 0; i < 37; i++) {
            for (int j = 0; j < 53; j++) {
                if (act.get(i, j) <= 0) {
                    expected[i][j] = 0;
                }
            }
        }
        assertClose(expected, down(g), 0, r.tag("reluBackward"));
    }

    @Test
    default void sgdUpdate() {
        Draw r = Draw.fresh();
        Matrix param = gaussian(r, 37, 53);
        Matrix grad = gaussian(r, 37, 53);
        Matrix velocity = gaussian(r, 37, 53);
        float lr = 0.01f + (float) r.rng().nextDouble() * 0.1f;
        float momentum = 0.9f;
        float decay = 5e-4f;
        Tensor pt = up(param);
        Tensor vt = up(velocity);
        backend().sgdUpdate(pt, up(grad), vt, lr, momentum, decay);
        double[][] v = new double[37][53];
        double[][] w = new double[37][53];
        for (int i = 0; i < 37; i++) {
            for (int j = 0; j < 53; j++) {
                v[i][j] = momentum * velocity.get(i, j) + grad.get(i, j) + decay * param.get(i, j);
                w[i][j] = param.get(i, j) - lr * v[i][j];
            }
        }
        String what = r.tag("sgdUpdate lr=" + lr);
        assertClose(v, down(vt), tolerance(), what + " velocity");
        assertClose(w, down(pt), tolerance(), what + " param");
    }
}
